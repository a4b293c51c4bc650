package tests

// End-to-end tests of the blocking commands: the replies and errors that
// do not depend on timing against redis-server (byte-exact), and the
// blocking behaviour itself (wakes, timeouts, CLIENT UNBLOCK/KILL,
// pipelines, --timeout) against titan.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestBlockingDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	d.run(
		// Served at once: first non-empty key in argument order.
		"RPUSH l2 a b c", "BLPOP l1 l2 0", "BRPOP l1 l2 0", "BLPOP l2 l1 1", "LRANGE l2 0 -1",
		"RPUSH s a b c", "BRPOPLPUSH s d 0", "BLMOVE s d LEFT RIGHT 0.5", "BLMOVE s d left left 0", "LRANGE d 0 -1", "EXISTS s",
		"RPUSH m a b c d", "BLMPOP 0 2 nosuch m LEFT", "BLMPOP 0 2 nosuch m RIGHT COUNT 2", "BLMPOP 1 1 m LEFT COUNT 10", "EXISTS m",
		"ZADD z 1 a 2 b 3.5 c 4 d", "BZPOPMIN nosuch z 0", "BZPOPMAX z 0", "BZMPOP 0 2 nosuch z MIN", "BZMPOP 0 1 z MAX COUNT 5", "EXISTS z",
		// Timeouts (short ones): the null array, for every command.
		"BLPOP nosuch 0.01", "BRPOP nosuch nosuch2 0.01", "BRPOPLPUSH nosuch d 0.01", "BLMOVE nosuch d LEFT LEFT 0.01",
		"BLMPOP 0.01 1 nosuch LEFT", "BZPOPMIN nosuch 0.01", "BZPOPMAX nosuch 0.01", "BZMPOP 0.01 1 nosuch MAX",
		"BLPOP nosuch 0.0001", "BLPOP nosuch 1e-9",
		// Timeout errors.
		"BLPOP l -1", "BLPOP l abc", "BLPOP l \" 1\"", "BLPOP l \"1 \"", "BLPOP l nan", "BLPOP l inf", "BLPOP l -inf",
		"BLPOP l 1e100", "BLPOP l 9223372036854775.808", "BRPOPLPUSH s d -0.5", "BLMOVE s d LEFT LEFT x",
		"BLMPOP -1 1 l LEFT", "BLMPOP x 1 l LEFT", "BZPOPMIN z -1", "BZMPOP abc 1 z MIN", "BZPOPMAX z \"\"",
		// Argument errors.
		"BLMPOP 0 0 l LEFT", "BLMPOP 0 x l LEFT", "BLMPOP 0 3 l LEFT", "BLMPOP 0 1 l MIDDLE", "BLMPOP 0 1 l LEFT COUNT 0",
		"BLMPOP 0 1 l LEFT COUNT x", "BLMPOP 0 1 l LEFT foo", "BLMOVE s d MIDDLE LEFT 0", "BLMOVE s d LEFT UP 0",
		"BZMPOP 0 1 z MIDDLE", "BZMPOP 0 0 z MIN", "BZMPOP 0 1 z MIN COUNT -1",
		"BLPOP", "BLPOP l", "BRPOPLPUSH s d", "BLMOVE s d LEFT LEFT", "BLMPOP 0 1", "BZPOPMIN z", "BZMPOP 0 1 z",
		// Wrong types: the first key that exists decides.
		"SET str v", "RPUSH lst x", "ZADD zs 1 m",
		"BLPOP str 0", "BLPOP nosuch str 0", "BLPOP lst str 0", "BRPOP zs 0", "BRPOPLPUSH str d 0", "RPUSH lst x", "BRPOPLPUSH lst str 0",
		"LRANGE lst 0 -1", "BLMPOP 0 2 nosuch str LEFT", "BZPOPMIN str 0", "BZPOPMAX lst 0", "BZMPOP 0 2 nosuch lst MIN",
		// Inside MULTI they behave as their non-blocking forms.
		"MULTI", "BLPOP nosuch 0", "BRPOPLPUSH nosuch d 0", "BLMOVE nosuch d LEFT LEFT 0", "BZPOPMIN nosuch 0",
		"BLMPOP 0 1 nosuch LEFT", "BZMPOP 0 1 nosuch MIN", "RPUSH q x", "BLPOP q 0", "EXEC",
		"MULTI", "BLPOP q -1", "EXEC",
	)
}

