package db

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/parse"
)

func zsm(pairs ...any) []ScoredMember {
	var out []ScoredMember
	for i := 0; i < len(pairs); i += 2 {
		var f float64
		switch v := pairs[i].(type) {
		case int:
			f = float64(v)
		case float64:
			f = v
		}
		out = append(out, ScoredMember{Member: []byte(pairs[i+1].(string)), Score: f})
	}
	return out
}

func zfmt(items []ScoredMember) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s:%s", it.Member, parse.FormatScore(it.Score))
	}
	return b.String()
}

func zAdd(t *testing.T, d *DB, key string, o ZAddOptions, pairs ...any) (int64, int64) {
	t.Helper()
	var a, u int64
	update(t, d, func(tx *Tx) error {
		var err error
		a, u, err = tx.ZSet([]byte(key)).Add(o, zsm(pairs...))
		return err
	})
	return a, u
}

// zCheck verifies the stored sorted set: its index order, that member
// entries and index entries agree, and Count.
func zCheck(t *testing.T, d *DB, key string, want []ScoredMember) {
	t.Helper()
	want = slices.Clone(want)
	sortScored(want)
	readView(t, d, func(tx *Tx) error {
		m, err := tx.ZSet([]byte(key)).meta()
		if err != nil {
			return err
		}
		if m == nil {
			if len(want) != 0 {
				t.Fatalf("zset %q missing, want %s", key, zfmt(want))
			}
			return nil
		}
		start, end := tx.zIndexSpan(m)
		var byIndex []ScoredMember
		if err := tx.scan(start, end, 0, func(k, _ []byte) (bool, error) {
			sm, err := tx.zDecodeIndex(m, k)
			byIndex = append(byIndex, sm)
			return true, err
		}); err != nil {
			return err
		}
		members, err := tx.zReadAll(m)
		if err != nil {
			return err
		}
		if zfmt(byIndex) != zfmt(want) {
			t.Fatalf("zset %q index = %s, want %s", key, zfmt(byIndex), zfmt(want))
		}
		sortScored(members)
		if zfmt(members) != zfmt(want) {
			t.Fatalf("zset %q members = %s, want %s", key, zfmt(members), zfmt(want))
		}
		if m.Count != int64(len(want)) {
			t.Fatalf("zset %q Count = %d, want %d", key, m.Count, len(want))
		}
		return nil
	})
}

func TestZAddOptions(t *testing.T) {
	d := openTest(t, false)
	check := func(a, u, wa, wu int64) {
		t.Helper()
		if a != wa || u != wu {
			t.Fatalf("zadd: added %d updated %d, want %d %d", a, u, wa, wu)
		}
	}
	a, u := zAdd(t, d, "z", ZAddOptions{XX: true}, 1, "a")
	check(a, u, 0, 0)
	zCheck(t, d, "z", nil)
	a, u = zAdd(t, d, "z", ZAddOptions{}, 1, "a", 2, "b", 3, "a")
	check(a, u, 2, 1) // a repeated: added, then updated (ZADD CH counts 3)
	zCheck(t, d, "z", zsm(3, "a", 2, "b"))
	a, u = zAdd(t, d, "z", ZAddOptions{NX: true}, 10, "a", 5, "c")
	check(a, u, 1, 0)
	a, u = zAdd(t, d, "z", ZAddOptions{XX: true}, 10, "a", 5, "d", 2, "b")
	check(a, u, 0, 1)
	zCheck(t, d, "z", zsm(10, "a", 2, "b", 5, "c"))
	a, u = zAdd(t, d, "z", ZAddOptions{GT: true}, 5, "a", 6, "c", 1, "e")
	check(a, u, 1, 1)
	a, u = zAdd(t, d, "z", ZAddOptions{LT: true}, 5, "a", 7, "c", 1, "b")
	check(a, u, 0, 2)
	a, u = zAdd(t, d, "z", ZAddOptions{XX: true, GT: true}, 100, "b", 100, "f")
	check(a, u, 0, 1)
	zCheck(t, d, "z", zsm(5, "a", 100, "b", 6, "c", 1, "e"))
	a, u = zAdd(t, d, "z", ZAddOptions{}, math.Inf(1), "a", math.Inf(-1), "b", math.Copysign(0, -1), "c")
	check(a, u, 0, 3)
	zCheck(t, d, "z", zsm(math.Inf(1), "a", math.Inf(-1), "b", 0, "c", 1, "e"))
	// Same score: no change, no write.
	var before uint64
	readView(t, d, func(tx *Tx) error {
		m, err := tx.ZSet([]byte("z")).meta()
		before = m.Version
		return err
	})
	a, u = zAdd(t, d, "z", ZAddOptions{}, 0, "c", 1, "e")
	check(a, u, 0, 0)
	readView(t, d, func(tx *Tx) error {
		m, err := tx.ZSet([]byte("z")).meta()
		if m.Version != before {
			t.Error("a ZADD that changed nothing rewrote the key")
		}
		return err
	})
}

