package command

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/encoding"
)

func del(c *Call) {
	var n int64
	keys := c.Args[1:]
	c.legacyWrite(func(tx *db.Tx) (err error) {
		n, err = tx.Del(keys...)
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func exists(c *Call) {
	var n int64
	keys := c.Args[1:]
	c.legacyRead(func(tx *db.Tx) (err error) {
		n, err = tx.Exists(keys...)
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func typeCmd(c *Call) {
	var t string
	c.legacyRead(func(tx *db.Tx) (err error) {
		t, err = tx.Type(c.Args[1])
		return err
	}, func(w *redcon.Writer) { w.WriteString(t) })
}

// parseExpireFlags reads EXPIRE's NX XX GT LT options.
func parseExpireFlags(c *Call, opts [][]byte) (db.ExpireFlags, bool) {
	var f db.ExpireFlags
	for _, o := range opts {
		switch {
		case argIs(o, "NX"):
			f.NX = true
		case argIs(o, "XX"):
			f.XX = true
		case argIs(o, "GT"):
			f.GT = true
		case argIs(o, "LT"):
			f.LT = true
		default:
			c.Error(fmt.Sprintf("ERR Unsupported option %s", o))
			return f, false
		}
	}
	if f.NX && (f.XX || f.GT || f.LT) {
		c.Error("ERR NX and XX, GT or LT options at the same time are not compatible")
		return f, false
	}
	if f.GT && f.LT {
		c.Error("ERR GT and LT options at the same time are not compatible")
		return f, false
	}
	return f, true
}

// expireCmd builds EXPIRE (unit 1000, relative), PEXPIRE, EXPIREAT and
// PEXPIREAT, with Redis's checks in Redis's order: options, number, overflow.
func expireCmd(unit int64, absolute bool) func(*Call) {
	return func(c *Call) {
		flags, ok := parseExpireFlags(c, c.Args[3:])
		if !ok {
			return
		}
		n, ok := parseInt(c.Args[2])
		if !ok {
			c.Error(errNotInteger)
			return
		}
		invalid := fmt.Sprintf("ERR invalid expire time in '%s' command", c.name)
		if n > math.MaxInt64/unit || n < math.MinInt64/unit {
			c.Error(invalid)
			return
		}
		var set bool
		c.legacyWrite(func(tx *db.Tx) (err error) {
			at := n * unit
			if !absolute {
				if at > math.MaxInt64-tx.Now() {
					return db.UserError(invalid)
				}
				at += tx.Now()
			}
			set, err = tx.ExpireAt(c.Args[1], at, flags)
			return err
		}, func(w *redcon.Writer) { w.WriteInt64(boolInt(set)) })
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// ttlCmd builds TTL, PTTL, EXPIRETIME and PEXPIRETIME.
func ttlCmd(absolute bool, unit int64) func(*Call) {
	return func(c *Call) {
		var v int64
		c.legacyRead(func(tx *db.Tx) (err error) {
			if absolute {
				v, err = tx.ExpireTime(c.Args[1])
			} else {
				v, err = tx.PTTL(c.Args[1])
			}
			return err
		}, func(w *redcon.Writer) {
			if v >= 0 && unit > 1 {
				if absolute {
					v /= unit
				} else {
					v = (v + unit/2) / unit
				}
			}
			w.WriteInt64(v)
		})
	}
}

func persist(c *Call) {
	var ok bool
	c.legacyWrite(func(tx *db.Tx) (err error) {
		ok, err = tx.Persist(c.Args[1])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(boolInt(ok)) })
}

func rename(nx bool) func(*Call) {
	return func(c *Call) {
		var done bool
		c.legacyWrite(func(tx *db.Tx) (err error) {
			done, err = tx.Rename(c.Args[1], c.Args[2], nx)
			return err
		}, func(w *redcon.Writer) {
			if nx {
				w.WriteInt64(boolInt(done))
			} else {
				w.WriteString("OK")
			}
		})
	}
}

func copyCmd(c *Call) {
	dstDB := c.c.db
	replace := false
	for i := 3; i < len(c.Args); i++ {
		switch {
		case argIs(c.Args[i], "REPLACE"):
			replace = true
		case argIs(c.Args[i], "DB") && i+1 < len(c.Args):
			n, ok := parseInt(c.Args[i+1])
			if !ok {
				c.Error(errNotInteger)
				return
			}
			if n < 0 || n >= int64(c.s.cfg.Databases) {
				c.Error("ERR DB index is out of range")
				return
			}
			dstDB = uint16(n)
			i++
		default:
			c.Error(errSyntax)
			return
		}
	}
	if dstDB == c.c.db && bytes.Equal(c.Args[1], c.Args[2]) {
		c.Error("ERR source and destination objects are the same")
		return
	}
	var copied bool
	c.legacyWrite(func(tx *db.Tx) (err error) {
		copied, err = tx.Copy(c.Args[1], c.Args[2], dstDB, replace)
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(boolInt(copied)) })
}

func keysCmd(c *Call) {
	var keys [][]byte
	c.legacyRead(func(tx *db.Tx) (err error) {
		keys, err = tx.KeysMatching(c.Args[1])
		return err
	}, func(w *redcon.Writer) { writeBulks(w, keys) })
}

// scanOptions are the MATCH, COUNT and TYPE options of the SCAN family.
type scanOptions struct {
	match []byte
	count int
	typ   encoding.Type
}

// parseScanOptions parses the options after the cursor; allowType is set
// for SCAN, which also takes TYPE.
func parseScanOptions(c *Call, args [][]byte, allowType bool) (scanOptions, bool) {
	o := scanOptions{count: 10}
	for i := 0; i < len(args); i++ {
		if i+1 >= len(args) {
			c.Error(errSyntax)
			return o, false
		}
		switch {
		case argIs(args[i], "MATCH"):
			o.match = args[i+1]
			if string(o.match) == "*" {
				o.match = nil
			}
		case argIs(args[i], "COUNT"):
			n, ok := parseInt(args[i+1])
			if !ok {
				c.Error(errNotInteger)
				return o, false
			}
			if n < 1 {
				c.Error(errSyntax)
				return o, false
			}
			o.count = int(min(n, 100000))
		case allowType && argIs(args[i], "TYPE"):
			o.typ = typeByName(strings.ToLower(string(args[i+1])))
			if o.typ == 0 {
				// Redis 7.0 answers an unknown type with an empty scan.
				o.typ = 0xff
			}
		default:
			c.Error(errSyntax)
			return o, false
		}
		i++
	}
	return o, true
}

func typeByName(name string) encoding.Type {
	for t := encoding.TypeString; t <= encoding.TypeZSet; t++ {
		if t.String() == name {
			return t
		}
	}
	return 0
}

// writeScanReply writes [cursor, items].
func (c *Call) writeScanReply(w *redcon.Writer, next []byte, items [][]byte) {
	cursor := "0"
	if next != nil {
		cursor = c.s.cursors.put(next)
	}
	w.WriteArray(2)
	w.WriteBulkString(cursor)
	writeBulks(w, items)
}

func scan(c *Call) {
	start, ok := c.s.cursors.get(c.Args[1])
	if !ok {
		c.Error("ERR invalid cursor")
		return
	}
	o, ok := parseScanOptions(c, c.Args[2:], true)
	if !ok {
		return
	}
	var res db.ScanResult
	c.legacyRead(func(tx *db.Tx) (err error) {
		res, err = tx.Scan(start, o.count, o.match, o.typ)
		return err
	}, func(w *redcon.Writer) { c.writeScanReply(w, res.Next, res.Keys) })
}

func randomKey(c *Call) {
	var k []byte
	c.legacyRead(func(tx *db.Tx) (err error) {
		k, err = tx.RandomKey()
		return err
	}, func(w *redcon.Writer) { writeBulkOrNull(w, k) })
}

// objectHelp is Redis 7.0's OBJECT HELP.
var objectHelp = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
}

// object implements OBJECT. titan keeps no access times or frequencies:
// IDLETIME is always 0, and FREQ fails as in Redis without an LFU policy.
// REFCOUNT reports Redis's shared integers (0 to 9999) as Redis does.
func object(c *Call) {
	sub := strings.ToLower(string(c.Args[1]))
	arity := 3
	switch sub {
	case "help":
		arity = 2
	case "encoding", "freq", "idletime", "refcount":
	default:
		c.Error(unknownSubcommand(c.Args))
		return
	}
	if len(c.Args) != arity {
		c.Error(fmt.Sprintf("ERR wrong number of arguments for 'object|%s' command", sub))
		return
	}
	if sub == "help" {
		c.legacyReply(func(w *redcon.Writer) {
			w.WriteArray(len(objectHelp))
			for _, l := range objectHelp {
				w.WriteString(l)
			}
		})
		return
	}
	var enc string
	var shared bool
	c.legacyRead(func(tx *db.Tx) (err error) {
		if enc, err = tx.ObjectEncoding(c.Args[2]); err != nil || enc == "" {
			return err
		}
		if sub == "freq" {
			return db.UserError("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		}
		if enc != "int" {
			return nil
		}
		v, err := tx.Get(c.Args[2])
		n, _ := parseInt(v)
		shared = n >= 0 && n < 10000
		return err
	}, func(w *redcon.Writer) {
		switch {
		case enc == "":
			w.WriteNull()
		case sub == "encoding":
			w.WriteBulkString(enc)
		case sub == "refcount" && shared:
			w.WriteInt(math.MaxInt32)
		case sub == "refcount":
			w.WriteInt(1)
		default:
			w.WriteInt(0)
		}
	})
}

// unknownSubcommand is Redis's error for a subcommand a container command
// (OBJECT, CLIENT, CONFIG, COMMAND) does not have.
func unknownSubcommand(args [][]byte) string {
	sub := args[1]
	if len(sub) > 128 {
		sub = sub[:128]
	}
	return fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", sub, strings.ToUpper(string(args[0])))
}
