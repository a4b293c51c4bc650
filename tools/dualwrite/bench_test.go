package main

// Migration benchmarks (make bench-migration): what the runbook's rate
// advice rests on. Each reports its figure with b.ReportMetric; run them
// with -benchtime 1x, since each iteration is a whole migration step.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

// benchKeys is the number of small keys of the backfill benchmarks.
const benchKeys = 50000

// fillStrings writes n small strings to p, pipelined.
func fillStrings(b *testing.B, p *resp.Pool, prefix string, n int) {
	b.Helper()
	for lo := 0; lo < n; lo += 1000 {
		var cmds [][][]byte
		for i := lo; i < min(lo+1000, n); i++ {
			cmds = append(cmds, resp.Args("SET", prefix+strconv.Itoa(i), "value-"+strconv.Itoa(i)))
		}
		if _, err := p.Pipeline(context.Background(), cmds); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBackfillSmallKeys: `sync` of 50k small strings from one shard.
func BenchmarkBackfillSmallKeys(b *testing.B) {
	shards := startShards(b, 1)
	tg := startTarget(b)
	fillStrings(b, shards.pools[0], "k:", benchKeys)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if out, logs, err := cli(context.Background(), append(shards.sourceFlags(), "sync", "--titan", tg.Addr)...); err != nil {
			b.Fatalf("sync: %v\n%s\n%s", err, out, logs)
		}
		b.ReportMetric(float64(benchKeys)/time.Since(start).Seconds(), "keys/s")
	}
}

// BenchmarkBackfillBigHash: `sync` of one hash of 100k fields, copied in
// pages.
func BenchmarkBackfillBigHash(b *testing.B) {
	const fields = 100000
	shards := startShards(b, 1)
	tg := startTarget(b)
	for lo := 0; lo < fields; lo += 1000 {
		args := []string{"HSET", "big"}
		for j := lo; j < lo+1000; j++ {
			args = append(args, "f"+strconv.Itoa(j), strconv.Itoa(j))
		}
		testutil.Do(b, shards.pools[0], args...)
	}
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if out, logs, err := cli(context.Background(), append(shards.sourceFlags(), "sync", "--titan", tg.Addr)...); err != nil {
			b.Fatalf("sync: %v\n%s\n%s", err, out, logs)
		}
		b.ReportMetric(fields/time.Since(start).Seconds(), "elements/s")
	}
}

// BenchmarkProxyLatency: SET p99 of 8 clients straight to Redis and
// through the proxy, with titan healthy and with titan slowed by 20 ms per
// request. Every process shares the machine's cores, so the proxy's
// clients also wait for the CPU titan spends on the replayed writes; the
// "nice" figures run titan at nice 19 (it yields the CPU to the others)
// to imitate titan on machines of its own. The five set-ups take turns in
// short rounds (waiting for the proxies' replays between turns), so that
// each sees the same background load of a shared machine; each p99 is
// over all its rounds. It also reports the CPU per proxied SET of titan
// and of the proxy (this process's CPU through the proxy minus straight to
// Redis: the clients' share cancels out).
func BenchmarkProxyLatency(b *testing.B) {
	const clients, per, rounds = 8, 100, 5
	shards := startShards(b, 1)
	tg := startTarget(b)
	slow := slowRelay(b, tg.Addr, 20*time.Millisecond)
	fast := startProxy(b, append(shards.sourceFlags(), "--titan", tg.Addr)...)
	slowed := startProxy(b, append(shards.sourceFlags(), "--titan", slow)...)
	renice := func(n int) {
		// Linux's nice is per thread: every thread of titan.
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", tg.Pid()))
		if err != nil {
			b.Fatal(err)
		}
		for _, task := range tasks {
			tid, _ := strconv.Atoi(task.Name())
			if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, n); err != nil {
				b.Fatalf("renice titan thread %d: %v", tid, err)
			}
		}
	}
	type setup struct {
		name string
		addr string
		px   *proxyProc
		nice int
		lat  []time.Duration
	}
	b.ResetTimer()
	for range b.N {
		setups := []*setup{
			{name: "redis-p99-µs", addr: shards.addrs[0]},
			{name: "proxy-p99-µs", addr: fast.Addr, px: fast},
			{name: "proxy-slow-titan-p99-µs", addr: slowed.Addr, px: slowed},
			{name: "proxy-nice-titan-p99-µs", addr: fast.Addr, px: fast, nice: 19},
			{name: "proxy-slow-nice-titan-p99-µs", addr: slowed.Addr, px: slowed, nice: 19},
		}
		var selfDirect, selfProxy, titanProxy time.Duration
		for range rounds {
			for _, s := range setups {
				renice(s.nice)
				self0, titan0 := selfCPU(), procCPU(b, tg.Pid())
				s.lat = append(s.lat, setLatencies(b, s.addr, clients, per)...)
				self1 := selfCPU()
				if s.px != nil {
					s.px.settle(b) // titan's share of this turn, off the next one
				}
				switch s.name {
				case "redis-p99-µs":
					selfDirect += self1 - self0
				case "proxy-p99-µs":
					selfProxy += self1 - self0
					titanProxy += procCPU(b, tg.Pid()) - titan0
				}
			}
		}
		renice(0)
		for _, s := range setups {
			b.ReportMetric(float64(p99(s.lat).Microseconds()), s.name)
		}
		n := float64(clients * per * rounds)
		b.ReportMetric(float64(selfProxy-selfDirect)/1e3/n, "proxy-cpu-µs/SET")
		b.ReportMetric(float64(titanProxy)/1e3/n, "titan-cpu-µs/SET")
	}
}

