package command

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/titan-kv/titan/conf"
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// debugCommands is the table of DEBUG and LOLWUT.
func debugCommands() []*Command {
	return []*Command{
		cmd("debug", debugCmd, barrier),
		cmd("lolwut", lolwut),
	}
}

// debugHelp lists the DEBUG subcommands titan answers, in Redis's words.
var debugHelp = resp.Lines{
	"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CHANGE-REPL-ID",
	"    Change the replication IDs of the instance.",
	"    Dangerous: should be used only for testing the replication subsystem.",
	"DIGEST",
	"    Output a hex signature representing the current DB content.",
	"DIGEST-VALUE <key> [<key> ...]",
	"    Output a hex signature of the values of all the specified keys.",
	"ERROR <string>",
	"    Return a Redis protocol error with <string> as message. Useful for clients",
	"    unit tests to simulate Redis errors.",
	"LOG <message>",
	"    Write <message> to the server log.",
	"OBJECT <key>",
	"    Show low level info about `key` and associated value.",
	"PROTOCOL <type>",
	"    Reply with a test value of the specified type. <type> can be: string,",
	"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
	"    true, false.",
	"RELOAD [option ...]",
	"    Save the RDB on disk and reload it back to memory. Valid <option> values:",
	"    * MERGE: conflicting keys will be loaded from RDB.",
	"    * NOFLUSH: the existing database will not be removed before load, but",
	"      conflicting keys will generate an exception and kill the server.",
	"    * NOSAVE: the database will be loaded from an existing RDB file.",
	"    (titan: the data is in TiKV, durable already; RELOAD checks its options and answers OK.)",
	"SET-ACTIVE-EXPIRE <0|1>",
	"    Setting it to 0 disables expiring keys in background when they are not",
	"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
	"    default. (titan: for every instance over the store.)",
	"QUICKLIST-PACKED-THRESHOLD <size>",
	"    Sets the threshold for elements to be inserted as plain vs packed nodes",
	"    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
	"    (titan: for DEBUG OBJECT's ql_* fields, lists are not quicklists here.)",
	"SLEEP <seconds>",
	"    Stop the server for <seconds>. Decimals allowed. (titan: this connection only.)",
	"HELP",
	"    Prints this help.",
}

// debugCmd is DEBUG: the subcommands that client libraries and test
// suites use and that mean something over TiKV. The ones that inspect or
// crash Redis's memory (LISTPACK, QUICKLIST, SDSLEN, HTSTATS, SEGFAULT...)
// answer Redis's unknown-subcommand error.
func debugCmd(c *Call) {
	sub := strings.ToLower(string(c.Args[1]))
	n := len(c.Args)
	switch {
	case sub == "help" && n == 2:
		c.Reply(debugHelp)
	case sub == "sleep" && n == 3:
		// Redis: strtod, so a malformed number sleeps 0 seconds.
		secs := parse.StrtodPrefix(c.Args[2])
		switch {
		case math.IsNaN(secs):
			secs = 0
		case secs > 1e9: // beyond time.Duration: until shutdown
			secs = 1e9
		}
		if d := time.Duration(secs * float64(time.Second)); d > 0 {
			select {
			case <-time.After(d):
			case <-c.s.run.Done():
			}
		}
		c.Reply(resp.OK)
	case sub == "object" && n == 3:
		debugObject(c)
	case sub == "digest" && n == 2:
		debugDigest(c)
	case sub == "digest-value":
		debugDigestValue(c)
	case sub == "set-active-expire" && n == 3:
		// Redis: atoi, anything but a number turns it off.
		on, _ := strconv.Atoi(string(c.Args[2]))
		c.Write(func(tx *db.Tx) (resp.Reply, error) {
			return resp.OK, tx.SetActiveExpire(on != 0)
		})
	case sub == "quicklist-packed-threshold" && n == 3:
		v, err := conf.MemBytes(string(c.Args[2]))
		if err != nil || v > 1<<32-1<<20 {
			c.Error("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
			return
		}
		c.s.qlPacked.Store(int64(v))
		c.Reply(resp.OK)
	case sub == "reload":
		for _, o := range c.Args[2:] {
			switch strings.ToUpper(string(o)) {
			case "MERGE", "NOFLUSH", "NOSAVE":
			default:
				c.Error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
				return
			}
		}
		c.Reply(resp.OK)
	case sub == "change-repl-id" && n == 2:
		id := randomHex(40)
		c.s.replid.Store(&id)
		c.Reply(resp.OK)
	case sub == "log" && n == 3:
		slog.Warn("DEBUG LOG", "message", string(c.Args[2]))
		c.Reply(resp.OK)
	case sub == "error" && n == 3:
		c.Error(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(c.Args[2])))
	case sub == "protocol" && n == 3:
		debugProtocol(c, strings.ToLower(string(c.Args[2])))
	default:
		c.Error(subcommandSyntax(c.Args))
	}
}

// debugObject is DEBUG OBJECT: Redis's line with what titan knows of the
// key. serializedlength is the length of the key's RDB serialization
// (what DUMP returns, without its type, version and checksum), lru is
// Redis's 24-bit LRU clock at the key's last write.
func debugObject(c *Call) {
	key := c.Args[2]
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		enc, err := tx.Key(key).Encoding()
		if err != nil {
			return nil, err
		}
		if enc == "" {
			return nil, db.UserError("ERR no such key")
		}
		idle, err := tx.Key(key).IdleTime()
		if err != nil {
			return nil, err
		}
		v, err := tx.Key(key).Dump()
		if err != nil || v == nil {
			return nil, err
		}
		serialized := len(encoding.EncodeDump(v)) - 11
		const lruMask = 1<<24 - 1
		lru := (time.Now().Unix() - idle) & lruMask
		extra := ""
		if enc == "quicklist" {
			extra = quicklistFields(v.Elems, c.s.qlPacked.Load())
		}
		return resp.Status(fmt.Sprintf("Value at:0x%012x refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d%s",
			objectAddress(key), enc, serialized, lru, idle, extra)), nil
	})
}

