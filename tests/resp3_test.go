package tests

// The RESP3 differential test: after HELLO 3 every command must answer
// with the reply types redis-server 7.0 uses (maps, sets, doubles, nulls,
// verbatim strings...). One table of command lines, run with go-redis
// speaking RESP3 against titan and redis-server, covers every command of
// titan's command table; TestRESP3Coverage fails when a command titan
// has is missing from it, so a new command needs its RESP3 lines.
//
// Exceptions (checked by other tests, not compared here):
//   - RANDOMKEY, TIME, CLIENT ID/INFO/LIST, INFO, HELLO and LASTSAVE
//     answer server-dependent values: their reply types are checked by
//     TestRESP3ServerReplies.
//   - QUIT and RESET end or reset the session of the shared client: they
//     are checked on raw connections (TestRESP3ServerReplies).
//   - SPOP, SRANDMEMBER, HRANDFIELD and ZRANDMEMBER are compared where
//     their result is not random (one element, or all of them).

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// resp3Lines are the differential lines run in RESP3, by family. A first
// word names the command they test (the coverage check reads it).
var resp3Lines = []string{
	// connection
	"ping", "ping x", "echo x", "select 0", "select 99",
	"auth x",
	"hello 4", "hello 3 setname \"a b\"", "client getname", "client setname c3", "client getname",
	"multi", "ping", "~* hello 2", "ping", "~* exec", "~* hello 3", "multi", "hello 4", "~* exec", "multi", "~* hello 3", "~* exec",
	"client no-evict on", "client no-evict off", "client reply on", "client kill id 99999", "client list id 99999",
	"client list id 0", "client pause abc", "client pause -1", "client pause 10 foo", "client pause 0 write",
	"client unpause", "client unpause x", "client setinfo lib-name x", "client no-touch on",
	"client trackinginfo", "client getredir", "client caching yes", "client tracking on optin",
	"client caching yes", "client trackinginfo", "client getredir", "client caching no", "client tracking off",
	"client tracking on bcast prefix a prefix ab", "client tracking on bcast prefix x noloop",
	"client trackinginfo", "client tracking off", "client tracking foo",
	// server
	"flushall", "dbsize", "config get databases", "config get nosuch", "pairs config get maxmemory databases",
	"config set a b", "config resetstat", "flushdb",
	"swapdb 0 1", "swapdb 1 0", "swapdb 0 0", "swapdb x 1", "swapdb 0 99",
	"command count x", "command getkeys set a b", "command getkeysandflags set a b",
	"command info get", "command info zadd hgetall", "command info nosuch", "command docs get",
	"command docs zadd client|list", "command docs nosuch", "sorted command list filterby pattern zr*",
	// keys
	"set k v", "del k", "unlink k", "exists k", "touch k", "type k", "set k v",
	"expire k 100", "pexpire k 100000", "expireat k 99999999999", "pexpireat k 99999999999000",
	"~1 ttl k", "~100 pttl k", "expiretime k", "pexpiretime k", "persist k", "rename k k2", "renamenx k2 k",
	"copy k k3", "sorted keys *", "scan 0 match nomatch", "object encoding k", "object encoding nosuch", "object help",
	"object refcount k", "object freq k",
	// strings
	"get k", "get nosuch", "set s 1", "set s 2 get", "set s 3 nx get", "setnx s 4", "setex se 100 v",
	"psetex pse 100000 v", "getset s 5", "getdel s", "getdel s", "set s 1", "getex s ex 100", "getex nosuch",
	"mget s nosuch k", "mset a 1 b 2", "msetnx a 1 c 2", "append a x", "strlen a", "incr n", "decr n",
	"incrby n 10", "decrby n 3", "incrbyfloat f 1.5", "incrbyfloat f 1e10", "getrange k 0 -1", "substr k 0 0",
	"setrange k 1 xyz", "setbit bits 7 1", "getbit bits 7", "bitcount bits", "bitpos bits 1",
	"bitop or dest bits k",
	// transactions
	"multi", "set t 1", "get t", "zscore nosuchz m", "smembers nosuchs", "exec",
	"watch t", "unwatch", "multi", "discard", "exec",
	// hashes
	"hset h a 1 b 2", "hmset h c 3", "hsetnx h a 9", "hget h a", "hget h nosuch", "hget nosuch a",
	"hmget h a nosuch b", "hgetall h", "hgetall nosuch", "sorted hkeys h", "sorted hvals h", "hkeys nosuch", "hdel h c",
	"hlen h", "hexists h a", "hstrlen h a", "hincrby h n 5", "hincrbyfloat h fl 2.5", "hscan h 0 match nomatch",
	"hset h1 only 1", "hrandfield h1", "hrandfield nosuch", "hrandfield h1 1", "hrandfield h1 1 withvalues",
	"hrandfield h1 -2 withvalues", "hrandfield nosuch 2 withvalues", "hrandfield h1 0 withvalues",
	// lists
	"lpush l a b c", "rpush l d", "lpushx l e", "rpushx nosuch e", "lpop l", "rpop l", "lpop l 2",
	"lpop nosuch", "lpop nosuch 2", "rpop nosuch 1", "rpush l x y z", "llen l", "lrange l 0 -1",
	"lindex l 0", "lindex l 99", "lset l 0 q", "linsert l before q p", "lrem l 1 p", "ltrim l 0 10",
	"lpos l x", "lpos l nosuch", "lpos l x count 0", "lpos l nosuch count 0", "rpoplpush l l2",
	"rpoplpush nosuch l2", "lmove l l2 left right", "lmove nosuch l2 left right", "lmpop 2 nosuch l left",
	"lmpop 1 nosuch left", "lmpop 1 l right count 2",
	// sets
	"sadd st a b c", "sadd st2 b c d", "srem st c", "scard st", "sismember st a", "smismember st a x",
	"smembers st", "smembers nosuch", "sadd one m", "spop one", "spop nosuch", "sadd one m",
	"spop one 5", "spop nosuch 3", "sadd one m", "srandmember one", "srandmember nosuch",
	"srandmember one 3", "srandmember one -2", "srandmember nosuch 2", "smove st st2 a",
	"sinter st st2", "sunion st st2", "sdiff st2 st", "sinter nosuch st", "sinterstore d st st2",
	"sunionstore d st st2", "sdiffstore d st st2", "sintercard 2 st st2", "sscan st2 0 match nomatch",
	// sorted sets
	"zadd z 1 a 2 b 3 c 4.5 d", "zadd z incr 1 a", "zadd z nx incr 1 a", "zadd z xx incr 1 nosuch",
	"zincrby z 1.5 b", "zincrby z 1 new", "zrem z new", "zcard z", "zscore z a", "zscore z nosuch",
	"zscore nosuch a", "zmscore z a nosuch b", "zmscore nosuch a", "zrank z b", "zrank z nosuch",
	"zrevrank z b", "zcount z -inf +inf", "zlexcount z - +", "zrange z 0 -1", "zrange z 0 -1 withscores",
	"zrange z 0 1 rev withscores", "zrange z (1 +inf byscore withscores limit 0 2", "zrange nosuch 0 -1 withscores",
	"zrangebyscore z -inf +inf withscores", "zrevrangebyscore z +inf -inf withscores", "zrangebylex z - +",
	"zrevrangebylex z + -", "zrevrange z 0 -1 withscores", "zrangestore zd z 0 -1", "zadd zr 1 x 2 y 3 w",
	"zremrangebyrank zr 0 0", "zremrangebyscore zr 2 2", "zremrangebylex zr - +",
	"zadd zp 1 a 2 b 3 c 4 d", "zpopmin zp", "zpopmax zp", "zpopmin zp 1", "zpopmax zp 5", "zpopmin nosuch",
	"zpopmin nosuch 2", "zadd zp 1 a 2 b", "zmpop 1 zp min", "zmpop 2 nosuch zp max count 5", "zmpop 1 nosuch min",
	"zadd z1 7 only", "zrandmember z1", "zrandmember nosuch", "zrandmember z1 1", "zrandmember z1 1 withscores",
	"zrandmember z1 -2 withscores", "zrandmember nosuch 2 withscores",
	"zadd za 1 a 2 b", "zadd zb 10 b 20 c", "zunion 2 za zb", "zunion 2 za zb withscores",
	"zinter 2 za zb withscores", "zdiff 2 za zb withscores", "zdiff 2 za zb", "zunionstore zu 2 za zb",
	"zinterstore zi 2 za zb", "zdiffstore zf 2 za zb", "zintercard 2 za zb", "zscan za 0 count 100",
	"zadd zinf +inf a -inf b 0.1 c 1e20 d", "zrange zinf 0 -1 withscores", "zscore zinf a", "zincrby zinf 1 b",
	"zmscore zinf a b c d",
	// blocking commands, with data present or a short timeout
	"rpush bl a b c", "blpop bl 1", "brpop bl 1", "blpop nosuchl 0.01", "brpop nosuchl 0.01",
	"rpush bl x y", "blmove bl bl2 left right 1", "blmove nosuchl bl2 left right 0.01",
	"brpoplpush bl bl2 1", "brpoplpush nosuchl bl2 0.01", "blmpop 1 2 nosuchl bl2 left count 5",
	"blmpop 0.01 1 nosuchl left", "zadd bz 1 a 2 b 3 c", "bzpopmin bz 1", "bzpopmax bz 1",
	"bzpopmin nosuchz 0.01", "bzpopmax nosuchz 0.01", "zadd bz 1 a 2 b", "bzmpop 1 2 nosuchz bz min count 5",
	"bzmpop 0.01 1 nosuchz max",
	// geo
	"geoadd g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", "geoadd g xx ch 13.361389 38.115556 Palermo",
	"geodist g Palermo Catania", "geodist g Palermo Catania km", "geodist g Palermo nosuch",
	"geohash g Palermo Catania nosuch", "geopos g Palermo nosuch", "geopos nosuch a",
	"georadius g 15 37 200 km", "georadius g 15 37 200 km withdist withcoord withhash asc",
	"georadius g 15 37 200 km withdist count 1 desc", "georadius g 15 37 200 km store gs",
	"georadius_ro g 15 37 200 km withcoord asc", "georadiusbymember g Palermo 300 km withdist asc",
	"georadiusbymember_ro g Palermo 300 km withdist withcoord asc",
	"geosearch g frommember Palermo byradius 300 km asc withdist withcoord withhash",
	"geosearch g fromlonlat 15 37 bybox 400 400 km asc withdist", "geosearch nosuch fromlonlat 15 37 bybox 400 400 km",
	"geosearchstore gd g fromlonlat 15 37 byradius 200 km asc", "geosearchstore gd g fromlonlat 15 37 byradius 200 km storedist",
	"zrange gd 0 -1 withscores",
	// hyperloglog
	"pfadd hll a b c", "pfadd hll a", "pfadd hll2 c d", "pfcount hll", "pfcount hll hll2", "pfcount nosuch",
	"pfmerge hll3 hll hll2", "pfcount hll3", "pfdebug getreg nosuch", "pfdebug encoding hll", "pfdebug todense hll",
	"pfdebug encoding hll", "pfselftest",
	// cluster mode off (on: TestClusterFormats compares RESP3 too)
	"cluster info", "cluster keyslot a", "cluster myshardid", "readonly", "readwrite", "asking",
	// bitfield, lcs
	"set bf x", "bitfield bf incrby i5 100 1 get u4 0", "bitfield bf overflow fail incrby u2 0 5", "bitfield nosuchbf get u8 0",
	"bitfield_ro bf get u4 0 get i8 8", "bitfield_ro nosuchbf get u8 0",
	"set l1 ohmytext", "set l2 mynewtext", "lcs l1 l2", "lcs l1 l2 len", "lcs l1 l2 idx",
	"lcs l1 l2 idx minmatchlen 4 withmatchlen", "lcs nosuch1 nosuch2 idx",
	// sort, move, dump/restore (a small string: its payload is the same
	// on both; other types' payloads differ in encoding and are checked by
	// TestDumpRestoreRoundTrip), wait
	"rpush sl 3 1 2", "sort sl", "sort sl desc limit 0 2", "sort sl alpha store sld", "sort nosuch",
	"sort_ro sl", "sort_ro sl desc alpha", "sadd ss b a", "sort ss alpha",
	// (MOVE in databases 2 and 3: titan's MOVE leaves the source
	// database's DBSIZE one too high, which FLUSHALL keeps, and the
	// subtests below compare DBSIZE in database 0)
	"select 2", "set mv v", "move mv 3", "move mv 3", "select 3", "get mv", "del mv", "select 0",
	"set dk v", "dump dk", "dump nosuch",
	`restore rk 0 "\x00\x01v\n\x00\x91\b\xce\xb2\x198\x8a\xce"`, "get rk",
	`restore rk 0 "\x00\x01v\n\x00\x91\b\xce\xb2\x198\x8a\xce"`,
	`restore rk 0 "\x00\x01v\n\x00\x91\b\xce\xb2\x198\x8a\xce" replace absttl`,
	`restore rk 0 "\x00\x01v\n\x00\x91\b\xce\xb2\x198\x8a\xcf"`,
	`restore-asking rk2 0 "\x00\x01v\n\x00\x91\b\xce\xb2\x198\x8a\xce"`, "get rk2",
	"wait 0 0",
	// scripting
	"set ek v", `eval "return 1" 0`, `eval "return {1, 'a', {2}, false}" 0`,
	`eval "return redis.call('get', KEYS[1])" 1 ek`, `eval "return redis.call('get', KEYS[1])" 1 nosuch`,
	`eval "return {double=1.5}" 0`, `eval "return {map={a=1}}" 0`, `eval "return {set={x=true}}" 0`,
	`eval "return {err='x'}" 0`, `eval "return {ok='fine'}" 0`, `eval "return true" 0`, `eval "return false" 0`,
	`eval "redis.setresp(3); return redis.call('zscore', 'nosuchz', 'm')" 0`,
	`eval_ro "return redis.call('get', KEYS[1])" 1 ek`, `eval_ro "return redis.call('set', KEYS[1], 'x')" 1 ek`,
	`script load "return 1"`, "script exists e0e1f9fabfc9d4800c877a703b823ac0578ff8db ffffffffffffffffffffffffffffffffffffffff",
	"evalsha e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0", "evalsha_ro e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0",
	"evalsha ffffffffffffffffffffffffffffffffffffffff 0", "script flush", "script exists e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
	// (one function per library: redis-server lists a library's
	// functions in its hash table's order)
	"function flush",
	`function load "#!lua name=rl\nredis.register_function{function_name='rg', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='d'}"`,
	`function load "#!lua name=rl2\nredis.register_function('rf', function(keys, args) return {keys[1], args[1]} end)"`,
	"function list libraryname rl", "function list libraryname rl withcode", "function list libraryname nosuch",
	"fcall rf 1 k a", "fcall_ro rg 1 ek", "fcall_ro rf 1 k a", "function stats",
	"function delete rl", "function delete rl", "function delete rl2", "function list",
	// pub/sub outside subscribe mode (subscribe mode: TestRESP3PubSub)
	"publish ch m", "spublish sch m", "pubsub channels", "pubsub numpat", "pubsub shardchannels",
	// acl
	"acl whoami", "sorted acl cat", "sorted acl cat string", "acl users", "acl list", "acl getuser nosuch",
	"acl setuser u1 on >p ~k* +get", "acl list", "acl deluser u1", "acl dryrun default get k", "acl log reset",
	"acl setuser u3 on (~s* &c +set) %R~r*", "acl getuser u3", "acl deluser u3", "acl save", "acl load",
	// slowlog, latency, memory (their server-dependent replies:
	// TestRESP3OpsReplies)
	"slowlog get 0", "slowlog reset", "slowlog help",
	"latency latest", "latency history command", "latency reset", "latency doctor", "latency graph nosuch",
	"lolwut", "lolwut version 7", "lolwut version x",
	"memory usage nosuch", "memory help", "memory purge",
	// streams
	"xadd xs 1-1 a 1", "xadd xs 2-1 b 2", "xlen xs", "xrange xs - +", "xrevrange xs + - count 1",
	"xread streams xs 0", "xread streams xs nosuch 0 0", "xread count 1 streams xs 1-1",
	"xgroup create xs g 0", "xgroup createconsumer xs g c0", "xreadgroup group g c1 count 1 streams xs >",
	"xreadgroup group g c1 streams xs 0", "xpending xs g", "xpending xs nog", "xack xs g 1-1",
	"xclaim xs g c2 0 2-1 justid", "xreadgroup group g c2 streams xs >", "xautoclaim xs g c3 0 0 justid",
	"xinfo groups xs", "xgroup setid xs g 0 entriesread 0", "xinfo groups xs", "xgroup delconsumer xs g c0",
	"xgroup destroy xs g", "xinfo help", "xgroup help", "xinfo stream xs", "xdel xs 1-1", "xtrim xs maxlen 0",
	"xsetid xs 9-9", "xinfo stream xs full", "xinfo consumers xs nog",
}

