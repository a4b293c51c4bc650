package command

import (
	"fmt"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
)

func stringCommands() []*Command {
	w, r, f := flagWrite, flagReadOnly, flagFast
	one := func(name string, arity, flags int, h func(*Call)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, Handler: h}
	}
	return []*Command{
		one("get", 2, r|f, get),
		one("set", -3, w, set),
		one("setnx", 3, w|f, setnx),
		one("setex", 4, w, setex(1000)),
		one("psetex", 4, w, setex(1)),
		one("getset", 3, w|f, getset),
		one("getdel", 2, w|f, getdel),
		one("getex", -2, w|f, getex),
		{Name: "mget", Arity: -2, Flags: r | f, FirstKey: 1, LastKey: -1, Step: 1, Handler: mget},
		{Name: "mset", Arity: -3, Flags: w, FirstKey: 1, LastKey: -1, Step: 2, Handler: mset(false)},
		{Name: "msetnx", Arity: -3, Flags: w, FirstKey: 1, LastKey: -1, Step: 2, Handler: mset(true)},
		one("append", 3, w|f, appendCmd),
		one("strlen", 2, r|f, strlen),
		one("incr", 2, w|f, incrBy(1, false)),
		one("decr", 2, w|f, incrBy(-1, false)),
		one("incrby", 3, w|f, incrBy(1, true)),
		one("decrby", 3, w|f, incrBy(-1, true)),
		one("incrbyfloat", 3, w|f, incrByFloat),
		one("getrange", 4, r, getrange),
		one("substr", 4, r, getrange),
		one("setrange", 4, w, setrange),
		one("setbit", 4, w, setbit),
		one("getbit", 3, r|f, getbit),
		one("bitcount", -2, r, bitcount),
		one("bitpos", -3, r, bitpos),
		{Name: "bitop", Arity: -4, Flags: w, FirstKey: 2, LastKey: -1, Step: 1, Handler: bitop},
	}
}

func get(c *Call) {
	var v []byte
	c.Read(func(tx *db.Tx) (err error) {
		v, err = tx.Get(c.Args[1])
		return err
	}, func(w *redcon.Writer) { writeBulkOrNull(w, v) })
}

// expiry is a parsed EX/PX/EXAT/PXAT argument: an absolute time is known
// at parse time, a relative one only when the command runs.
type expiry struct {
	n, unit  int64
	absolute bool
	set      bool
}

// at returns the absolute expiry in unix milliseconds, given the time.
func (e expiry) at(now int64, cmd string) (int64, error) {
	if !e.set {
		return 0, nil
	}
	if e.absolute {
		return e.n * e.unit, nil
	}
	at, ok := addMillis(now, e.n, e.unit)
	if !ok {
		return 0, db.UserError(fmt.Sprintf("ERR invalid expire time in '%s' command", cmd))
	}
	return at, nil
}

// parseExpiry parses the number after EX/PX/EXAT/PXAT.
func parseExpiry(c *Call, arg []byte, unit int64, absolute bool) (expiry, bool) {
	n, ok := parseInt(arg)
	if !ok {
		c.Error(errNotInteger)
		return expiry{}, false
	}
	if n <= 0 || n > (1<<63-1)/unit {
		c.Error(fmt.Sprintf("ERR invalid expire time in '%s' command", c.name))
		return expiry{}, false
	}
	return expiry{n: n, unit: unit, absolute: absolute, set: true}, true
}

// expiryOption recognises EX PX EXAT PXAT and returns its unit.
func expiryOption(b []byte) (unit int64, absolute, ok bool) {
	switch {
	case argIs(b, "EX"):
		return 1000, false, true
	case argIs(b, "PX"):
		return 1, false, true
	case argIs(b, "EXAT"):
		return 1000, true, true
	case argIs(b, "PXAT"):
		return 1, true, true
	}
	return 0, false, false
}