func TestZIncr(t *testing.T) {
	d := openTest(t, false)
	incr := func(member string, delta float64, o ZAddOptions) (float64, bool, error) {
		var f float64
		var ok bool
		err := tryUpdate(d, func(tx *Tx) error {
			var err error
			f, ok, err = tx.ZSet([]byte("z")).Incr([]byte(member), delta, o)
			return err
		})
		return f, ok, err
	}
	for _, c := range []struct {
		member string
		delta  float64
		o      ZAddOptions
		want   float64
		ok     bool
	}{
		{"a", 1, ZAddOptions{XX: true}, 0, false},
		{"a", 1.5, ZAddOptions{}, 1.5, true},
		{"a", 1, ZAddOptions{NX: true}, 0, false},
		{"a", 1, ZAddOptions{XX: true}, 2.5, true},
		{"a", -1, ZAddOptions{GT: true}, 0, false},
		{"a", 1, ZAddOptions{GT: true}, 3.5, true},
		{"a", 1, ZAddOptions{LT: true}, 0, false},
		{"a", -0.5, ZAddOptions{LT: true}, 3, true},
		{"b", -1, ZAddOptions{GT: true}, -1, true}, // GT never stops an add
		{"b", math.Inf(1), ZAddOptions{}, math.Inf(1), true},
	} {
		f, ok, err := incr(c.member, c.delta, c.o)
		if err != nil || f != c.want || ok != c.ok {
			t.Fatalf("zincr %s %v %+v = %v, %v, %v; want %v, %v", c.member, c.delta, c.o, f, ok, err, c.want, c.ok)
		}
	}
	if _, _, err := incr("b", math.Inf(-1), ZAddOptions{}); err != ErrZSetNaN {
		t.Fatalf("inf + -inf: %v", err)
	}
	zCheck(t, d, "z", zsm(3, "a", math.Inf(1), "b"))
}

func TestZSetRemAndReads(t *testing.T) {
	d := openTest(t, false)
	zAdd(t, d, "z", ZAddOptions{}, 1, "a", 2, "b", 3, "c")
	readView(t, d, func(tx *Tx) error {
		if n, err := tx.ZSet([]byte("z")).Card(); n != 3 || err != nil {
			t.Errorf("zcard = %d, %v", n, err)
		}
		if n, err := tx.ZSet([]byte("nosuch")).Card(); n != 0 || err != nil {
			t.Errorf("zcard nosuch = %d, %v", n, err)
		}
		if f, ok, err := tx.ZSet([]byte("z")).Score([]byte("b")); f != 2 || !ok || err != nil {
			t.Errorf("zscore = %v %v %v", f, ok, err)
		}
		if _, ok, err := tx.ZSet([]byte("z")).Score([]byte("x")); ok || err != nil {
			t.Errorf("zscore of a non-member = %v %v", ok, err)
		}
		scores, err := tx.ZSet([]byte("z")).MScore(toBytes("c", "x", "a"))
		if err != nil || len(scores) != 3 || *scores[0] != 3 || scores[1] != nil || *scores[2] != 1 {
			t.Errorf("zmscore = %v, %v", scores, err)
		}
		scores, err = tx.ZSet([]byte("nosuch")).MScore(toBytes("a"))
		if err != nil || len(scores) != 1 || scores[0] != nil {
			t.Errorf("zmscore nosuch = %v, %v", scores, err)
		}
		return nil
	})
	update(t, d, func(tx *Tx) error {
		n, err := tx.ZSet([]byte("z")).Rem(toBytes("a", "x", "a"))
		if n != 1 {
			t.Errorf("zrem = %d", n)
		}
		return err
	})
	zCheck(t, d, "z", zsm(2, "b", 3, "c"))
	update(t, d, func(tx *Tx) error {
		n, err := tx.ZSet([]byte("z")).Rem(toBytes("b", "c"))
		if n != 2 {
			t.Errorf("zrem = %d", n)
		}
		return err
	})
	zCheck(t, d, "z", nil)
	update(t, d, func(tx *Tx) error {
		n, err := tx.ZSet([]byte("z")).Rem(toBytes("b"))
		if n != 0 {
			t.Errorf("zrem of a missing key = %d", n)
		}
		return err
	})
}

