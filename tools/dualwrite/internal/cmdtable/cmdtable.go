// Package cmdtable classifies Redis commands for the dual-write proxy:
// whether a command reads or writes, where its keys are, and how a
// multi-key command is split across shards and its replies merged.
package cmdtable

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Kind says how the proxy treats a command.
type Kind int

// Command kinds.
const (
	Read    Kind = iota // sent to the read side only
	Write               // sent to both sides
	Admin               // answered by the proxy itself
	Refused             // never proxied (transactions, scripts, blocking, keyspace-wide)
)

// Multi says how a command with keys on several shards is handled.
type Multi int

// Multi-key strategies, following twemproxy.
const (
	Single    Multi = iota // one key
	MGet                   // split per shard, concatenate array replies in key order
	SumInt                 // split per shard, add integer replies (DEL, EXISTS, UNLINK, TOUCH)
	MSet                   // split per shard (key/value pairs), reply OK
	SameShard              // all keys must live on one shard
)

// Spec describes one command.
type Spec struct {
	Name  string
	Kind  Kind
	Arity int // like COMMAND: >0 exact argument count, <0 minimum count
	// First, Last, Step locate keys among the arguments (Last < 0 counts
	// from the end). First == 0 means the command has no keys.
	First, Last, Step int
	Multi             Multi
	// NumKeys is the position of a numkeys argument (ZUNIONSTORE's 2,
	// SINTERCARD's 1); keys follow it. First is then the optional
	// destination key before it, or 0.
	NumKeys int
	// Random marks writes whose effect is not deterministic (SPOP): the
	// proxy replays their outcome on titan instead of the command.
	Random bool
	// Why explains a Refused command.
	Why string
}

// ErrArity is returned for a wrong number of arguments.
var ErrArity = errors.New("wrong number of arguments")

// Lookup returns the spec of a command name (any case).
func Lookup(name []byte) (*Spec, bool) {
	s, ok := table[strings.ToUpper(string(name))]
	return s, ok
}

// Keys returns the key arguments of args (args[0] is the command name).
func (s *Spec) Keys(args [][]byte) ([][]byte, error) {
	n := len(args)
	if (s.Arity > 0 && n != s.Arity) || (s.Arity < 0 && n < -s.Arity) {
		return nil, fmt.Errorf("%w for '%s' command", ErrArity, strings.ToLower(s.Name))
	}
	if s.NumKeys > 0 {
		var keys [][]byte
		if s.First > 0 {
			keys = append(keys, args[s.First])
		}
		nk, err := strconv.Atoi(string(args[s.NumKeys]))
		if err != nil || nk < 1 || s.NumKeys+1+nk > n {
			return nil, errors.New("numkeys should be greater than 0 and match the number of keys")
		}
		return append(keys, args[s.NumKeys+1:s.NumKeys+1+nk]...), nil
	}
	if s.First == 0 {
		return nil, nil
	}
	last := s.Last
	if last < 0 {
		last = n + last
	}
	if s.Step > 1 && (last-s.First+1)%s.Step != 0 {
		return nil, fmt.Errorf("%w for '%s' command", ErrArity, strings.ToLower(s.Name))
	}
	var keys [][]byte
	for i := s.First; i <= last && i < n; i += max(s.Step, 1) {
		keys = append(keys, args[i])
	}
	return keys, nil
}

var table = map[string]*Spec{}

func add(kind Kind, arity, first, last, step int, multi Multi, names ...string) {
	for _, n := range names {
		table[n] = &Spec{Name: n, Kind: kind, Arity: arity, First: first, Last: last, Step: step, Multi: multi}
	}
}

func refuse(why string, names ...string) {
	for _, n := range names {
		table[n] = &Spec{Name: n, Kind: Refused, Why: why}
	}
}

