package command

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

func del(c *Call) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		var n int64
		for _, k := range c.Args[1:] {
			existed, err := tx.Key(k).Delete()
			if err != nil {
				return nil, err
			}
			if existed {
				n++
			}
		}
		return resp.Int(n), nil
	})
}

// exists counts the keys that exist (a key named twice counts twice).
func exists(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		var n int64
		for _, k := range c.Args[1:] {
			found, err := tx.Key(k).Exists()
			if err != nil {
				return nil, err
			}
			if found {
				n++
			}
		}
		return resp.Int(n), nil
	})
}

func typeCmd(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		t, err := tx.Key(c.Args[1]).Type()
		return resp.Of(resp.Status(t), err)
	})
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
		n, ok := parse.Int(c.Args[2])
		if !ok {
			c.Error(errNotInteger)
			return
		}
		invalid := fmt.Sprintf("ERR invalid expire time in '%s' command", c.name)
		if n > math.MaxInt64/unit || n < math.MinInt64/unit {
			c.Error(invalid)
			return
		}
		c.Write(func(tx *db.Tx) (resp.Reply, error) {
			at := n * unit
			if !absolute {
				if at > math.MaxInt64-tx.Now() {
					return nil, db.UserError(invalid)
				}
				at += tx.Now()
			}
			return resp.BoolOf(tx.Key(c.Args[1]).ExpireAt(at, flags))
		})
	}
}

// ttlCmd builds TTL, PTTL, EXPIRETIME and PEXPIRETIME.
func ttlCmd(absolute bool, unit int64) func(*Call) {
	return func(c *Call) {
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			k := tx.Key(c.Args[1])
			var v int64
			var err error
			if absolute {
				v, err = k.ExpireTime()
			} else {
				v, err = k.PTTL()
			}
			if v >= 0 && unit > 1 {
				if absolute {
					v /= unit
				} else {
					v = (v + unit/2) / unit
				}
			}
			return resp.IntOf(v, err)
		})
	}
}

func persist(c *Call) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) { return resp.BoolOf(tx.Key(c.Args[1]).Persist()) })
}

func rename(nx bool) func(*Call) {
	return func(c *Call) {
		c.Write(func(tx *db.Tx) (resp.Reply, error) {
			done, err := tx.Key(c.Args[1]).Rename(c.Args[2], nx)
			if nx {
				return resp.BoolOf(done, err)
			}
			return resp.Of(resp.OK, err)
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
			n, ok := c.dbIndex(c.Args[i+1])
			if !ok {
				return
			}
			dstDB = n
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
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.BoolOf(tx.Key(c.Args[1]).Copy(c.Args[2], dstDB, replace))
	})
}

func keysCmd(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) { return resp.BulksOf(tx.Keyspace().Keys(c.Args[1])) })
}

func randomKey(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) { return resp.BulkOf(tx.Keyspace().RandomKey()) })
}

// objectHelp is Redis 7.0's OBJECT HELP.
var objectHelp = resp.Lines{
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
		c.Reply(objectHelp)
		return
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		key := c.Args[2]
		enc, err := tx.Key(key).Encoding()
		switch {
		case err != nil:
			return nil, err
		case enc == "":
			return resp.Null, nil
		case sub == "freq":
			return nil, db.UserError("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		case sub == "encoding":
			return resp.BulkString(enc), nil
		case sub == "idletime":
			return resp.IntOf(tx.Key(key).IdleTime())
		case enc != "int":
			return resp.Int(1), nil
		}
		// REFCOUNT of an integer: Redis shares the objects of 0 to 9999.
		v, err := tx.String(key).Get()
		if n, _ := parse.Int(v); err == nil && n >= 0 && n < 10000 {
			return resp.Int(math.MaxInt32), nil
		}
		return resp.Of(resp.Int(1), err)
	})
}

// subcommandSyntax is Redis's error for a known subcommand given the
// wrong arguments.
func subcommandSyntax(args [][]byte) string {
	sub := args[1]
	if len(sub) > 128 {
		sub = sub[:128]
	}
	return fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP.", sub, strings.ToUpper(string(args[0])))
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

// badSubcommand answers a container's subcommand that is unknown, or
// known but given the wrong arguments, with Redis's error for each.
func (c *Call) badSubcommand() {
	if c.cmd.sub(c.Args) != nil {
		c.Error(subcommandSyntax(c.Args))
		return
	}
	c.Error(unknownSubcommand(c.Args))
}
