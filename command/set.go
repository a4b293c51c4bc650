package command

import (
	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/resp"
)

func sadd(c *Call) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.Set(c.Args[1]).Add(c.Args[2:])) })
}

func srem(c *Call) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.Set(c.Args[1]).Rem(c.Args[2:])) })
}

func scard(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.Set(c.Args[1]).Card()) })
}

func sismember(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) { return resp.BoolOf(tx.Set(c.Args[1]).IsMember(c.Args[2])) })
}

func smismember(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		in, err := tx.Set(c.Args[1]).MIsMember(c.Args[2:])
		if err != nil {
			return nil, err
		}
		out := make(resp.Array, len(in))
		for i, b := range in {
			out[i] = resp.Bool(b)
		}
		return out, nil
	})
}

func smembers(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		ms, err := tx.Set(c.Args[1]).Members()
		return resp.Of(resp.BulkSet(ms), err)
	})
}

// oneOrMany is the reply of SPOP, SRANDMEMBER and HRANDFIELD: an array of
// the members when a count was given (many; a set for SPOP), else the
// first member or a null when there is none.
type oneOrMany struct {
	members [][]byte
	many    bool
	set     bool
}

// Append implements resp.Reply.
func (r oneOrMany) Append(b []byte, p resp.Proto) []byte {
	switch {
	case r.many && r.set:
		return resp.BulkSet(r.members).Append(b, p)
	case r.many:
		return resp.Bulks(r.members).Append(b, p)
	case len(r.members) == 0:
		return resp.Null.Append(b, p)
	}
	return redcon.AppendBulk(b, r.members[0])
}

func spop(c *Call) {
	if len(c.Args) > 3 {
		c.Error(errSyntax)
		return
	}
	count, hasCount := int64(1), len(c.Args) == 3
	if hasCount {
		n, ok := c.intAtLeast(c.Args[2], 0, errPositive)
		if !ok {
			return
		}
		count = n
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		s := tx.Set(c.Args[1])
		if count == 0 {
			// Nothing to pop, but the key's type is still checked.
			_, err := s.Card()
			return resp.Of(oneOrMany{many: hasCount, set: true}, err)
		}
		ms, err := s.Pop(count)
		return resp.Of(oneOrMany{members: ms, many: hasCount, set: true}, err)
	})
}

func srandmember(c *Call) {
	if len(c.Args) > 3 {
		c.Error(errSyntax)
		return
	}
	count, hasCount := int64(1), len(c.Args) == 3
	if hasCount {
		var ok bool
		if count, ok = parseRandomCount(c, c.Args[2]); !ok {
			return
		}
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		ms, err := tx.Set(c.Args[1]).RandMember(count)
		return resp.Of(oneOrMany{members: ms, many: hasCount}, err)
	})
}

func smove(c *Call) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.BoolOf(tx.Set(c.Args[1]).Move(c.Args[2], c.Args[3]))
	})
}

// setAlgebra implements SINTER, SUNION and SDIFF.
func setAlgebra(op func(db.Sets) ([][]byte, error)) func(*Call) {
	return func(c *Call) {
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			ms, err := op(tx.Sets(c.Args[1:]))
			return resp.Of(resp.BulkSet(ms), err)
		})
	}
}

// setStore implements SINTERSTORE, SUNIONSTORE and SDIFFSTORE.
func setStore(op func(ss db.Sets, dst []byte) (int64, error)) func(*Call) {
	return func(c *Call) {
		c.Write(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(op(tx.Sets(c.Args[2:]), c.Args[1])) })
	}
}

func sintercard(c *Call) {
	numkeys, ok := c.intAtLeast(c.Args[1], 1, "ERR numkeys should be greater than 0")
	if !ok {
		return
	}
	if numkeys > int64(len(c.Args)-2) {
		c.Error("ERR Number of keys can't be greater than number of args")
		return
	}
	keys := c.Args[2 : 2+numkeys]
	var limit int64
	for i := 2 + int(numkeys); i < len(c.Args); i++ {
		if !argIs(c.Args[i], "LIMIT") || i+1 >= len(c.Args) {
			c.Error(errSyntax)
			return
		}
		i++
		n, ok := c.intAtLeast(c.Args[i], 0, "ERR LIMIT can't be negative")
		if !ok {
			return
		}
		limit = n
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.Sets(keys).InterCard(limit)) })
}
