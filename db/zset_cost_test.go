package db

import (
	"fmt"
	"testing"

	"github.com/titan-kv/titan/parse"
)

// TestListZSetCosts pins the TiKV requests of the list and sorted set
// commands (the costs docs/ARCHITECTURE.md states).
func TestListZSetCosts(t *testing.T) {
	d, cost := openCostTest(t)
	var vals []string
	for i := 0; i < 5000; i++ {
		vals = append(vals, fmt.Sprint("v", i))
	}
	var zitems []ScoredMember
	for i := 0; i < 3000; i++ {
		zitems = append(zitems, ScoredMember{Member: []byte(fmt.Sprintf("m%05d", i)), Score: float64(i)})
	}
	update(t, d, func(tx *Tx) error {
		if _, err := tx.List([]byte("dense")).Push(toBytes(vals...), false, false); err != nil {
			return err
		}
		if _, err := tx.List([]byte("sparse")).Push(toBytes(vals...), false, false); err != nil {
			return err
		}
		if _, err := tx.List([]byte("sparse")).Insert(true, []byte("v2500"), []byte("x")); err != nil {
			return err
		}
		if _, _, err := tx.ZSet([]byte("z")).Add(ZAddOptions{}, zitems); err != nil {
			return err
		}
		_, _, err := tx.ZSet([]byte("lex")).Add(ZAddOptions{}, zsm(0, "a", 0, "b", 0, "c", 0, "d"))
		return err
	})
	// Read everything once, so that the locks the setup's commit leaves
	// behind (client-go commits secondary keys in the background) are
	// resolved before requests are counted.
	countPrefix(t, d, []byte(d.opts.Namespace))
	all := parse.LexRange{Min: parse.LexBound{Value: []byte("b")}, Max: parse.LexBound{Inf: 1, Ex: true}}
	for _, c := range []struct {
		name string
		ro   bool
		keys []string
		fn   func(tx *Tx) error
		want string
	}{
		{"LLEN", true, []string{"dense"}, func(tx *Tx) error { _, err := tx.List([]byte("dense")).Len(); return err }, "BatchGet=1"},
		{"LINDEX dense", true, []string{"dense"}, func(tx *Tx) error { _, err := tx.List([]byte("dense")).Index(2500); return err }, "Get=1 BatchGet=1"},
		{"LINDEX sparse", true, []string{"sparse"}, func(tx *Tx) error { _, err := tx.List([]byte("sparse")).Index(-10); return err }, "BatchGet=1 Scan=1"},
		{"LRANGE dense middle", true, []string{"dense"}, func(tx *Tx) error { _, err := tx.List([]byte("dense")).Range(2000, 2099); return err }, "BatchGet=1 Scan=1"},
		{"LRANGE sparse tail", true, []string{"sparse"}, func(tx *Tx) error { _, err := tx.List([]byte("sparse")).Range(-20, -1); return err }, "BatchGet=1 Scan=1"},
		{"LRANGE all", true, []string{"dense"}, func(tx *Tx) error { _, err := tx.List([]byte("dense")).Range(0, -1); return err }, "BatchGet=1 Scan=5"},
		{"LPOS near head", true, []string{"dense"}, func(tx *Tx) error { _, err := tx.List([]byte("dense")).Pos([]byte("v3"), 1, 1, 0); return err }, "BatchGet=1 Scan=1"},
		{"LPUSH", false, []string{"dense"}, func(tx *Tx) error {
			_, err := tx.List([]byte("dense")).Push(toBytes("a", "b"), true, false)
			return err
		}, "BatchGet=1 Prewrite=1 Commit=1"},
		{"LSET dense", false, []string{"dense"}, func(tx *Tx) error { return tx.List([]byte("dense")).Set(100, []byte("x")) }, "BatchGet=1 Prewrite=1 Commit=1"},
		{"RPOP", false, []string{"dense"}, func(tx *Tx) error { _, _, err := tx.List([]byte("dense")).Pop(false, 2); return err }, "BatchGet=2 Prewrite=1 Commit=1"},
		{"LMOVE", false, []string{"dense", "other"}, func(tx *Tx) error {
			_, _, err := tx.List([]byte("dense")).Move([]byte("other"), true, true)
			return err
		}, "Get=1 BatchGet=1 Prewrite=1 Commit=1"},
		{"LTRIM dense", false, []string{"dense"}, func(tx *Tx) error { return tx.List([]byte("dense")).Trim(3, -4) }, "BatchGet=1 Prewrite=1 Commit=1"},
		{"ZCARD", true, []string{"z"}, func(tx *Tx) error { _, err := tx.ZSet([]byte("z")).Card(); return err }, "BatchGet=1"},
		{"ZSCORE", true, []string{"z"}, func(tx *Tx) error { _, _, err := tx.ZSet([]byte("z")).Score([]byte("m00007")); return err }, "Get=1 BatchGet=1"},
		{"ZMSCORE", true, []string{"z"}, func(tx *Tx) error {
			_, err := tx.ZSet([]byte("z")).MScore(toBytes("m00001", "x", "m00200"))
			return err
		}, "BatchGet=2"},
		{"ZRANK near start", true, []string{"z"}, func(tx *Tx) error { _, _, _, err := tx.ZSet([]byte("z")).Rank([]byte("m00100"), false); return err }, "Get=1 BatchGet=1 Scan=1"},
		{"ZREVRANK near end", true, []string{"z"}, func(tx *Tx) error { _, _, _, err := tx.ZSet([]byte("z")).Rank([]byte("m02900"), true); return err }, "Get=1 BatchGet=1 Scan=1"},
		{"ZRANGE rank", true, []string{"z"}, func(tx *Tx) error {
			_, err := tx.ZSet([]byte("z")).Range(ZRangeSpec{Start: -20, Stop: -1, Rev: true})
			return err
		}, "BatchGet=1 Scan=1"},
		{"ZRANGE byscore limit", true, []string{"z"}, func(tx *Tx) error {
			_, err := tx.ZSet([]byte("z")).Range(ZRangeSpec{By: ZByScore, Score: parse.ScoreRange{Min: 1000, Max: 2000}, Limit: true, Offset: 10, Count: 10})
			return err
		}, "BatchGet=1 Scan=1"},
		{"ZCOUNT", true, []string{"z"}, func(tx *Tx) error {
			_, err := tx.ZSet([]byte("z")).Count(parse.ScoreRange{Min: 1000, Max: 1100})
			return err
		}, "BatchGet=1 Scan=1"},
		{"ZRANGE bylex", true, []string{"lex"}, func(tx *Tx) error {
			_, err := tx.ZSet([]byte("lex")).Range(ZRangeSpec{By: ZByLex, Lex: all})
			return err
		}, "BatchGet=1 Scan=3"},
		{"ZADD update", false, []string{"z"}, func(tx *Tx) error {
			_, _, err := tx.ZSet([]byte("z")).Add(ZAddOptions{}, zsm(5, "m00001"))
			return err
		}, "Get=1 BatchGet=1 Prewrite=1 Commit=1"},
		{"ZADD many", false, []string{"z"}, func(tx *Tx) error {
			_, _, err := tx.ZSet([]byte("z")).Add(ZAddOptions{}, zsm(5, "m00002", 6, "new", 7, "m00003"))
			return err
		}, "BatchGet=2 Prewrite=1 Commit=1"},
		{"ZADD unchanged", false, []string{"z"}, func(tx *Tx) error {
			_, _, err := tx.ZSet([]byte("z")).Add(ZAddOptions{}, zsm(5, "m00002"))
			return err
		}, "Get=1 BatchGet=1"},
		{"ZREM", false, []string{"z"}, func(tx *Tx) error { _, err := tx.ZSet([]byte("z")).Rem(toBytes("new", "x")); return err }, "BatchGet=2 Prewrite=1 Commit=1"},
		{"ZPOPMIN", false, []string{"z"}, func(tx *Tx) error { _, err := tx.ZSet([]byte("z")).Pop(false, 3); return err }, "BatchGet=1 Scan=1 Prewrite=1 Commit=1"},
	} {
		if got := cost(c.ro, c.keys, c.fn); got != c.want {
			t.Errorf("%s costs %s, want %s", c.name, got, c.want)
		}
	}
}
