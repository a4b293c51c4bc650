package command

import (
	"fmt"
	"math"

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
	c.legacyRead(func(tx *db.Tx) (err error) {
		v, err = tx.Get(c.Args[1])
		return err
	}, func(w *redcon.Writer) { writeBulkOrNull(w, v) })
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
	n, ok := parseInt(e.arg)
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
	var res db.SetResult
	c.legacyWrite(func(tx *db.Tx) (err error) {
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
	c.legacyWrite(func(tx *db.Tx) (err error) {
		res, err = tx.Set(c.Args[1], c.Args[2], db.SetOptions{NX: true})
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(boolInt(res.Written)) })
}

func setex(unit int64) func(*Call) {
	return func(c *Call) {
		exp := expiry{arg: c.Args[2], unit: unit}
		if _, err := exp.at(0, c.name); err != nil {
			c.Error(err.Error())
			return
		}
		c.legacyWrite(func(tx *db.Tx) error {
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
	c.legacyWrite(func(tx *db.Tx) (err error) {
		res, err = tx.Set(c.Args[1], c.Args[2], db.SetOptions{Get: true})
		return err
	}, func(w *redcon.Writer) { writeBulkOrNull(w, res.Old) })
}

func getdel(c *Call) {
	var v []byte
	c.legacyWrite(func(tx *db.Tx) (err error) {
		v, err = tx.GetDel(c.Args[1])
		return err
	}, func(w *redcon.Writer) { writeBulkOrNull(w, v) })
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
	var v []byte
	c.legacyWrite(func(tx *db.Tx) error {
		// Redis checks the expiry only once it found a string at key.
		v = nil
		if t, err := tx.Type(c.Args[1]); err != nil || t == "none" {
			return err
		} else if t != "string" {
			return db.ErrWrongType
		}
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
	c.legacyRead(func(tx *db.Tx) (err error) {
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
		c.legacyWrite(func(tx *db.Tx) (err error) {
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
	c.legacyWrite(func(tx *db.Tx) (err error) {
		n, err = tx.Append(c.Args[1], c.Args[2], c.s.maxStringLen())
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

// maxStringLen is the longest string a command may build: Redis's
// proto-max-bulk-len, within what the store can hold.
func (s *Engine) maxStringLen() int64 { return min(s.cfg.MaxBulkLen, db.MaxStringLen) }

func strlen(c *Call) {
	var n int64
	c.legacyRead(func(tx *db.Tx) (err error) {
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
		c.legacyWrite(func(tx *db.Tx) (err error) {
			v, err = tx.IncrBy(c.Args[1], delta)
			return err
		}, func(w *redcon.Writer) { w.WriteInt64(v) })
	}
}

func incrByFloat(c *Call) {
	var v []byte
	c.legacyWrite(func(tx *db.Tx) (err error) {
		v, err = tx.IncrByFloat(c.Args[1], c.Args[2])
		return err
	}, func(w *redcon.Writer) { w.WriteBulk(v) })
}

func getrange(c *Call) {
	start, ok1 := parseInt(c.Args[2])
	end, ok2 := parseInt(c.Args[3])
	if !ok1 || !ok2 {
		c.Error(errNotInteger)
		return
	}
	var v []byte
	c.legacyRead(func(tx *db.Tx) (err error) {
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
	c.legacyWrite(func(tx *db.Tx) (err error) {
		n, err = tx.SetRange(c.Args[1], off, c.Args[3], c.s.maxStringLen())
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

// parseBitOffset parses a bit offset: a string may hold maxStringLen
// bytes, as Redis checks against proto-max-bulk-len.
func parseBitOffset(c *Call, b []byte) (int64, bool) {
	n, ok := parseInt(b)
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
	var old int64
	c.legacyWrite(func(tx *db.Tx) (err error) {
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
	c.legacyRead(func(tx *db.Tx) (err error) {
		v, err = tx.GetBit(c.Args[1], off)
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(v) })
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

// stringFound reports whether key holds a string, failing with WRONGTYPE
// when it holds something else.
func stringFound(tx *db.Tx, key []byte) (bool, error) {
	t, err := tx.Type(key)
	switch {
	case err != nil:
		return false, err
	case t == "none":
		return false, nil
	case t != "string":
		return false, db.ErrWrongType
	}
	return true, nil
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
		start, ok1 = parseInt(c.Args[2])
		end, ok2 = parseInt(c.Args[3])
		if !ok1 || !ok2 {
			errMsg = errNotInteger
		} else if len(c.Args) == 5 {
			isBit, errMsg = parseBitUnit(c.Args[4])
		}
	default:
		errMsg = errSyntax
	}
	var n int64
	c.legacyRead(func(tx *db.Tx) error {
		n = 0
		found, err := stringFound(tx, c.Args[1])
		switch {
		case err != nil || !found:
			return err
		case errMsg != "":
			return db.UserError(errMsg)
		}
		n, err = tx.BitCount(c.Args[1], start, end, isBit, len(c.Args) == 2)
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func bitpos(c *Call) {
	b, ok := parseInt(c.Args[2])
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
		if start, hasStart = parseInt(c.Args[3]); !hasStart {
			errMsg = errNotInteger
			break
		}
		if n == 6 {
			if isBit, errMsg = parseBitUnit(c.Args[5]); errMsg != "" {
				break
			}
		}
		if n >= 5 {
			if end, hasEnd = parseInt(c.Args[4]); !hasEnd {
				errMsg = errNotInteger
			}
		}
	default:
		errMsg = errSyntax
	}
	var pos int64
	c.legacyRead(func(tx *db.Tx) error {
		found, err := stringFound(tx, c.Args[1])
		switch {
		case err != nil:
			return err
		case !found:
			// A missing key is an endless run of clear bits.
			pos = int64(bit) * -1
			return nil
		case errMsg != "":
			return db.UserError(errMsg)
		}
		pos, err = tx.BitPos(c.Args[1], bit, start, end, isBit, hasStart, hasEnd)
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(pos) })
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
	c.legacyWrite(func(tx *db.Tx) (err error) {
		n, err = tx.BitOp(op, c.Args[2], c.Args[3:])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}