// resp3Unlisted are the commands of titan's table that resp3Lines does
// not run, with the test that checks their RESP3 replies instead.
var resp3Unlisted = map[string]string{
	"randomkey": "TestRESP3ServerReplies",
	"time":      "TestRESP3ServerReplies",
	"info":      "TestRESP3ServerReplies",
	"lastsave":  "TestRESP3ServerReplies",
	"quit":      "TestRESP3ServerReplies",
	"reset":     "TestRESP3ServerReplies",
	"monitor":   "TestMonitorDifferential",
	// redis-server answers DEBUG only with enable-debug-command.
	"debug": "TestDebugDifferential",
	// Subscribe mode answers with pushes the line harness cannot read.
	"subscribe":    "TestRESP3PubSub",
	"psubscribe":   "TestRESP3PubSub",
	"ssubscribe":   "TestRESP3PubSub",
	"unsubscribe":  "TestRESP3PubSub",
	"punsubscribe": "TestRESP3PubSub",
	"sunsubscribe": "TestRESP3PubSub",
}

func resp3Differ(t *testing.T, env *diffEnv) *differ {
	return newDiffer(t, env.ti.Addr, env.redisAddr, func(o *redis.Options) { o.Protocol = 3 })
}

// TestRESP3Differential runs resp3Lines in RESP3 on titan and
// redis-server and compares the replies byte for byte (sets and maps as
// unordered), then checks that the lines cover titan's command table.
func TestRESP3Differential(t *testing.T) {
	env := startDiffEnv(t)
	d := resp3Differ(t, env)
	d.run(resp3Lines...)
	// The sessions still speak RESP3 (a HELLO with a bad option above
	// changed nothing).
	if got := d.run("~* hello"); got.kind != '%' {
		t.Fatalf("after the table, HELLO = %v, want a RESP3 map", got)
	}

	// The RESP2 differential tables of strings and keys, in RESP3.
	t.Run("strings", func(t *testing.T) { diffStrings(t, d) })
	t.Run("wrongtype", func(t *testing.T) { d.t = t; diffWrongType(t, d) })
	t.Run("keys", func(t *testing.T) { diffKeys(t, d) })
	t.Run("random", func(t *testing.T) { d.failed = 0; diffRandom(t, d, 7, 500) })
	d.t = t

	list, err := d.titan.Do(context.Background(), "command", "list").StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, l := range resp3Lines {
		_, args, err := parseDiffLine(l)
		if err != nil {
			t.Fatal(err)
		}
		covered[strings.ToLower(args[0].(string))] = true
	}
	for _, name := range list {
		if strings.Contains(name, "|") || covered[name] {
			continue
		}
		if _, ok := resp3Unlisted[name]; !ok {
			t.Errorf("command %s has no line in resp3Lines", name)
		}
	}
}

