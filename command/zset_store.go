package command

import (
	"fmt"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD.

// The operations of zsetop.
const (
	opUnion = iota
	opInter
	opDiff
)

// parseNumKeys parses numkeys at c.Args[at] and returns the keys after it
// and the remaining arguments.
func parseNumKeys(c *Call, at int) (keys, rest [][]byte, ok bool) {
	n, ok := parse.Int(c.Args[at])
	if !ok {
		c.Error(errNotInteger)
		return nil, nil, false
	}
	if n < 1 {
		c.Error(fmt.Sprintf("ERR at least 1 input key is needed for '%s' command", c.name))
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
func zsetop(op int, store bool) func(*Call) {
	return func(c *Call) {
		at := 1
		if store {
			at = 2
		}
		keys, rest, ok := parseNumKeys(c, at)
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
					f, ok := parse.Score(rest[j+1+i])
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
			zs := tx.ZSets(keys, weights)
			if err := zs.Check(); err != nil {
				return nil, err
			}
			if optErr != "" {
				return nil, db.UserError(optErr)
			}
			switch op {
			case opUnion:
				return zs.Union(agg)
			case opInter:
				return zs.Inter(agg)
			}
			return zs.Diff()
		}
		if store {
			c.Write(func(tx *db.Tx) (resp.Reply, error) {
				items, err := compute(tx)
				if err != nil {
					return nil, err
				}
				return resp.IntOf(tx.ZSet(c.Args[1]).Store(items))
			})
			return
		}
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			items, err := compute(tx)
			return resp.Of(scored{items: items, scores: withScores}, err)
		})
	}
}

func zintercard(c *Call) {
	keys, rest, ok := parseNumKeys(c, 1)
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
		n, ok := parse.Int(rest[j+1])
		if !ok || n < 0 {
			optErr = "ERR LIMIT can't be negative"
		}
		limit = n
		j++
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		zs := tx.ZSets(keys, nil)
		if err := zs.Check(); err != nil {
			return nil, err
		}
		if optErr != "" {
			return nil, db.UserError(optErr)
		}
		return resp.IntOf(zs.InterCard(limit))
	})
}