func TestZSetWrongType(t *testing.T) {
	d := openTest(t, false)
	k := []byte("s")
	update(t, d, func(tx *Tx) error {
		_, err := tx.String(k).Set([]byte("x"), SetOptions{})
		return err
	})
	zAdd(t, d, "z", ZAddOptions{}, 1, "a")
	all := ZRangeSpec{Start: 0, Stop: -1}
	calls := map[string]func(tx *Tx) error{
		"zadd":    func(tx *Tx) error { _, _, err := tx.ZSet(k).Add(ZAddOptions{}, zsm(1, "a")); return err },
		"zaddxx":  func(tx *Tx) error { _, _, err := tx.ZSet(k).Add(ZAddOptions{XX: true}, zsm(1, "a")); return err },
		"zincr":   func(tx *Tx) error { _, _, err := tx.ZSet(k).Incr([]byte("a"), 1, ZAddOptions{}); return err },
		"zrem":    func(tx *Tx) error { _, err := tx.ZSet(k).Rem(toBytes("a")); return err },
		"zcard":   func(tx *Tx) error { _, err := tx.ZSet(k).Card(); return err },
		"zscore":  func(tx *Tx) error { _, _, err := tx.ZSet(k).Score([]byte("a")); return err },
		"zmscore": func(tx *Tx) error { _, err := tx.ZSet(k).MScore(toBytes("a")); return err },
		"zrank":   func(tx *Tx) error { _, _, _, err := tx.ZSet(k).Rank([]byte("a"), false); return err },
		"zcount":  func(tx *Tx) error { _, err := tx.ZSet(k).Count(parse.ScoreRange{Min: 0, Max: 1}); return err },
		"zlexcount": func(tx *Tx) error {
			_, err := tx.ZSet(k).LexCount(parse.LexRange{Min: parse.LexBound{Inf: -1}, Max: parse.LexBound{Inf: 1}})
			return err
		},
		"zrange":    func(tx *Tx) error { _, err := tx.ZSet(k).Range(all); return err },
		"zremrange": func(tx *Tx) error { _, err := tx.ZSet(k).RemRange(all); return err },
		"zpop":      func(tx *Tx) error { _, err := tx.ZSet(k).Pop(false, 1); return err },
		"zmpop": func(tx *Tx) error {
			_, _, err := tx.ZSets([][]byte{[]byte("nosuch"), k}, nil).MPop(false, 1)
			return err
		},
		"zrandmem": func(tx *Tx) error { _, err := tx.ZSet(k).RandMember(0); return err },
		"zscan":    func(tx *Tx) error { _, err := tx.ZSet(k).Scan(nil, 10, nil); return err },
		"zunion":   func(tx *Tx) error { _, err := tx.ZSets([][]byte{[]byte("z"), k}, nil).Union(AggSum); return err },
		"zinter":   func(tx *Tx) error { _, err := tx.ZSets([][]byte{[]byte("z"), k}, nil).Inter(AggSum); return err },
		"zintercard": func(tx *Tx) error {
			_, err := tx.ZSets([][]byte{[]byte("nosuch"), k}, nil).InterCard(0)
			return err
		},
		"zdiff": func(tx *Tx) error { _, err := tx.ZSets([][]byte{[]byte("z"), k}, nil).Diff(); return err },
		"zdiff2": func(tx *Tx) error {
			_, err := tx.ZSets([][]byte{[]byte("nosuch"), k}, nil).Diff()
			return err
		},
	}
	for name, fn := range calls {
		if err := tryUpdate(d, fn); err != ErrWrongType {
			t.Errorf("%s on a string: %v, want WRONGTYPE", name, err)
		}
	}
}

