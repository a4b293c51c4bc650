package command

import (
	"fmt"
	"math"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

func get(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		v, st, err := tx.String(c.Args[1]).GetReader()
		if st != nil {
			return streamReply{st: st, ctx: c.s.run}, nil
		}
		return resp.BulkOf(v, err)
	})
}

// expiry is the EX/PX/EXAT/PXAT option of SET, SETEX and GETEX. Redis
// reads the number only once every option has been read (GETEX even after
// looking the key up), so it is kept as given until then.
type expiry struct {
	arg      []byte // the number; nil when there is no expiry
	unit     int64
	absolute bool
}

// at returns the absolute expiry in unix milliseconds at time now, 0 when
// there is none, or Redis's error for a bad number.
func (e expiry) at(now int64, cmd string) (int64, error) {
	if e.arg == nil {
		return 0, nil
	}
	n, ok := parse.Int(e.arg)
	if !ok {
		return 0, db.ErrNotInteger
	}
	invalid := db.UserError(fmt.Sprintf("ERR invalid expire time in '%s' command", cmd))
	if n <= 0 || n > math.MaxInt64/e.unit {
		return 0, invalid
	}
	n *= e.unit
	if !e.absolute {
		if n > math.MaxInt64-now {
			return 0, invalid
		}
		n += now
	}
	return n, nil
}

// expiryOption recognises EX PX EXAT PXAT followed by a number at args[i].
// As in Redis, an option may be repeated (the last wins) but not mixed
// with another kind.
func expiryOption(args [][]byte, i int, cur expiry) (expiry, bool) {
	if i+1 >= len(args) {
		return cur, false
	}
	e := expiry{arg: args[i+1]}
	switch b := args[i]; {
	case argIs(b, "EX"):
		e.unit = 1000
	case argIs(b, "PX"):
		e.unit = 1
	case argIs(b, "EXAT"):
		e.unit, e.absolute = 1000, true
	case argIs(b, "PXAT"):
		e.unit, e.absolute = 1, true
	default:
		return cur, false
	}
	if cur.arg != nil && (cur.unit != e.unit || cur.absolute != e.absolute) {
		return cur, false
	}
	return e, true
}

func set(c *Call) {
	var o db.SetOptions
	var exp expiry
	for i := 3; i < len(c.Args); i++ {
		a := c.Args[i]
		var ok bool
		switch {
		case argIs(a, "NX") && !o.XX:
			o.NX = true
		case argIs(a, "XX") && !o.NX:
			o.XX = true
		case argIs(a, "GET"):
			o.Get = true
		case argIs(a, "KEEPTTL") && exp.arg == nil:
			o.KeepTTL = true
		default:
			if o.KeepTTL {
				c.Error(errSyntax)
				return
			}
			if exp, ok = expiryOption(c.Args, i, exp); !ok {
				c.Error(errSyntax)
				return
			}
			i++
		}
	}
	if _, err := exp.at(0, c.name); err != nil {
		c.Error(err.Error())
		return
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		o := o
		var err error
		if o.ExpireAt, err = exp.at(tx.Now(), "set"); err != nil {
			return nil, err
		}
		res, err := tx.String(c.Args[1]).Set(c.Args[2], o)
		switch {
		case err != nil:
			return nil, err
		case o.Get:
			return resp.Bulk(res.Old), nil
		case res.Written:
			return resp.OK, nil
		}
		return resp.Null, nil
	})
}

func setnx(c *Call) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		res, err := tx.String(c.Args[1]).Set(c.Args[2], db.SetOptions{NX: true})
		return resp.BoolOf(res.Written, err)
	})
}

func setex(unit int64) func(*Call) {
	return func(c *Call) {
		exp := expiry{arg: c.Args[2], unit: unit}
		if _, err := exp.at(0, c.name); err != nil {
			c.Error(err.Error())
			return
		}
		c.Write(func(tx *db.Tx) (resp.Reply, error) {
			at, err := exp.at(tx.Now(), c.name)
			if err != nil {
				return nil, err
			}
			_, err = tx.String(c.Args[1]).Set(c.Args[3], db.SetOptions{ExpireAt: at})
			return resp.Of(resp.OK, err)
		})
	}
}

