package tests

// End-to-end test of keyspace notifications: the same commands on titan
// and redis-server publish the same events, in the same order.

import (
	"strings"
	"testing"
	"time"
)

func TestKeyspaceNotificationsDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	d.run("CONFIG GET notify-keyspace-events", "CONFIG SET notify-keyspace-events Q",
		"CONFIG SET notify-keyspace-events KEA", "CONFIG GET notify-keyspace-events",
		"CONFIG SET notify-keyspace-events lKx", "CONFIG GET notify-keyspace-events",
		"CONFIG SET notify-keyspace-events Ag$lshzxeKEtmdn", "CONFIG GET notify-keyspace-events",
		"CONFIG SET notify-keyspace-events KEA")
	sub := dialPair(t, env.ti.Addr, env.redisAddr)
	sub.do(t, "PSUBSCRIBE __key*__:*", 1)
	sub.do(t, "SUBSCRIBE end", 1)
	cmds := []string{
		"SET s v", "SET s v EX 100", "SET s v NX", "SETNX s2 v", "SETEX s3 100 v", "APPEND s x", "SETRANGE s 1 y",
		"INCR n", "DECRBY n 2", "INCRBYFLOAT n 1.5", "GETSET s w", "MSET a 1 b 2", "GETDEL a", "DEL b nosuch",
		"EXPIRE s 100", "PERSIST s", "EXPIRE s 0", "EXISTS s", "GETEX s2 EX 10", "GETEX s2 PERSIST", "SETBIT bits 3 1",
		"RPUSH l a b c", "LPUSH l z", "LPOP l", "RPOP l 2", "LINSERT l BEFORE a x", "LSET l 0 y", "LREM l 0 y",
		"RPUSH l2 1 2 3", "LTRIM l2 0 0", "RPOPLPUSH l2 l3", "LMOVE l3 l3 LEFT RIGHT", "LMPOP 1 l3 LEFT", "RPUSHX l3 x", "LPUSHX l3 x",
		"HSET h f v g w", "HSETNX h f v", "HSETNX h k v", "HINCRBY h n 1", "HINCRBYFLOAT h m 1.5", "HDEL h f g n m k",
		"SADD st a b c", "SREM st a", "SMOVE st st2 b", "SPOP st", "SADD x1 a", "SADD x2 a", "SINTERSTORE x3 x1 x2", "SDIFFSTORE x4 x1 x2",
		"ZADD z 1 a 2 b 3 c", "ZADD z INCR 5 a", "ZINCRBY z 1 b", "ZREM z b", "ZPOPMIN z", "ZPOPMAX z", "ZADD z2 1 a 2 b",
		"ZREMRANGEBYSCORE z2 1 1", "ZUNIONSTORE z3 1 z2", "ZMPOP 1 z3 MIN", "ZADD z4 1 a", "ZRANGESTORE z5 z4 0 -1",
		"RENAME z4 z6", "RENAMENX z6 z7", "EXPIRE z7 100", "PEXPIRE z7 0",
		"MULTI", "SET m 1", "RPUSH ml x", "EXEC",
		"RPUSH bl x", "BLPOP bl 0", "ZADD bz 1 m", "BZPOPMAX bz 0",
		"XADD xs 1-1 a 1", "XADD xs 2-1 b 2", "XDEL xs 1-1 9-9", "XDEL xs 9-9", "XTRIM xs MAXLEN 0", "XTRIM xs MAXLEN 0", "XSETID xs 5-5",
		"FLUSHALL",
	}
	for _, line := range cmds {
		d.run("nocmp " + line)
	}
	d.run("PUBLISH end done")
	var got [2][]string
	for i := range 2 {
		deadline := time.Now().Add(10 * time.Second)
		for {
			sub.conns[i].SetReadDeadline(deadline)
			v, err := readValue(sub.rds[i])
			if err != nil {
				t.Fatalf("server %d: %v after %q", i, err, got[i])
			}
			if strings.Contains(v, "$3\r\nend\r\n") {
				break
			}
			got[i] = append(got[i], v)
		}
	}
	for i := range max(len(got[0]), len(got[1])) {
		var a, b string
		if i < len(got[0]) {
			a = got[0][i]
		}
		if i < len(got[1]) {
			b = got[1][i]
		}
		if a != b {
			t.Fatalf("event %d:\n titan %q\n redis %q", i, a, b)
		}
	}
	if len(got[0]) < 50 {
		t.Fatalf("only %d events", len(got[0]))
	}
}

// TestExpiredEvents: the expirer publishes "expired" for the keys it
// removes.
func TestExpiredEvents(t *testing.T) {
	ti := startTitan(t, "--config", writeTitanConfig(t, "notify-keyspace-events = \"Ex\"\n"))
	ti.logOnFailure(t)
	sub := dialRaw(t, ti.Addr)
	sub.send("SUBSCRIBE __keyevent@0__:expired\r\n")
	for range 6 {
		sub.line()
	}
	c := dialRaw(t, ti.Addr)
	c.send("SET temp v PX 50\r\n")
	if got := c.line(); got != "+OK" {
		t.Fatal(got)
	}
	for _, want := range []string{"*3", "$7", "message", "$22", "__keyevent@0__:expired", "$4", "temp"} {
		if got := sub.line(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}