// TestZSetRandomModel runs random writes against a map model.
func TestZSetRandomModel(t *testing.T) {
	d := openTest(t, false)
	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(4, seed))
	model := map[string]float64{}
	asItems := func() []ScoredMember {
		var out []ScoredMember
		for m, s := range model {
			out = append(out, ScoredMember{Member: []byte(m), Score: s})
		}
		return out
	}
	for step := 0; step < 400; step++ {
		m := fmt.Sprint("m", r.IntN(30))
		s := float64(r.IntN(10) - 3)
		switch r.IntN(4) {
		case 0, 1:
			o := ZAddOptions{NX: r.IntN(4) == 0}
			if !o.NX {
				o.XX, o.GT = r.IntN(4) == 0, r.IntN(4) == 0
				o.LT = !o.GT && r.IntN(4) == 0
			}
			zAdd(t, d, "z", o, s, m)
			cur, had := model[m]
			switch {
			case had && (o.NX || (o.GT && s <= cur) || (o.LT && s >= cur)):
			case !had && o.XX:
			default:
				model[m] = s
			}
		case 2:
			update(t, d, func(tx *Tx) error { _, _, err := tx.ZSet([]byte("z")).Incr([]byte(m), s, ZAddOptions{}); return err })
			model[m] += s
		case 3:
			update(t, d, func(tx *Tx) error { _, err := tx.ZSet([]byte("z")).Rem(toBytes(m)); return err })
			delete(model, m)
		}
		zCheck(t, d, "z", asItems())
	}
}

// TestZSetDropWhole checks that removals taking every member drop the
// object in O(1) writes (the collector deletes the elements later) and
// that partial ones delete exactly the removed members.
func TestZSetDropWhole(t *testing.T) {
	d := openTest(t, false)
	warmCounterShards(t, d)
	fill := func() *encoding.Meta {
		var pairs []any
		for i := 0; i < 100; i++ {
			pairs = append(pairs, i, fmt.Sprint("m", i))
		}
		zAdd(t, d, "z", ZAddOptions{}, pairs...)
		var m *encoding.Meta
		readView(t, d, func(tx *Tx) (err error) { m, err = tx.ZSet([]byte("z")).meta(); return })
		return m
	}
	for _, c := range []struct {
		name string
		fn   func(tx *Tx) (int, error)
	}{
		{"zremrangebyrank", func(tx *Tx) (int, error) {
			n, err := tx.ZSet([]byte("z")).RemRange(ZRangeSpec{By: ZByRank, Start: -1000, Stop: 1000})
			return int(n), err
		}},
		{"zremrangebyscore", func(tx *Tx) (int, error) {
			n, err := tx.ZSet([]byte("z")).RemRange(ZRangeSpec{By: ZByScore, Score: parse.ScoreRange{Min: 0, Max: 99}})
			return int(n), err
		}},
		{"zpopmin", func(tx *Tx) (int, error) { items, err := tx.ZSet([]byte("z")).Pop(false, 1000); return len(items), err }},
	} {
		m := fill()
		var writes, n int
		update(t, d, func(tx *Tx) error {
			var err error
			n, err = c.fn(tx)
			writes = tx.t.GetMemBuffer().Len()
			return err
		})
		if n != 100 || writes > 3 {
			t.Errorf("%s of every member: removed %d with %d writes", c.name, n, writes)
		}
		zCheck(t, d, "z", nil)
		prefix := d.keys.DataPrefix(m.Object)
		if n := countPrefix(t, d, prefix); n != 200 {
			t.Fatalf("%s: the dropped object holds %d keys before collection, want 200", c.name, n)
		}
		if err := d.collectRound(context.Background(), time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if n := countPrefix(t, d, prefix); n != 0 {
			t.Fatalf("%s: the collector left %d keys of the dropped object", c.name, n)
		}
	}
	m := fill()
	update(t, d, func(tx *Tx) error {
		_, err := tx.ZSet([]byte("z")).RemRange(ZRangeSpec{By: ZByScore, Score: parse.ScoreRange{Min: 0, Max: 98}})
		return err
	})
	zCheck(t, d, "z", zsm(99, "m99"))
	if n := countPrefix(t, d, d.keys.DataPrefix(m.Object)); n != 2 {
		t.Fatalf("after removing 99 of 100 members the object holds %d keys, want 2", n)
	}
}
