package tests

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startDebugEnv is a titan and a redis-server that accepts DEBUG (Redis
// 7 refuses it unless enable-debug-command is set; titan always answers
// its DEBUG subcommands, none of which can harm the data).
func startDebugEnv(t *testing.T, titanArgs ...string) *diffEnv {
	t.Helper()
	env := &diffEnv{redisAddr: startRedisWith(t, "--enable-debug-command", "yes")}
	env.ti = startTitan(t, titanArgs...)
	env.ti.logOnFailure(t)
	return env
}

// debugLines are compared in RESP2 and RESP3.
var debugLines = []string{
	"debug", "debug foo", "debug foo bar", "debug sleep", "debug sleep 0", "debug sleep abc", "debug sleep 0.01",
	"debug sleep 0.01 x", "debug sleep 0.01abc", "debug sleep \" 0.001\"", "debug sleep -1", "debug sleep nan", "nocmp debug help", "debug object nosuch", "debug object",
	"debug quicklist-packed-threshold 100", "debug quicklist-packed-threshold 1mb", "debug quicklist-packed-threshold 0",
	"debug quicklist-packed-threshold 5gb", "debug quicklist-packed-threshold 4gb", "debug quicklist-packed-threshold abc",
	"debug quicklist-packed-threshold -1", "debug quicklist-packed-threshold 2k",
	"debug reload", "debug reload nosave noflush merge", "debug reload foo",
	"debug change-repl-id", "debug change-repl-id x", "debug log hello", "debug error foo", "debug error \"WRONGTYPE x y\"",
	"debug set-active-expire 1", "debug set-active-expire",
	"debug protocol nosuch", "debug protocol string", "debug protocol integer", "debug protocol double",
	"debug protocol bignum", "debug protocol null", "debug protocol array", "debug protocol set",
	"debug protocol map", "debug protocol true", "debug protocol false", "debug protocol verbatim", "debug protocol",
	"lolwut", "lolwut version 7", "lolwut version 99", "lolwut version x", "lolwut foo", "lolwut VERSION",
	"latency graph nosuch", "latency graph", "latency help",
	"config get enable-debug-command", "config set enable-debug-command no",
}

// TestDebugDifferential compares DEBUG's and LOLWUT's replies with
// redis-server's in RESP2 and RESP3, DEBUG PROTOCOL's bytes (attributes
// and pushes included), DEBUG OBJECT's fields, and DEBUG
// SET-ACTIVE-EXPIRE's effect.
func TestDebugDifferential(t *testing.T) {
	env := startDebugEnv(t, "--config", writeTitanConfig(t, "[background]\nexpire-interval = \"100ms\"\n"))
	d := env.differ(t)
	d.run(debugLines...)
	d.run("debug protocol push")
	d3 := newDiffer(t, env.ti.Addr, env.redisAddr, func(o *redis.Options) { o.Protocol = 3 })
	d3.run(debugLines...)

	t.Run("protocol bytes", func(t *testing.T) {
		for _, proto := range []string{"2", "3"} {
			req := "HELLO " + proto + "\r\nECHO DEBUG-PROTOCOL-MARK\r\n"
			for _, typ := range []string{"string", "integer", "double", "bignum", "null", "array", "set", "map",
				"attrib", "push", "verbatim", "true", "false"} {
				req += "DEBUG PROTOCOL " + typ + "\r\n"
			}
			req += "PING\r\n"
			want, got := protocolBytes(t, env.redisAddr, req), protocolBytes(t, env.ti.Addr, req)
			if got != want {
				t.Errorf("RESP%s DEBUG PROTOCOL of every type:\n redis %q\n titan %q", proto, want, got)
			}
		}
	})

	t.Run("digest", func(t *testing.T) {
		for _, dd := range []*differ{d, d3} {
			dd.t = t
			dd.run("flushall", "debug digest", "debug digest-value", "debug digest-value nosuch",
				"set s 12345", "set s2 hello", "rpush l a b 1 c", "sadd st x y 3", "hset h f v g w", "zadd z 1.5 a 2 b -3e20 c 1 \"\"",
				"set e v ex 100", "select 3", "set s 12345", "select 0", "pfadd hll a b c",
				"debug digest", "debug digest-value s s2 l st h z e nosuch hll",
				"select 3", "debug digest-value s", "debug digest", "select 0", "flushall")
		}
		d.t, d3.t = t, t
	})

	t.Run("change-repl-id", func(t *testing.T) {
		ctx := context.Background()
		replid := func() string {
			info := d.titan.Info(ctx, "replication").Val()
			_, id, _ := strings.Cut(info, "master_replid:")
			id, _, _ = strings.Cut(id, "\r\n")
			return id
		}
		before := replid()
		d.titan.Do(ctx, "debug", "change-repl-id")
		if after := replid(); len(after) != 40 || after == before {
			t.Errorf("master_replid %q, then %q after DEBUG CHANGE-REPL-ID", before, after)
		}
	})

	t.Run("object", func(t *testing.T) {
		ctx := context.Background()
		fields := regexp.MustCompile(`^Value at:0x[0-9a-f]+ refcount:(\d+) encoding:(\S+) serializedlength:(\d+) lru:(\d+) lru_seconds_idle:(\d+)`)
		// The packed threshold (Redis's default, then 2 KB) decides which
		// elements are plain quicklist nodes.
		for _, threshold := range []string{"0", "2k"} {
			for _, c := range []*recordedClient{d.redis, d.titan} {
				if err := c.Do(ctx, "debug", "quicklist-packed-threshold", threshold).Err(); err != nil {
					t.Fatal(err)
				}
			}
			for _, setup := range [][]any{
				{"set", "o", "12345"}, {"set", "o", "hello world"}, {"set", "o", strings.Repeat("x", 100)},
				{"rpush", "o", "a", "b", "c"}, {"rpush", "o", "-1", "0", "127", "128", "-4097", "40000", "-9000000", "3000000000", "007", strings.Repeat("y", 70), strings.Repeat("z", 5000)},
				longList(1, 3000), {"sadd", "o", "1", "2", "3"}, {"hset", "o", "f", "v"}, {"zadd", "o", "1", "m"},
			} {
				var got [2][]string
				for i, c := range []*recordedClient{d.redis, d.titan} {
					c.Del(ctx, "o")
					c.Do(ctx, setup...)
					line, err := c.Do(ctx, "debug", "object", "o").Text()
					if err != nil {
						t.Fatalf("%v: %v", setup, err)
					}
					got[i] = fields.FindStringSubmatch(line)
					if got[i] == nil {
						t.Fatalf("%v: DEBUG OBJECT = %q", setup, line)
					}
					_, ql, _ := strings.Cut(line, " ql_nodes:")
					got[i] = append(got[i], ql)
				}
				// The same encoding, refcount 1 and no idle time for a fresh
				// key; serializedlength is titan's DUMP length (Redis's is
				// compressed with LZF and packs lists differently).
				// A list's ql_* fields are the quicklist Redis builds.
				if got[0][2] != got[1][2] || got[1][1] != "1" || got[1][3] == "0" || got[1][5] != "0" || got[0][6] != got[1][6] {
					t.Errorf("threshold %s, %v: redis %q ql %q, titan %q ql %q", threshold, setup[:min(len(setup), 5)], got[0][0], got[0][6], got[1][0], got[1][6])
				}
			}
		}
	})

	t.Run("set-active-expire", func(t *testing.T) {
		ctx := context.Background()
		for _, c := range []*recordedClient{d.redis, d.titan} {
			c.FlushAll(ctx)
			if err := c.Do(ctx, "debug", "set-active-expire", "0").Err(); err != nil {
				t.Fatal(err)
			}
			c.Set(ctx, "e", "v", 50*time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond)
		for _, c := range []*recordedClient{d.redis, d.titan} {
			if n := c.DBSize(ctx).Val(); n != 1 {
				t.Errorf("active expire off: DBSIZE %d, want 1 (the expired key stays)", n)
			}
			c.Do(ctx, "debug", "set-active-expire", "1")
		}
		for _, c := range []*recordedClient{d.redis, d.titan} {
			waitFor(t, 5*time.Second, "the expired key collected", func() bool { return c.DBSize(ctx).Val() == 0 })
		}
	})
}

// protocolBytes is what follows the ECHO of a marker in the server's
// answer to req (so HELLO's server-specific reply is left out).
func protocolBytes(t *testing.T, addr, req string) string {
	t.Helper()
	out, _ := rawExchange(t, addr, req, false, 300*time.Millisecond)
	if i := strings.Index(out, "DEBUG-PROTOCOL-MARK"); i >= 0 {
		return out[i:]
	}
	t.Fatalf("%s: no marker in %q", addr, out)
	return ""
}

// TestLatencyGraphDifferential draws the graph of the same two spikes (300
// ms, then 100 ms a second later, both from DEBUG SLEEP) on both servers:
// the title, the rule and the four rows of the sparkline are identical, and
// the labels below are ages in seconds.
func TestLatencyGraphDifferential(t *testing.T) {
	env := startDebugEnv(t)
	ctx := context.Background()
	graph := func(addr string) []string {
		c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
		defer c.Close()
		for _, args := range [][]any{
			{"config", "set", "latency-monitor-threshold", "50"}, {"latency", "reset"},
			{"debug", "sleep", "0.3"}, {"debug", "sleep", "0"},
		} {
			if err := c.Do(ctx, args...).Err(); err != nil {
				t.Fatalf("%v: %v", args, err)
			}
		}
		time.Sleep(1100 * time.Millisecond)
		c.Do(ctx, "debug", "sleep", "0.1")
		g, err := c.Do(ctx, "latency", "graph", "command").Text()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(g, "\n")
	}
	var want, got []string
	done := make(chan struct{})
	go func() { defer close(done); want = graph(env.redisAddr) }()
	got = graph(env.ti.Addr)
	<-done
	title := regexp.MustCompile(`^command - high (\d+) ms, low (\d+) ms \(all time high (\d+) ms\)$`)
	for who, g := range map[string][]string{"redis": want, "titan": got} {
		m := title.FindStringSubmatch(g[0])
		if m == nil || !within(m[1], 300, 400) || !within(m[2], 100, 200) || len(g) != 10 || g[1] != strings.Repeat("-", 80) || g[6] != "  " || g[9] != "" {
			t.Fatalf("%s graph:\n%s", who, strings.Join(g, "\n"))
		}
		// The labels: the first spike 1 to 3 seconds ago, the second now.
		if (g[7] != "10" && g[7] != "20" && g[7] != "30") || g[8] != "ss" {
			t.Errorf("%s labels:\n%s", who, strings.Join(g[7:], "\n"))
		}
	}
	if strings.Join(got[2:6], "\n") != strings.Join(want[2:6], "\n") {
		t.Errorf("sparkline differs:\nredis:\n%s\ntitan:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

// longList is RPUSH o of the elements element-number-from..to: enough
// for several 8 KB quicklist nodes in Redis.
func longList(from, to int) []any {
	args := []any{"rpush", "o"}
	for i := from; i <= to; i++ {
		args = append(args, fmt.Sprintf("element-number-%d", i))
	}
	return args
}

// within reports whether the decimal s is in [lo, hi].
func within(s string, lo, hi int) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= lo && n <= hi
}