func getset(c *Call) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		res, err := tx.String(c.Args[1]).Set(c.Args[2], db.SetOptions{Get: true})
		return resp.BulkOf(res.Old, err)
	})
}

func getdel(c *Call) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) { return resp.BulkOf(tx.String(c.Args[1]).GetDel()) })
}

func getex(c *Call) {
	var exp expiry
	persist := false
	for i := 2; i < len(c.Args); i++ {
		if argIs(c.Args[i], "PERSIST") && exp.arg == nil {
			persist = true
			continue
		}
		var ok bool
		if exp, ok = expiryOption(c.Args, i, exp); !ok || persist {
			c.Error(errSyntax)
			return
		}
		i++
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		// Redis checks the expiry only once it found a string at key.
		s := tx.String(c.Args[1])
		if found, err := s.Exists(); err != nil || !found {
			return resp.Of(resp.Null, err)
		}
		at, err := exp.at(tx.Now(), "getex")
		if err != nil {
			return nil, err
		}
		return resp.BulkOf(s.GetEx(at, persist))
	})
}

func mget(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) { return resp.BulksOf(tx.Strings(c.Args[1:]).Get()) })
}

func mset(nx bool) func(*Call) {
	return func(c *Call) {
		if len(c.Args)%2 != 1 {
			c.Error(fmt.Sprintf("ERR wrong number of arguments for '%s' command", c.name))
			return
		}
		n := len(c.Args) / 2
		keys, values := make([][]byte, n), make([][]byte, n)
		for i := range n {
			keys[i], values[i] = c.Args[1+2*i], c.Args[2+2*i]
		}
		c.Write(func(tx *db.Tx) (resp.Reply, error) {
			ok, err := tx.Strings(keys).Set(values, nx)
			if nx {
				return resp.BoolOf(ok, err)
			}
			return resp.Of(resp.OK, err)
		})
	}
}

func appendCmd(c *Call) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.IntOf(tx.String(c.Args[1]).Append(c.Args[2], c.s.maxStringLen()))
	})
}

// maxStringLen is the longest string a command may build: Redis's
// proto-max-bulk-len, within what the store can hold.
func (s *Engine) maxStringLen() int64 { return min(s.cfg.MaxBulkLen, db.MaxStringLen) }

func strlen(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.String(c.Args[1]).Len()) })
}

// incrBy builds INCR/DECR (fixed sign, no argument) and INCRBY/DECRBY.
func incrBy(sign int64, hasArg bool) func(*Call) {
	return func(c *Call) {
		delta := sign
		if hasArg {
			n, ok := parse.Int(c.Args[2])
			if !ok {
				c.Error(errNotInteger)
				return
			}
			if sign < 0 {
				if n == math.MinInt64 {
					c.Error("ERR decrement would overflow")
					return
				}
				n = -n
			}
			delta = n
		}
		c.Write(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.String(c.Args[1]).IncrBy(delta)) })
	}
}

func incrByFloat(c *Call) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.BulkOf(tx.String(c.Args[1]).IncrByFloat(c.Args[2]))
	})
}

func getrange(c *Call) {
	start, ok1 := parse.Int(c.Args[2])
	end, ok2 := parse.Int(c.Args[3])
	if !ok1 || !ok2 {
		c.Error(errNotInteger)
		return
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		v, err := tx.String(c.Args[1]).GetRange(start, end)
		if v == nil {
			v = []byte{} // an empty string, never null
		}
		return resp.BulkOf(v, err)
	})
}

func setrange(c *Call) {
	off, ok := parse.Int(c.Args[2])
	if !ok {
		c.Error(errNotInteger)
		return
	}
	if off < 0 {
		c.Error("ERR offset is out of range")
		return
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.IntOf(tx.String(c.Args[1]).SetRange(off, c.Args[3], c.s.maxStringLen()))
	})
}

