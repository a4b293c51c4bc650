package command

import (
	"fmt"
	"math"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// hset implements HSET and HMSET, which differ only in their reply.
func hset(c *Call) {
	if len(c.Args)%2 != 0 {
		c.Error(fmt.Sprintf("ERR wrong number of arguments for '%s' command", c.name))
		return
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		n, err := tx.Hash(c.Args[1]).Set(c.Args[2:])
		if c.name == "hmset" {
			return resp.Of(resp.OK, err)
		}
		return resp.IntOf(n, err)
	})
}

func hsetnx(c *Call) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.BoolOf(tx.Hash(c.Args[1]).SetNX(c.Args[2], c.Args[3]))
	})
}

func hget(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		return resp.BulkOf(tx.Hash(c.Args[1]).Get(c.Args[2]))
	})
}

func hmget(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		return resp.BulksOf(tx.Hash(c.Args[1]).MGet(c.Args[2:]))
	})
}

// fieldValues is the reply of HGETALL (a map) and HRANDFIELD WITHVALUES
// (pairs): in RESP2 both are one flat array of field, value, field,
// value...; in RESP3 HGETALL is a map and HRANDFIELD an array of
// [field, value] arrays, as in Redis 7.
type fieldValues struct {
	fields, values [][]byte
	pairs          bool
}

// Append implements resp.Reply.
func (r fieldValues) Append(b []byte, p resp.Proto) []byte {
	switch {
	case p < resp.RESP3:
		b = redcon.AppendArray(b, 2*len(r.fields))
	case r.pairs:
		b = redcon.AppendArray(b, len(r.fields))
	default:
		b = resp.AppendMapHeader(b, p, len(r.fields))
	}
	for i, f := range r.fields {
		if r.pairs && p >= resp.RESP3 {
			b = redcon.AppendArray(b, 2)
		}
		b = redcon.AppendBulk(b, f)
		b = redcon.AppendBulk(b, r.values[i])
	}
	return b
}

// hgetall implements HGETALL, HKEYS and HVALS.
func hgetall(fields, values bool) func(*Call) {
	return func(c *Call) {
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			fs, vs, err := tx.Hash(c.Args[1]).GetAll()
			switch {
			case err != nil:
				return nil, err
			case !fields:
				return resp.Bulks(vs), nil
			case !values:
				return resp.Bulks(fs), nil
			}
			return fieldValues{fields: fs, values: vs}, nil
		})
	}
}

func hdel(c *Call) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.IntOf(tx.Hash(c.Args[1]).Del(c.Args[2:]))
	})
}

func hlen(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.Hash(c.Args[1]).Len()) })
}

func hexists(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		return resp.BoolOf(tx.Hash(c.Args[1]).Exists(c.Args[2]))
	})
}

func hstrlen(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		return resp.IntOf(tx.Hash(c.Args[1]).StrLen(c.Args[2]))
	})
}

func hincrby(c *Call) {
	delta, ok := parse.Int(c.Args[3])
	if !ok {
		c.Error(errNotInteger)
		return
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.IntOf(tx.Hash(c.Args[1]).IncrBy(c.Args[2], delta))
	})
}

func hincrbyfloat(c *Call) {
	incr, ok := parse.LongDouble(c.Args[3])
	if !ok {
		c.Error(errNotFloat)
		return
	}
	if incr.IsInf() {
		c.Error("ERR value is NaN or Infinity")
		return
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.BulkOf(tx.Hash(c.Args[1]).IncrByFloat(c.Args[2], incr))
	})
}

// parseRandomCount parses the count of SRANDMEMBER and HRANDFIELD, which
// Redis takes in [-LONG_MAX, LONG_MAX].
func parseRandomCount(c *Call, b []byte) (int64, bool) {
	n, ok := parse.Int(b)
	if !ok {
		c.Error(errNotInteger)
		return 0, false
	}
	if n == math.MinInt64 {
		c.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return 0, false
	}
	return n, true
}

func hrandfield(c *Call) {
	if len(c.Args) == 2 {
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			fs, _, err := tx.Hash(c.Args[1]).RandField(1)
			return resp.Of(oneOrMany{members: fs}, err)
		})
		return
	}
	count, ok := parseRandomCount(c, c.Args[2])
	if !ok {
		return
	}
	withValues := false
	switch {
	case len(c.Args) > 4 || (len(c.Args) == 4 && !argIs(c.Args[3], "withvalues")):
		c.Error(errSyntax)
		return
	case len(c.Args) == 4:
		withValues = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			c.Error("ERR value is out of range")
			return
		}
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		fs, vs, err := tx.Hash(c.Args[1]).RandField(count)
		if !withValues {
			return resp.Of(resp.Bulks(fs), err)
		}
		return resp.Of(fieldValues{fields: fs, values: vs, pairs: true}, err)
	})
}