func set(c *Call) {
	var o db.SetOptions
	var exp expiry
	for i := 3; i < len(c.Args); i++ {
		a := c.Args[i]
		if unit, abs, ok := expiryOption(a); ok {
			if exp.set || o.KeepTTL || i+1 >= len(c.Args) {
				c.Error(errSyntax)
				return
			}
			if exp, ok = parseExpiry(c, c.Args[i+1], unit, abs); !ok {
				return
			}
			i++
			continue
		}
		switch {
		case argIs(a, "NX") && !o.XX:
			o.NX = true
		case argIs(a, "XX") && !o.NX:
			o.XX = true
		case argIs(a, "GET"):
			o.Get = true
		case argIs(a, "KEEPTTL") && !exp.set:
			o.KeepTTL = true
		default:
			c.Error(errSyntax)
			return
		}
	}
	var res db.SetResult
	c.Write(func(tx *db.Tx) (err error) {
		if o.ExpireAt, err = exp.at(tx.Now(), "set"); err != nil {
			return err
		}
		res, err = tx.Set(c.Args[1], c.Args[2], o)
		return err
	}, func(w *redcon.Writer) {
		switch {
		case o.Get:
			writeBulkOrNull(w, res.Old)
		case res.Written:
			w.WriteString("OK")
		default:
			w.WriteNull()
		}
	})
}

func setnx(c *Call) {
	var res db.SetResult
	c.Write(func(tx *db.Tx) (err error) {
		res, err = tx.Set(c.Args[1], c.Args[2], db.SetOptions{NX: true})
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(boolInt(res.Written)) })
}

func setex(unit int64) func(*Call) {
	return func(c *Call) {
		exp, ok := parseExpiry(c, c.Args[2], unit, false)
		if !ok {
			return
		}
		c.Write(func(tx *db.Tx) error {
			at, err := exp.at(tx.Now(), c.name)
			if err != nil {
				return err
			}
			_, err = tx.Set(c.Args[1], c.Args[3], db.SetOptions{ExpireAt: at})
			return err
		}, func(w *redcon.Writer) { w.WriteString("OK") })
	}
}

func getset(c *Call) {
	var res db.SetResult
	c.Write(func(tx *db.Tx) (err error) {
		res, err = tx.Set(c.Args[1], c.Args[2], db.SetOptions{Get: true})
		return err
	}, func(w *redcon.Writer) { writeBulkOrNull(w, res.Old) })
}

func getdel(c *Call) {
	var v []byte
	c.Write(func(tx *db.Tx) (err error) {
		v, err = tx.GetDel(c.Args[1])
		return err
	}, func(w *redcon.Writer) { writeBulkOrNull(w, v) })
}

func getex(c *Call) {
	var exp expiry
	persist := false
	for i := 2; i < len(c.Args); i++ {
		a := c.Args[i]
		if unit, abs, ok := expiryOption(a); ok && !exp.set && !persist && i+1 < len(c.Args) {
			if exp, ok = parseExpiry(c, c.Args[i+1], unit, abs); !ok {
				return
			}
			i++
			continue
		}
		if argIs(a, "PERSIST") && !exp.set {
			persist = true
			continue
		}
		c.Error(errSyntax)
		return
	}
	var v []byte
	c.Write(func(tx *db.Tx) error {
		at, err := exp.at(tx.Now(), "getex")
		if err != nil {
			return err
		}
		v, err = tx.GetEx(c.Args[1], at, persist)
		return err
	}, func(w *redcon.Writer) { writeBulkOrNull(w, v) })
}

func mget(c *Call) {
	var vals [][]byte
	c.Read(func(tx *db.Tx) (err error) {
		vals, err = tx.MGet(c.Args[1:])
		return err
	}, func(w *redcon.Writer) { writeBulks(w, vals) })
}

func mset(nx bool) func(*Call) {
	return func(c *Call) {
		if len(c.Args)%2 != 1 {
			c.Error(fmt.Sprintf("ERR wrong number of arguments for '%s' command", c.name))
			return
		}
		var ok bool
		c.Write(func(tx *db.Tx) (err error) {
			ok, err = tx.MSet(c.Args[1:], nx)
			return err
		}, func(w *redcon.Writer) {
			if nx {
				w.WriteInt64(boolInt(ok))
			} else {
				w.WriteString("OK")
			}
		})
	}
}

