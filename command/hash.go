package command

import (
	"fmt"
	"math"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
)

// hset implements HSET and HMSET, which differ only in their reply.
func hset(c *Call) {
	if len(c.Args)%2 != 0 {
		c.Error(fmt.Sprintf("ERR wrong number of arguments for '%s' command", c.name))
		return
	}
	var n int64
	c.legacyWrite(func(tx *db.Tx) (err error) {
		n, err = tx.HSet(c.Args[1], c.Args[2:])
		return err
	}, func(w *redcon.Writer) {
		if c.name == "hmset" {
			w.WriteString("OK")
			return
		}
		w.WriteInt64(n)
	})
}

func hsetnx(c *Call) {
	var ok bool
	c.legacyWrite(func(tx *db.Tx) (err error) {
		ok, err = tx.HSetNX(c.Args[1], c.Args[2], c.Args[3])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(boolInt(ok)) })
}

func hget(c *Call) {
	var v []byte
	c.legacyRead(func(tx *db.Tx) (err error) {
		v, err = tx.HGet(c.Args[1], c.Args[2])
		return err
	}, func(w *redcon.Writer) { writeBulkOrNull(w, v) })
}

func hmget(c *Call) {
	var vs [][]byte
	c.legacyRead(func(tx *db.Tx) (err error) {
		vs, err = tx.HMGet(c.Args[1], c.Args[2:])
		return err
	}, func(w *redcon.Writer) { writeBulks(w, vs) })
}

// hgetall implements HGETALL, HKEYS and HVALS.
func hgetall(fields, values bool) func(*Call) {
	return func(c *Call) {
		var fs, vs [][]byte
		c.legacyRead(func(tx *db.Tx) (err error) {
			fs, vs, err = tx.HGetAll(c.Args[1])
			return err
		}, func(w *redcon.Writer) { writePairs(w, fs, vs, fields, values) })
	}
}

// writePairs writes fields and/or values as one flat array.
func writePairs(w *redcon.Writer, fs, vs [][]byte, fields, values bool) {
	n := 0
	if fields {
		n += len(fs)
	}
	if values {
		n += len(vs)
	}
	w.WriteArray(n)
	for i := range fs {
		if fields {
			w.WriteBulk(fs[i])
		}
		if values {
			w.WriteBulk(vs[i])
		}
	}
}

func hdel(c *Call) {
	var n int64
	c.legacyWrite(func(tx *db.Tx) (err error) {
		n, err = tx.HDel(c.Args[1], c.Args[2:])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func hlen(c *Call) {
	var n int64
	c.legacyRead(func(tx *db.Tx) (err error) {
		n, err = tx.HLen(c.Args[1])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func hexists(c *Call) {
	var ok bool
	c.legacyRead(func(tx *db.Tx) (err error) {
		ok, err = tx.HExists(c.Args[1], c.Args[2])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(boolInt(ok)) })
}

func hstrlen(c *Call) {
	var n int64
	c.legacyRead(func(tx *db.Tx) (err error) {
		n, err = tx.HStrLen(c.Args[1], c.Args[2])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func hincrby(c *Call) {
	delta, ok := parseInt(c.Args[3])
	if !ok {
		c.Error(errNotInteger)
		return
	}
	var n int64
	c.legacyWrite(func(tx *db.Tx) (err error) {
		n, err = tx.HIncrBy(c.Args[1], c.Args[2], delta)
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
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
	var v []byte
	c.legacyWrite(func(tx *db.Tx) (err error) {
		v, err = tx.HIncrByFloat(c.Args[1], c.Args[2], incr)
		return err
	}, func(w *redcon.Writer) { w.WriteBulk(v) })
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
		var fs [][]byte
		c.legacyRead(func(tx *db.Tx) (err error) {
			fs, _, err = tx.HRandField(c.Args[1], 1)
			return err
		}, func(w *redcon.Writer) {
			if len(fs) == 0 {
				w.WriteNull()
				return
			}
			w.WriteBulk(fs[0])
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
	var fs, vs [][]byte
	c.legacyRead(func(tx *db.Tx) (err error) {
		fs, vs, err = tx.HRandField(c.Args[1], count)
		return err
	}, func(w *redcon.Writer) { writePairs(w, fs, vs, true, withValues) })
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
// checks its type), page reads one page.
func elemScan(c *Call, allowNoValues bool, size func(tx *db.Tx) (int64, error),
	page func(tx *db.Tx, from []byte, o elemScanOptions) (db.ElemScan, error)) {
	from, ok := c.s.cursors.get(c.Args[2])
	if !ok {
		c.Error("ERR invalid cursor")
		return
	}
	o := parseElemScanOptions(c.Args[3:], allowNoValues)
	var res db.ElemScan
	c.legacyRead(func(tx *db.Tx) error {
		res = db.ElemScan{}
		n, err := size(tx)
		if err != nil || n == 0 {
			return err
		}
		if o.err != "" {
			return db.UserError(o.err)
		}
		res, err = page(tx, from, o)
		return err
	}, func(w *redcon.Writer) { c.writeScanReply(w, res.Next, res.Items) })
}

func hscan(c *Call) {
	elemScan(c, true, func(tx *db.Tx) (int64, error) { return tx.HLen(c.Args[1]) },
		func(tx *db.Tx, from []byte, o elemScanOptions) (db.ElemScan, error) {
			return tx.HScan(c.Args[1], from, o.count, o.match, o.novalues)
		})
}