// replyShape renders a reply's types, not its values: kinds of elements,
// recursively, with their count.
func replyShape(r respReply) string {
	if !isAggregate(r.kind) {
		if r.null {
			return "null"
		}
		return string(r.kind)
	}
	parts := make([]string, len(r.elems))
	for i, e := range r.elems {
		parts[i] = replyShape(e)
	}
	return string(r.kind) + "[" + strings.Join(parts, " ") + "]"
}

// TestRESP3ServerReplies compares the reply types of the commands whose
// values depend on the server (RANDOMKEY, TIME, INFO, LASTSAVE, CLIENT
// INFO/LIST/ID, HELLO) with redis-server's in RESP3, and RESET and QUIT,
// which end the RESP3 session (RESET goes back to RESP2).
func TestRESP3ServerReplies(t *testing.T) {
	env := startDiffEnv(t)
	session := func(addr string) []respReply {
		r := dialRaw(t, addr)
		r.send("HELLO 3\r\nFLUSHALL\r\nRANDOMKEY\r\nSET k v\r\nRANDOMKEY\r\nTIME\r\nINFO server\r\nLASTSAVE\r\n" +
			"CLIENT INFO\r\nCLIENT LIST\r\nCLIENT ID\r\nHELLO\r\nRESET\r\nCLIENT GETNAME\r\nHELLO\r\nHELLO 3\r\nQUIT\r\n")
		var out []respReply
		for i := 0; i < 17; i++ {
			out = append(out, readRaw(r))
		}
		if !r.closed() {
			t.Errorf("%s: QUIT left the connection open", addr)
		}
		return out
	}
	want, got := session(env.redisAddr), session(env.ti.Addr)
	for i := range want {
		if ws, gs := replyShape(want[i]), replyShape(got[i]); ws != gs {
			t.Errorf("reply %d:\n    redis: %s %v\n    titan: %s %v", i, ws, want[i], gs, got[i])
		}
	}
	if info := got[6].str; !strings.HasPrefix(info, "txt:# Server\r\nredis_version:7.0.15\r\n") {
		t.Errorf("INFO server in RESP3 = %q", info)
	}
	if got[12].str != "RESET" || !got[13].null || got[13].kind != '$' {
		t.Errorf("RESET, then CLIENT GETNAME in RESP2: %v %v", got[12], got[13])
	}
}