func appendCmd(c *Call) {
	var n int64
	c.Write(func(tx *db.Tx) (err error) {
		n, err = tx.Append(c.Args[1], c.Args[2])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func strlen(c *Call) {
	var n int64
	c.Read(func(tx *db.Tx) (err error) {
		n, err = tx.StrLen(c.Args[1])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

// incrBy builds INCR/DECR (fixed sign, no argument) and INCRBY/DECRBY.
func incrBy(sign int64, hasArg bool) func(*Call) {
	return func(c *Call) {
		delta := sign
		if hasArg {
			n, ok := parseInt(c.Args[2])
			if !ok {
				c.Error(errNotInteger)
				return
			}
			if sign < 0 {
				if n == -1<<63 {
					c.Error("ERR decrement would overflow")
					return
				}
				n = -n
			}
			delta = n
		}
		var v int64
		c.Write(func(tx *db.Tx) (err error) {
			v, err = tx.IncrBy(c.Args[1], delta)
			return err
		}, func(w *redcon.Writer) { w.WriteInt64(v) })
	}
}

func incrByFloat(c *Call) {
	delta, ok := parseFloat(c.Args[2])
	if !ok {
		c.Error(errNotFloat)
		return
	}
	var v float64
	c.Write(func(tx *db.Tx) (err error) {
		v, err = tx.IncrByFloat(c.Args[1], delta)
		return err
	}, func(w *redcon.Writer) { w.WriteBulkString(db.FormatFloat(v)) })
}

func getrange(c *Call) {
	start, ok1 := parseInt(c.Args[2])
	end, ok2 := parseInt(c.Args[3])
	if !ok1 || !ok2 {
		c.Error(errNotInteger)
		return
	}
	var v []byte
	c.Read(func(tx *db.Tx) (err error) {
		v, err = tx.GetRange(c.Args[1], start, end)
		return err
	}, func(w *redcon.Writer) { w.WriteBulk(v) })
}

func setrange(c *Call) {
	off, ok := parseInt(c.Args[2])
	if !ok {
		c.Error(errNotInteger)
		return
	}
	if off < 0 {
		c.Error("ERR offset is out of range")
		return
	}
	var n int64
	c.Write(func(tx *db.Tx) (err error) {
		n, err = tx.SetRange(c.Args[1], off, c.Args[3])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

// parseBitOffset parses a bit offset (0 to 2^32-1, as Redis allows).
func parseBitOffset(c *Call, b []byte) (int64, bool) {
	n, ok := parseInt(b)
	if !ok || n < 0 || n >= 1<<32 {
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
	var old int64
	c.Write(func(tx *db.Tx) (err error) {
		old, err = tx.SetBit(c.Args[1], off, bit)
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(old) })
}

func getbit(c *Call) {
	off, ok := parseBitOffset(c, c.Args[2])
	if !ok {
		return
	}
	var v int64
	c.Read(func(tx *db.Tx) (err error) {
		v, err = tx.GetBit(c.Args[1], off)
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(v) })
}

// parseBitUnit reads the optional BYTE|BIT at args[i].
func parseBitUnit(c *Call, args [][]byte, i int) (isBit, ok bool) {
	if i >= len(args) {
		return false, true
	}
	if i == len(args)-1 {
		switch {
		case argIs(args[i], "BIT"):
			return true, true
		case argIs(args[i], "BYTE"):
			return false, true
		}
	}
	c.Error(errSyntax)
	return false, false
}

func bitcount(c *Call) {
	var start, end int64
	var isBit bool
	whole := len(c.Args) == 2
	if !whole {
		if len(c.Args) < 4 {
			c.Error(errSyntax)
			return
		}
		var ok1, ok2, ok bool
		start, ok1 = parseInt(c.Args[2])
		end, ok2 = parseInt(c.Args[3])
		if !ok1 || !ok2 {
			c.Error(errNotInteger)
			return
		}
		if isBit, ok = parseBitUnit(c, c.Args, 4); !ok {
			return
		}
	}
	var n int64
	c.Read(func(tx *db.Tx) (err error) {
		n, err = tx.BitCount(c.Args[1], start, end, isBit, whole)
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func bitpos(c *Call) {
	if v := string(c.Args[2]); v != "0" && v != "1" {
		c.Error("ERR The bit argument must be 1 or 0.")
		return
	}
	bit := c.Args[2][0] - '0'
	var start, end int64
	var hasStart, hasEnd, isBit bool
	if len(c.Args) > 3 {
		var ok bool
		if start, ok = parseInt(c.Args[3]); !ok {
			c.Error(errNotInteger)
			return
		}
		hasStart = true
	}
	if len(c.Args) > 4 {
		var ok bool
		if end, ok = parseInt(c.Args[4]); !ok {
			c.Error(errNotInteger)
			return
		}
		hasEnd = true
		if isBit, ok = parseBitUnit(c, c.Args, 5); !ok {
			return
		}
	}
	var n int64
	c.Read(func(tx *db.Tx) (err error) {
		n, err = tx.BitPos(c.Args[1], bit, start, end, isBit, hasStart, hasEnd)
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
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
	var n int64
	c.Write(func(tx *db.Tx) (err error) {
		n, err = tx.BitOp(op, c.Args[2], c.Args[3:])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}
