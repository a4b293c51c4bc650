package tests

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSwapDBDifferential compares SWAPDB with redis-server: arities, index
// errors, a same-database swap, then what GET, SELECT, DBSIZE, TTL, KEYS,
// SCAN, MOVE, COPY ... DB, FLUSHDB, WATCH/EXEC, MULTI and INFO keyspace
// see after swaps, and keys expiring in a swapped database (with their
// expired notifications naming the logical database).
func TestSwapDBDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	t.Run("arguments", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			"swapdb", "swapdb 0", "swapdb 0 1 2",
			"swapdb a 1", "swapdb 0 b", "swapdb a b", "swapdb 1.5 0", `swapdb "" 0`, `swapdb " 1" 0`,
			"swapdb 01 0", "swapdb +1 0", "swapdb 0 16", "swapdb 16 0", "swapdb -1 0", "swapdb 0 -1",
			"swapdb 2147483647 0", "swapdb 2147483648 0", "swapdb 0 -2147483649", "swapdb 99999999999999999999 0",
			"swapdb 16 b", "swapdb a 16",
			"swapdb 0 0", "swapdb 15 15", "swapdb 0 15", "swapdb 15 0",
		)
	})
	t.Run("swap and read", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			"set a zero", "expire a 100", "select 1", "set b one", "rpush l x y", "select 0",
			"swapdb 0 0", "get a", "dbsize",
			"swapdb 0 1", "get a", "get b", "lrange l 0 -1", "dbsize", "sorted keys *", "exists a b l", "type l",
			"select 1", "get a", "~1 ttl a", "dbsize", "keys *", "scan 0", "randomkey", "select 0",
			"swapdb 1 0", "get a", "~1 ttl a", "dbsize", "select 1", "get b", "select 0",
			"swapdb 0 5", "dbsize", "get a", "select 5", "get a", "select 0", "swapdb 5 0", "get a",
		)
	})
	t.Run("move copy flushdb", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			"set a 0", "select 1", "set b 1", "select 0",
			"swapdb 0 1", "move b 1", "get b", "select 1", "get b", "get a", "move a 0", "select 0",
			"sorted keys *", "copy a c db 1", "select 1", "sorted keys *", "select 0", "copy b d db 2",
			"swapdb 1 2", "select 2", "sorted keys *", "select 1", "sorted keys *", "flushdb", "dbsize",
			"select 2", "dbsize", "select 0", "dbsize",
		)
	})
	t.Run("watch multi", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			"set a 0", "select 1", "set b 1", "select 0",
			// A watched key of either database, existing before or after.
			"watch a", "swapdb 0 1", "multi", "ping", "exec",
			"watch b", "swapdb 1 0", "multi", "ping", "exec",
			// A key in neither database: Redis's swap does not touch it.
			"watch nokey", "swapdb 0 1", "multi", "ping", "exec",
			// A watched database the swap leaves alone.
			"select 3", "set c 3", "watch c", "select 0", "swapdb 0 1", "multi", "ping", "exec",
			"multi", "swapdb 0 1", "get a", "swapdb 0 1", "get a", "exec",
			"multi", "swapdb 0 99", "get a", "exec", "multi", "swapdb 0", "exec",
		)
	})
	t.Run("expiring keys", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			"set e v px 300", "set p v", "select 1", "set f v px 300", "select 0",
			"swapdb 0 1", "~300 pttl f", "exists e", "dbsize", "select 1", "~300 pttl e", "dbsize", "select 0",
		)
		time.Sleep(600 * time.Millisecond)
		// (DBSIZE counts expired keys until the expirer removes them.)
		d.run("exists f", "get f", "select 1", "exists e", "exists p", "get p", "select 0")
	})
	t.Run("info keyspace", func(t *testing.T) {
		d.t = t
		d.run("flushall", "set a 1", "expire a 1000", "set b 2", "select 2", "set c 3", "select 0", "swapdb 0 2")
		avg := regexp.MustCompile(`,avg_ttl=\d+`)
		got, want := d.both("info", "keyspace")
		if g, w := avg.ReplaceAllString(got.String(), ""), avg.ReplaceAllString(want.String(), ""); g != w {
			t.Errorf("INFO keyspace after SWAPDB:\n titan %s\n redis %s", g, w)
		}
		if !strings.Contains(got.String(), "db2:keys=2,expires=1") {
			t.Errorf("INFO keyspace %s lacks db2's two keys", got)
		}
		d.run("flushall")
	})
}

// TestSwapDBExpiredEvents: a key expiring in a swapped database is
// announced in the logical database it is in now.
func TestSwapDBExpiredEvents(t *testing.T) {
	ti := startTitan(t, "--config", writeTitanConfig(t, "notify-keyspace-events = \"Ex\"\n"))
	ti.logOnFailure(t)
	sub := dialRaw(t, ti.Addr)
	sub.send("PSUBSCRIBE __keyevent@*__:expired\r\n")
	for range 6 {
		sub.line()
	}
	c := dialRaw(t, ti.Addr)
	for _, cmd := range []string{"SELECT 1", "SET gone v PX 100", "SWAPDB 0 1"} {
		c.send(cmd + "\r\n")
		if l := c.line(); l != "+OK" {
			t.Fatalf("%s: %s", cmd, l)
		}
	}
	var got []string
	for range 9 {
		got = append(got, sub.line())
	}
	want := []string{"*4", "$8", "pmessage", "$22", "__keyevent@*__:expired", "$22", "__keyevent@0__:expired", "$4", "gone"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("expired event %q, want %q (db 0: the key's database since the swap)", got, want)
	}
}
