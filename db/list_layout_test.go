package db

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/titan-kv/titan/encoding"
)

// Tests of the list layout: element positions, window rebalancing, and a
// random sequence of commands checked against a model.

// TestListInsertSamePivot inserts 2,000 elements always before (and
// always after) the same pivot, which exhausts the positions between two
// neighbours again and again and forces window rebalancing, both inside
// the list and at its ends. The sizes are the smallest that still do all
// of it: with 10 elements before the pivot, the inserts after it
// rebalance windows of 4 and 8 elements a side inside the list and twice
// reach its head (a window of 16 extended past the head); the inserts
// before it rebalance windows of 4, 8 and 16 a side. (10,000 inserts
// after 20 elements took minutes under the race detector and timed the
// package out on a loaded machine.)
func TestListInsertSamePivot(t *testing.T) {
	n := lzInsertN
	const left = 10 // elements before the pivot
	d := openTest(t, false)
	base := func(key string, left, right int) []string {
		var vals []string
		for i := 0; i < left; i++ {
			vals = append(vals, fmt.Sprint("L", i))
		}
		vals = append(vals, "P")
		for i := 0; i < right; i++ {
			vals = append(vals, fmt.Sprint("R", i))
		}
		update(t, d, func(tx *Tx) error { _, err := tx.List([]byte(key)).Push(toBytes(vals...), false, false); return err })
		return vals
	}
	t.Run("after", func(t *testing.T) {
		// LINSERT AFTER only scans up to the pivot, which stays near the
		// head. The inserts are committed in small groups, to keep the
		// test fast over the embedded store.
		const group = 20
		vals := base("after", left, 3000)
		var ins []string
		for b := 0; b < n; b += group {
			update(t, d, func(tx *Tx) error {
				for i := b; i < b+group; i++ {
					got, err := tx.List([]byte("after")).Insert(false, []byte("P"), []byte(fmt.Sprint("x", i)))
					if err != nil {
						return err
					}
					if got != int64(len(vals)+i+1) {
						t.Fatalf("linsert %d = %d", i, got)
					}
				}
				return nil
			})
		}
		for i := n - 1; i >= 0; i-- {
			ins = append(ins, fmt.Sprint("x", i))
		}
		want := slices.Concat(vals[:left+1], ins, vals[left+1:])
		lzCheckList(t, d, "after", want)
	})
	t.Run("before", func(t *testing.T) {
		// LINSERT BEFORE scans past every element inserted so far (as
		// Redis does): n*n/2 element reads in all, which over the
		// embedded store's MVCC scans would take minutes. The list is
		// built, the inserts made and the result checked in one
		// transaction, whose buffer serves the reads (and which is not
		// committed: a commit of that size takes the embedded store ten
		// seconds); rebalancing works the same way.
		var vals []string
		for i := 0; i < left; i++ {
			vals = append(vals, fmt.Sprint("L", i))
		}
		vals = append(vals, "P")
		for i := 0; i < 3000; i++ {
			vals = append(vals, fmt.Sprint("R", i))
		}
		err := d.View(context.Background(), 0, func(tx *Tx) error {
			if _, err := tx.List([]byte("before")).Push(toBytes(vals...), false, false); err != nil {
				return err
			}
			for i := 0; i < n; i++ {
				got, err := tx.List([]byte("before")).Insert(true, []byte("P"), []byte(fmt.Sprint("x", i)))
				if err != nil {
					return err
				}
				if got != int64(len(vals)+i+1) {
					t.Fatalf("linsert %d = %d", i, got)
				}
			}
			var ins []string
			for i := 0; i < n; i++ {
				ins = append(ins, fmt.Sprint("x", i))
			}
			want := slices.Concat(vals[:left], ins, vals[left:])
			lzCheckListTx(t, tx, "before", want)
			got, err := tx.List([]byte("before")).Range(15, 25)
			if err != nil || !slices.Equal(toStrs(got), want[15:26]) {
				t.Errorf("lrange = %q, %v", got, err)
			}
			v, err := tx.List([]byte("before")).Index(-3001)
			if err != nil || string(v) != "P" {
				t.Errorf("lindex = %q, %v", v, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestListRebalanceInvariants checks the list after every insert while
// inserts at one point exhaust the gaps and rebalance windows inside the
// list, at its ends and over all of it.
func TestListRebalanceInvariants(t *testing.T) {
	d := openTest(t, false)
	for _, size := range []int{3, 200} {
		key := fmt.Sprint("l", size)
		var model []string
		for i := 0; i < size; i++ {
			model = append(model, fmt.Sprint(i))
		}
		update(t, d, func(tx *Tx) error { _, err := tx.List([]byte(key)).Push(toBytes(model...), false, false); return err })
		pivot := model[size/2]
		for i := 0; i < 80; i++ {
			v := fmt.Sprint("x", i)
			before := i%3 != 0
			update(t, d, func(tx *Tx) error {
				_, err := tx.List([]byte(key)).Insert(before, []byte(pivot), []byte(v))
				return err
			})
			at := slices.Index(model, pivot)
			if !before {
				at++
			}
			model = slices.Insert(model, at, v)
			lzCheckList(t, d, key, model)
		}
	}
}

// lzBuildList writes a sparse list whose elements sit at the given
// positions (white-box: it lays out crowded lists directly).
func lzBuildList(t *testing.T, d *DB, key string, pos []uint64) []string {
	t.Helper()
	var vals []string
	update(t, d, func(tx *Tx) error {
		m := tx.newObject(encoding.TypeList)
		for i, p := range pos {
			v := fmt.Sprint("e", i)
			vals = append(vals, v)
			if err := tx.set(tx.lKey(m, p), encoding.EncodeListValue([]byte(v))); err != nil {
				return err
			}
		}
		m.Head, m.Tail, m.Count, m.Sparse = pos[0], pos[len(pos)-1], int64(len(pos)), true
		return tx.replace([]byte(key), m)
	})
	return vals
}

func lzPositions(t *testing.T, d *DB, key string) []uint64 {
	t.Helper()
	var out []uint64
	readView(t, d, func(tx *Tx) error {
		m, err := tx.List([]byte(key)).meta()
		if err != nil {
			return err
		}
		start, end := tx.lSpan(m)
		return tx.scan(start, end, 0, func(k, v []byte) (bool, error) {
			it, err := tx.lDecode(m, k, v)
			out = append(out, it.pos)
			return true, err
		})
	})
	return out
}

// TestListRebalanceWindows lays out crowded lists and checks each kind of
// rebalancing window: the whole list (which becomes dense again), a
// window reaching the head (which extends below it), and a window inside
// the list (which leaves the rest in place).
func TestListRebalanceWindows(t *testing.T) {
	d := openTest(t, false)
	const c = encoding.ListCenter
	const gap = encoding.ListGap
	insert := func(key string, before bool, pivot string) {
		t.Helper()
		update(t, d, func(tx *Tx) error {
			_, err := tx.List([]byte(key)).Insert(before, []byte(pivot), []byte("new"))
			return err
		})
	}
	t.Run("whole", func(t *testing.T) {
		vals := lzBuildList(t, d, "whole", []uint64{c, c + 1, c + 2})
		insert("whole", true, vals[1])
		m := lzCheckList(t, d, "whole", []string{vals[0], "new", vals[1], vals[2]})
		if m.Sparse || m.Head != c {
			t.Fatalf("a rebalanced whole list: sparse %v, head %d", m.Sparse, m.Head)
		}
	})
	t.Run("head", func(t *testing.T) {
		var pos []uint64
		for i := 0; i < 20; i++ {
			pos = append(pos, c+uint64(i))
		}
		for i := 0; i < 20; i++ {
			pos = append(pos, c+1<<30+uint64(i)*gap)
		}
		vals := lzBuildList(t, d, "head", pos)
		insert("head", false, vals[1])
		want := slices.Insert(slices.Clone(vals), 2, "new")
		m := lzCheckList(t, d, "head", want)
		after := lzPositions(t, d, "head")
		if !m.Sparse || m.Head >= c {
			t.Fatalf("sparse %v, head %d: the window did not extend below the head %d", m.Sparse, m.Head, uint64(c))
		}
		if !slices.Equal(after[len(after)-25:], pos[len(pos)-25:]) {
			t.Fatal("elements beyond the window moved")
		}
	})
	t.Run("inside", func(t *testing.T) {
		var pos []uint64
		for i := 0; i < 20; i++ {
			pos = append(pos, c+uint64(i)*gap)
		}
		for i := 0; i < 20; i++ {
			pos = append(pos, c+20*gap+uint64(i))
		}
		for i := 0; i < 20; i++ {
			pos = append(pos, c+40*gap+uint64(i)*gap)
		}
		vals := lzBuildList(t, d, "inside", pos)
		insert("inside", true, vals[30])
		want := slices.Insert(slices.Clone(vals), 30, "new")
		m := lzCheckList(t, d, "inside", want)
		after := lzPositions(t, d, "inside")
		if !m.Sparse {
			t.Fatal("an inside rebalance made the list dense")
		}
		moved := 0
		for i := range pos {
			j := i
			if i >= 30 {
				j++
			}
			if after[j] != pos[i] {
				moved++
			}
		}
		if moved == 0 || moved > 40 || after[0] != pos[0] || after[len(after)-1] != pos[len(pos)-1] {
			t.Fatalf("%d elements moved, ends %d..%d (were %d..%d)", moved, after[0], after[len(after)-1], pos[0], pos[len(pos)-1])
		}
	})
}

// TestListRebalanceIsLocal checks that rebalancing rewrites a window
// around the insertion point, not the list: inserting repeatedly in the
// middle of a long list leaves elements far away where they were.
func TestListRebalanceIsLocal(t *testing.T) {
	d := openTest(t, false)
	k := []byte("l")
	var vals []string
	for i := 0; i < 2000; i++ {
		vals = append(vals, fmt.Sprint(i))
	}
	update(t, d, func(tx *Tx) error { _, err := tx.List(k).Push(toBytes(vals...), false, false); return err })
	positions := func() map[string]uint64 {
		out := map[string]uint64{}
		readView(t, d, func(tx *Tx) error {
			m, err := tx.List(k).meta()
			if err != nil {
				return err
			}
			start, end := tx.lSpan(m)
			return tx.scan(start, end, 0, func(key, v []byte) (bool, error) {
				it, err := tx.lDecode(m, key, v)
				out[string(it.val)] = it.pos
				return true, err
			})
		})
		return out
	}
	before := positions()
	update(t, d, func(tx *Tx) error {
		for i := 0; i < 200; i++ {
			// After an element 300 from the head: each LINSERT scans
			// to its pivot (1000 from the head took 30 s under -race).
			if _, err := tx.List(k).Insert(false, []byte("300"), []byte(fmt.Sprint("x", i))); err != nil {
				return err
			}
		}
		return nil
	})
	after := positions()
	moved := 0
	for _, v := range vals {
		if before[v] != after[v] {
			moved++
		}
	}
	// 200 inserts in one gap need about log2(ListGap) = 24 inserts per
	// rebalance; each rewrites a window of tens of elements.
	if moved == 0 || moved > 300 {
		t.Fatalf("%d of %d elements moved", moved, len(vals))
	}
	for _, v := range []string{"0", "1000", "1500", "1999"} {
		if before[v] != after[v] {
			t.Errorf("element %s far from the insertion point moved", v)
		}
	}
}

// TestListRandomModel runs random list commands against a slice model and
// checks the stored elements and metadata invariants after each. 600
// steps a run (1500 took 86 s under the race detector on a loaded
// machine); the seed changes every run, so runs add up.
func TestListRandomModel(t *testing.T) {
	d := openTest(t, false)
	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(1, seed))
	k := []byte("l")
	var model []string
	val := func() string { return fmt.Sprint(r.IntN(6)) }
	for step := 0; step < 600; step++ {
		var desc string
		var apply func([]string) []string
		var fn func(tx *Tx) error
		switch op := r.IntN(12); op {
		case 0, 1, 10, 11:
			left := op%2 == 0
			vs := []string{val()}
			if op < 2 {
				vs = append(vs, val())
			}
			desc = fmt.Sprintf("push left=%v %q", left, vs)
			fn = func(tx *Tx) error { _, err := tx.List(k).Push(toBytes(vs...), left, false); return err }
			apply = func(m []string) []string {
				for _, v := range vs {
					if left {
						m = append([]string{v}, m...)
					} else {
						m = append(m, v)
					}
				}
				return m
			}
		case 2, 3:
			left, c := op == 2, r.IntN(3)+1
			desc = fmt.Sprintf("pop left=%v %d", left, c)
			fn = func(tx *Tx) error { _, _, err := tx.List(k).Pop(left, int64(c)); return err }
			apply = func(m []string) []string {
				c := min(c, len(m))
				if left {
					return m[c:]
				}
				return m[:len(m)-c]
			}
		case 4, 5:
			before, pivot, v := op == 4, val(), fmt.Sprint("i", step)
			desc = fmt.Sprintf("linsert before=%v %q %q", before, pivot, v)
			fn = func(tx *Tx) error { _, err := tx.List(k).Insert(before, []byte(pivot), []byte(v)); return err }
			apply = func(m []string) []string {
				i := slices.Index(m, pivot)
				if i < 0 {
					return m
				}
				if !before {
					i++
				}
				return slices.Insert(m, i, v)
			}
		case 6:
			c, v := int64(r.IntN(5)-2), val()
			desc = fmt.Sprintf("lrem %d %q", c, v)
			fn = func(tx *Tx) error { _, err := tx.List(k).Rem(c, []byte(v)); return err }
			apply = func(m []string) []string { return lremModel(m, c, v) }
		case 7:
			a, b := int64(r.IntN(8)-2), int64(r.IntN(30)-3)
			desc = fmt.Sprintf("ltrim %d %d", a, b)
			fn = func(tx *Tx) error { return tx.List(k).Trim(a, b) }
			apply = func(m []string) []string {
				lo, hi := clampRange(a, b, int64(len(m)))
				return slices.Clone(m[lo:hi])
			}
		case 8:
			if len(model) == 0 {
				continue
			}
			i, v := r.IntN(len(model)), fmt.Sprint("s", step)
			desc = fmt.Sprintf("lset %d %q", i, v)
			fn = func(tx *Tx) error { return tx.List(k).Set(int64(i), []byte(v)) }
			apply = func(m []string) []string { m[i] = v; return m }
		case 9:
			from, to := r.IntN(2) == 0, r.IntN(2) == 0
			desc = fmt.Sprintf("lmove self %v %v", from, to)
			fn = func(tx *Tx) error { _, _, err := tx.List(k).Move(k, from, to); return err }
			apply = func(m []string) []string {
				if len(m) == 0 {
					return m
				}
				var v string
				if from {
					v, m = m[0], m[1:]
				} else {
					v, m = m[len(m)-1], m[:len(m)-1]
				}
				if to {
					return append([]string{v}, m...)
				}
				return append(m, v)
			}
		}
		if err := tryUpdate(d, fn); err != nil {
			t.Fatalf("seed %d step %d %s: %v", seed, step, desc, err)
		}
		model = apply(slices.Clone(model))
		if len(model) == 0 {
			model = nil
		}
		lzCheckList(t, d, "l", model)
		if len(model) > 0 && r.IntN(5) == 0 {
			readView(t, d, func(tx *Tx) error {
				i := int64(r.IntN(len(model)))
				j := i + int64(r.IntN(5))
				got, err := tx.List(k).Range(i, j)
				want := model[i:min(int(j)+1, len(model))]
				if err != nil || !slices.Equal(toStrs(got), want) {
					t.Fatalf("seed %d step %d: lrange %d %d = %q, want %q", seed, step, i, j, got, want)
				}
				v, err := tx.List(k).Index(-1 - i)
				if err != nil || string(v) != model[len(model)-1-int(i)] {
					t.Fatalf("seed %d step %d: lindex %d = %q", seed, step, -1-i, v)
				}
				return nil
			})
		}
	}
}

func lremModel(model []string, count int64, v string) []string {
	out := slices.Clone(model)
	if count >= 0 {
		n := int64(0)
		for i := 0; i < len(out); {
			if out[i] == v && (count == 0 || n < count) {
				out = slices.Delete(out, i, i+1)
				n++
				continue
			}
			i++
		}
		return out
	}
	n := int64(0)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] == v && n < -count {
			out = slices.Delete(out, i, i+1)
			n++
		}
	}
	return out
}
