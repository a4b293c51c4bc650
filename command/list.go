package command

import (
	"math"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// poppedReply answers LMPOP (and any pop over several keys): the key
// popped from and its elements, or the null array when every key was
// empty (key nil).
type poppedReply struct {
	key   []byte
	elems resp.Reply
}

// Append implements resp.Reply.
func (r poppedReply) Append(b []byte, p resp.Proto) []byte {
	if r.key == nil {
		return resp.NullArray.Append(b, p)
	}
	b = redcon.AppendArray(b, 2)
	b = redcon.AppendBulk(b, r.key)
	return r.elems.Append(b, p)
}

// popReply is LPOP's and RPOP's answer: with a count, the array of popped
// elements (the null array for a missing key); without one, the element
// (null for a missing key).
func popReply(vals [][]byte, exists, counted bool) resp.Reply {
	switch {
	case !exists && counted:
		return resp.NullArray
	case !exists:
		return resp.Null
	case counted:
		return resp.Bulks(vals)
	default:
		return resp.Bulk(vals[0])
	}
}

func push(left, xx bool) func(*Call) {
	return func(c *Call) {
		c.Write(func(tx *db.Tx) (resp.Reply, error) {
			return resp.IntOf(tx.List(c.Args[1]).Push(c.Args[2:], left, xx))
		})
	}
}

func pop(left bool) func(*Call) {
	return func(c *Call) {
		count, hasCount := int64(1), len(c.Args) == 3
		switch {
		case len(c.Args) > 3:
			c.Error("ERR wrong number of arguments for '" + c.name + "' command")
			return
		case hasCount:
			n, ok := c.intAtLeast(c.Args[2], 0, errPositive)
			if !ok {
				return
			}
			count = n
		}
		c.Write(func(tx *db.Tx) (resp.Reply, error) {
			vals, exists, err := tx.List(c.Args[1]).Pop(left, count)
			return resp.Of(popReply(vals, exists, hasCount), err)
		})
	}
}

func llen(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.List(c.Args[1]).Len()) })
}

// parseInts parses integer arguments, answering Redis's error if one is
// not an integer.
func parseInts(c *Call, args ...[]byte) ([]int64, bool) {
	out := make([]int64, len(args))
	for i, a := range args {
		n, ok := parse.Int(a)
		if !ok {
			c.Error(errNotInteger)
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

func lrange(c *Call) {
	n, ok := parseInts(c, c.Args[2], c.Args[3])
	if !ok {
		return
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		return resp.BulksOf(tx.List(c.Args[1]).Range(n[0], n[1]))
	})
}

func lindex(c *Call) {
	n, ok := parseInts(c, c.Args[2])
	if !ok {
		return
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		return resp.BulkOf(tx.List(c.Args[1]).Index(n[0]))
	})
}

func lset(c *Call) {
	n, ok := parseInts(c, c.Args[2])
	if !ok {
		return
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.Of(resp.OK, tx.List(c.Args[1]).Set(n[0], c.Args[3]))
	})
}

func linsert(c *Call) {
	var before bool
	switch {
	case argIs(c.Args[2], "before"):
		before = true
	case argIs(c.Args[2], "after"):
	default:
		c.Error(errSyntax)
		return
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.IntOf(tx.List(c.Args[1]).Insert(before, c.Args[3], c.Args[4]))
	})
}

func lrem(c *Call) {
	n, ok := parseInts(c, c.Args[2])
	if !ok {
		return
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.IntOf(tx.List(c.Args[1]).Rem(n[0], c.Args[3]))
	})
}

func ltrim(c *Call) {
	n, ok := parseInts(c, c.Args[2], c.Args[3])
	if !ok {
		return
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.Of(resp.OK, tx.List(c.Args[1]).Trim(n[0], n[1]))
	})
}

func lpos(c *Call) {
	rank, count, maxLen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(c.Args); j++ {
		more := j+1 < len(c.Args)
		switch {
		case argIs(c.Args[j], "rank") && more:
			n, ok := parse.Int(c.Args[j+1])
			if !ok {
				c.Error(errNotInteger)
				return
			}
			if n == 0 {
				c.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
				return
			}
			rank = n
		case argIs(c.Args[j], "count") && more:
			n, ok := c.intAtLeast(c.Args[j+1], 0, "ERR COUNT can't be negative")
			if !ok {
				return
			}
			count = n
		case argIs(c.Args[j], "maxlen") && more:
			n, ok := c.intAtLeast(c.Args[j+1], 0, "ERR MAXLEN can't be negative")
			if !ok {
				return
			}
			maxLen = n
		default:
			c.Error(errSyntax)
			return
		}
		j++
	}
	want := count
	if rank == math.MinInt64 {
		// Redis 7.0 negates the rank and overflows: it matches from the
		// tail and never reaches the count.
		rank = -1
		if want > 0 {
			want = 0
		}
	}
	if count == -1 {
		want = 1
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		idx, err := tx.List(c.Args[1]).Pos(c.Args[2], rank, want, maxLen)
		switch {
		case err != nil:
			return nil, err
		case count != -1:
			return resp.Ints(idx), nil
		case len(idx) == 0:
			return resp.Null, nil
		default:
			return resp.Int(idx[0]), nil
		}
	})
}

// move answers RPOPLPUSH and LMOVE: the element moved, null when the
// source is missing.
func move(c *Call, fromLeft, toLeft bool) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		v, ok, err := tx.List(c.Args[1]).Move(c.Args[2], fromLeft, toLeft)
		switch {
		case err != nil:
			return nil, err
		case !ok:
			return resp.Null, nil
		}
		return resp.Bulk(v), nil
	})
}

func rpoplpush(c *Call) { move(c, false, true) }

func lmove(c *Call) {
	fromLeft, toLeft, ok := moveEnds(c)
	if ok {
		move(c, fromLeft, toLeft)
	}
}

// moveEnds parses LMOVE's and BLMOVE's LEFT|RIGHT pair (arguments 3 and
// 4): whether the element leaves and enters at the left. It answers the
// syntax error itself.
func moveEnds(c *Call) (fromLeft, toLeft, ok bool) {
	var ends [2]bool
	for i, a := range c.Args[3:5] {
		switch {
		case argIs(a, "left"):
			ends[i] = true
		case argIs(a, "right"):
		default:
			c.Error(errSyntax)
			return false, false, false
		}
	}
	return ends[0], ends[1], true
}

func lmpop(c *Call) {
	keys, left, count, ok := parseMPop(c, "left", "right")
	if !ok {
		return
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		key, vals, err := tx.Lists(keys).MPop(left, count)
		return resp.Of(poppedReply{key: key, elems: resp.Bulks(vals)}, err)
	})
}