// blockedClients reads blocked_clients from INFO clients.
func blockedClients(t *testing.T, c *redis.Client) string {
	t.Helper()
	info, err := c.Info(context.Background(), "clients").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, "blocked_clients:"); ok {
			return v
		}
	}
	t.Fatalf("no blocked_clients in %q", info)
	return ""
}

// waitBlocked waits until n clients are blocked.
func waitBlocked(t *testing.T, c *redis.Client, n string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for blockedClients(t, c) != n {
		if time.Now().After(deadline) {
			t.Fatalf("blocked_clients never became %s", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBlockingWakes(t *testing.T) {
	ti := startTitan(t, "--timeout", "1")
	ti.logOnFailure(t)
	ctx := context.Background()
	c := ti.Client()

	t.Run("push wakes BLPOP in FIFO order", func(t *testing.T) {
		a, b := dialRaw(t, ti.Addr), dialRaw(t, ti.Addr)
		a.send("BLPOP q 0\r\n")
		waitBlocked(t, c, "1")
		b.send("BLPOP q 0\r\n")
		waitBlocked(t, c, "2")
		list, _ := c.ClientList(ctx).Result()
		if strings.Count(list, "flags=b") != 2 {
			t.Fatalf("CLIENT LIST does not flag the blocked clients:\n%s", list)
		}
		if err := c.RPush(ctx, "q", "one", "two").Err(); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"*2", "$1", "q", "$3", "one"} {
			if got := a.line(); got != want {
				t.Fatalf("first waiter got %q, want %q", got, want)
			}
		}
		for _, want := range []string{"*2", "$1", "q", "$3", "two"} {
			if got := b.line(); got != want {
				t.Fatalf("second waiter got %q, want %q", got, want)
			}
		}
		waitBlocked(t, c, "0")
	})

	t.Run("zadd wakes BZPOPMIN, the rest of the pipeline follows", func(t *testing.T) {
		a := dialRaw(t, ti.Addr)
		a.send("SET before 1\r\nBZPOPMIN z1 z2 0\r\nGET before\r\n")
		if got := a.line(); got != "+OK" {
			t.Fatalf("got %q", got)
		}
		waitBlocked(t, c, "1")
		c.ZAdd(ctx, "z2", redis.Z{Score: 2.5, Member: "m"})
		for _, want := range []string{"*3", "$2", "z2", "$1", "m", "$3", "2.5", "$1", "1"} {
			if got := a.line(); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		}
	})

	t.Run("BLMOVE woken by LMOVE, RENAME and EXEC", func(t *testing.T) {
		a := dialRaw(t, ti.Addr)
		a.send("BLMOVE src dst LEFT RIGHT 0\r\n")
		waitBlocked(t, c, "1")
		c.RPush(ctx, "other", "x")
		c.Rename(ctx, "other", "src")
		if got := a.line() + a.line(); got != "$1x" {
			t.Fatalf("got %q", got)
		}
		a.send("BLPOP e 0\r\n")
		waitBlocked(t, c, "1")
		tx := c.TxPipeline()
		tx.RPush(ctx, "e", "v")
		if _, err := tx.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"*2", "$1", "e", "$1", "v"} {
			if got := a.line(); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		}
		if n, _ := c.LLen(ctx, "dst").Result(); n != 1 {
			t.Fatalf("dst has %d elements", n)
		}
	})

	t.Run("timeout, and --timeout does not close a blocked client", func(t *testing.T) {
		a := dialRaw(t, ti.Addr)
		start := time.Now()
		a.send("BLPOP nosuch 1.5\r\n")
		if got := a.line(); got != "*-1" {
			t.Fatalf("got %q", got)
		}
		if d := time.Since(start); d < 1400*time.Millisecond || d > 5*time.Second {
			t.Fatalf("timed out after %s", d)
		}
		a.send("PING\r\n")
		if got := a.line(); got != "+PONG" {
			t.Fatalf("got %q", got)
		}
	})

	t.Run("CLIENT UNBLOCK and CLIENT KILL", func(t *testing.T) {
		a := dialRaw(t, ti.Addr)
		a.send("CLIENT ID\r\n")
		id := strings.TrimPrefix(a.line(), ":")
		a.send("BLPOP nosuch 0\r\n")
		waitBlocked(t, c, "1")
		if n, _ := c.Do(ctx, "CLIENT", "UNBLOCK", id).Int(); n != 1 {
			t.Fatalf("CLIENT UNBLOCK = %d", n)
		}
		if got := a.line(); got != "*-1" {
			t.Fatalf("got %q", got)
		}
		if n, _ := c.Do(ctx, "CLIENT", "UNBLOCK", id).Int(); n != 0 {
			t.Fatalf("CLIENT UNBLOCK of a client not blocked = %d", n)
		}
		a.send("BRPOPLPUSH nosuch d 0\r\n")
		waitBlocked(t, c, "1")
		c.Do(ctx, "CLIENT", "UNBLOCK", id, "ERROR")
		if got := a.line(); got != "-UNBLOCKED client unblocked via CLIENT UNBLOCK" {
			t.Fatalf("got %q", got)
		}
		if err := c.Do(ctx, "CLIENT", "UNBLOCK", id, "FOO").Err(); err == nil || err.Error() != "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR" {
			t.Fatalf("err = %v", err)
		}
		a.send("BLPOP k 0\r\n")
		waitBlocked(t, c, "1")
		if n, _ := c.ClientKillByFilter(ctx, "ID", id).Result(); n != 1 {
			t.Fatalf("CLIENT KILL = %d", n)
		}
		if !a.closed() {
			t.Fatal("killed client still open")
		}
		waitBlocked(t, c, "0")
		// Nothing is taken for a client that left.
		c.RPush(ctx, "k", "kept")
		if v, _ := c.LRange(ctx, "k", 0, -1).Result(); len(v) != 1 {
			t.Fatalf("k = %v", v)
		}
	})

	t.Run("a client that disconnects while blocked takes nothing", func(t *testing.T) {
		a := dialRaw(t, ti.Addr)
		a.send("BLPOP gone 0\r\n")
		waitBlocked(t, c, "1")
		a.c.Close()
		waitBlocked(t, c, "0")
		c.RPush(ctx, "gone", "x")
		b := dialRaw(t, ti.Addr)
		b.send("BLPOP gone 0\r\n")
		for _, want := range []string{"*2", "$4", "gone", "$1", "x"} {
			if got := b.line(); got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		}
	})

	t.Run("redis-py blpop", func(t *testing.T) {
		script := `
import redis, sys, threading, time
r = redis.Redis.from_url(sys.argv[1])
threading.Timer(0.3, lambda: redis.Redis.from_url(sys.argv[1]).rpush("py", "job1")).start()
print(r.blpop(["py"], timeout=5))
print(r.blpop("py", timeout=0.2))
`
		out := runPython(t, script, "redis://"+ti.Addr)
		if out != "(b'py', b'job1')\nNone\n" {
			t.Fatalf("redis-py: %q", out)
		}
	})
}

// runPython runs a Python script with redis-py and returns its output.
func runPython(t *testing.T, script string, args ...string) string {
	t.Helper()
	return runScript(t, "/usr/bin/python3", append([]string{"-c", script}, args...)...)
}

// TestBlockedKeyChangesType: a blocked client whose key is overwritten with
// another type stays blocked, as in Redis (only the first try answers
// WRONGTYPE), and is served once the key holds its type again; a wrong
// BLMOVE destination is still an error. Each scenario runs on redis-server
// and on titan, and the blocked client's replies must match.
func TestBlockedKeyChangesType(t *testing.T) {
	env := startDiffEnv(t)
	ctx := context.Background()
	grp := []string{"XGROUP CREATE s g $ MKSTREAM"}
	const xrg = "XREADGROUP GROUP g c BLOCK 0 STREAMS s >"
	type scenario struct {
		name    string
		setup   []string
		blocked string   // the blocked client's command
		writes  []string // another client's commands, one by one, while it waits
	}
	scenarios := []scenario{
		{"BLPOP served from the next key", nil, "BLPOP l1 l2 0", []string{"SET l1 x", "RPUSH l2 v"}},
		{"BLPOP times out", nil, "BLPOP l 0.8", []string{"SET l x"}},
		{"BZPOPMIN after the type returns", nil, "BZPOPMIN z 0", []string{"SET z x", "DEL z", "ZADD z 1 m"}},
		{"BLMOVE after the type returns", nil, "BLMOVE src dst LEFT LEFT 0", []string{"HSET src f v", "DEL src", "RPUSH src a"}},
		{"BLMPOP served from the next key", nil, "BLMPOP 0 2 a b LEFT COUNT 2", []string{"SADD a m", "RPUSH b 1 2 3"}},
		{"BLMOVE to a wrong destination", []string{"SET dst str"}, "BLMOVE src dst LEFT LEFT 0", []string{"RPUSH src a"}},
		// Streams: XREADGROUP answers that its stream or group went away,
		// XREAD keeps waiting.
		{"XREADGROUP, stream deleted", grp, xrg, []string{"DEL s"}},
		{"XREADGROUP, stream overwritten", grp, xrg, []string{"SET s x"}},
		{"XREADGROUP, stream renamed", grp, xrg, []string{"RENAME s s2"}},
		{"XREADGROUP, stream expired", grp, xrg, []string{"PEXPIRE s 1"}},
		{"XREADGROUP, flushed", grp, xrg, []string{"FLUSHDB"}},
		{"XREADGROUP, swapped out", grp, xrg, []string{"SWAPDB 0 1"}},
		{"XREADGROUP, group destroyed", grp, xrg, []string{"XGROUP DESTROY s g"}},
		{"XREADGROUP, one of two streams deleted", append(grp, "XGROUP CREATE t g $ MKSTREAM"), "XREADGROUP GROUP g c BLOCK 0 STREAMS t s > >", []string{"DEL s"}},
		{"XREAD, stream deleted", []string{"XADD s 1-1 f v"}, "XREAD BLOCK 800 STREAMS s $", []string{"DEL s"}},
		{"XREAD, stream comes back", []string{"XADD s 1-1 f v"}, "XREAD BLOCK 0 STREAMS s $", []string{"SET s x", "DEL s", "XADD s 5-1 f v"}},
	}
	args := func(line string) []any {
		var out []any
		for _, f := range strings.Fields(line) {
			out = append(out, f)
		}
		return out
	}
	reply := func(addr string, s scenario) string {
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		if err := c.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		for _, l := range s.setup {
			if err := c.Do(ctx, args(l)...).Err(); err != nil {
				t.Fatal(err)
			}
		}
		b := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: -1})
		defer b.Close()
		got := make(chan string, 1)
		go func() {
			v, err := b.Do(ctx, args(s.blocked)...).Result()
			got <- fmt.Sprintf("%v %v", v, err)
		}()
		waitBlocked(t, c, "1")
		for _, l := range s.writes {
			c.Do(ctx, args(l)...)
			time.Sleep(150 * time.Millisecond) // the woken client's retry runs here
		}
		select {
		case r := <-got:
			return r
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no reply", addr)
			return ""
		}
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			want := reply(env.redisAddr, s)
			if got := reply(env.ti.Addr, s); got != want {
				t.Fatalf("titan: %q, redis-server: %q", got, want)
			}
		})
	}
}
