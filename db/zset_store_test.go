package db

import (
	"fmt"
	"math"
	"testing"
)

func TestZSetOps(t *testing.T) {
	d := openTest(t, false)
	zAdd(t, d, "a", ZAddOptions{}, 1, "x", 2, "y", 3, "z")
	zAdd(t, d, "b", ZAddOptions{}, 10, "y", 20, "z", 30, "w")
	zAdd(t, d, "inf", ZAddOptions{}, math.Inf(1), "x", math.Inf(-1), "y")
	update(t, d, func(tx *Tx) error { _, err := tx.Set([]byte("s")).Add(toBytes("x", "w", "v")); return err })
	keys := func(ks ...string) [][]byte { return toBytes(ks...) }
	readView(t, d, func(tx *Tx) error {
		for _, c := range []struct {
			name string
			fn   func() ([]ScoredMember, error)
			want string
		}{
			{"union", func() ([]ScoredMember, error) { return tx.ZSets(keys("a", "b"), nil).Union(AggSum) }, "x:1 y:12 z:23 w:30"},
			{"union weights", func() ([]ScoredMember, error) { return tx.ZSets(keys("a", "b"), []float64{2, 0.5}).Union(AggSum) }, "x:2 y:9 w:15 z:16"},
			{"union min", func() ([]ScoredMember, error) { return tx.ZSets(keys("a", "b"), nil).Union(AggMin) }, "x:1 y:2 z:3 w:30"},
			{"union max", func() ([]ScoredMember, error) { return tx.ZSets(keys("a", "b"), nil).Union(AggMax) }, "x:1 y:10 z:20 w:30"},
			{"union missing", func() ([]ScoredMember, error) { return tx.ZSets(keys("nosuch", "a"), nil).Union(AggSum) }, "x:1 y:2 z:3"},
			{"union set", func() ([]ScoredMember, error) { return tx.ZSets(keys("a", "s"), nil).Union(AggSum) }, "v:1 w:1 x:2 y:2 z:3"},
			{"union inf", func() ([]ScoredMember, error) { return tx.ZSets(keys("inf", "inf"), []float64{1, -1}).Union(AggSum) }, "x:0 y:0"},
			{"union inf weight 0", func() ([]ScoredMember, error) { return tx.ZSets(keys("inf"), []float64{0}).Union(AggSum) }, "x:0 y:0"},
			{"inter", func() ([]ScoredMember, error) { return tx.ZSets(keys("a", "b"), nil).Inter(AggSum) }, "y:12 z:23"},
			// inf * 0 is NaN: Redis zeroes it in the first input, and a sum
			// with NaN is 0; MAX keeps the score so far against NaN.
			{"inter nan", func() ([]ScoredMember, error) { return tx.ZSets(keys("inf", "inf"), []float64{-1, 0}).Inter(AggSum) }, "x:0 y:0"},
			{"inter nan first", func() ([]ScoredMember, error) { return tx.ZSets(keys("inf", "inf"), []float64{0, 1}).Inter(AggSum) }, "y:-inf x:inf"},
			{"inter nan max", func() ([]ScoredMember, error) { return tx.ZSets(keys("inf", "inf"), []float64{-1, 0}).Inter(AggMax) }, "x:-inf y:inf"},
			{"inter weights max", func() ([]ScoredMember, error) { return tx.ZSets(keys("b", "a"), []float64{1, 100}).Inter(AggMax) }, "y:200 z:300"},
			{"inter set", func() ([]ScoredMember, error) { return tx.ZSets(keys("b", "s"), nil).Inter(AggSum) }, "w:31"},
			{"inter missing", func() ([]ScoredMember, error) { return tx.ZSets(keys("a", "nosuch"), nil).Inter(AggSum) }, ""},
			{"diff", func() ([]ScoredMember, error) { return tx.ZSets(keys("a", "b"), nil).Diff() }, "x:1"},
			{"diff set", func() ([]ScoredMember, error) { return tx.ZSets(keys("a", "s", "nosuch"), nil).Diff() }, "y:2 z:3"},
			{"diff one", func() ([]ScoredMember, error) { return tx.ZSets(keys("b"), nil).Diff() }, "y:10 z:20 w:30"},
			{"diff missing", func() ([]ScoredMember, error) { return tx.ZSets(keys("nosuch", "a"), nil).Diff() }, ""},
		} {
			got, err := c.fn()
			if err != nil {
				return err
			}
			if zfmt(got) != c.want {
				t.Errorf("%s = %s, want %s", c.name, zfmt(got), c.want)
			}
		}
		for _, c := range []struct {
			keys  []string
			limit int64
			want  int64
		}{{[]string{"a", "b"}, 0, 2}, {[]string{"a", "b"}, 1, 1}, {[]string{"a", "b", "s"}, 0, 0}, {[]string{"b", "s"}, 5, 1}, {[]string{"a", "nosuch"}, 0, 0}} {
			n, err := tx.ZSets(keys(c.keys...), nil).InterCard(c.limit)
			if err != nil || n != c.want {
				t.Errorf("zintercard %v limit %d = %d, %v; want %d", c.keys, c.limit, n, err, c.want)
			}
		}
		return nil
	})
	// Store into a new key, over another type, into a source, and empty.
	update(t, d, func(tx *Tx) error {
		items, err := tx.ZSets(keys("a", "b"), nil).Union(AggSum)
		if err != nil {
			return err
		}
		if _, err := tx.ZSet([]byte("dst")).Store(items); err != nil {
			return err
		}
		if _, err := tx.String([]byte("str")).Set([]byte("v"), SetOptions{}); err != nil {
			return err
		}
		if _, err := tx.ZSet([]byte("str")).Store(items[:1]); err != nil {
			return err
		}
		items, err = tx.ZSets(keys("a", "b"), nil).Inter(AggSum)
		if err != nil {
			return err
		}
		n, err := tx.ZSet([]byte("a")).Store(items)
		if n != 2 {
			t.Errorf("zinterstore into a source = %d", n)
		}
		return err
	})
	zCheck(t, d, "dst", zsm(1, "x", 12, "y", 23, "z", 30, "w"))
	zCheck(t, d, "str", zsm(1, "x"))
	zCheck(t, d, "a", zsm(12, "y", 23, "z"))
	update(t, d, func(tx *Tx) error {
		n, err := tx.ZSet([]byte("dst")).Store(nil)
		if n != 0 {
			t.Errorf("empty store = %d", n)
		}
		return err
	})
	zCheck(t, d, "dst", nil)
}

func TestZInterLarge(t *testing.T) {
	// More members than one lookup chunk, with a limit stopping early.
	d := openTest(t, false)
	var pa, pb []any
	for i := 0; i < 3000; i++ {
		pa = append(pa, i, fmt.Sprint("m", i))
		if i%3 == 0 {
			pb = append(pb, 1, fmt.Sprint("m", i))
		}
	}
	zAdd(t, d, "a", ZAddOptions{}, pa...)
	zAdd(t, d, "b", ZAddOptions{}, pb...)
	readView(t, d, func(tx *Tx) error {
		got, err := tx.ZSets(toBytes("a", "b"), nil).Inter(AggSum)
		if err != nil || len(got) != 1000 || got[0].Score != 1 || got[999].Score != 2998 {
			t.Errorf("zinter: %d items, %v", len(got), err)
		}
		n, err := tx.ZSets(toBytes("a", "b"), nil).InterCard(10)
		if err != nil || n != 10 {
			t.Errorf("zintercard limit 10 = %d, %v", n, err)
		}
		diff, err := tx.ZSets(toBytes("a", "b"), nil).Diff()
		if err != nil || len(diff) != 2000 {
			t.Errorf("zdiff: %d items, %v", len(diff), err)
		}
		return nil
	})
}
