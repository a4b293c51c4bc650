package command

import (
	"fmt"
	"math"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
)

// writeScore writes a score as a bulk string, as Redis does in RESP2.
func writeScore(w *redcon.Writer, f float64) { w.WriteBulkString(db.FormatScore(f)) }

// writeScored writes members, each followed by its score with scores.
func writeScored(w *redcon.Writer, items []db.ScoredMember, scores bool) {
	if scores {
		w.WriteArray(2 * len(items))
	} else {
		w.WriteArray(len(items))
	}
	for _, it := range items {
		w.WriteBulk(it.Member)
		if scores {
			writeScore(w, it.Score)
		}
	}
}

// writeNullArray writes RESP2's null array (*-1).
func writeNullArray(w *redcon.Writer) { w.WriteArray(-1) }

func zadd(c *Call) {
	var o db.ZAddOptions
	var ch, incr bool
	i := 2
	for ; i < len(c.Args); i++ {
		a := c.Args[i]
		switch {
		case argIs(a, "nx"):
			o.NX = true
		case argIs(a, "xx"):
			o.XX = true
		case argIs(a, "gt"):
			o.GT = true
		case argIs(a, "lt"):
			o.LT = true
		case argIs(a, "ch"):
			ch = true
		case argIs(a, "incr"):
			incr = true
		default:
			goto pairs
		}
	}
pairs:
	rest := c.Args[i:]
	switch {
	case len(rest) == 0 || len(rest)%2 != 0:
		c.Error(errSyntax)
		return
	case o.NX && o.XX:
		c.Error("ERR XX and NX options at the same time are not compatible")
		return
	case (o.GT && o.NX) || (o.LT && o.NX) || (o.GT && o.LT):
		c.Error("ERR GT, LT, and/or NX options at the same time are not compatible")
		return
	case incr && len(rest) > 2:
		c.Error("ERR INCR option supports a single increment-element pair")
		return
	}
	items := make([]db.ScoredMember, len(rest)/2)
	for j := range items {
		f, ok := db.ParseScore(rest[2*j])
		if !ok {
			c.Error(errNotFloat)
			return
		}
		items[j] = db.ScoredMember{Member: rest[2*j+1], Score: f}
	}
	if incr {
		zincr(c, items[0].Member, items[0].Score, o)
		return
	}
	var added, updated int64
	c.legacyWrite(func(tx *db.Tx) (err error) {
		added, updated, err = tx.ZAdd(c.Args[1], o, items)
		return err
	}, func(w *redcon.Writer) {
		if ch {
			w.WriteInt64(added + updated)
		} else {
			w.WriteInt64(added)
		}
	})
}

func zincr(c *Call, member []byte, delta float64, o db.ZAddOptions) {
	var score float64
	var ok bool
	c.legacyWrite(func(tx *db.Tx) (err error) {
		score, ok, err = tx.ZIncr(c.Args[1], member, delta, o)
		return err
	}, func(w *redcon.Writer) {
		if !ok {
			w.WriteNull()
			return
		}
		writeScore(w, score)
	})
}

func zincrby(c *Call) {
	f, ok := db.ParseScore(c.Args[2])
	if !ok {
		c.Error(errNotFloat)
		return
	}
	zincr(c, c.Args[3], f, db.ZAddOptions{})
}

