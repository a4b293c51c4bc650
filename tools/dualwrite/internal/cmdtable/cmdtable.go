// Package cmdtable classifies Redis commands for the dual-write proxy:
// whether a command reads or writes, where its keys are, and how a
// multi-key command is split across shards and its replies merged.
//
// What Redis says of a command (arity, the write flag, key positions)
// comes from package cmdspec; this package only chooses which commands
// the proxy serves and how.
package cmdtable

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/titan-kv/titan/cmdspec"
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
	// Name is the upper-case command name.
	Name  string
	Kind  Kind
	Multi Multi
	// Random marks writes whose effect is not deterministic (SPOP): the
	// proxy replays their outcome on titan instead of the command.
	Random bool
	// Why explains a Refused command.
	Why string

	cmd *cmdspec.Command // Redis's description; nil for Admin and Refused
	// oneKey: the command's only key is always its first argument (its
	// key spec says so), so Keys needs no search and no allocation.
	oneKey bool
}

// oneKeyAt1 reports whether cmd's key specs name exactly one key, always
// the first argument.
func oneKeyAt1(cmd *cmdspec.Command) bool {
	if len(cmd.KeySpecs) != 1 {
		return false
	}
	ks := cmd.KeySpecs[0]
	return ks.BeginSearch.Type == "index" && ks.BeginSearch.Index == 1 &&
		ks.FindKeys.Type == "range" && ks.FindKeys.LastKey == 0 &&
		!slices.Contains(ks.Flags, "not_key") && !slices.Contains(ks.Flags, "incomplete")
}

// ErrArity is returned for a wrong number of arguments.
var ErrArity = errors.New("wrong number of arguments")

// Lookup returns the spec of a command name (any case).
func Lookup(name []byte) (*Spec, bool) {
	if s, ok := table[string(name)]; ok { // upper case: no allocation
		return s, true
	}
	s, ok := table[strings.ToUpper(string(name))]
	return s, ok
}

// Keys returns the key arguments of args (args[0] is the command name),
// located as Redis does from the command's key specs.
func (s *Spec) Keys(args [][]byte) ([][]byte, error) {
	if s.cmd == nil {
		return nil, nil
	}
	if !s.cmd.ArityOK(len(args)) {
		return nil, fmt.Errorf("%w for '%s' command", ErrArity, s.cmd.Name)
	}
	if s.oneKey {
		return args[1:2:2], nil
	}
	refs := s.cmd.KeyRefs(args)
	if len(refs) == 0 {
		return nil, errors.New("numkeys should be greater than 0 and match the number of keys")
	}
	// Key/value pairs (MSET): Redis's command refuses an odd count.
	if ks := s.cmd.KeySpecs[0].FindKeys; ks.Type == "range" && ks.LastKey < 0 && ks.KeyStep > 1 &&
		(len(args)-refs[0].Pos)%ks.KeyStep != 0 {
		return nil, fmt.Errorf("%w for '%s' command", ErrArity, s.cmd.Name)
	}
	keys := make([][]byte, len(refs))
	for i, r := range refs {
		keys[i] = args[r.Pos]
	}
	return keys, nil
}

var table = map[string]*Spec{}

// data adds commands served by the proxy: reads or writes as Redis flags
// them, with a multi-key strategy.
func data(multi Multi, names ...string) {
	for _, n := range names {
		cmd := cmdspec.Lookup(n)
		if cmd == nil || !cmd.HasKeys() {
			panic(fmt.Sprintf("cmdtable: %s is not a Redis 7.0 command with keys", n))
		}
		kind := Read
		if cmd.Has("write") {
			kind = Write
		}
		table[n] = &Spec{Name: n, Kind: kind, Multi: multi, cmd: cmd, oneKey: oneKeyAt1(cmd)}
	}
}

func admin(names ...string) {
	for _, n := range names {
		table[n] = &Spec{Name: n, Kind: Admin}
	}
}

func refuse(why string, names ...string) {
	for _, n := range names {
		table[n] = &Spec{Name: n, Kind: Refused, Why: why}
	}
}

func init() {
	// Commands of one key.
	data(Single, "GET", "STRLEN", "TYPE", "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "GETBIT", "GETRANGE", "SUBSTR",
		"BITCOUNT", "BITPOS", "HGETALL", "HKEYS", "HVALS", "HLEN", "HGET", "HEXISTS", "HSTRLEN", "HMGET", "HSCAN",
		"HRANDFIELD", "LLEN", "LINDEX", "LRANGE", "LPOS", "SMEMBERS", "SCARD", "SISMEMBER", "SMISMEMBER", "SSCAN",
		"SRANDMEMBER", "ZCARD", "ZSCORE", "ZRANK", "ZREVRANK", "ZCOUNT", "ZLEXCOUNT", "ZMSCORE", "ZSCAN", "ZRANDMEMBER",
		"ZRANGE", "ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZRANGEBYLEX", "ZREVRANGEBYLEX")
	data(Single, "SET", "SETNX", "SETEX", "PSETEX", "GETSET", "GETDEL", "GETEX", "APPEND", "INCR", "DECR", "INCRBY",
		"DECRBY", "INCRBYFLOAT", "SETRANGE", "SETBIT", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "PERSIST",
		"HSET", "HMSET", "HSETNX", "HDEL", "HINCRBY", "HINCRBYFLOAT", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX", "LPOP",
		"RPOP", "LSET", "LREM", "LTRIM", "LINSERT", "SADD", "SREM", "SPOP", "ZADD", "ZREM", "ZINCRBY", "ZPOPMIN",
		"ZPOPMAX", "ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX")
	table["SPOP"].Random = true
	// Multi-key commands.
	data(MGet, "MGET")
	data(SumInt, "EXISTS", "TOUCH", "DEL", "UNLINK")
	data(MSet, "MSET")
	data(SameShard, "SINTER", "SUNION", "SDIFF", "SINTERCARD", "ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD",
		"MSETNX", "RENAME", "RENAMENX", "RPOPLPUSH", "SMOVE", "LMOVE", "ZRANGESTORE", "SINTERSTORE", "SUNIONSTORE",
		"SDIFFSTORE", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE")

	admin("PING", "ECHO", "SELECT", "QUIT", "COMMAND", "CONFIG", "CLIENT", "HELLO", "INFO")

	refuse("transactions cannot be dual-written consistently", "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH")
	refuse("scripts cannot be dual-written (their effects are opaque to the proxy)", "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "SCRIPT", "FCALL", "FCALL_RO", "FUNCTION")
	refuse("blocking commands are not supported through the proxy", "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "XREAD", "XREADGROUP")
	refuse("pub/sub is not proxied", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "PUBLISH", "SPUBLISH", "MONITOR")
	refuse("keyspace-wide commands are not proxied (they would hit one shard only)", "KEYS", "SCAN", "RANDOMKEY", "DBSIZE", "FLUSHDB", "FLUSHALL", "SWAPDB", "MOVE", "MIGRATE", "COPY", "SORT", "SORT_RO", "OBJECT", "DUMP", "RESTORE", "SHUTDOWN", "DEBUG", "BGSAVE", "SAVE")
}
