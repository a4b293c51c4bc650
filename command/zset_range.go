package command

import (
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// ZRANGE and its family: the older range commands, ZRANGESTORE and
// ZREMRANGEBY*.

// Range kinds and directions of the ZRANGE family, zAuto when the
// command's options choose.
const (
	zAuto = iota
	zRank
	zScore
	zLex
	zForward
	zReverse
)

// parseZRange parses a ZRANGE-family command whose source key is at
// c.Args[at], in Redis's order of checks. kind and dir are fixed by the
// command or zAuto.
func parseZRange(c *Call, at int, store bool, kind, dir int) (spec db.ZRangeSpec, withScores, ok bool) {
	args := c.Args
	offset, limit := int64(0), int64(-1)
	for j := at + 3; j < len(args); j++ {
		left := len(args) - j - 1
		switch {
		case !store && argIs(args[j], "withscores"):
			withScores = true
		case argIs(args[j], "limit") && left >= 2:
			var ok1, ok2 bool
			offset, ok1 = parse.Int(args[j+1])
			limit, ok2 = parse.Int(args[j+2])
			if !ok1 || !ok2 {
				c.Error(errNotInteger)
				return spec, false, false
			}
			j += 2
		case dir == zAuto && argIs(args[j], "rev"):
			dir = zReverse
		case kind == zAuto && argIs(args[j], "bylex"):
			kind = zLex
		case kind == zAuto && argIs(args[j], "byscore"):
			kind = zScore
		default:
			c.Error(errSyntax)
			return spec, false, false
		}
	}
	if dir == zAuto {
		dir = zForward
	}
	if kind == zAuto {
		kind = zRank
	}
	if limit != -1 && kind == zRank {
		c.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		return spec, false, false
	}
	if withScores && kind == zLex {
		c.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		return spec, false, false
	}
	lo, hi := args[at+1], args[at+2]
	if dir == zReverse && kind != zRank {
		lo, hi = hi, lo // given as max min
	}
	spec.Rev = dir == zReverse
	// LIMIT offset -1 still skips offset items.
	spec.Limit, spec.Offset, spec.Count = kind != zRank, offset, limit
	switch kind {
	case zScore:
		spec.By = db.ZByScore
	case zLex:
		spec.By = db.ZByLex
	}
	if !parseRangeBounds(c, &spec, lo, hi) {
		return spec, false, false
	}
	return spec, withScores, true
}

// parseRangeBounds parses the two ends of a range of the kind spec.By:
// ranks, scores or lex bounds.
func parseRangeBounds(c *Call, spec *db.ZRangeSpec, lo, hi []byte) bool {
	var err error
	switch spec.By {
	case db.ZByRank:
		var ok1, ok2 bool
		spec.Start, ok1 = parse.Int(lo)
		spec.Stop, ok2 = parse.Int(hi)
		if !ok1 || !ok2 {
			c.Error(errNotInteger)
			return false
		}
	case db.ZByScore:
		spec.Score, err = parse.ParseScoreRange(lo, hi)
	case db.ZByLex:
		spec.Lex, err = parse.ParseLexRange(lo, hi)
	}
	if err != nil {
		c.Error(err.Error())
		return false
	}
	return true
}

// zrangeCmd implements ZRANGE, ZRANGESTORE and the older range commands.
func zrangeCmd(kind, dir int, store bool) func(*Call) {
	return func(c *Call) {
		at := 1
		if store {
			at = 2
		}
		spec, withScores, ok := parseZRange(c, at, store, kind, dir)
		if !ok {
			return
		}
		src := c.Args[at]
		if store {
			c.Write(func(tx *db.Tx) (resp.Reply, error) {
				items, err := tx.ZSet(src).Range(spec)
				if err != nil {
					return nil, err
				}
				return resp.IntOf(tx.ZSet(c.Args[1]).Store(items))
			})
			return
		}
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			items, err := tx.ZSet(src).Range(spec)
			return resp.Of(scored{items: items, scores: withScores}, err)
		})
	}
}

func zremrange(by db.ZRangeBy) func(*Call) {
	return func(c *Call) {
		spec := db.ZRangeSpec{By: by}
		if !parseRangeBounds(c, &spec, c.Args[2], c.Args[3]) {
			return
		}
		c.Write(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.ZSet(c.Args[1]).RemRange(spec)) })
	}
}
