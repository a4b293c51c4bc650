package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/titan-kv/titan/encoding"
)

// checkList verifies key's stored elements and metadata invariants: the
// elements are want, Count, Head and Tail match them, and a list that is
// not sparse is evenly spaced at ListGap.
func lzCheckList(t *testing.T, d *DB, key string, want []string) *encoding.Meta {
	t.Helper()
	var meta *encoding.Meta
	readView(t, d, func(tx *Tx) error {
		meta = lzCheckListTx(t, tx, key, want)
		return nil
	})
	return meta
}

// lzCheckListTx is lzCheckList inside a transaction.
func lzCheckListTx(t *testing.T, tx *Tx, key string, want []string) *encoding.Meta {
	t.Helper()
	m, err := tx.List([]byte(key)).meta()
	if err != nil {
		t.Fatal(err)
	}
	if m == nil {
		if len(want) != 0 {
			t.Fatalf("list %q missing, want %d elements", key, len(want))
		}
		return nil
	}
	var got []string
	var pos []uint64
	start, end := tx.lSpan(m)
	err = tx.scan(start, end, 0, func(k, v []byte) (bool, error) {
		it, err := tx.lDecode(m, k, v)
		got = append(got, string(it.val))
		pos = append(pos, it.pos)
		return true, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("list %q = %q (%d), want %q (%d)", key, lzAbbrev(got), len(got), lzAbbrev(want), len(want))
	}
	if m.Count != int64(len(want)) || len(want) == 0 {
		t.Fatalf("list %q: Count %d, %d elements", key, m.Count, len(want))
	}
	if m.Head != pos[0] || m.Tail != pos[len(pos)-1] {
		t.Fatalf("list %q: Head %d Tail %d, elements at %d..%d", key, m.Head, m.Tail, pos[0], pos[len(pos)-1])
	}
	if !m.Sparse {
		for i, p := range pos {
			if p != m.Head+uint64(i)*encoding.ListGap {
				t.Fatalf("list %q is not sparse but element %d is at %d (head %d)", key, i, p, m.Head)
			}
		}
	}
	return m
}

// lSpan is the whole key range of m's elements, live or deleted.
func (tx *Tx) lSpan(m *encoding.Meta) (start, end []byte) {
	p := tx.d.keys.DataPrefix(m.Object)
	return p, encoding.PrefixEnd(p)
}

func lzAbbrev(s []string) []string {
	if len(s) <= 12 {
		return s
	}
	return append(append(slices.Clone(s[:6]), "..."), s[len(s)-6:]...)
}

func TestListPushPopRange(t *testing.T) {
	d := openTest(t, false)
	k := []byte("l")
	update(t, d, func(tx *Tx) error {
		n, err := tx.List(k).Push(toBytes("a", "b", "c"), false, false)
		if n != 3 {
			t.Errorf("rpush = %d", n)
		}
		if err != nil {
			return err
		}
		n, err = tx.List(k).Push(toBytes("x", "y"), true, false)
		if n != 5 {
			t.Errorf("lpush = %d", n)
		}
		return err
	})
	lzCheckList(t, d, "l", []string{"y", "x", "a", "b", "c"})
	readView(t, d, func(tx *Tx) error {
		for _, c := range []struct {
			start, stop int64
			want        []string
		}{
			{0, -1, []string{"y", "x", "a", "b", "c"}},
			{1, 2, []string{"x", "a"}},
			{-2, -1, []string{"b", "c"}},
			{-100, 1, []string{"y", "x"}},
			{3, 100, []string{"b", "c"}},
			{4, 2, nil},
			{5, 10, nil},
			{-1, -2, nil},
		} {
			got, err := tx.List(k).Range(c.start, c.stop)
			if err != nil {
				return err
			}
			if !slices.Equal(toStrs(got), c.want) && !(len(got) == 0 && len(c.want) == 0) {
				t.Errorf("lrange %d %d = %q, want %q", c.start, c.stop, got, c.want)
			}
		}
		for i, want := range map[int64]string{0: "y", 4: "c", -1: "c", -5: "y", 2: "a"} {
			got, err := tx.List(k).Index(i)
			if err != nil || string(got) != want {
				t.Errorf("lindex %d = %q, %v; want %q", i, got, err, want)
			}
		}
		for _, i := range []int64{5, -6, 100} {
			if got, err := tx.List(k).Index(i); got != nil || err != nil {
				t.Errorf("lindex %d = %q, %v; want nil", i, got, err)
			}
		}
		if n, err := tx.List(k).Len(); n != 5 || err != nil {
			t.Errorf("llen = %d, %v", n, err)
		}
		if n, err := tx.List([]byte("nosuch")).Len(); n != 0 || err != nil {
			t.Errorf("llen nosuch = %d, %v", n, err)
		}
		got, err := tx.List([]byte("nosuch")).Range(0, -1)
		if got != nil || err != nil {
			t.Errorf("lrange nosuch = %q, %v", got, err)
		}
		return nil
	})
	update(t, d, func(tx *Tx) error {
		v, ok, err := tx.List(k).Pop(true, 2)
		if !ok || !slices.Equal(toStrs(v), []string{"y", "x"}) {
			t.Errorf("lpop 2 = %q, %v", v, ok)
		}
		if err != nil {
			return err
		}
		v, _, err = tx.List(k).Pop(false, 1)
		if !slices.Equal(toStrs(v), []string{"c"}) {
			t.Errorf("rpop = %q", v)
		}
		return err
	})
	lzCheckList(t, d, "l", []string{"a", "b"})
	update(t, d, func(tx *Tx) error {
		v, ok, err := tx.List(k).Pop(false, 0)
		if !ok || len(v) != 0 {
			t.Errorf("rpop 0 = %q, %v", v, ok)
		}
		if err != nil {
			return err
		}
		v, _, err = tx.List(k).Pop(false, 10)
		if !slices.Equal(toStrs(v), []string{"b", "a"}) {
			t.Errorf("rpop 10 = %q", v)
		}
		return err
	})
	lzCheckList(t, d, "l", nil)
	update(t, d, func(tx *Tx) error {
		v, ok, err := tx.List(k).Pop(true, 1)
		if ok || v != nil {
			t.Errorf("lpop of a missing key = %q, %v", v, ok)
		}
		n, err2 := tx.List(k).Push(toBytes("z"), true, true)
		if n != 0 {
			t.Errorf("lpushx of a missing key = %d", n)
		}
		return errors.Join(err, err2)
	})
	lzCheckList(t, d, "l", nil)
	update(t, d, func(tx *Tx) error {
		if _, err := tx.List(k).Push(toBytes("1"), false, false); err != nil {
			return err
		}
		n, err := tx.List(k).Push(toBytes("0"), true, true)
		if n != 2 {
			t.Errorf("lpushx = %d", n)
		}
		n, err2 := tx.List(k).Push(toBytes("2", "3"), false, true)
		if n != 4 {
			t.Errorf("rpushx = %d", n)
		}
		return errors.Join(err, err2)
	})
	lzCheckList(t, d, "l", []string{"0", "1", "2", "3"})
}

func TestListEmptyAndBinaryValues(t *testing.T) {
	d := openTest(t, false)
	vals := []string{"", "\x00", "v", "", "\xff\x00x"}
	update(t, d, func(tx *Tx) error {
		_, err := tx.List([]byte("l")).Push(toBytes(vals...), false, false)
		return err
	})
	lzCheckList(t, d, "l", vals)
	update(t, d, func(tx *Tx) error {
		if err := tx.List([]byte("l")).Set(2, nil); err != nil {
			return err
		}
		n, err := tx.List([]byte("l")).Rem(0, []byte(""))
		if n != 3 {
			t.Errorf("lrem of empty values = %d", n)
		}
		return err
	})
	lzCheckList(t, d, "l", []string{"\x00", "\xff\x00x"})
}

func TestListWrongType(t *testing.T) {
	d := openTest(t, false)
	k := []byte("s")
	update(t, d, func(tx *Tx) error {
		_, err := tx.String(k).Set([]byte("x"), SetOptions{})
		return err
	})
	calls := map[string]func(tx *Tx) error{
		"push":   func(tx *Tx) error { _, err := tx.List(k).Push(toBytes("a"), true, false); return err },
		"pushx":  func(tx *Tx) error { _, err := tx.List(k).Push(toBytes("a"), true, true); return err },
		"pop":    func(tx *Tx) error { _, _, err := tx.List(k).Pop(true, 1); return err },
		"pop0":   func(tx *Tx) error { _, _, err := tx.List(k).Pop(true, 0); return err },
		"llen":   func(tx *Tx) error { _, err := tx.List(k).Len(); return err },
		"lindex": func(tx *Tx) error { _, err := tx.List(k).Index(0); return err },
		"lrange": func(tx *Tx) error { _, err := tx.List(k).Range(0, -1); return err },
		"lset":   func(tx *Tx) error { return tx.List(k).Set(0, []byte("a")) },
		"linsert": func(tx *Tx) error {
			_, err := tx.List(k).Insert(true, []byte("a"), []byte("b"))
			return err
		},
		"lrem":   func(tx *Tx) error { _, err := tx.List(k).Rem(0, []byte("a")); return err },
		"ltrim":  func(tx *Tx) error { return tx.List(k).Trim(0, 1) },
		"lpos":   func(tx *Tx) error { _, err := tx.List(k).Pos([]byte("a"), 1, 0, 0); return err },
		"lmpop":  func(tx *Tx) error { _, _, err := tx.Lists([][]byte{[]byte("nosuch"), k}).MPop(true, 1); return err },
		"lmove":  func(tx *Tx) error { _, _, err := tx.List(k).Move([]byte("d"), true, true); return err },
		"lmove2": func(tx *Tx) error { _, _, err := tx.List([]byte("l")).Move(k, true, true); return err },
	}
	update(t, d, func(tx *Tx) error {
		_, err := tx.List([]byte("l")).Push(toBytes("a"), true, false)
		return err
	})
	for name, fn := range calls {
		if err := tryUpdate(d, fn); err != ErrWrongType {
			t.Errorf("%s on a string: %v, want WRONGTYPE", name, err)
		}
	}
	// The failed LMOVE into a string popped nothing.
	lzCheckList(t, d, "l", []string{"a"})
}

func TestListSetAndIndexErrors(t *testing.T) {
	d := openTest(t, false)
	k := []byte("l")
	if err := tryUpdate(d, func(tx *Tx) error { return tx.List(k).Set(0, []byte("x")) }); err != ErrNoSuchKey {
		t.Fatalf("lset on a missing key: %v", err)
	}
	update(t, d, func(tx *Tx) error { _, err := tx.List(k).Push(toBytes("a", "b", "c"), false, false); return err })
	for _, i := range []int64{3, -4} {
		if err := tryUpdate(d, func(tx *Tx) error { return tx.List(k).Set(i, []byte("x")) }); err != ErrIndexRange {
			t.Fatalf("lset %d: %v", i, err)
		}
	}
	update(t, d, func(tx *Tx) error {
		return errors.Join(tx.List(k).Set(0, []byte("A")), tx.List(k).Set(-1, []byte("C")))
	})
	lzCheckList(t, d, "l", []string{"A", "b", "C"})
}

func TestListInsertAndRem(t *testing.T) {
	d := openTest(t, false)
	k := []byte("l")
	update(t, d, func(tx *Tx) error { _, err := tx.List(k).Push(toBytes("a", "b", "c"), false, false); return err })
	ins := func(before bool, pivot, v string) int64 {
		t.Helper()
		var n int64
		update(t, d, func(tx *Tx) error {
			var err error
			n, err = tx.List(k).Insert(before, []byte(pivot), []byte(v))
			return err
		})
		return n
	}
	// At the ends the list stays dense.
	if n := ins(true, "a", "0"); n != 4 {
		t.Fatalf("linsert = %d", n)
	}
	ins(false, "c", "z")
	if m := lzCheckList(t, d, "l", []string{"0", "a", "b", "c", "z"}); m.Sparse {
		t.Fatal("inserts at the ends made the list sparse")
	}
	ins(false, "a", "a2")
	ins(true, "c", "b2")
	if m := lzCheckList(t, d, "l", []string{"0", "a", "a2", "b", "b2", "c", "z"}); !m.Sparse {
		t.Fatal("inserts in the middle left the list dense")
	}
	if n := ins(true, "nosuch", "x"); n != -1 {
		t.Fatalf("linsert with a missing pivot = %d", n)
	}
	var n int64
	update(t, d, func(tx *Tx) error {
		var err error
		n, err = tx.List([]byte("nosuch")).Insert(true, []byte("a"), []byte("x"))
		return err
	})
	if n != 0 {
		t.Fatalf("linsert into a missing key = %d", n)
	}
	lzCheckList(t, d, "nosuch", nil)
	// Sparse lookups.
	readView(t, d, func(tx *Tx) error {
		want := []string{"0", "a", "a2", "b", "b2", "c", "z"}
		for i := range want {
			v, err := tx.List(k).Index(int64(i))
			if err != nil || string(v) != want[i] {
				t.Errorf("sparse lindex %d = %q, %v", i, v, err)
			}
			v, err = tx.List(k).Index(int64(i - len(want)))
			if err != nil || string(v) != want[i] {
				t.Errorf("sparse lindex %d = %q, %v", i-len(want), v, err)
			}
			for j := i; j < len(want); j++ {
				got, err := tx.List(k).Range(int64(i), int64(j))
				if err != nil || !slices.Equal(toStrs(got), want[i:j+1]) {
					t.Errorf("sparse lrange %d %d = %q, %v", i, j, got, err)
				}
			}
		}
		return nil
	})
	update(t, d, func(tx *Tx) error { return tx.List(k).Set(4, []byte("B2")) })
	lzCheckList(t, d, "l", []string{"0", "a", "a2", "b", "B2", "c", "z"})
	// Sparse pops move the ends to the next keys.
	update(t, d, func(tx *Tx) error {
		_, _, err := tx.List(k).Pop(true, 2)
		return err
	})
	lzCheckList(t, d, "l", []string{"a2", "b", "B2", "c", "z"})
	update(t, d, func(tx *Tx) error {
		_, _, err := tx.List(k).Pop(false, 2)
		return err
	})
	lzCheckList(t, d, "l", []string{"a2", "b", "B2"})
	update(t, d, func(tx *Tx) error {
		_, _, err := tx.List(k).Pop(false, 2)
		return err
	})
	if m := lzCheckList(t, d, "l", []string{"a2"}); m.Sparse {
		t.Fatal("a one-element list is sparse")
	}
}

func TestListRemKeepsDenseAtTheEnds(t *testing.T) {
	d := openTest(t, false)
	k := []byte("l")
	set := func(vals ...string) {
		update(t, d, func(tx *Tx) error {
			if _, err := tx.Key(k).Delete(); err != nil {
				return err
			}
			_, err := tx.List(k).Push(toBytes(vals...), false, false)
			return err
		})
	}
	rem := func(count int64, v string) int64 {
		var n int64
		update(t, d, func(tx *Tx) error {
			var err error
			n, err = tx.List(k).Rem(count, []byte(v))
			return err
		})
		return n
	}
	cases := []struct {
		vals   []string
		count  int64
		v      string
		n      int64
		want   []string
		sparse bool
	}{
		{[]string{"x", "x", "a", "b", "x"}, 0, "x", 3, []string{"a", "b"}, false},
		{[]string{"x", "x", "a", "b", "x"}, 1, "x", 1, []string{"x", "a", "b", "x"}, false},
		{[]string{"x", "x", "a", "b", "x"}, 2, "x", 2, []string{"a", "b", "x"}, false},
		{[]string{"x", "x", "a", "b", "x"}, -1, "x", 1, []string{"x", "x", "a", "b"}, false},
		{[]string{"x", "x", "a", "b", "x"}, -2, "x", 2, []string{"x", "a", "b"}, true},
		{[]string{"a", "x", "b", "x", "c"}, 0, "x", 2, []string{"a", "b", "c"}, true},
		{[]string{"a", "x", "b", "x", "c"}, 1, "x", 1, []string{"a", "b", "x", "c"}, true},
		{[]string{"a", "x", "b", "x", "c"}, -1, "x", 1, []string{"a", "x", "b", "c"}, true},
		{[]string{"a", "b", "x", "x"}, 2, "x", 2, []string{"a", "b"}, false},
		{[]string{"x", "x", "a", "b"}, -2, "x", 2, []string{"a", "b"}, false},
		{[]string{"x", "x"}, 0, "x", 2, nil, false},
		{[]string{"x", "x"}, 1, "x", 1, []string{"x"}, false},
		{[]string{"a", "b"}, 0, "x", 0, []string{"a", "b"}, false},
		{[]string{"a", "x", "b"}, -5, "x", 1, nil, false}, // want filled below
	}
	cases[len(cases)-1].want, cases[len(cases)-1].sparse = []string{"a", "b"}, true
	for _, c := range cases {
		set(c.vals...)
		if n := rem(c.count, c.v); n != c.n {
			t.Errorf("lrem %d %q from %q = %d, want %d", c.count, c.v, c.vals, n, c.n)
		}
		m := lzCheckList(t, d, "l", c.want)
		if m != nil && m.Sparse != c.sparse {
			t.Errorf("lrem %d %q from %q: sparse = %v, want %v", c.count, c.v, c.vals, m.Sparse, c.sparse)
		}
	}
	if n := rem(0, "x"); n != 0 {
		t.Fatal(n)
	}
	update(t, d, func(tx *Tx) error { _, err := tx.Key(k).Delete(); return err })
	if n := rem(0, "x"); n != 0 {
		t.Fatalf("lrem on a missing key = %d", n)
	}
}

func TestListTrim(t *testing.T) {
	d := openTest(t, false)
	k := []byte("l")
	var all []string
	for i := 0; i < 20; i++ {
		all = append(all, fmt.Sprint(i))
	}
	for _, c := range []struct{ start, stop int64 }{
		{0, -1}, {2, -3}, {0, 0}, {-1, -1}, {5, 6}, {15, 100}, {-100, 3}, {10, 5}, {20, 30}, {0, 9}, {1, 18},
	} {
		for _, sparse := range []bool{false, true} {
			update(t, d, func(tx *Tx) error {
				if _, err := tx.Key(k).Delete(); err != nil {
					return err
				}
				_, err := tx.List(k).Push(toBytes(all...), false, false)
				return err
			})
			want := slices.Clone(all)
			if sparse {
				update(t, d, func(tx *Tx) error {
					_, err := tx.List(k).Insert(false, []byte("9"), []byte("9b"))
					return err
				})
				want = slices.Insert(want, 10, "9b")
			}
			var before *encoding.Meta
			readView(t, d, func(tx *Tx) (err error) { before, err = tx.List(k).meta(); return })
			update(t, d, func(tx *Tx) error { return tx.List(k).Trim(c.start, c.stop) })
			lo, hi := clampRange(c.start, c.stop, int64(len(want)))
			m := lzCheckList(t, d, "l", want[lo:hi])
			if m != nil {
				copied := hi-lo < int64(len(want))-(hi-lo)
				if (m.Object != before.Object) != copied {
					t.Errorf("ltrim %d %d of %d: copied to a new object = %v, want %v",
						c.start, c.stop, len(want), m.Object != before.Object, copied)
				}
			}
		}
	}
	if err := tryUpdate(d, func(tx *Tx) error { return tx.List([]byte("nosuch")).Trim(0, 1) }); err != nil {
		t.Fatal(err)
	}
}

func TestListPos(t *testing.T) {
	d := openTest(t, false)
	k := []byte("l")
	update(t, d, func(tx *Tx) error {
		_, err := tx.List(k).Push(toBytes("a", "b", "c", "1", "2", "3", "c", "c"), false, false)
		return err
	})
	readView(t, d, func(tx *Tx) error {
		for _, c := range []struct {
			v                   string
			rank, count, maxLen int64
			want                []int64
		}{
			{"c", 1, 1, 0, []int64{2}},
			{"c", 1, 0, 0, []int64{2, 6, 7}},
			{"c", 2, 0, 0, []int64{6, 7}},
			{"c", -1, 0, 0, []int64{7, 6, 2}},
			{"c", -1, 2, 0, []int64{7, 6}},
			{"c", -3, 1, 0, []int64{2}},
			{"c", -4, 1, 0, nil},
			{"c", 1, 0, 3, []int64{2}},
			{"c", 1, 0, 2, nil},
			{"c", -1, 0, 2, []int64{7, 6}},
			{"x", 1, 0, 0, nil},
			{"a", -1, 0, 0, []int64{0}},
		} {
			got, err := tx.List(k).Pos([]byte(c.v), c.rank, c.count, c.maxLen)
			if err != nil {
				return err
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("lpos %q rank %d count %d maxlen %d = %v, want %v", c.v, c.rank, c.count, c.maxLen, got, c.want)
			}
		}
		got, err := tx.List([]byte("nosuch")).Pos([]byte("a"), 1, 0, 0)
		if got != nil || err != nil {
			t.Errorf("lpos on a missing key = %v, %v", got, err)
		}
		return nil
	})
}

func TestListMove(t *testing.T) {
	d := openTest(t, false)
	src, dst := []byte("src"), []byte("dst")
	update(t, d, func(tx *Tx) error { _, err := tx.List(src).Push(toBytes("a", "b", "c"), false, false); return err })
	move := func(s, d2 []byte, fromLeft, toLeft bool) string {
		var v []byte
		var ok bool
		update(t, d, func(tx *Tx) error {
			var err error
			v, ok, err = tx.List(s).Move(d2, fromLeft, toLeft)
			return err
		})
		if !ok {
			return "<nil>"
		}
		return string(v)
	}
	// Rotation.
	if v := move(src, src, false, true); v != "c" {
		t.Fatalf("rotate = %q", v)
	}
	lzCheckList(t, d, "src", []string{"c", "a", "b"})
	if v := move(src, src, true, false); v != "c" {
		t.Fatalf("rotate = %q", v)
	}
	lzCheckList(t, d, "src", []string{"a", "b", "c"})
	if v := move(src, dst, true, false); v != "a" {
		t.Fatal(v)
	}
	move(src, dst, true, true)
	lzCheckList(t, d, "dst", []string{"b", "a"})
	lzCheckList(t, d, "src", []string{"c"})
	// A one-element list rotating onto itself.
	if v := move(src, src, true, true); v != "c" {
		t.Fatal(v)
	}
	lzCheckList(t, d, "src", []string{"c"})
	move(src, dst, false, false)
	lzCheckList(t, d, "src", nil)
	lzCheckList(t, d, "dst", []string{"b", "a", "c"})
	if v := move(src, dst, true, true); v != "<nil>" {
		t.Fatalf("lmove from a missing key = %q", v)
	}
	// LMPOP takes the first non-empty list.
	update(t, d, func(tx *Tx) error {
		key, vals, err := tx.Lists(toBytes("nosuch", "dst", "src")).MPop(false, 2)
		if string(key) != "dst" || !slices.Equal(toStrs(vals), []string{"c", "a"}) {
			t.Errorf("lmpop = %q %q", key, vals)
		}
		return err
	})
	update(t, d, func(tx *Tx) error {
		key, vals, err := tx.Lists(toBytes("nosuch", "dst")).MPop(true, 5)
		if string(key) != "dst" || !slices.Equal(toStrs(vals), []string{"b"}) {
			t.Errorf("lmpop = %q %q", key, vals)
		}
		return err
	})
	update(t, d, func(tx *Tx) error {
		key, vals, err := tx.Lists(toBytes("nosuch", "dst")).MPop(true, 5)
		if key != nil || vals != nil {
			t.Errorf("lmpop of empty lists = %q %q", key, vals)
		}
		return err
	})
	lzCheckList(t, d, "dst", nil)
}

var lzInsertN = 2000

// TestListDropWhole checks that popping or trimming every element drops
// the object in O(1) writes, and that the collector then deletes it.
func TestListDropWhole(t *testing.T) {
	d := openTest(t, false)
	warmCounterShards(t, d)
	var vals []string
	for i := 0; i < 100; i++ {
		vals = append(vals, fmt.Sprint(i))
	}
	for _, c := range []struct {
		name string
		fn   func(tx *Tx) error
	}{
		{"lpop", func(tx *Tx) error {
			got, _, err := tx.List([]byte("l")).Pop(true, 1000)
			if len(got) != 100 || string(got[0]) != "0" || string(got[99]) != "99" {
				t.Errorf("lpop of all: %d elements", len(got))
			}
			return err
		}},
		{"rpop", func(tx *Tx) error {
			got, _, err := tx.List([]byte("l")).Pop(false, 100)
			if len(got) != 100 || string(got[0]) != "99" {
				t.Errorf("rpop of all: %d elements", len(got))
			}
			return err
		}},
		{"lmpop", func(tx *Tx) error { _, _, err := tx.Lists(toBytes("l")).MPop(true, 100); return err }},
		{"ltrim", func(tx *Tx) error { return tx.List([]byte("l")).Trim(50, 10) }},
	} {
		update(t, d, func(tx *Tx) error { _, err := tx.List([]byte("l")).Push(toBytes(vals...), false, false); return err })
		var m *encoding.Meta
		readView(t, d, func(tx *Tx) (err error) { m, err = tx.List([]byte("l")).meta(); return })
		var writes int
		update(t, d, func(tx *Tx) error {
			err := c.fn(tx)
			writes = tx.t.GetMemBuffer().Len()
			return err
		})
		if writes > 3 {
			t.Errorf("%s of every element: %d writes", c.name, writes)
		}
		lzCheckList(t, d, "l", nil)
		prefix := d.keys.DataPrefix(m.Object)
		if err := d.collectRound(context.Background(), time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if n := countPrefix(t, d, prefix); n != 0 {
			t.Fatalf("%s: the collector left %d elements", c.name, n)
		}
	}
}
