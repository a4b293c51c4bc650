package db

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/titan-kv/titan/parse"
)

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
		if spec.Score.Contains(it.Score) {
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
		if spec.Lex.GteMin(it.Member) && spec.Lex.LteMax(it.Member) && !spec.Lex.Empty() {
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

func randomLexBound(r *rand.Rand) parse.LexBound {
	switch r.IntN(10) {
	case 0:
		return parse.LexBound{Inf: -1, Ex: true}
	case 1:
		return parse.LexBound{Inf: 1, Ex: true}
	}
	return parse.LexBound{Value: []byte(fmt.Sprintf("m%03d", r.IntN(700))[:1+r.IntN(4)]), Ex: r.IntN(2) == 0}
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
	readView(t, d, func(tx *Tx) error {
		for i := 0; i < 300; i++ {
			a, b := int64(r.IntN(1400)-200), int64(r.IntN(1400)-200)
			rev := r.IntN(2) == 0
			spec := ZRangeSpec{By: ZByRank, Start: a, Stop: b, Rev: rev}
			got, err := tx.ZSet([]byte("z")).Range(spec)
			if err != nil {
				return err
			}
			if want := model.rank(a, b, rev); zfmt(got) != zfmt(want) {
				t.Fatalf("seed %d: zrange %d %d rev=%v = %d items, want %d", seed, a, b, rev, len(got), len(want))
			}
			var sr parse.ScoreRange
			sr.Min, sr.MinEx = randomScoreBound(r)
			sr.Max, sr.MaxEx = randomScoreBound(r)
			spec = ZRangeSpec{By: ZByScore, Score: sr, Rev: rev}
			if r.IntN(2) == 0 {
				spec.Limit, spec.Offset, spec.Count = true, int64(r.IntN(30)-2), int64(r.IntN(60)-5)
			}
			got, err = tx.ZSet([]byte("z")).Range(spec)
			if err != nil {
				return err
			}
			if want := model.byScore(spec); zfmt(got) != zfmt(want) {
				t.Fatalf("seed %d: zrange byscore %+v = %d items, want %d", seed, spec, len(got), len(want))
			}
			n, err := tx.ZSet([]byte("z")).Count(sr)
			if err != nil {
				return err
			}
			if want := len(model.byScore(ZRangeSpec{Score: sr})); n != int64(want) {
				t.Fatalf("seed %d: zcount %+v = %d, want %d", seed, sr, n, want)
			}
			lr := parse.LexRange{Min: randomLexBound(r), Max: randomLexBound(r)}
			spec = ZRangeSpec{By: ZByLex, Lex: lr, Rev: rev}
			if r.IntN(2) == 0 {
				spec.Limit, spec.Offset, spec.Count = true, int64(r.IntN(30)-2), int64(r.IntN(60)-5)
			}
			got, err = tx.ZSet([]byte("lex")).Range(spec)
			if err != nil {
				return err
			}
			if want := lexModel.byLex(spec); zfmt(got) != zfmt(want) {
				t.Fatalf("seed %d: zrange bylex %q %q %+v = %d items, want %d", seed, lr.Min.Value, lr.Max.Value, spec, len(got), len(want))
			}
			n, err = tx.ZSet([]byte("lex")).LexCount(lr)
			if err != nil {
				return err
			}
			if want := len(lexModel.byLex(ZRangeSpec{Lex: lr})); n != int64(want) {
				t.Fatalf("seed %d: zlexcount %+v = %d, want %d", seed, lr, n, want)
			}
			j := r.IntN(len(sorted))
			rank, score, ok, err := tx.ZSet([]byte("z")).Rank(sorted[j].Member, rev)
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
		if _, _, ok, err := tx.ZSet([]byte("z")).Rank([]byte("nosuch"), false); ok || err != nil {
			t.Errorf("zrank of a non-member: %v %v", ok, err)
		}
		// Lex ranges on members with different scores follow the index.
		got, err := tx.ZSet([]byte("z")).Range(ZRangeSpec{By: ZByLex, Lex: parse.LexRange{Min: parse.LexBound{Inf: -1}, Max: parse.LexBound{Inf: 1}}})
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
		update(t, d, func(tx *Tx) error { _, err := tx.Key([]byte("z")).Delete(); return err })
		zAdd(t, d, "z", ZAddOptions{}, pairs...)
		var spec ZRangeSpec
		var removed zModel
		switch r.IntN(3) {
		case 0:
			spec = ZRangeSpec{By: ZByRank, Start: int64(r.IntN(60) - 20), Stop: int64(r.IntN(60) - 20)}
			removed = model.rank(spec.Start, spec.Stop, false)
		case 1:
			var sr parse.ScoreRange
			sr.Min, sr.MinEx = randomScoreBound(r)
			sr.Max, sr.MaxEx = randomScoreBound(r)
			spec = ZRangeSpec{By: ZByScore, Score: sr}
			removed = model.byScore(spec)
		case 2:
			if !same {
				continue
			}
			spec = ZRangeSpec{By: ZByLex, Lex: parse.LexRange{Min: randomLexBound(r), Max: randomLexBound(r)}}
			removed = model.byLex(spec)
		}
		var n int64
		update(t, d, func(tx *Tx) error {
			var err error
			n, err = tx.ZSet([]byte("z")).RemRange(spec)
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
			got, err = tx.ZSet([]byte("z")).Pop(max, c)
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
		got, err := tx.ZSet([]byte("nosuch")).Pop(false, 3)
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
		key, items, err := tx.ZSets(toBytes("a", "b"), nil).MPop(true, 2)
		if string(key) != "b" || zfmt(items) != "z:3 y:2" {
			t.Errorf("zmpop = %q %s", key, zfmt(items))
		}
		return err
	})
	update(t, d, func(tx *Tx) error {
		key, items, err := tx.ZSets(toBytes("a", "b"), nil).MPop(false, 10)
		if string(key) != "b" || zfmt(items) != "x:1" {
			t.Errorf("zmpop = %q %s", key, zfmt(items))
		}
		return err
	})
	zCheck(t, d, "b", nil)
	update(t, d, func(tx *Tx) error {
		key, items, err := tx.ZSets(toBytes("a", "b"), nil).MPop(false, 1)
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
			readView(t, d, func(tx *Tx) error {
				var err error
				got, err = tx.ZSet([]byte(key)).RandMember(count)
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
			readView(t, d, func(tx *Tx) error {
				got, err := tx.ZSet([]byte(key)).RandMember(1)
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
	readView(t, d, func(tx *Tx) error {
		got, err := tx.ZSet([]byte("nosuch")).RandMember(3)
		if got != nil {
			t.Errorf("zrandmember of a missing key = %s", zfmt(got))
		}
		return err
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
			var res ScanPage[ScoredMember]
			readView(t, d, func(tx *Tx) error {
				var err error
				res, err = tx.ZSet([]byte("z")).Scan(cursor, 20, append([]byte(nil), pattern...)) // "": nil, no MATCH
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
	readView(t, d, func(tx *Tx) error {
		res, err := tx.ZSet([]byte("nosuch")).Scan(nil, 10, nil)
		if len(res.Items) != 0 || res.Next != nil {
			t.Errorf("zscan of a missing key = %+v", res)
		}
		return err
	})
}
