package command

import (
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/resp"
)

// blockingCommands is the table of the blocking list and sorted set pops
// (block.go has how they block).
func blockingCommands() []*Command {
	return []*Command{
		cmd("blpop", bpop(true)),
		cmd("brpop", bpop(false)),
		cmd("brpoplpush", brpoplpush),
		cmd("blmove", blmove),
		cmd("blmpop", blmpop),
		cmd("bzpopmin", bzpop(false)),
		cmd("bzpopmax", bzpop(true)),
		cmd("bzmpop", bzmpop),
	}
}

// bpop answers BLPOP and BRPOP: [key, element] from the first non-empty
// list, in argument order.
func bpop(left bool) func(*Call) {
	return func(c *Call) {
		timeout, ok := parseTimeout(c, c.Args[len(c.Args)-1])
		if !ok {
			return
		}
		keys := c.Args[1 : len(c.Args)-1]
		c.block(keys, "list", timeout, resp.NullArray, resp.NullArray, func(tx *db.Tx, keys [][]byte) (resp.Reply, error) {
			key, vals, err := tx.Lists(keys).MPop(left, 1)
			if err != nil || key == nil {
				return nil, err
			}
			return resp.Array{resp.Bulk(key), resp.Bulk(vals[0])}, nil
		})
	}
}

func brpoplpush(c *Call) { bmove(c, false, true, c.Args[3]) }

func blmove(c *Call) {
	if fromLeft, toLeft, ok := moveEnds(c); ok {
		bmove(c, fromLeft, toLeft, c.Args[5])
	}
}

// bmove answers BRPOPLPUSH and BLMOVE: the element moved.
func bmove(c *Call, fromLeft, toLeft bool, timeoutArg []byte) {
	timeout, ok := parseTimeout(c, timeoutArg)
	if !ok {
		return
	}
	src, dst := c.Args[1], c.Args[2]
	c.block(c.Args[1:2], "list", timeout, resp.Null, resp.NullArray, func(tx *db.Tx, _ [][]byte) (resp.Reply, error) {
		v, ok, err := tx.List(src).Move(dst, fromLeft, toLeft)
		if err != nil || !ok {
			return nil, err
		}
		return resp.Bulk(v), nil
	})
}

// mpopArgs parses "timeout numkeys key... WHERE [COUNT n]" with
// parseMPop, which reads numkeys at Args[1].
func mpopArgs(c *Call, where1, where2 string) (keys [][]byte, first bool, count int64, ok bool) {
	args := c.Args
	c.Args = append([][]byte{args[0]}, args[2:]...)
	keys, first, count, ok = parseMPop(c, where1, where2)
	c.Args = args
	return keys, first, count, ok
}

// blmpop answers BLMPOP: [key, [elements]].
func blmpop(c *Call) {
	timeout, ok := parseTimeout(c, c.Args[1])
	if !ok {
		return
	}
	keys, left, count, ok := mpopArgs(c, "left", "right")
	if !ok {
		return
	}
	c.block(keys, "list", timeout, resp.NullArray, resp.NullArray, func(tx *db.Tx, keys [][]byte) (resp.Reply, error) {
		key, vals, err := tx.Lists(keys).MPop(left, count)
		if err != nil || key == nil {
			return nil, err
		}
		return poppedReply{key: key, elems: resp.Bulks(vals)}, nil
	})
}

// bzpop answers BZPOPMIN and BZPOPMAX: [key, member, score].
func bzpop(max bool) func(*Call) {
	return func(c *Call) {
		timeout, ok := parseTimeout(c, c.Args[len(c.Args)-1])
		if !ok {
			return
		}
		keys := c.Args[1 : len(c.Args)-1]
		c.block(keys, "zset", timeout, resp.NullArray, resp.NullArray, func(tx *db.Tx, keys [][]byte) (resp.Reply, error) {
			key, items, err := tx.ZSets(keys, nil).MPop(max, 1)
			if err != nil || key == nil {
				return nil, err
			}
			return resp.Array{resp.Bulk(key), resp.Bulk(items[0].Member), resp.Double(items[0].Score)}, nil
		})
	}
}

// bzmpop answers BZMPOP: [key, [[member, score]...]].
func bzmpop(c *Call) {
	timeout, ok := parseTimeout(c, c.Args[1])
	if !ok {
		return
	}
	keys, min, count, ok := mpopArgs(c, "min", "max")
	if !ok {
		return
	}
	c.block(keys, "zset", timeout, resp.NullArray, resp.NullArray, func(tx *db.Tx, keys [][]byte) (resp.Reply, error) {
		key, items, err := tx.ZSets(keys, nil).MPop(!min, count)
		if err != nil || key == nil {
			return nil, err
		}
		return resp.Array{resp.Bulk(key), scored{items: items, pairs: true}}, nil
	})
}
