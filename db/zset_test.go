package db

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/metrics"
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
		fmt.Fprintf(&b, "%s:%s", it.Member, FormatScore(it.Score))
	}
	return b.String()
}

func zAdd(t *testing.T, d *DB, key string, o ZAddOptions, pairs ...any) (int64, int64) {
	t.Helper()
	var a, u int64
	update(t, d, func(tx *Tx) error {
		var err error
		a, u, err = tx.ZAdd([]byte(key), o, zsm(pairs...))
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
	lzView(t, d, func(tx *Tx) error {
		m, err := tx.zset([]byte(key))
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

func TestFormatScore(t *testing.T) {
	for f, want := range map[float64]string{
		0.1: "0.10000000000000001", 1e20: "1e+20", 3: "3", math.Inf(1): "inf", math.Inf(-1): "-inf",
		1.5e-7: "1.4999999999999999e-07", 123456789012345678: "1.2345678901234568e+17", math.Copysign(0, -1): "-0",
		1e16: "10000000000000000", 1e17: "1e+17", 12345678.9: "12345678.9", -2.5: "-2.5", 1.1000000000000001: "1.1000000000000001",
	} {
		if got := FormatScore(f); got != want {
			t.Errorf("FormatScore(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestParseScore(t *testing.T) {
	ok := map[string]float64{
		"1": 1, "-2.5": -2.5, "+5": 5, ".5": .5, "5.": 5, "1e2": 100, "0x10": 16, "0x1p4": 16, "inf": math.Inf(1),
		"-inf": math.Inf(-1), "+inf": math.Inf(1), "infinity": math.Inf(1), "-Infinity": math.Inf(-1), "InF": math.Inf(1),
		"1e-310": 1e-310, "0": 0, "-0": 0, "0e0": 0, "0x0": 0,
	}
	for s, want := range ok {
		got, valid := ParseScore([]byte(s))
		if !valid || got != want {
			t.Errorf("ParseScore(%q) = %v, %v; want %v", s, got, valid, want)
		}
	}
	for _, s := range []string{"", " 1", "1 ", "x", "nan", "NaN", "1e", "1e400", "-1e400", "1e-400", "inf1", "1_0", "0x", "--1", "1.2.3", "e5", "."} {
		if got, valid := ParseScore([]byte(s)); valid {
			t.Errorf("ParseScore(%q) = %v, want invalid", s, got)
		}
	}
}

func TestParseScoreRange(t *testing.T) {
	for _, c := range []struct {
		min, max string
		want     ScoreRange
	}{
		{"1", "2", ScoreRange{Min: 1, Max: 2}},
		{"(1", "(2", ScoreRange{Min: 1, Max: 2, MinEx: true, MaxEx: true}},
		{"-inf", "+inf", ScoreRange{Min: math.Inf(-1), Max: math.Inf(1)}},
		{"", "(", ScoreRange{MaxEx: true}},
		{" 1", "0x10", ScoreRange{Min: 1, Max: 16}},
		{"1e400", "-1e400", ScoreRange{Min: math.Inf(1), Max: math.Inf(-1)}},
		{"(1e-400", "1e2", ScoreRange{MinEx: true, Max: 100}},
	} {
		got, err := ParseScoreRange([]byte(c.min), []byte(c.max))
		if err != nil || got != c.want {
			t.Errorf("ParseScoreRange(%q, %q) = %+v, %v; want %+v", c.min, c.max, got, err, c.want)
		}
	}
	for _, c := range [][2]string{{"x", "1"}, {"1", "nan"}, {"(nan", "1"}, {"1 ", "2"}, {"((1", "2"}, {"1", "[2"}} {
		if _, err := ParseScoreRange([]byte(c[0]), []byte(c[1])); err != ErrMinMaxFloat {
			t.Errorf("ParseScoreRange(%q, %q): %v, want %v", c[0], c[1], err, ErrMinMaxFloat)
		}
	}
	for _, c := range [][2]string{{"a", "+"}, {"[a", "+a"}, {"-a", "+"}, {"", "+"}, {"[a", "b"}} {
		if _, err := ParseLexRange([]byte(c[0]), []byte(c[1])); err != ErrLexRange {
			t.Errorf("ParseLexRange(%q, %q): %v, want %v", c[0], c[1], err, ErrLexRange)
		}
	}
	r, err := ParseLexRange([]byte("(a"), []byte("["))
	if err != nil || string(r.Min.Value) != "a" || !r.Min.Ex || len(r.Max.Value) != 0 || r.Max.Ex || r.Max.Inf != 0 {
		t.Errorf("ParseLexRange((a, [) = %+v, %v", r, err)
	}
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
	lzView(t, d, func(tx *Tx) error {
		m, err := tx.zset([]byte("z"))
		before = m.Version
		return err
	})
	a, u = zAdd(t, d, "z", ZAddOptions{}, 0, "c", 1, "e")
	check(a, u, 0, 0)
	lzView(t, d, func(tx *Tx) error {
		m, err := tx.zset([]byte("z"))
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
		err := lzUpdate(d, func(tx *Tx) error {
			var err error
			f, ok, err = tx.ZIncr([]byte("z"), []byte(member), delta, o)
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
	lzView(t, d, func(tx *Tx) error {
		if n, err := tx.ZCard([]byte("z")); n != 3 || err != nil {
			t.Errorf("zcard = %d, %v", n, err)
		}
		if n, err := tx.ZCard([]byte("nosuch")); n != 0 || err != nil {
			t.Errorf("zcard nosuch = %d, %v", n, err)
		}
		if f, ok, err := tx.ZScore([]byte("z"), []byte("b")); f != 2 || !ok || err != nil {
			t.Errorf("zscore = %v %v %v", f, ok, err)
		}
		if _, ok, err := tx.ZScore([]byte("z"), []byte("x")); ok || err != nil {
			t.Errorf("zscore of a non-member = %v %v", ok, err)
		}
		scores, err := tx.ZMScore([]byte("z"), lzBytes("c", "x", "a"))
		if err != nil || len(scores) != 3 || *scores[0] != 3 || scores[1] != nil || *scores[2] != 1 {
			t.Errorf("zmscore = %v, %v", scores, err)
		}
		scores, err = tx.ZMScore([]byte("nosuch"), lzBytes("a"))
		if err != nil || len(scores) != 1 || scores[0] != nil {
			t.Errorf("zmscore nosuch = %v, %v", scores, err)
		}
		return nil
	})
	update(t, d, func(tx *Tx) error {
		n, err := tx.ZRem([]byte("z"), lzBytes("a", "x", "a"))
		if n != 1 {
			t.Errorf("zrem = %d", n)
		}
		return err
	})
	zCheck(t, d, "z", zsm(2, "b", 3, "c"))
	update(t, d, func(tx *Tx) error {
		n, err := tx.ZRem([]byte("z"), lzBytes("b", "c"))
		if n != 2 {
			t.Errorf("zrem = %d", n)
		}
		return err
	})
	zCheck(t, d, "z", nil)
	update(t, d, func(tx *Tx) error {
		n, err := tx.ZRem([]byte("z"), lzBytes("b"))
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
		_, err := tx.Set(k, []byte("x"), SetOptions{})
		return err
	})
	zAdd(t, d, "z", ZAddOptions{}, 1, "a")
	all := ZRangeSpec{Start: 0, Stop: -1}
	calls := map[string]func(tx *Tx) error{
		"zadd":    func(tx *Tx) error { _, _, err := tx.ZAdd(k, ZAddOptions{}, zsm(1, "a")); return err },
		"zaddxx":  func(tx *Tx) error { _, _, err := tx.ZAdd(k, ZAddOptions{XX: true}, zsm(1, "a")); return err },
		"zincr":   func(tx *Tx) error { _, _, err := tx.ZIncr(k, []byte("a"), 1, ZAddOptions{}); return err },
		"zrem":    func(tx *Tx) error { _, err := tx.ZRem(k, lzBytes("a")); return err },
		"zcard":   func(tx *Tx) error { _, err := tx.ZCard(k); return err },
		"zscore":  func(tx *Tx) error { _, _, err := tx.ZScore(k, []byte("a")); return err },
		"zmscore": func(tx *Tx) error { _, err := tx.ZMScore(k, lzBytes("a")); return err },
		"zrank":   func(tx *Tx) error { _, _, _, err := tx.ZRank(k, []byte("a"), false); return err },
		"zcount":  func(tx *Tx) error { _, err := tx.ZCount(k, ScoreRange{Min: 0, Max: 1}); return err },
		"zlexcount": func(tx *Tx) error {
			_, err := tx.ZLexCount(k, LexRange{Min: LexBound{Inf: -1}, Max: LexBound{Inf: 1}})
			return err
		},
		"zrange":    func(tx *Tx) error { _, err := tx.ZRange(k, all); return err },
		"zremrange": func(tx *Tx) error { _, err := tx.ZRemRange(k, all); return err },
		"zpop":      func(tx *Tx) error { _, err := tx.ZPop(k, false, 1); return err },
		"zmpop":     func(tx *Tx) error { _, _, err := tx.ZMPop([][]byte{[]byte("nosuch"), k}, false, 1); return err },
		"zrandmem":  func(tx *Tx) error { _, err := tx.ZRandMember(k, 0); return err },
		"zscan":     func(tx *Tx) error { _, err := tx.ZScan(k, nil, 10, nil); return err },
		"zunion":    func(tx *Tx) error { _, err := tx.ZUnion([][]byte{[]byte("z"), k}, nil, AggSum); return err },
		"zinter":    func(tx *Tx) error { _, err := tx.ZInter([][]byte{[]byte("z"), k}, nil, AggSum); return err },
		"zintercard": func(tx *Tx) error {
			_, err := tx.ZInterCard([][]byte{[]byte("nosuch"), k}, 0)
			return err
		},
		"zdiff": func(tx *Tx) error { _, err := tx.ZDiff([][]byte{[]byte("z"), k}); return err },
		"zdiff2": func(tx *Tx) error {
			_, err := tx.ZDiff([][]byte{[]byte("nosuch"), k})
			return err
		},
	}
	for name, fn := range calls {
		if err := lzUpdate(d, fn); err != ErrWrongType {
			t.Errorf("%s on a string: %v, want WRONGTYPE", name, err)
		}
	}
}

// zModel is a sorted set kept as a sorted slice.
type zModel []ScoredMember

func (z zModel) sorted() zModel {
	c := slices.Clone(z)
	sortScored(c)
	return c
}

func (z zModel) rank(lo, hi int64, rev bool) zModel {
	s := z.sorted()
	if rev {
		slices.Reverse(s)
	}
	a, b := clampRange(lo, hi, int64(len(s)))
	return s[a:b]
}

func limitModel(s zModel, spec ZRangeSpec) zModel {
	if !spec.Limit {
		return s
	}
	if spec.Offset < 0 || spec.Offset >= int64(len(s)) {
		return nil
	}
	s = s[spec.Offset:]
	if spec.Count >= 0 && spec.Count < int64(len(s)) {
		s = s[:spec.Count]
	}
	return s
}

func (z zModel) byScore(spec ZRangeSpec) zModel {
	var out zModel
	for _, it := range z.sorted() {
		if spec.Score.contains(it.Score) {
			out = append(out, it)
		}
	}
	if spec.Rev {
		slices.Reverse(out)
	}
	return limitModel(out, spec)
}

func (z zModel) byLex(spec ZRangeSpec) zModel {
	var out zModel
	for _, it := range z.sorted() {
		if spec.Lex.gteMin(it.Member) && spec.Lex.lteMax(it.Member) && !spec.Lex.empty() {
			out = append(out, it)
		}
	}
	if spec.Rev {
		slices.Reverse(out)
	}
	return limitModel(out, spec)
}

func randomScoreBound(r *rand.Rand) (float64, bool) {
	switch r.IntN(10) {
	case 0:
		return math.Inf(-1), false
	case 1:
		return math.Inf(1), r.IntN(2) == 0
	}
	return float64(r.IntN(60) - 5), r.IntN(3) == 0
}

func randomLexBound(r *rand.Rand) LexBound {
	switch r.IntN(10) {
	case 0:
		return LexBound{Inf: -1, Ex: true}
	case 1:
		return LexBound{Inf: 1, Ex: true}
	}
	return LexBound{Value: []byte(fmt.Sprintf("m%03d", r.IntN(700))[:1+r.IntN(4)]), Ex: r.IntN(2) == 0}
}

// TestZSetRanges compares every range and count against a model, on a
// sorted set large enough for counts to count from both ends.
func TestZSetRanges(t *testing.T) {
	d := openTest(t, false)
	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(2, seed))
	var model zModel
	var lexModel zModel
	var pairs, lexPairs []any
	for i := 0; i < 1200; i++ {
		s := r.IntN(50)
		m := fmt.Sprintf("m%03d", i)
		model = append(model, ScoredMember{Member: []byte(m), Score: float64(s)})
		pairs = append(pairs, s, m)
		lexModel = append(lexModel, ScoredMember{Member: []byte(m), Score: 7})
		lexPairs = append(lexPairs, 7, m)
	}
	zAdd(t, d, "z", ZAddOptions{}, pairs...)
	zAdd(t, d, "lex", ZAddOptions{}, lexPairs...)
	zCheck(t, d, "z", model)
	sorted := model.sorted()
	lzView(t, d, func(tx *Tx) error {
		for i := 0; i < 300; i++ {
			a, b := int64(r.IntN(1400)-200), int64(r.IntN(1400)-200)
			rev := r.IntN(2) == 0
			spec := ZRangeSpec{By: ZByRank, Start: a, Stop: b, Rev: rev}
			got, err := tx.ZRange([]byte("z"), spec)
			if err != nil {
				return err
			}
			if want := model.rank(a, b, rev); zfmt(got) != zfmt(want) {
				t.Fatalf("seed %d: zrange %d %d rev=%v = %d items, want %d", seed, a, b, rev, len(got), len(want))
			}
			var sr ScoreRange
			sr.Min, sr.MinEx = randomScoreBound(r)
			sr.Max, sr.MaxEx = randomScoreBound(r)
			spec = ZRangeSpec{By: ZByScore, Score: sr, Rev: rev}
			if r.IntN(2) == 0 {
				spec.Limit, spec.Offset, spec.Count = true, int64(r.IntN(30)-2), int64(r.IntN(60)-5)
			}
			got, err = tx.ZRange([]byte("z"), spec)
			if err != nil {
				return err
			}
			if want := model.byScore(spec); zfmt(got) != zfmt(want) {
				t.Fatalf("seed %d: zrange byscore %+v = %d items, want %d", seed, spec, len(got), len(want))
			}
			n, err := tx.ZCount([]byte("z"), sr)
			if err != nil {
				return err
			}
			if want := len(model.byScore(ZRangeSpec{Score: sr})); n != int64(want) {
				t.Fatalf("seed %d: zcount %+v = %d, want %d", seed, sr, n, want)
			}
			lr := LexRange{Min: randomLexBound(r), Max: randomLexBound(r)}
			spec = ZRangeSpec{By: ZByLex, Lex: lr, Rev: rev}
			if r.IntN(2) == 0 {
				spec.Limit, spec.Offset, spec.Count = true, int64(r.IntN(30)-2), int64(r.IntN(60)-5)
			}
			got, err = tx.ZRange([]byte("lex"), spec)
			if err != nil {
				return err
			}
			if want := lexModel.byLex(spec); zfmt(got) != zfmt(want) {
				t.Fatalf("seed %d: zrange bylex %q %q %+v = %d items, want %d", seed, lr.Min.Value, lr.Max.Value, spec, len(got), len(want))
			}
			n, err = tx.ZLexCount([]byte("lex"), lr)
			if err != nil {
				return err
			}
			if want := len(lexModel.byLex(ZRangeSpec{Lex: lr})); n != int64(want) {
				t.Fatalf("seed %d: zlexcount %+v = %d, want %d", seed, lr, n, want)
			}
			j := r.IntN(len(sorted))
			rank, score, ok, err := tx.ZRank([]byte("z"), sorted[j].Member, rev)
			if err != nil {
				return err
			}
			want := int64(j)
			if rev {
				want = int64(len(sorted) - 1 - j)
			}
			if !ok || rank != want || score != sorted[j].Score {
				t.Fatalf("seed %d: zrank %s rev=%v = %d %v %v, want %d", seed, sorted[j].Member, rev, rank, score, ok, want)
			}
		}
		if _, _, ok, err := tx.ZRank([]byte("z"), []byte("nosuch"), false); ok || err != nil {
			t.Errorf("zrank of a non-member: %v %v", ok, err)
		}
		// Lex ranges on members with different scores follow the index.
		got, err := tx.ZRange([]byte("z"), ZRangeSpec{By: ZByLex, Lex: LexRange{Min: LexBound{Inf: -1}, Max: LexBound{Inf: 1}}})
		if err != nil || zfmt(got) != zfmt(sorted) {
			t.Errorf("zrange - + bylex over mixed scores: %d items, %v", len(got), err)
		}
		return nil
	})
}

func TestZSetRemRangeAndPop(t *testing.T) {
	d := openTest(t, false)
	seed := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(3, seed))
	for round := 0; round < 60; round++ {
		var model zModel
		var pairs []any
		same := r.IntN(3) == 0
		for i := 0; i < 40; i++ {
			s := r.IntN(20)
			if same {
				s = 1
			}
			m := fmt.Sprintf("m%03d", r.IntN(700))
			if slices.ContainsFunc(model, func(it ScoredMember) bool { return string(it.Member) == m }) {
				continue
			}
			model = append(model, ScoredMember{Member: []byte(m), Score: float64(s)})
			pairs = append(pairs, s, m)
		}
		update(t, d, func(tx *Tx) error { _, err := tx.Del([]byte("z")); return err })
		zAdd(t, d, "z", ZAddOptions{}, pairs...)
		var spec ZRangeSpec
		var removed zModel
		switch r.IntN(3) {
		case 0:
			spec = ZRangeSpec{By: ZByRank, Start: int64(r.IntN(60) - 20), Stop: int64(r.IntN(60) - 20)}
			removed = model.rank(spec.Start, spec.Stop, false)
		case 1:
			var sr ScoreRange
			sr.Min, sr.MinEx = randomScoreBound(r)
			sr.Max, sr.MaxEx = randomScoreBound(r)
			spec = ZRangeSpec{By: ZByScore, Score: sr}
			removed = model.byScore(spec)
		case 2:
			if !same {
				continue
			}
			spec = ZRangeSpec{By: ZByLex, Lex: LexRange{Min: randomLexBound(r), Max: randomLexBound(r)}}
			removed = model.byLex(spec)
		}
		var n int64
		update(t, d, func(tx *Tx) error {
			var err error
			n, err = tx.ZRemRange([]byte("z"), spec)
			return err
		})
		if n != int64(len(removed)) {
			t.Fatalf("seed %d: zremrange %+v = %d, want %d", seed, spec, n, len(removed))
		}
		left := slices.DeleteFunc(slices.Clone(model), func(it ScoredMember) bool {
			return slices.ContainsFunc(removed, func(x ScoredMember) bool { return bytes.Equal(x.Member, it.Member) })
		})
		zCheck(t, d, "z", left)
		// Pop from both ends.
		c := int64(r.IntN(5))
		max := r.IntN(2) == 0
		var got []ScoredMember
		update(t, d, func(tx *Tx) error {
			var err error
			got, err = tx.ZPop([]byte("z"), max, c)
			return err
		})
		s := zModel(left).sorted()
		if max {
			slices.Reverse(s)
		}
		want := s[:min(int(c), len(s))]
		if zfmt(got) != zfmt(want) {
			t.Fatalf("zpop max=%v %d = %s, want %s", max, c, zfmt(got), zfmt(want))
		}
		zCheck(t, d, "z", s[len(want):])
	}
	update(t, d, func(tx *Tx) error {
		got, err := tx.ZPop([]byte("nosuch"), false, 3)
		if got != nil {
			t.Errorf("zpop of a missing key = %s", zfmt(got))
		}
		return err
	})
}

func TestZMPop(t *testing.T) {
	d := openTest(t, false)
	zAdd(t, d, "b", ZAddOptions{}, 1, "x", 2, "y", 3, "z")
	update(t, d, func(tx *Tx) error {
		key, items, err := tx.ZMPop(lzBytes("a", "b"), true, 2)
		if string(key) != "b" || zfmt(items) != "z:3 y:2" {
			t.Errorf("zmpop = %q %s", key, zfmt(items))
		}
		return err
	})
	update(t, d, func(tx *Tx) error {
		key, items, err := tx.ZMPop(lzBytes("a", "b"), false, 10)
		if string(key) != "b" || zfmt(items) != "x:1" {
			t.Errorf("zmpop = %q %s", key, zfmt(items))
		}
		return err
	})
	zCheck(t, d, "b", nil)
	update(t, d, func(tx *Tx) error {
		key, items, err := tx.ZMPop(lzBytes("a", "b"), false, 1)
		if key != nil || items != nil {
			t.Errorf("zmpop of empty keys = %q %s", key, zfmt(items))
		}
		return err
	})
}

func TestZRandMember(t *testing.T) {
	d := openTest(t, false)
	for _, size := range []int{5, 100, 3000} {
		key := fmt.Sprint("z", size)
		scores := map[string]float64{}
		var pairs []any
		for i := 0; i < size; i++ {
			m := fmt.Sprintf("member:%d", i)
			scores[m] = float64(i)
			pairs = append(pairs, i, m)
		}
		zAdd(t, d, key, ZAddOptions{}, pairs...)
		seen := map[string]bool{}
		for _, count := range []int64{1, 3, 10, 50, int64(size) - 1, int64(size), int64(size) + 5, -1, -7, -40, -int64(size) * 2} {
			var got []ScoredMember
			lzView(t, d, func(tx *Tx) error {
				var err error
				got, err = tx.ZRandMember([]byte(key), count)
				return err
			})
			want := count
			if count > int64(size) {
				want = int64(size)
			}
			if count < 0 {
				want = -count
			}
			if int64(len(got)) != want {
				t.Fatalf("zrandmember %s %d: %d members, want %d", key, count, len(got), want)
			}
			distinct := map[string]bool{}
			for _, it := range got {
				s, ok := scores[string(it.Member)]
				if !ok || s != it.Score {
					t.Fatalf("zrandmember %s %d returned %q %v", key, count, it.Member, it.Score)
				}
				if count > 0 && distinct[string(it.Member)] {
					t.Fatalf("zrandmember %s %d repeated %q", key, count, it.Member)
				}
				distinct[string(it.Member)] = true
				seen[string(it.Member)] = true
			}
		}
		// Single picks from a large set land in different places.
		picks := map[string]bool{}
		for i := 0; i < 20; i++ {
			lzView(t, d, func(tx *Tx) error {
				got, err := tx.ZRandMember([]byte(key), 1)
				if len(got) == 1 {
					picks[string(got[0].Member)] = true
				}
				return err
			})
		}
		if len(picks) < min(size, 20)/3 {
			t.Errorf("20 random picks from %d members gave only %d distinct", size, len(picks))
		}
	}
	lzView(t, d, func(tx *Tx) error {
		got, err := tx.ZRandMember([]byte("nosuch"), 3)
		if got != nil {
			t.Errorf("zrandmember of a missing key = %s", zfmt(got))
		}
		return err
	})
}

func TestZSetOps(t *testing.T) {
	d := openTest(t, false)
	zAdd(t, d, "a", ZAddOptions{}, 1, "x", 2, "y", 3, "z")
	zAdd(t, d, "b", ZAddOptions{}, 10, "y", 20, "z", 30, "w")
	zAdd(t, d, "inf", ZAddOptions{}, math.Inf(1), "x", math.Inf(-1), "y")
	update(t, d, func(tx *Tx) error { _, err := tx.SAdd([]byte("s"), lzBytes("x", "w", "v")); return err })
	keys := func(ks ...string) [][]byte { return lzBytes(ks...) }
	lzView(t, d, func(tx *Tx) error {
		for _, c := range []struct {
			name string
			fn   func() ([]ScoredMember, error)
			want string
		}{
			{"union", func() ([]ScoredMember, error) { return tx.ZUnion(keys("a", "b"), nil, AggSum) }, "x:1 y:12 z:23 w:30"},
			{"union weights", func() ([]ScoredMember, error) { return tx.ZUnion(keys("a", "b"), []float64{2, 0.5}, AggSum) }, "x:2 y:9 w:15 z:16"},
			{"union min", func() ([]ScoredMember, error) { return tx.ZUnion(keys("a", "b"), nil, AggMin) }, "x:1 y:2 z:3 w:30"},
			{"union max", func() ([]ScoredMember, error) { return tx.ZUnion(keys("a", "b"), nil, AggMax) }, "x:1 y:10 z:20 w:30"},
			{"union missing", func() ([]ScoredMember, error) { return tx.ZUnion(keys("nosuch", "a"), nil, AggSum) }, "x:1 y:2 z:3"},
			{"union set", func() ([]ScoredMember, error) { return tx.ZUnion(keys("a", "s"), nil, AggSum) }, "v:1 w:1 x:2 y:2 z:3"},
			{"union inf", func() ([]ScoredMember, error) { return tx.ZUnion(keys("inf", "inf"), []float64{1, -1}, AggSum) }, "x:0 y:0"},
			{"union inf weight 0", func() ([]ScoredMember, error) { return tx.ZUnion(keys("inf"), []float64{0}, AggSum) }, "x:0 y:0"},
			{"inter", func() ([]ScoredMember, error) { return tx.ZInter(keys("a", "b"), nil, AggSum) }, "y:12 z:23"},
			// inf * 0 is NaN: Redis zeroes it in the first input, and a sum
			// with NaN is 0; MAX keeps the score so far against NaN.
			{"inter nan", func() ([]ScoredMember, error) { return tx.ZInter(keys("inf", "inf"), []float64{-1, 0}, AggSum) }, "x:0 y:0"},
			{"inter nan first", func() ([]ScoredMember, error) { return tx.ZInter(keys("inf", "inf"), []float64{0, 1}, AggSum) }, "y:-inf x:inf"},
			{"inter nan max", func() ([]ScoredMember, error) { return tx.ZInter(keys("inf", "inf"), []float64{-1, 0}, AggMax) }, "x:-inf y:inf"},
			{"inter weights max", func() ([]ScoredMember, error) { return tx.ZInter(keys("b", "a"), []float64{1, 100}, AggMax) }, "y:200 z:300"},
			{"inter set", func() ([]ScoredMember, error) { return tx.ZInter(keys("b", "s"), nil, AggSum) }, "w:31"},
			{"inter missing", func() ([]ScoredMember, error) { return tx.ZInter(keys("a", "nosuch"), nil, AggSum) }, ""},
			{"diff", func() ([]ScoredMember, error) { return tx.ZDiff(keys("a", "b")) }, "x:1"},
			{"diff set", func() ([]ScoredMember, error) { return tx.ZDiff(keys("a", "s", "nosuch")) }, "y:2 z:3"},
			{"diff one", func() ([]ScoredMember, error) { return tx.ZDiff(keys("b")) }, "y:10 z:20 w:30"},
			{"diff missing", func() ([]ScoredMember, error) { return tx.ZDiff(keys("nosuch", "a")) }, ""},
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
			n, err := tx.ZInterCard(keys(c.keys...), c.limit)
			if err != nil || n != c.want {
				t.Errorf("zintercard %v limit %d = %d, %v; want %d", c.keys, c.limit, n, err, c.want)
			}
		}
		return nil
	})
	// Store into a new key, over another type, into a source, and empty.
	update(t, d, func(tx *Tx) error {
		items, err := tx.ZUnion(keys("a", "b"), nil, AggSum)
		if err != nil {
			return err
		}
		if _, err := tx.ZStore([]byte("dst"), items); err != nil {
			return err
		}
		if _, err := tx.Set([]byte("str"), []byte("v"), SetOptions{}); err != nil {
			return err
		}
		if _, err := tx.ZStore([]byte("str"), items[:1]); err != nil {
			return err
		}
		items, err = tx.ZInter(keys("a", "b"), nil, AggSum)
		if err != nil {
			return err
		}
		n, err := tx.ZStore([]byte("a"), items)
		if n != 2 {
			t.Errorf("zinterstore into a source = %d", n)
		}
		return err
	})
	zCheck(t, d, "dst", zsm(1, "x", 12, "y", 23, "z", 30, "w"))
	zCheck(t, d, "str", zsm(1, "x"))
	zCheck(t, d, "a", zsm(12, "y", 23, "z"))
	update(t, d, func(tx *Tx) error {
		n, err := tx.ZStore([]byte("dst"), nil)
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
	lzView(t, d, func(tx *Tx) error {
		got, err := tx.ZInter(lzBytes("a", "b"), nil, AggSum)
		if err != nil || len(got) != 1000 || got[0].Score != 1 || got[999].Score != 2998 {
			t.Errorf("zinter: %d items, %v", len(got), err)
		}
		n, err := tx.ZInterCard(lzBytes("a", "b"), 10)
		if err != nil || n != 10 {
			t.Errorf("zintercard limit 10 = %d, %v", n, err)
		}
		diff, err := tx.ZDiff(lzBytes("a", "b"))
		if err != nil || len(diff) != 2000 {
			t.Errorf("zdiff: %d items, %v", len(diff), err)
		}
		return nil
	})
}

func TestZScan(t *testing.T) {
	d := openTest(t, false)
	var pairs []any
	want := map[string]float64{}
	for i := 0; i < 250; i++ {
		m := fmt.Sprintf("k%d", i)
		pairs = append(pairs, float64(i)/4, m)
		want[m] = float64(i) / 4
	}
	zAdd(t, d, "z", ZAddOptions{}, pairs...)
	for _, pattern := range []string{"", "k1*"} {
		got := map[string]float64{}
		var cursor []byte
		pages := 0
		for {
			var res ZScanResult
			lzView(t, d, func(tx *Tx) error {
				var err error
				res, err = tx.ZScan([]byte("z"), cursor, 20, []byte(pattern))
				return err
			})
			pages++
			for _, it := range res.Items {
				if _, dup := got[string(it.Member)]; dup {
					t.Fatalf("zscan returned %q twice", it.Member)
				}
				got[string(it.Member)] = it.Score
			}
			if res.Next == nil {
				break
			}
			cursor = res.Next
		}
		n := 0
		for m, s := range want {
			if pattern != "" && !strings.HasPrefix(m, "k1") {
				continue
			}
			n++
			if got[m] != s {
				t.Errorf("zscan %q: %s = %v, want %v", pattern, m, got[m], s)
			}
		}
		if len(got) != n || pages < 250/20 {
			t.Errorf("zscan %q: %d members in %d pages, want %d", pattern, len(got), pages, n)
		}
	}
	lzView(t, d, func(tx *Tx) error {
		res, err := tx.ZScan([]byte("nosuch"), nil, 10, nil)
		if len(res.Items) != 0 || res.Next != nil {
			t.Errorf("zscan of a missing key = %+v", res)
		}
		return err
	})
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
			update(t, d, func(tx *Tx) error { _, _, err := tx.ZIncr([]byte("z"), []byte(m), s, ZAddOptions{}); return err })
			model[m] += s
		case 3:
			update(t, d, func(tx *Tx) error { _, err := tx.ZRem([]byte("z"), lzBytes(m)); return err })
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
	fill := func() *encoding.Meta {
		var pairs []any
		for i := 0; i < 100; i++ {
			pairs = append(pairs, i, fmt.Sprint("m", i))
		}
		zAdd(t, d, "z", ZAddOptions{}, pairs...)
		var m *encoding.Meta
		lzView(t, d, func(tx *Tx) (err error) { m, err = tx.zset([]byte("z")); return })
		return m
	}
	for _, c := range []struct {
		name string
		fn   func(tx *Tx) (int, error)
	}{
		{"zremrangebyrank", func(tx *Tx) (int, error) {
			n, err := tx.ZRemRange([]byte("z"), ZRangeSpec{By: ZByRank, Start: -1000, Stop: 1000})
			return int(n), err
		}},
		{"zremrangebyscore", func(tx *Tx) (int, error) {
			n, err := tx.ZRemRange([]byte("z"), ZRangeSpec{By: ZByScore, Score: ScoreRange{Min: 0, Max: 99}})
			return int(n), err
		}},
		{"zpopmin", func(tx *Tx) (int, error) { items, err := tx.ZPop([]byte("z"), false, 1000); return len(items), err }},
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
		_, err := tx.ZRemRange([]byte("z"), ZRangeSpec{By: ZByScore, Score: ScoreRange{Min: 0, Max: 98}})
		return err
	})
	zCheck(t, d, "z", zsm(99, "m99"))
	if n := countPrefix(t, d, d.keys.DataPrefix(m.Object)); n != 2 {
		t.Fatalf("after removing 99 of 100 members the object holds %d keys, want 2", n)
	}
}

// lzOpenCostTest opens a store whose requests are counted; cost runs fn
// as a job on keys and returns the requests it sent, "Type=n ...".
func lzOpenCostTest(t *testing.T) (*DB, func(ro bool, keys []string, fn func(tx *Tx) error) string) {
	t.Helper()
	m := metrics.New()
	d, err := Open(context.Background(), Options{DataDir: t.TempDir()}, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	total := func() map[string]float64 {
		out := map[string]float64{}
		fams, err := m.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() != "titan_tikv_requests_total" {
				continue
			}
			for _, s := range f.GetMetric() {
				out[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
			}
		}
		return out
	}
	order := []string{"Get", "BatchGet", "Scan", "Prewrite", "Commit"}
	return d, func(ro bool, keys []string, fn func(tx *Tx) error) string {
		before := total()
		j := &Job{Keys: lzBytes(keys...), ReadOnly: ro, Fn: fn}
		d.Do(context.Background(), j)
		if j.Err != nil {
			t.Fatal(j.Err)
		}
		after := total()
		var parts []string
		for _, typ := range order {
			if n := after[typ] - before[typ]; n != 0 {
				parts = append(parts, fmt.Sprintf("%s=%g", typ, n))
			}
		}
		for typ, n := range after {
			if !slices.Contains(order, typ) && n != before[typ] {
				parts = append(parts, fmt.Sprintf("%s=%g", typ, n-before[typ]))
			}
		}
		return strings.Join(parts, " ")
	}
}

// TestListZSetCosts pins the TiKV requests of the list and sorted set
// commands (the costs docs/ARCHITECTURE.md states).
func TestListZSetCosts(t *testing.T) {
	d, cost := lzOpenCostTest(t)
	var vals []string
	for i := 0; i < 5000; i++ {
		vals = append(vals, fmt.Sprint("v", i))
	}
	var zitems []ScoredMember
	for i := 0; i < 3000; i++ {
		zitems = append(zitems, ScoredMember{Member: []byte(fmt.Sprintf("m%05d", i)), Score: float64(i)})
	}
	update(t, d, func(tx *Tx) error {
		if _, err := tx.List([]byte("dense")).Push(lzBytes(vals...), false, false); err != nil {
			return err
		}
		if _, err := tx.List([]byte("sparse")).Push(lzBytes(vals...), false, false); err != nil {
			return err
		}
		if _, err := tx.List([]byte("sparse")).Insert(true, []byte("v2500"), []byte("x")); err != nil {
			return err
		}
		if _, _, err := tx.ZAdd([]byte("z"), ZAddOptions{}, zitems); err != nil {
			return err
		}
		_, _, err := tx.ZAdd([]byte("lex"), ZAddOptions{}, zsm(0, "a", 0, "b", 0, "c", 0, "d"))
		return err
	})
	// Read everything once, so that the locks the setup's commit leaves
	// behind (client-go commits secondary keys in the background) are
	// resolved before requests are counted.
	countPrefix(t, d, []byte(d.opts.Namespace))
	all := LexRange{Min: LexBound{Value: []byte("b")}, Max: LexBound{Inf: 1, Ex: true}}
	for _, c := range []struct {
		name string
		ro   bool
		keys []string
		fn   func(tx *Tx) error
		want string
	}{
		{"LLEN", true, []string{"dense"}, func(tx *Tx) error { _, err := tx.List([]byte("dense")).Len(); return err }, "Get=1"},
		{"LINDEX dense", true, []string{"dense"}, func(tx *Tx) error { _, err := tx.List([]byte("dense")).Index(2500); return err }, "Get=2"},
		{"LINDEX sparse", true, []string{"sparse"}, func(tx *Tx) error { _, err := tx.List([]byte("sparse")).Index(-10); return err }, "Get=1 Scan=1"},
		{"LRANGE dense middle", true, []string{"dense"}, func(tx *Tx) error { _, err := tx.List([]byte("dense")).Range(2000, 2099); return err }, "Get=1 Scan=1"},
		{"LRANGE sparse tail", true, []string{"sparse"}, func(tx *Tx) error { _, err := tx.List([]byte("sparse")).Range(-20, -1); return err }, "Get=1 Scan=1"},
		{"LRANGE all", true, []string{"dense"}, func(tx *Tx) error { _, err := tx.List([]byte("dense")).Range(0, -1); return err }, "Get=1 Scan=5"},
		{"LPOS near head", true, []string{"dense"}, func(tx *Tx) error { _, err := tx.List([]byte("dense")).Pos([]byte("v3"), 1, 1, 0); return err }, "Get=1 Scan=1"},
		{"LPUSH", false, []string{"dense"}, func(tx *Tx) error {
			_, err := tx.List([]byte("dense")).Push(lzBytes("a", "b"), true, false)
			return err
		}, "Get=1 Prewrite=1 Commit=1"},
		{"LSET dense", false, []string{"dense"}, func(tx *Tx) error { return tx.List([]byte("dense")).Set(100, []byte("x")) }, "Get=1 Prewrite=1 Commit=1"},
		{"RPOP", false, []string{"dense"}, func(tx *Tx) error { _, _, err := tx.List([]byte("dense")).Pop(false, 2); return err }, "Get=1 Scan=1 Prewrite=1 Commit=1"},
		{"LMOVE", false, []string{"dense", "other"}, func(tx *Tx) error {
			_, _, err := tx.List([]byte("dense")).Move([]byte("other"), true, true)
			return err
		}, "BatchGet=1 Scan=1 Prewrite=1 Commit=1"},
		{"LTRIM dense", false, []string{"dense"}, func(tx *Tx) error { return tx.List([]byte("dense")).Trim(3, -4) }, "Get=1 Prewrite=1 Commit=1"},
		{"ZCARD", true, []string{"z"}, func(tx *Tx) error { _, err := tx.ZCard([]byte("z")); return err }, "Get=1"},
		{"ZSCORE", true, []string{"z"}, func(tx *Tx) error { _, _, err := tx.ZScore([]byte("z"), []byte("m00007")); return err }, "Get=2"},
		{"ZMSCORE", true, []string{"z"}, func(tx *Tx) error { _, err := tx.ZMScore([]byte("z"), lzBytes("m00001", "x", "m00200")); return err }, "Get=1 BatchGet=1"},
		{"ZRANK near start", true, []string{"z"}, func(tx *Tx) error { _, _, _, err := tx.ZRank([]byte("z"), []byte("m00100"), false); return err }, "Get=2 Scan=1"},
		{"ZREVRANK near end", true, []string{"z"}, func(tx *Tx) error { _, _, _, err := tx.ZRank([]byte("z"), []byte("m02900"), true); return err }, "Get=2 Scan=1"},
		{"ZRANGE rank", true, []string{"z"}, func(tx *Tx) error {
			_, err := tx.ZRange([]byte("z"), ZRangeSpec{Start: -20, Stop: -1, Rev: true})
			return err
		}, "Get=1 Scan=1"},
		{"ZRANGE byscore limit", true, []string{"z"}, func(tx *Tx) error {
			_, err := tx.ZRange([]byte("z"), ZRangeSpec{By: ZByScore, Score: ScoreRange{Min: 1000, Max: 2000}, Limit: true, Offset: 10, Count: 10})
			return err
		}, "Get=1 Scan=1"},
		{"ZCOUNT", true, []string{"z"}, func(tx *Tx) error {
			_, err := tx.ZCount([]byte("z"), ScoreRange{Min: 1000, Max: 1100})
			return err
		}, "Get=1 Scan=1"},
		{"ZRANGE bylex", true, []string{"lex"}, func(tx *Tx) error {
			_, err := tx.ZRange([]byte("lex"), ZRangeSpec{By: ZByLex, Lex: all})
			return err
		}, "Get=1 Scan=3"},
		{"ZADD update", false, []string{"z"}, func(tx *Tx) error {
			_, _, err := tx.ZAdd([]byte("z"), ZAddOptions{}, zsm(5, "m00001"))
			return err
		}, "Get=2 Prewrite=1 Commit=1"},
		{"ZADD many", false, []string{"z"}, func(tx *Tx) error {
			_, _, err := tx.ZAdd([]byte("z"), ZAddOptions{}, zsm(5, "m00002", 6, "new", 7, "m00003"))
			return err
		}, "Get=1 BatchGet=1 Prewrite=1 Commit=1"},
		{"ZADD unchanged", false, []string{"z"}, func(tx *Tx) error {
			_, _, err := tx.ZAdd([]byte("z"), ZAddOptions{}, zsm(5, "m00002"))
			return err
		}, "Get=2"},
		{"ZREM", false, []string{"z"}, func(tx *Tx) error { _, err := tx.ZRem([]byte("z"), lzBytes("new", "x")); return err }, "Get=1 BatchGet=1 Prewrite=1 Commit=1"},
		{"ZPOPMIN", false, []string{"z"}, func(tx *Tx) error { _, err := tx.ZPop([]byte("z"), false, 3); return err }, "Get=1 Scan=1 Prewrite=1 Commit=1"},
	} {
		if got := cost(c.ro, c.keys, c.fn); got != c.want {
			t.Errorf("%s costs %s, want %s", c.name, got, c.want)
		}
	}
}