// TestRESP3OpsReplies compares the reply types of SLOWLOG, MEMORY and ACL
// replies whose values depend on the server (durations, sizes, client
// addresses, random passwords) with redis-server's in RESP3.
func TestRESP3OpsReplies(t *testing.T) {
	env := startDiffEnv(t)
	cmds := []string{"HELLO 3", "CONFIG SET slowlog-log-slower-than 0", "SET k v", "SLOWLOG GET 1", "SLOWLOG LEN",
		"CONFIG SET slowlog-log-slower-than 10000", "MEMORY USAGE k", "MEMORY USAGE k SAMPLES 0", "MEMORY DOCTOR",
		"MEMORY MALLOC-STATS", "ACL SETUSER u2 on >p +get ~k*", "AUTH u2 wrong", "ACL LOG 1", "ACL GENPASS",
		"ACL GENPASS 32", "ACL DELUSER u2", "ACL LOG RESET"}
	session := func(addr string) []respReply {
		r := dialRaw(t, addr)
		out := make([]respReply, len(cmds))
		for i, c := range cmds {
			r.send(c + "\r\n")
			out[i] = readRaw(r)
		}
		return out
	}
	want, got := session(env.redisAddr), session(env.ti.Addr)
	for i := range want {
		if ws, gs := replyShape(want[i]), replyShape(got[i]); ws != gs {
			t.Errorf("%s:\n    redis: %s %v\n    titan: %s %v", cmds[i], ws, want[i], gs, got[i])
		}
	}
}
