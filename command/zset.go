package command

import (
	"fmt"
	"math"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// The sorted set handlers are split by job: this file (members, scores,
// counts, pops, random members, ZSCAN), zset_range.go (ZRANGE and its
// family) and zset_store.go (ZUNION, ZINTER, ZDIFF and their STORE forms).

// scoreOf is the reply of a score lookup: the score, or a null bulk
// string when ok is false.
func scoreOf(f float64, ok bool, err error) (resp.Reply, error) {
	if !ok {
		return resp.Of(resp.Null, err)
	}
	return resp.Of(resp.Double(f), err)
}

// scored is the reply of sorted set members in order: an array of the
// members, each followed by its score with scores (WITHSCORES), or of
// [member, score] arrays with pairs (ZMPOP). In RESP3, as in Redis 7,
// members with scores always come as [member, score] arrays, except for
// flat (ZPOPMIN and ZPOPMAX without a count).
type scored struct {
	items  []db.ScoredMember
	scores bool
	pairs  bool
	flat   bool
}

// Append implements resp.Reply.
func (r scored) Append(b []byte, p resp.Proto) []byte {
	pairs := r.pairs || (r.scores && !r.flat && p >= resp.RESP3)
	n := len(r.items)
	if r.scores && !pairs {
		n *= 2
	}
	b = redcon.AppendArray(b, n)
	for _, it := range r.items {
		if pairs {
			b = redcon.AppendArray(b, 2)
		}
		b = redcon.AppendBulk(b, it.Member)
		if r.scores || pairs {
			b = resp.Double(it.Score).Append(b, p)
		}
	}
	return b
}

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
		f, ok := parse.Score(rest[2*j])
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
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		added, updated, err := tx.ZSet(c.Args[1]).Add(o, items)
		if ch {
			added += updated
		}
		return resp.IntOf(added, err)
	})
}

func zincr(c *Call, member []byte, delta float64, o db.ZAddOptions) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return scoreOf(tx.ZSet(c.Args[1]).Incr(member, delta, o))
	})
}

func zincrby(c *Call) {
	f, ok := parse.Score(c.Args[2])
	if !ok {
		c.Error(errNotFloat)
		return
	}
	zincr(c, c.Args[3], f, db.ZAddOptions{})
}

func zrem(c *Call) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.ZSet(c.Args[1]).Rem(c.Args[2:])) })
}

func zcard(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.ZSet(c.Args[1]).Card()) })
}

func zscore(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) { return scoreOf(tx.ZSet(c.Args[1]).Score(c.Args[2])) })
}

func zmscore(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		scores, err := tx.ZSet(c.Args[1]).MScore(c.Args[2:])
		out := make(resp.Array, len(scores))
		for i, f := range scores {
			if f != nil {
				out[i] = resp.Double(*f)
			}
		}
		return resp.Of(out, err)
	})
}

// zrank implements ZRANK and ZREVRANK.
func zrank(rev bool) func(*Call) {
	return func(c *Call) {
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			rank, _, ok, err := tx.ZSet(c.Args[1]).Rank(c.Args[2], rev)
			switch {
			case err != nil:
				return nil, err
			case !ok:
				return resp.Null, nil
			}
			return resp.Int(rank), nil
		})
	}
}

func zcount(c *Call) {
	r, err := parse.ParseScoreRange(c.Args[2], c.Args[3])
	if err != nil {
		c.Error(err.Error())
		return
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.ZSet(c.Args[1]).Count(r)) })
}

func zlexcount(c *Call) {
	r, err := parse.ParseLexRange(c.Args[2], c.Args[3])
	if err != nil {
		c.Error(err.Error())
		return
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.ZSet(c.Args[1]).LexCount(r)) })
}

func zpop(max bool) func(*Call) {
	return func(c *Call) {
		count := int64(1)
		switch len(c.Args) {
		case 2:
		case 3:
			n, ok := c.intAtLeast(c.Args[2], 0, errPositive)
			if !ok {
				return
			}
			count = n
		default:
			c.Error(errSyntax)
			return
		}
		c.Write(func(tx *db.Tx) (resp.Reply, error) {
			items, err := tx.ZSet(c.Args[1]).Pop(max, count)
			return resp.Of(scored{items: items, scores: true, flat: len(c.Args) == 2}, err)
		})
	}
}

// parseMPop parses "numkeys key... WHERE [COUNT n]" of LMPOP and ZMPOP
// starting at c.Args[1]; where1 and where2 are the two directions.
func parseMPop(c *Call, where1, where2 string) (keys [][]byte, first bool, count int64, ok bool) {
	n, ok := c.intAtLeast(c.Args[1], 1, "ERR numkeys should be greater than 0")
	if !ok {
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
		v, ok := c.intAtLeast(rest[j+1], 1, "ERR count should be greater than 0")
		if !ok {
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
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		key, items, err := tx.ZSets(keys, nil).MPop(!min, count)
		if err != nil || key == nil {
			return resp.Of(resp.NullArray, err)
		}
		return resp.Array{resp.Bulk(key), scored{items: items, pairs: true}}, nil
	})
}

// maxRandCount bounds ZRANDMEMBER's negative counts: Redis would try to
// build any reply (and run out of memory); titan refuses.
const maxRandCount = 1 << 24

func zrandmember(c *Call) {
	if len(c.Args) == 2 {
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			items, err := tx.ZSet(c.Args[1]).RandMember(1)
			if err != nil || len(items) == 0 {
				return resp.Of(resp.Null, err)
			}
			return resp.Bulk(items[0].Member), nil
		})
		return
	}
	count, ok := parse.Int(c.Args[2])
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
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		items, err := tx.ZSet(c.Args[1]).RandMember(count)
		return resp.Of(scored{items: items, scores: withScores}, err)
	})
}
