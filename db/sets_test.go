package db

import (
	"fmt"
	"slices"
	"sort"
	"testing"
)

// Tests of the operations over several sets (sets.go).

// model computes set algebra in memory.
func hsModelInter(sets ...map[string]bool) []string {
	var out []string
	for m := range sets[0] {
		in := true
		for _, s := range sets[1:] {
			in = in && s[m]
		}
		if in {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

func TestSetAlgebra(t *testing.T) {
	d := openTest(t, false)
	// Sizes past the chunk size exercise chunked walks and probes.
	a := map[string]bool{}
	b := map[string]bool{}
	c := map[string]bool{}
	for i := range 1200 {
		m := fmt.Sprint(i)
		a[m] = true
		if i%2 == 0 {
			b[m] = true
		}
		if i%3 == 0 {
			c[m] = true
		}
	}
	for i := 5000; i < 5100; i++ {
		c[fmt.Sprint(i)] = true
	}
	for k, s := range map[string]map[string]bool{"a": a, "b": b, "c": c} {
		var ms []string
		for m := range s {
			ms = append(ms, m)
		}
		hsSAdd(t, d, k, ms...)
	}
	union := map[string]bool{}
	for _, s := range []map[string]bool{a, b, c} {
		for m := range s {
			union[m] = true
		}
	}
	keysOf := func(s map[string]bool) []string {
		var out []string
		for m := range s {
			out = append(out, m)
		}
		sort.Strings(out)
		return out
	}
	diff := func(first map[string]bool, others ...map[string]bool) []string {
		var out []string
		for m := range first {
			keep := true
			for _, o := range others {
				keep = keep && !o[m]
			}
			if keep {
				out = append(out, m)
			}
		}
		sort.Strings(out)
		return out
	}
	run := func(name string, fn func(tx *Tx) ([][]byte, error), want []string) {
		t.Helper()
		var got [][]byte
		readView(t, d, func(tx *Tx) (err error) {
			got, err = fn(tx)
			return err
		})
		if g := hsSorted(got); !slices.Equal(g, want) && !(len(g) == 0 && len(want) == 0) {
			t.Errorf("%s: got %d members, want %d", name, len(g), len(want))
		}
	}
	run("SINTER a b c", func(tx *Tx) ([][]byte, error) { return tx.Sets(toBytes("a", "b", "c")).Inter() }, hsModelInter(a, b, c))
	run("SINTER c a", func(tx *Tx) ([][]byte, error) { return tx.Sets(toBytes("c", "a")).Inter() }, hsModelInter(c, a))
	run("SINTER a a", func(tx *Tx) ([][]byte, error) { return tx.Sets(toBytes("a", "a")).Inter() }, keysOf(a))
	run("SINTER a nokey", func(tx *Tx) ([][]byte, error) { return tx.Sets(toBytes("a", "nokey")).Inter() }, nil)
	run("SUNION a b c nokey", func(tx *Tx) ([][]byte, error) { return tx.Sets(toBytes("a", "b", "c", "nokey")).Union() }, keysOf(union))
	run("SUNION nokey", func(tx *Tx) ([][]byte, error) { return tx.Sets(toBytes("nokey")).Union() }, nil)
	run("SDIFF a b c", func(tx *Tx) ([][]byte, error) { return tx.Sets(toBytes("a", "b", "c")).Diff() }, diff(a, b, c))
	run("SDIFF c a", func(tx *Tx) ([][]byte, error) { return tx.Sets(toBytes("c", "a")).Diff() }, diff(c, a))
	run("SDIFF b a", func(tx *Tx) ([][]byte, error) { return tx.Sets(toBytes("b", "a")).Diff() }, nil)
	run("SDIFF c b nokey", func(tx *Tx) ([][]byte, error) { return tx.Sets(toBytes("c", "b", "nokey")).Diff() }, diff(c, b))
	run("SDIFF a a", func(tx *Tx) ([][]byte, error) { return tx.Sets(toBytes("a", "a")).Diff() }, nil)
	run("SDIFF nokey a", func(tx *Tx) ([][]byte, error) { return tx.Sets(toBytes("nokey", "a")).Diff() }, nil)

	readView(t, d, func(tx *Tx) error {
		for _, c := range []struct {
			keys  []string
			limit int64
			want  int64
		}{
			{[]string{"a", "b", "c"}, 0, int64(len(hsModelInter(a, b, c)))},
			{[]string{"a", "b", "c"}, 7, 7},
			{[]string{"a", "b"}, 100000, 600},
			{[]string{"a", "nokey"}, 0, 0},
			{[]string{"c"}, 0, int64(len(c))},
		} {
			n, err := tx.Sets(toBytes(c.keys...)).InterCard(c.limit)
			if err != nil {
				return err
			}
			if n != c.want {
				t.Errorf("SINTERCARD %v LIMIT %d = %d, want %d", c.keys, c.limit, n, c.want)
			}
		}
		return nil
	})

	// Store forms: into a key that is also a source, over a TTL, and an
	// empty result that deletes the destination.
	update(t, d, func(tx *Tx) error {
		_, err := tx.Key([]byte("b")).ExpireAt(tx.Now()+100000, ExpireFlags{})
		return err
	})
	var n int64
	update(t, d, func(tx *Tx) (err error) {
		n, err = tx.Sets(toBytes("b", "c")).InterStore([]byte("b"))
		return err
	})
	want := hsModelInter(b, c)
	if n != int64(len(want)) || !slices.Equal(hsSMembers(t, d, "b"), want) {
		t.Fatalf("SINTERSTORE b b c = %d, want %d", n, len(want))
	}
	readView(t, d, func(tx *Tx) error {
		pttl, err := tx.Key([]byte("b")).PTTL()
		card, _ := tx.Set([]byte("b")).Card()
		if pttl != -1 || card != int64(len(want)) {
			t.Errorf("stored set: PTTL %d, SCARD %d", pttl, card)
		}
		return err
	})
	update(t, d, func(tx *Tx) (err error) {
		n, err = tx.Sets(toBytes("c", "a")).DiffStore([]byte("dst"))
		return err
	})
	if want := diff(c, a); n != 100 || !slices.Equal(hsSMembers(t, d, "dst"), want) {
		t.Fatalf("SDIFFSTORE = %d", n)
	}
	update(t, d, func(tx *Tx) (err error) {
		n, err = tx.Sets(toBytes("dst", "nokey")).UnionStore([]byte("u"))
		return err
	})
	if n != 100 || len(hsSMembers(t, d, "u")) != 100 {
		t.Fatalf("SUNIONSTORE = %d", n)
	}
	update(t, d, func(tx *Tx) (err error) {
		n, err = tx.Sets(toBytes("a", "nokey")).InterStore([]byte("dst"))
		return err
	})
	if n != 0 || hsType(t, d, "dst") != "none" {
		t.Fatalf("empty SINTERSTORE = %d, dst %s", n, hsType(t, d, "dst"))
	}
}