func zrem(c *Call) {
	var n int64
	c.legacyWrite(func(tx *db.Tx) (err error) {
		n, err = tx.ZRem(c.Args[1], c.Args[2:])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func zcard(c *Call) {
	var n int64
	c.legacyRead(func(tx *db.Tx) (err error) {
		n, err = tx.ZCard(c.Args[1])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func zscore(c *Call) {
	var f float64
	var ok bool
	c.legacyRead(func(tx *db.Tx) (err error) {
		f, ok, err = tx.ZScore(c.Args[1], c.Args[2])
		return err
	}, func(w *redcon.Writer) {
		if !ok {
			w.WriteNull()
			return
		}
		writeScore(w, f)
	})
}

func zmscore(c *Call) {
	var scores []*float64
	c.legacyRead(func(tx *db.Tx) (err error) {
		scores, err = tx.ZMScore(c.Args[1], c.Args[2:])
		return err
	}, func(w *redcon.Writer) {
		w.WriteArray(len(scores))
		for _, f := range scores {
			if f == nil {
				w.WriteNull()
			} else {
				writeScore(w, *f)
			}
		}
	})
}

// zrank implements ZRANK and ZREVRANK, with Redis 7.2's WITHSCORE.
func zrank(rev bool) func(*Call) {
	return func(c *Call) {
		withScore := false
		switch {
		case len(c.Args) == 4 && argIs(c.Args[3], "withscore"):
			withScore = true
		case len(c.Args) != 3:
			c.Error(errSyntax)
			return
		}
		var rank int64
		var score float64
		var ok bool
		c.legacyRead(func(tx *db.Tx) (err error) {
			rank, score, ok, err = tx.ZRank(c.Args[1], c.Args[2], rev)
			return err
		}, func(w *redcon.Writer) {
			switch {
			case !ok && withScore:
				writeNullArray(w)
			case !ok:
				w.WriteNull()
			case withScore:
				w.WriteArray(2)
				w.WriteInt64(rank)
				writeScore(w, score)
			default:
				w.WriteInt64(rank)
			}
		})
	}
}

func zcount(c *Call) {
	r, err := db.ParseScoreRange(c.Args[2], c.Args[3])
	if err != nil {
		c.Error(err.Error())
		return
	}
	var n int64
	c.legacyRead(func(tx *db.Tx) (err error) {
		n, err = tx.ZCount(c.Args[1], r)
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func zlexcount(c *Call) {
	r, err := db.ParseLexRange(c.Args[2], c.Args[3])
	if err != nil {
		c.Error(err.Error())
		return
	}
	var n int64
	c.legacyRead(func(tx *db.Tx) (err error) {
		n, err = tx.ZLexCount(c.Args[1], r)
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

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
			offset, ok1 = parseInt(args[j+1])
			limit, ok2 = parseInt(args[j+2])
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
	case zRank:
		var ok1, ok2 bool
		spec.By = db.ZByRank
		spec.Start, ok1 = parseInt(lo)
		spec.Stop, ok2 = parseInt(hi)
		if !ok1 || !ok2 {
			c.Error(errNotInteger)
			return spec, false, false
		}
	case zScore:
		r, err := db.ParseScoreRange(lo, hi)
		if err != nil {
			c.Error(err.Error())
			return spec, false, false
		}
		spec.By, spec.Score = db.ZByScore, r
	case zLex:
		r, err := db.ParseLexRange(lo, hi)
		if err != nil {
			c.Error(err.Error())
			return spec, false, false
		}
		spec.By, spec.Lex = db.ZByLex, r
	}
	return spec, withScores, true
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
			var n int64
			c.legacyWrite(func(tx *db.Tx) error {
				items, err := tx.ZRange(src, spec)
				if err != nil {
					return err
				}
				n, err = tx.ZStore(c.Args[1], items)
				return err
			}, func(w *redcon.Writer) { w.WriteInt64(n) })
			return
		}
		var items []db.ScoredMember
		c.legacyRead(func(tx *db.Tx) (err error) {
			items, err = tx.ZRange(src, spec)
			return err
		}, func(w *redcon.Writer) { writeScored(w, items, withScores) })
	}
}

func zremrange(by db.ZRangeBy) func(*Call) {
	return func(c *Call) {
		spec := db.ZRangeSpec{By: by}
		switch by {
		case db.ZByRank:
			var ok1, ok2 bool
			spec.Start, ok1 = parseInt(c.Args[2])
			spec.Stop, ok2 = parseInt(c.Args[3])
			if !ok1 || !ok2 {
				c.Error(errNotInteger)
				return
			}
		case db.ZByScore:
			r, err := db.ParseScoreRange(c.Args[2], c.Args[3])
			if err != nil {
				c.Error(err.Error())
				return
			}
			spec.Score = r
		case db.ZByLex:
			r, err := db.ParseLexRange(c.Args[2], c.Args[3])
			if err != nil {
				c.Error(err.Error())
				return
			}
			spec.Lex = r
		}
		var n int64
		c.legacyWrite(func(tx *db.Tx) (err error) {
			n, err = tx.ZRemRange(c.Args[1], spec)
			return err
		}, func(w *redcon.Writer) { w.WriteInt64(n) })
	}
}

func zpop(max bool) func(*Call) {
	return func(c *Call) {
		count := int64(1)
		switch len(c.Args) {
		case 2:
		case 3:
			n, ok := parseInt(c.Args[2])
			if !ok || n < 0 {
				c.Error("ERR value is out of range, must be positive")
				return
			}
			count = n
		default:
			c.Error(errSyntax)
			return
		}
		var items []db.ScoredMember
		c.legacyWrite(func(tx *db.Tx) (err error) {
			items, err = tx.ZPop(c.Args[1], max, count)
			return err
		}, func(w *redcon.Writer) { writeScored(w, items, true) })
	}
}

// parseMPop parses "numkeys key... WHERE [COUNT n]" of LMPOP and ZMPOP
// starting at c.Args[1]; where1 and where2 are the two directions.
func parseMPop(c *Call, where1, where2 string) (keys [][]byte, first bool, count int64, ok bool) {
	n, ok := parseInt(c.Args[1])
	if !ok || n <= 0 {
		c.Error("ERR numkeys should be greater than 0")
		return nil, false, 0, false
	}
	if n > int64(len(c.Args)-3) {
		c.Error(errSyntax)
		return nil, false, 0, false
	}
	keys = c.Args[2 : 2+n]
	rest := c.Args[2+n:]
	switch {
	case argIs(rest[0], where1):
		first = true
	case argIs(rest[0], where2):
	default:
		c.Error(errSyntax)
		return nil, false, 0, false
	}
	count = 1
	counted := false
	for j := 1; j < len(rest); j++ {
		if !argIs(rest[j], "count") || j+1 >= len(rest) || counted {
			c.Error(errSyntax)
			return nil, false, 0, false
		}
		v, ok := parseInt(rest[j+1])
		if !ok || v <= 0 {
			c.Error("ERR count should be greater than 0")
			return nil, false, 0, false
		}
		count, counted = v, true
		j++
	}
	return keys, first, count, true
}

func zmpop(c *Call) {
	keys, min, count, ok := parseMPop(c, "min", "max")
	if !ok {
		return
	}
	var key []byte
	var items []db.ScoredMember
	c.legacyWrite(func(tx *db.Tx) (err error) {
		key, items, err = tx.ZMPop(keys, !min, count)
		return err
	}, func(w *redcon.Writer) {
		if key == nil {
			writeNullArray(w)
			return
		}
		w.WriteArray(2)
		w.WriteBulk(key)
		w.WriteArray(len(items))
		for _, it := range items {
			w.WriteArray(2)
			w.WriteBulk(it.Member)
			writeScore(w, it.Score)
		}
	})
}

// maxRandCount bounds ZRANDMEMBER's negative counts: Redis would try to
// build any reply (and run out of memory); titan refuses.
const maxRandCount = 1 << 24

func zrandmember(c *Call) {
	if len(c.Args) == 2 {
		var items []db.ScoredMember
		c.legacyRead(func(tx *db.Tx) (err error) {
			items, err = tx.ZRandMember(c.Args[1], 1)
			return err
		}, func(w *redcon.Writer) {
			if len(items) == 0 {
				w.WriteNull()
				return
			}
			w.WriteBulk(items[0].Member)
		})
		return
	}
	count, ok := parseInt(c.Args[2])
	if !ok {
		c.Error(errNotInteger)
		return
	}
	withScores := false
	if len(c.Args) == 4 && argIs(c.Args[3], "withscores") {
		withScores = true
	} else if len(c.Args) > 3 {
		c.Error(errSyntax)
		return
	}
	switch {
	case count == math.MinInt64:
		c.Error(fmt.Sprintf("ERR value is out of range, value must between %d and %d", -math.MaxInt64, int64(math.MaxInt64)))
		return
	case (withScores && count < -math.MaxInt64/2) || count < -maxRandCount:
		c.Error("ERR value is out of range")
		return
	}
	var items []db.ScoredMember
	c.legacyRead(func(tx *db.Tx) (err error) {
		items, err = tx.ZRandMember(c.Args[1], count)
		return err
	}, func(w *redcon.Writer) { writeScored(w, items, withScores) })
}

// The operations of zsetop.
const (
	opUnion = iota
	opInter
	opDiff
)

// parseNumKeys parses numkeys at c.Args[at] and returns the keys after it
// and the remaining arguments.
func parseNumKeys(c *Call, at int, name string) (keys, rest [][]byte, ok bool) {
	n, ok := parseInt(c.Args[at])
	if !ok {
		c.Error(errNotInteger)
		return nil, nil, false
	}
	if n < 1 {
		c.Error(fmt.Sprintf("ERR at least 1 input key is needed for '%s' command", name))
		return nil, nil, false
	}
	if n > int64(len(c.Args)-at-1) {
		c.Error(errSyntax)
		return nil, nil, false
	}
	return c.Args[at+1 : at+1+int(n)], c.Args[at+1+int(n):], true
}

// zsetop implements ZUNION, ZINTER, ZDIFF and their STORE forms. Like
// Redis, it checks the input keys' types before it reports errors in the
// options after them.
func zsetop(name string, op int, store bool) func(*Call) {
	return func(c *Call) {
		at := 1
		if store {
			at = 2
		}
		keys, rest, ok := parseNumKeys(c, at, name)
		if !ok {
			return
		}
		var weights []float64
		agg := db.AggSum
		withScores := false
		optErr := ""
		for j := 0; j < len(rest) && optErr == ""; j++ {
			left := len(rest) - j
			switch {
			case op != opDiff && left >= len(keys)+1 && argIs(rest[j], "weights"):
				weights = make([]float64, len(keys))
				for i := range keys {
					f, ok := db.ParseScore(rest[j+1+i])
					if !ok {
						optErr = "ERR weight value is not a float"
						break
					}
					weights[i] = f
				}
				j += len(keys)
			case op != opDiff && left >= 2 && argIs(rest[j], "aggregate"):
				switch a := rest[j+1]; {
				case argIs(a, "sum"):
					agg = db.AggSum
				case argIs(a, "min"):
					agg = db.AggMin
				case argIs(a, "max"):
					agg = db.AggMax
				default:
					optErr = errSyntax
				}
				j++
			case !store && argIs(rest[j], "withscores"):
				withScores = true
			default:
				optErr = errSyntax
			}
		}
		compute := func(tx *db.Tx) ([]db.ScoredMember, error) {
			if err := tx.ZCheckSources(keys); err != nil {
				return nil, err
			}
			if optErr != "" {
				return nil, db.UserError(optErr)
			}
			switch op {
			case opUnion:
				return tx.ZUnion(keys, weights, agg)
			case opInter:
				return tx.ZInter(keys, weights, agg)
			}
			return tx.ZDiff(keys)
		}
		if store {
			var n int64
			c.legacyWrite(func(tx *db.Tx) error {
				items, err := compute(tx)
				if err != nil {
					return err
				}
				n, err = tx.ZStore(c.Args[1], items)
				return err
			}, func(w *redcon.Writer) { w.WriteInt64(n) })
			return
		}
		var items []db.ScoredMember
		c.legacyRead(func(tx *db.Tx) (err error) {
			items, err = compute(tx)
			return err
		}, func(w *redcon.Writer) { writeScored(w, items, withScores) })
	}
}

func zintercard(c *Call) {
	keys, rest, ok := parseNumKeys(c, 1, "zintercard")
	if !ok {
		return
	}
	var limit int64
	optErr := ""
	for j := 0; j < len(rest) && optErr == ""; j++ {
		if !argIs(rest[j], "limit") || j+1 >= len(rest) {
			optErr = errSyntax
			break
		}
		n, ok := parseInt(rest[j+1])
		if !ok || n < 0 {
			optErr = "ERR LIMIT can't be negative"
		}
		limit = n
		j++
	}
	var n int64
	c.legacyRead(func(tx *db.Tx) (err error) {
		if err := tx.ZCheckSources(keys); err != nil {
			return err
		}
		if optErr != "" {
			return db.UserError(optErr)
		}
		n, err = tx.ZInterCard(keys, limit)
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

// zscanSmall is the size up to which Redis keeps a sorted set as a
// listpack, which ZSCAN returns whole in one call.
const zscanSmall = 128

func zscan(c *Call) {
	from, ok := c.s.cursors.get(c.Args[2])
	if !ok {
		c.Error("ERR invalid cursor")
		return
	}
	// Like Redis, option errors are reported only for an existing key.
	count, match, optErr := 10, []byte(nil), ""
	opts := c.Args[3:]
	for j := 0; j < len(opts) && optErr == ""; j += 2 {
		if j+1 >= len(opts) {
			optErr = errSyntax
			break
		}
		switch {
		case argIs(opts[j], "match"):
			match = opts[j+1]
			if string(match) == "*" {
				match = nil
			}
		case argIs(opts[j], "count"):
			n, ok := parseInt(opts[j+1])
			switch {
			case !ok:
				optErr = errNotInteger
			case n < 1:
				optErr = errSyntax
			default:
				count = int(min(n, 100000))
			}
		default:
			optErr = errSyntax
		}
	}
	var res db.ZScanResult
	c.legacyRead(func(tx *db.Tx) error {
		res = db.ZScanResult{}
		n, err := tx.ZCard(c.Args[1])
		if err != nil || n == 0 {
			return err
		}
		if optErr != "" {
			return db.UserError(optErr)
		}
		page := count
		if n <= zscanSmall && from == nil {
			page = zscanSmall
		}
		res, err = tx.ZScan(c.Args[1], from, page, match)
		return err
	}, func(w *redcon.Writer) {
		cursor := "0"
		if res.Next != nil {
			cursor = c.s.cursors.put(res.Next)
		}
		w.WriteArray(2)
		w.WriteBulkString(cursor)
		writeScored(w, res.Items, true)
	})
}