// selfCPU returns this process's user and system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU returns the user and system CPU time of process pid (Linux,
// clock ticks of 10 ms).
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name (which may hold spaces): state is 3rd,
	// utime 14th, stime 15th.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// BenchmarkReplicateStream: commands per second `replicate` applies to
// titan from a master's stream (pipelined SETs, INCRs and HSETs).
func BenchmarkReplicateStream(b *testing.B) {
	const n = 60000
	src := testutil.StartRedis(b, "--repl-diskless-sync-delay", "0", "--repl-backlog-size", "256mb")
	tg := startTarget(b)
	rp := startReplicate(b, "--redis", src.Addr, "--titan", tg.Addr, "--work-dir", b.TempDir())
	tc := testutil.Client(b, tg.Addr)
	if err := testutil.WaitFor(30*time.Second, func() error {
		if v := testutil.Do(b, tc, "EXISTS", "__dualwrite:replica:"+src.Addr); v.Int != 1 {
			return fmt.Errorf("no checkpoint yet")
		}
		return nil
	}); err != nil {
		b.Fatalf("replicate did not start: %v\n%s", err, rp.logs())
	}
	rc := testutil.Client(b, src.Addr)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		for lo := 0; lo < n; lo += 1000 {
			var cmds [][][]byte
			for i := lo; i < lo+1000; i++ {
				switch i % 3 {
				case 0:
					cmds = append(cmds, resp.Args("SET", "s:"+strconv.Itoa(i), "v"))
				case 1:
					cmds = append(cmds, resp.Args("INCR", "c:"+strconv.Itoa(i%100)))
				default:
					cmds = append(cmds, resp.Args("HSET", "h:"+strconv.Itoa(i%100), "f"+strconv.Itoa(i), "v"))
				}
			}
			if _, err := rc.Pipeline(context.Background(), cmds); err != nil {
				b.Fatal(err)
			}
		}
		if err := testutil.WaitFor(5*time.Minute, func() error {
			out, _, err := cli(context.Background(), "replicate", "--check", "--redis", src.Addr, "--titan", tg.Addr)
			if err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(n/time.Since(start).Seconds(), "commands/s")
	}
}

// BenchmarkReplicateSnapshot: keys per second `replicate` restores into
// titan from a master's snapshot (50k small strings and a 100k-field
// hash), from the start of the link to the checkpoint written after the
// snapshot.
func BenchmarkReplicateSnapshot(b *testing.B) {
	const fields = 100000
	src := testutil.StartRedis(b, "--repl-diskless-sync-delay", "0")
	fillStrings(b, testutil.Client(b, src.Addr), "k:", benchKeys)
	rc := testutil.Client(b, src.Addr)
	for lo := 0; lo < fields; lo += 1000 {
		args := []string{"HSET", "big"}
		for j := lo; j < lo+1000; j++ {
			args = append(args, "f"+strconv.Itoa(j), strconv.Itoa(j))
		}
		testutil.Do(b, rc, args...)
	}
	dualwriteBinary(b) // built before the clock starts
	b.ResetTimer()
	for range b.N {
		tg := startTarget(b)
		start := time.Now()
		rp := startReplicate(b, "--redis", src.Addr, "--titan", tg.Addr, "--work-dir", b.TempDir())
		tc := testutil.Client(b, tg.Addr)
		if err := testutil.WaitFor(5*time.Minute, func() error {
			// titan is busy restoring: a slow answer is not a failure.
			v, err := tc.Do(context.Background(), resp.Args("EXISTS", "__dualwrite:replica:"+src.Addr)...)
			if err != nil {
				return err
			}
			if v.Int != 1 {
				return fmt.Errorf("no checkpoint yet")
			}
			return nil
		}); err != nil {
			b.Fatalf("snapshot not restored: %v\n%s", err, rp.logs())
		}
		b.ReportMetric(float64(benchKeys+1)/time.Since(start).Seconds(), "keys/s")
		rp.kill()
	}
}