func init() {
	// Reads of one key.
	add(Read, 2, 1, 1, 1, Single, "GET", "STRLEN", "TYPE", "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME",
		"HGETALL", "HKEYS", "HVALS", "HLEN", "LLEN", "SMEMBERS", "SCARD", "ZCARD")
	add(Read, -2, 1, 1, 1, Single, "BITCOUNT", "BITPOS", "HRANDFIELD", "SRANDMEMBER", "ZRANDMEMBER")
	add(Read, 3, 1, 1, 1, Single, "GETBIT", "HGET", "HEXISTS", "HSTRLEN", "LINDEX", "SISMEMBER", "ZSCORE", "ZRANK", "ZREVRANK")
	add(Read, 4, 1, 1, 1, Single, "GETRANGE", "SUBSTR", "LRANGE", "ZCOUNT", "ZLEXCOUNT")
	add(Read, -3, 1, 1, 1, Single, "HMGET", "SMISMEMBER", "ZMSCORE", "HSCAN", "SSCAN", "ZSCAN", "LPOS")
	add(Read, -4, 1, 1, 1, Single, "ZRANGE", "ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZRANGEBYLEX", "ZREVRANGEBYLEX")
	// Multi-key reads.
	add(Read, -2, 1, -1, 1, MGet, "MGET")
	add(Read, -2, 1, -1, 1, SumInt, "EXISTS", "TOUCH")
	add(Read, -2, 1, -1, 1, SameShard, "SINTER", "SUNION", "SDIFF")
	table["SINTERCARD"] = &Spec{Name: "SINTERCARD", Kind: Read, Arity: -3, NumKeys: 1, Multi: SameShard}
	for _, n := range []string{"ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"} {
		table[n] = &Spec{Name: n, Kind: Read, Arity: -3, NumKeys: 1, Multi: SameShard}
	}

	// Writes of one key.
	add(Write, -3, 1, 1, 1, Single, "SET", "HSET", "HMSET", "HDEL", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX",
		"SADD", "SREM", "ZADD", "ZREM", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT")
	add(Write, 3, 1, 1, 1, Single, "SETNX", "GETSET", "APPEND", "INCRBY", "DECRBY", "INCRBYFLOAT")
	add(Write, 4, 1, 1, 1, Single, "SETEX", "PSETEX", "SETRANGE", "SETBIT", "HSETNX", "HINCRBY", "HINCRBYFLOAT",
		"LSET", "LREM", "LTRIM", "ZINCRBY", "ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX")
	add(Write, 2, 1, 1, 1, Single, "INCR", "DECR", "PERSIST", "GETDEL")
	add(Write, -2, 1, 1, 1, Single, "GETEX", "LPOP", "RPOP", "ZPOPMIN", "ZPOPMAX")
	add(Write, 5, 1, 1, 1, Single, "LINSERT")
	add(Write, -2, 1, 1, 1, Single, "SPOP")
	table["SPOP"].Random = true
	// Multi-key writes.
	add(Write, -2, 1, -1, 1, SumInt, "DEL", "UNLINK")
	add(Write, -3, 1, -1, 2, MSet, "MSET")
	add(Write, -3, 1, -1, 2, SameShard, "MSETNX")
	add(Write, 3, 1, 2, 1, SameShard, "RENAME", "RENAMENX", "RPOPLPUSH")
	add(Write, 4, 1, 2, 1, SameShard, "SMOVE")
	add(Write, 5, 1, 2, 1, SameShard, "LMOVE")
	add(Write, -5, 1, 2, 1, SameShard, "ZRANGESTORE")
	add(Write, -3, 1, -1, 1, SameShard, "SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE")
	for _, n := range []string{"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"} {
		table[n] = &Spec{Name: n, Kind: Write, Arity: -4, First: 1, NumKeys: 2, Multi: SameShard}
	}

	// Answered by the proxy.
	add(Admin, -1, 0, 0, 0, Single, "PING", "ECHO", "SELECT", "QUIT", "COMMAND", "CONFIG", "CLIENT", "HELLO", "INFO")

	refuse("transactions cannot be dual-written consistently", "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH")
	refuse("scripts cannot be dual-written (their effects are opaque to the proxy)", "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "SCRIPT", "FCALL", "FCALL_RO", "FUNCTION")
	refuse("blocking commands are not supported through the proxy", "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "XREAD", "XREADGROUP")
	refuse("pub/sub is not proxied", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "PUBLISH", "SPUBLISH", "MONITOR")
	refuse("keyspace-wide commands are not proxied (they would hit one shard only)", "KEYS", "SCAN", "RANDOMKEY", "DBSIZE", "FLUSHDB", "FLUSHALL", "SWAPDB", "MOVE", "MIGRATE", "COPY", "SORT", "SORT_RO", "OBJECT", "DUMP", "RESTORE", "SHUTDOWN", "DEBUG", "BGSAVE", "SAVE")
}