// parseBitOffset parses a bit offset: a string may hold maxStringLen
// bytes, as Redis checks against proto-max-bulk-len.
func parseBitOffset(c *Call, b []byte) (int64, bool) {
	n, ok := parse.Int(b)
	if !ok || n < 0 || n>>3 >= c.s.maxStringLen() {
		c.Error("ERR bit offset is not an integer or out of range")
		return 0, false
	}
	return n, true
}

func setbit(c *Call) {
	off, ok := parseBitOffset(c, c.Args[2])
	if !ok {
		return
	}
	if v := string(c.Args[3]); v != "0" && v != "1" {
		c.Error("ERR bit is not an integer or out of range")
		return
	}
	bit := c.Args[3][0] - '0'
	c.Write(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.String(c.Args[1]).SetBit(off, bit)) })
}

func getbit(c *Call) {
	off, ok := parseBitOffset(c, c.Args[2])
	if !ok {
		return
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.String(c.Args[1]).GetBit(off)) })
}

// parseBitUnit parses BYTE or BIT.
func parseBitUnit(b []byte) (isBit bool, errMsg string) {
	switch {
	case argIs(b, "BIT"):
		return true, ""
	case argIs(b, "BYTE"):
		return false, ""
	}
	return false, errSyntax
}

func bitcount(c *Call) {
	// Redis 7.0 parses the range only once it found a string at key: a
	// missing key counts 0 whatever the arguments.
	var start, end int64
	var isBit bool
	var errMsg string
	switch len(c.Args) {
	case 2:
		start, end = 0, -1
	case 4, 5:
		var ok1, ok2 bool
		start, ok1 = parse.Int(c.Args[2])
		end, ok2 = parse.Int(c.Args[3])
		if !ok1 || !ok2 {
			errMsg = errNotInteger
		} else if len(c.Args) == 5 {
			isBit, errMsg = parseBitUnit(c.Args[4])
		}
	default:
		errMsg = errSyntax
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		s := tx.String(c.Args[1])
		found, err := s.Exists()
		switch {
		case err != nil || !found:
			return resp.Of(resp.Int(0), err)
		case errMsg != "":
			return nil, db.UserError(errMsg)
		}
		return resp.IntOf(s.BitCount(start, end, isBit, len(c.Args) == 2))
	})
}

func bitpos(c *Call) {
	b, ok := parse.Int(c.Args[2])
	if !ok {
		c.Error(errNotInteger)
		return
	}
	if b != 0 && b != 1 {
		c.Error("ERR The bit argument must be 1 or 0.")
		return
	}
	bit := byte(b)
	// As BITCOUNT, Redis 7.0 parses the range once it found the string,
	// and in this order: start, the unit, end.
	var start, end int64
	var hasStart, hasEnd, isBit bool
	var errMsg string
	switch n := len(c.Args); {
	case n == 3:
	case n <= 6:
		if start, hasStart = parse.Int(c.Args[3]); !hasStart {
			errMsg = errNotInteger
			break
		}
		if n == 6 {
			if isBit, errMsg = parseBitUnit(c.Args[5]); errMsg != "" {
				break
			}
		}
		if n >= 5 {
			if end, hasEnd = parse.Int(c.Args[4]); !hasEnd {
				errMsg = errNotInteger
			}
		}
	default:
		errMsg = errSyntax
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		s := tx.String(c.Args[1])
		found, err := s.Exists()
		switch {
		case err != nil:
			return nil, err
		case !found:
			// A missing key is an endless run of clear bits.
			return resp.Int(-int64(bit)), nil
		case errMsg != "":
			return nil, db.UserError(errMsg)
		}
		return resp.IntOf(s.BitPos(bit, start, end, isBit, hasStart, hasEnd))
	})
}

func bitop(c *Call) {
	var op string
	for _, name := range []string{"AND", "OR", "XOR", "NOT"} {
		if argIs(c.Args[1], name) {
			op = name
		}
	}
	if op == "" {
		c.Error(errSyntax)
		return
	}
	if op == "NOT" && len(c.Args) != 4 {
		c.Error("ERR BITOP NOT must be called with a single source key.")
		return
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.IntOf(tx.Strings(c.Args[3:]).BitOp(op, c.Args[2]))
	})
}