// objectAddress is a stable stand-in for the value's address (titan has
// no object in memory): a hash of the key in a heap-like range.
func objectAddress(key []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, b := range key {
		h = (h ^ uint64(b)) * 1099511628211
	}
	return 0x7f0000000000 | h&0xffffffff0
}

// debugProtocol is DEBUG PROTOCOL: a test value of each reply type, as
// redis-server sends it in RESP2 and RESP3.
func debugProtocol(c *Call, name string) {
	proto := c.c.proto
	switch name {
	case "string":
		c.Reply(resp.BulkString("Hello World"))
	case "integer":
		c.Reply(resp.Int(12345))
	case "double":
		c.Reply(resp.Double(3.141))
	case "bignum":
		c.Reply(resp.BigNumber("1234567999999999999999999999999999999"))
	case "null":
		c.Reply(resp.Null)
	case "array":
		c.Reply(resp.Ints{0, 1, 2})
	case "set":
		c.Reply(resp.Set{resp.Int(0), resp.Int(1), resp.Int(2)})
	case "map":
		c.Reply(resp.Map{resp.Int(0), resp.Boolean(false), resp.Int(1), resp.Boolean(true), resp.Int(2), resp.Boolean(false)})
	case "attrib":
		c.Reply(resp.WithAttribute{
			Attribute: resp.Map{resp.BulkString("key-popularity"), resp.Array{resp.BulkString("key:123"), resp.Int(90)}},
			Reply:     resp.BulkString("Some real reply following the attribute"),
		})
	case "push":
		if proto < resp.RESP3 {
			c.Error("ERR RESP2 is not supported by this command")
			return
		}
		c.Reply(resp.Sequence{
			resp.Push{resp.BulkString("server-cpu-usage"), resp.Int(42)},
			resp.BulkString("Some real reply following the push reply"),
		})
	case "true":
		c.Reply(resp.Boolean(true))
	case "false":
		c.Reply(resp.Boolean(false))
	case "verbatim":
		c.Reply(resp.Verbatim("This is a verbatim\nstring"))
	default:
		c.Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}

// lolwut is LOLWUT: Redis 7.0 draws art only for VERSION 5 and 6 and
// answers every other version (its own, the default) with this line;
// titan answers it for every version.
func lolwut(c *Call) {
	if len(c.Args) >= 3 && strings.EqualFold(string(c.Args[1]), "version") {
		if _, err := strconv.ParseInt(string(c.Args[2]), 10, 64); err != nil {
			c.Error("ERR value is not an integer or out of range")
			return
		}
	}
	c.Reply(resp.Verbatim("Redis ver. " + redisVersion + "\n"))
}

// replID is INFO replication's master_replid: the run id until DEBUG
// CHANGE-REPL-ID draws a new one.
func (s *Engine) replID() string {
	if id := s.replid.Load(); id != nil {
		return *id
	}
	return s.runID
}

// quicklistFields are DEBUG OBJECT's ql_* fields of a list: the
// quicklist redis-server 7.0 builds by pushing elems at the tail with its
// default list-max-listpack-size -2 (listpacks of at most 8 KB),
// uncompressed; an element of packed bytes or more (default 1 GB) is a
// plain node of its own.
func quicklistFields(elems [][]byte, packed int64) string {
	const limit, overhead, header = 8192, 8, 7 // listpack header + end byte
	if packed == 0 {
		packed = 1 << 30
	}
	nodes, size, node := 0, 0, 0
	plain := false // the last node is plain
	for _, e := range elems {
		large := int64(len(e)) >= packed
		if nodes > 0 && !plain && !large && node+len(e)+overhead <= limit {
			node += listpackEntrySize(e)
			continue
		}
		size += node
		nodes++
		plain = large
		if large {
			node = len(e)
		} else {
			node = header + listpackEntrySize(e)
		}
	}
	size += node
	avg := 0.0
	if nodes > 0 {
		avg = float64(len(elems)) / float64(nodes)
	}
	return fmt.Sprintf(" ql_nodes:%d ql_avg_node:%.2f ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:%d", nodes, avg, size)
}

// listpackEntrySize is the bytes one element takes in a listpack: its
// encoding (integers in 1 to 9 bytes, strings with a 1, 2 or 5 byte
// header) and its back length.
func listpackEntrySize(e []byte) int {
	n := 0
	if v, err := strconv.ParseInt(string(e), 10, 64); err == nil && strconv.FormatInt(v, 10) == string(e) {
		switch {
		case v >= 0 && v <= 127:
			n = 1
		case v >= -4096 && v <= 4095:
			n = 2
		case v >= -32768 && v <= 32767:
			n = 3
		case v >= -8388608 && v <= 8388607:
			n = 4
		case v >= math.MinInt32 && v <= math.MaxInt32:
			n = 5
		default:
			n = 9
		}
	} else {
		switch l := len(e); {
		case l < 64:
			n = 1 + l
		case l < 4096:
			n = 2 + l
		default:
			n = 5 + l
		}
	}
	switch {
	case n <= 127:
		return n + 1
	case n < 16383:
		return n + 2
	case n < 2097151:
		return n + 3
	case n < 268435455:
		return n + 4
	}
	return n + 5
}
