package command

import (
	"slices"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/resp"
)

// commands is the command table: each command's name, handler and
// titan-only behaviour. What Redis says of it (arity, flags, ACL
// categories, key specs, docs) comes from package cmdspec by name.
// COMMAND itself is added by buildTable. Each family with a file of its
// own declares its part of the table there (streamCommands in stream.go...)
// and is listed here once.
func commands() []*Command {
	return slices.Concat(
		coreCommands(),
		clientCommands(),
		scriptingCommands(),
		functionCommands(),
		hyperLogLogCommands(),
		geoCommands(),
		bitsCommands(),
		keyspaceCommands(),
		opsCommands(),
		debugCommands(),
		monitorCommands(),
		aclCommands(),
		blockingCommands(),
		pubsubCommands(),
		clusterCommands(),
		streamCommands(),
	)
}

// coreCommands is the table of the families handled in this package's
// first files: connection, server, keys, strings, hashes, lists, sets and
// sorted sets.
func coreCommands() []*Command {
	return []*Command{
		// connection
		cmd("ping", ping),
		cmd("echo", echo),
		cmd("quit", quit, barrier, noQueue),
		cmd("select", selectDB, barrier),
		cmd("auth", auth, barrier, noQueue),
		cmd("hello", hello, barrier),
		cmd("reset", reset, barrier, noQueue),

		// server
		cmd("dbsize", dbsize),
		cmd("flushdb", flushdb, barrier),
		cmd("flushall", flushall, barrier),
		cmd("swapdb", swapdb, barrier),
		cmd("time", timeCmd),
		cmd("lastsave", func(c *Call) { c.Reply(resp.Int(c.s.start.Unix())) }),

		// keys
		cmd("del", del),
		cmd("unlink", del),
		cmd("exists", exists),
		cmd("touch", exists),
		cmd("type", typeCmd),
		cmd("expire", expireCmd(1000, false)),
		cmd("pexpire", expireCmd(1, false)),
		cmd("expireat", expireCmd(1000, true)),
		cmd("pexpireat", expireCmd(1, true)),
		cmd("ttl", ttlCmd(false, 1000)),
		cmd("pttl", ttlCmd(false, 1)),
		cmd("expiretime", ttlCmd(true, 1000)),
		cmd("pexpiretime", ttlCmd(true, 1)),
		cmd("persist", persist),
		cmd("rename", rename(false)),
		cmd("renamenx", rename(true)),
		cmd("copy", copyCmd),
		cmd("keys", keysCmd),
		cmd("scan", scan),
		cmd("randomkey", randomKey),
		cmd("object", object, subcommands("help", "encoding", "freq", "idletime", "refcount")),

		// strings
		cmd("get", get),
		cmd("set", set),
		cmd("setnx", setnx),
		cmd("setex", setex(1000)),
		cmd("psetex", setex(1)),
		cmd("getset", getset),
		cmd("getdel", getdel),
		cmd("getex", getex),
		cmd("mget", mget),
		cmd("mset", mset(false)),
		cmd("msetnx", mset(true)),
		cmd("append", appendCmd),
		cmd("strlen", strlen),
		cmd("incr", incrBy(1, false)),
		cmd("decr", incrBy(-1, false)),
		cmd("incrby", incrBy(1, true)),
		cmd("decrby", incrBy(-1, true)),
		cmd("incrbyfloat", incrByFloat),
		cmd("getrange", getrange),
		cmd("substr", getrange),
		cmd("setrange", setrange),
		cmd("setbit", setbit),
		cmd("getbit", getbit),
		cmd("bitcount", bitcount),
		cmd("bitpos", bitpos),
		cmd("bitop", bitop),

		// transactions
		cmd("multi", multi, noQueue, barrier),
		cmd("exec", exec, noQueue, barrier),
		cmd("discard", discard, noQueue, barrier),
		cmd("watch", watch, noQueue, barrier),
		cmd("unwatch", unwatch, noQueue, barrier),

		// hashes
		cmd("hset", hset),
		cmd("hmset", hset),
		cmd("hsetnx", hsetnx),
		cmd("hget", hget),
		cmd("hmget", hmget),
		cmd("hgetall", hgetall(true, true)),
		cmd("hkeys", hgetall(true, false)),
		cmd("hvals", hgetall(false, true)),
		cmd("hdel", hdel),
		cmd("hlen", hlen),
		cmd("hexists", hexists),
		cmd("hstrlen", hstrlen),
		cmd("hincrby", hincrby),
		cmd("hincrbyfloat", hincrbyfloat),
		cmd("hrandfield", hrandfield),
		cmd("hscan", hscan),

		// lists (the blocking ones are not implemented)
		cmd("lpush", push(true, false)),
		cmd("rpush", push(false, false)),
		cmd("lpushx", push(true, true)),
		cmd("rpushx", push(false, true)),
		cmd("lpop", pop(true)),
		cmd("rpop", pop(false)),
		cmd("llen", llen),
		cmd("lrange", lrange),
		cmd("lindex", lindex),
		cmd("lset", lset),
		cmd("linsert", linsert),
		cmd("lrem", lrem),
		cmd("ltrim", ltrim),
		cmd("lpos", lpos),
		cmd("rpoplpush", rpoplpush),
		cmd("lmove", lmove),
		cmd("lmpop", lmpop),

		// sets
		cmd("sadd", sadd),
		cmd("srem", srem),
		cmd("scard", scard),
		cmd("sismember", sismember),
		cmd("smismember", smismember),
		cmd("smembers", smembers),
		cmd("spop", spop),
		cmd("srandmember", srandmember),
		cmd("smove", smove),
		cmd("sinter", setAlgebra(db.Sets.Inter)),
		cmd("sunion", setAlgebra(db.Sets.Union)),
		cmd("sdiff", setAlgebra(db.Sets.Diff)),
		cmd("sinterstore", setStore(db.Sets.InterStore)),
		cmd("sunionstore", setStore(db.Sets.UnionStore)),
		cmd("sdiffstore", setStore(db.Sets.DiffStore)),
		cmd("sintercard", sintercard),
		cmd("sscan", sscan),

		// sorted sets
		cmd("zadd", zadd),
		cmd("zincrby", zincrby),
		cmd("zrem", zrem),
		cmd("zcard", zcard),
		cmd("zscore", zscore),
		cmd("zmscore", zmscore),
		cmd("zrank", zrank(false)),
		cmd("zrevrank", zrank(true)),
		cmd("zcount", zcount),
		cmd("zlexcount", zlexcount),
		cmd("zrange", zrangeCmd(zAuto, zAuto, false)),
		cmd("zrangebyscore", zrangeCmd(zScore, zForward, false)),
		cmd("zrevrangebyscore", zrangeCmd(zScore, zReverse, false)),
		cmd("zrangebylex", zrangeCmd(zLex, zForward, false)),
		cmd("zrevrangebylex", zrangeCmd(zLex, zReverse, false)),
		cmd("zrevrange", zrangeCmd(zRank, zReverse, false)),
		cmd("zrangestore", zrangeCmd(zAuto, zAuto, true)),
		cmd("zremrangebyrank", zremrange(db.ZByRank)),
		cmd("zremrangebyscore", zremrange(db.ZByScore)),
		cmd("zremrangebylex", zremrange(db.ZByLex)),
		cmd("zpopmin", zpop(false)),
		cmd("zpopmax", zpop(true)),
		cmd("zmpop", zmpop),
		cmd("zrandmember", zrandmember),
		cmd("zunion", zsetop(opUnion, false)),
		cmd("zinter", zsetop(opInter, false)),
		cmd("zdiff", zsetop(opDiff, false)),
		cmd("zunionstore", zsetop(opUnion, true)),
		cmd("zinterstore", zsetop(opInter, true)),
		cmd("zdiffstore", zsetop(opDiff, true)),
		cmd("zintercard", zintercard),
		cmd("zscan", zscan),
	}
}
