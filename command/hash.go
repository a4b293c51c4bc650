package command

import (
	"fmt"
	"math"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
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

// fieldValues is the reply of HGETALL and HRANDFIELD WITHVALUES: one flat
// array of field, value, field, value...
type fieldValues struct {
	fields, values [][]byte
}

// Append implements resp.Reply.
func (p fieldValues) Append(b []byte) []byte {
	b = redcon.AppendArray(b, 2*len(p.fields))
	for i, f := range p.fields {
		b = redcon.AppendBulk(b, f)
		b = redcon.AppendBulk(b, p.values[i])
	}
	return b
}

// pairsReply answers fields and values as pairs (withValues) or the fields
// alone.
func pairsReply(fields, values [][]byte, withValues bool) resp.Reply {
	if withValues {
		return fieldValues{fields: fields, values: values}
	}
	return resp.Bulks(fields)
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
			}
			return pairsReply(fs, vs, values), nil
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
	delta, ok := parseInt(c.Args[3])
	if !ok {
		c.Error(errNotInteger)
		return
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.IntOf(tx.Hash(c.Args[1]).IncrBy(c.Args[2], delta))
	})
}

func hincrbyfloat(c *Call) {
	incr, ok := db.ParseLongDouble(c.Args[3])
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
	n, ok := parseInt(b)
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
		return resp.Of(pairsReply(fs, vs, withValues), err)
	})
}

// elemScanOptions are the options of HSCAN and SSCAN. A bad option is
// reported only for a key that exists and has the right type, as Redis
// checks the key before it parses the options.
type elemScanOptions struct {
	match    []byte
	count    int
	novalues bool
	err      string
}

func parseElemScanOptions(args [][]byte, allowNoValues bool) elemScanOptions {
	o := elemScanOptions{count: 10}
	for i := 0; i < len(args); i++ {
		more := i+1 < len(args)
		switch {
		case argIs(args[i], "COUNT") && more:
			n, ok := parseInt(args[i+1])
			if !ok {
				o.err = errNotInteger
				return o
			}
			if n < 1 {
				o.err = errSyntax
				return o
			}
			o.count = int(min(n, 100000))
			i++
		case argIs(args[i], "MATCH") && more:
			o.match = args[i+1]
			if string(o.match) == "*" {
				o.match = nil
			}
			i++
		case allowNoValues && argIs(args[i], "NOVALUES"):
			o.novalues = true
		default:
			o.err = errSyntax
			return o
		}
	}
	return o
}

// elemScan implements HSCAN and SSCAN: size reads the key's size (and
// checks its type), page reads one page. The page is answered by
// writeScanReply, which hands out the cursor once the read is done.
func elemScan(c *Call, allowNoValues bool, size func(tx *db.Tx) (int64, error),
	page func(tx *db.Tx, from []byte, o elemScanOptions) (db.ElemScan, error)) {
	from, ok := c.s.cursors.get(c.Args[2])
	if !ok {
		c.Error("ERR invalid cursor")
		return
	}
	o := parseElemScanOptions(c.Args[3:], allowNoValues)
	var res db.ElemScan
	// The job answers no reply of its own: the legacy reply below writes
	// the page.
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		res = db.ElemScan{}
		n, err := size(tx)
		if err != nil || n == 0 {
			return nil, err
		}
		if o.err != "" {
			return nil, db.UserError(o.err)
		}
		res, err = page(tx, from, o)
		return nil, err
	})
	c.legacyReply(func(w *redcon.Writer) { c.writeScanReply(w, res.Next, res.Items) })
}

func hscan(c *Call) {
	elemScan(c, true, func(tx *db.Tx) (int64, error) { return tx.Hash(c.Args[1]).Len() },
		func(tx *db.Tx, from []byte, o elemScanOptions) (db.ElemScan, error) {
			return tx.Hash(c.Args[1]).Scan(from, o.count, o.match, o.novalues)
		})
}
