package main

// Migration benchmarks (make bench-migration): what the runbook's rate
// advice rests on. Each reports its figure with b.ReportMetric; run them
// with -benchtime 1x, since each iteration is a whole migration step.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
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
// request, and with a redis-server instead of titan as the secondary (the
// proxy's own work with a secondary that costs nearly no CPU). Every
// process shares the machine's cores, so the proxy's clients also wait
// for the CPU titan spends on the replayed writes; the
// "pinned" set-ups put titan on one core and redis-server, the proxy and
// the clients (this process) on the other (sched_setaffinity, through
// taskset), which stands for titan on machines of its own, with the
// direct-Redis baseline measured under the same pinning. The set-ups take
// turns in short rounds (waiting for the proxies' replays between turns),
// so that each sees the same background load of a shared machine; each
// p99 is over all its rounds.
//
// Per proxied SET it also reports (this process's figures through the
// proxy minus straight to Redis, so the clients' share cancels out): the
// proxy's CPU, its system calls (/proc/self/io), context switches
// (getrusage), GC cycles per 1,000 SETs, goroutine wake-ups (estimated
// from /sched/latencies' sampled count) and goroutines started, and
// titan's CPU; and the p99 of
// the time goroutines of this process waited runnable for a thread
// (runtime/metrics /sched/latencies) through the proxy, and the replayed
// writes per pipeline to titan (group commit). With
// DUALWRITE_PROXY_PROFILE=prefix it writes a CPU profile of each healthy
// unpinned turn to prefix-N.pprof (merge them with go tool pprof), and
// DUALWRITE_PROXY_ROUNDS sets the number of rounds (5).
func BenchmarkProxyLatency(b *testing.B) {
	const clients, per = 8, 100
	rounds := 5
	if n, err := strconv.Atoi(os.Getenv("DUALWRITE_PROXY_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	shards := startShards(b, 1)
	tg := startTarget(b)
	slow := slowRelay(b, tg.Addr, 20*time.Millisecond)
	fast := startProxy(b, append(shards.sourceFlags(), "--titan", tg.Addr)...)
	slowed := startProxy(b, append(shards.sourceFlags(), "--titan", slow)...)
	// A redis-server as the secondary: the proxy does all its own work
	// (replays included) while the secondary's CPU is nearly nothing.
	cheap := startProxy(b, append(shards.sourceFlags(), "--titan", testutil.StartRedis(b).Addr)...)
	profile := os.Getenv("DUALWRITE_PROXY_PROFILE")
	cpus := runtime.NumCPU()
	pin := func(pinned bool) {
		titanCPUs, restCPUs := fmt.Sprintf("0-%d", cpus-1), fmt.Sprintf("0-%d", cpus-1)
		if pinned {
			titanCPUs, restCPUs = strconv.Itoa(cpus-1), fmt.Sprintf("0-%d", max(cpus-2, 0))
		}
		for _, pc := range []struct {
			pid  int
			cpus string
		}{{tg.Pid(), titanCPUs}, {shards.servers[0].Pid(), restCPUs}, {os.Getpid(), restCPUs}} {
			// -a: every thread of the process (Linux's affinity is per
			// thread; threads started later inherit it).
			if out, err := exec.Command("taskset", "-a", "-p", "-c", pc.cpus, strconv.Itoa(pc.pid)).CombinedOutput(); err != nil {
				b.Fatalf("taskset %s %d: %v\n%s", pc.cpus, pc.pid, err, out)
			}
		}
	}
	type setup struct {
		name   string
		addr   string
		px     *proxyProc
		pinned bool
		lat    []time.Duration
		cost   procCost
	}
	b.ResetTimer()
	for range b.N {
		setups := []*setup{
			{name: "redis", addr: shards.addrs[0]},
			{name: "proxy", addr: fast.Addr, px: fast},
			{name: "proxy-slow-titan", addr: slowed.Addr, px: slowed},
			{name: "proxy-redis-secondary", addr: cheap.Addr, px: cheap},
			{name: "redis-pinned", addr: shards.addrs[0], pinned: true},
			{name: "proxy-pinned", addr: fast.Addr, px: fast, pinned: true},
		}
		var titanProxy time.Duration
		for round := range rounds {
			for _, s := range setups {
				if cpus >= 2 {
					pin(s.pinned)
				}
				var prof *os.File
				if profile != "" && s.name == "proxy" {
					var err error
					if prof, err = os.Create(fmt.Sprintf("%s-%d.pprof", profile, round)); err != nil {
						b.Fatal(err)
					}
					if err := pprof.StartCPUProfile(prof); err != nil {
						b.Fatal(err)
					}
				}
				c0, titan0 := readProcCost(b), procCPU(b, tg.Pid())
				s.lat = append(s.lat, setLatencies(b, s.addr, clients, per)...)
				c1 := readProcCost(b)
				if prof != nil {
					pprof.StopCPUProfile()
					prof.Close()
				}
				s.cost.add(c0, c1)
				if s.px != nil {
					s.px.settle(b) // titan's share of this turn, off the next one
				}
				if s.name == "proxy" {
					titanProxy += procCPU(b, tg.Pid()) - titan0
				}
			}
		}
		pin(false)
		byName := map[string]*setup{}
		for _, s := range setups {
			byName[s.name] = s
			b.ReportMetric(float64(p99(s.lat).Microseconds()), s.name+"-p99-µs")
		}
		for _, pair := range [][2]string{{"proxy", "redis"}, {"proxy-slow-titan", "redis"}, {"proxy-redis-secondary", "redis"}, {"proxy-pinned", "redis-pinned"}} {
			b.ReportMetric(float64((p99(byName[pair[0]].lat) - p99(byName[pair[1]].lat)).Microseconds()), pair[0]+"-added-p99-µs")
		}
		n := float64(clients * per * rounds)
		px, direct := byName["proxy"].cost, byName["redis"].cost
		b.ReportMetric(float64(px.cpu-direct.cpu)/1e3/n, "proxy-cpu-µs/SET")
		b.ReportMetric(float64(px.syscalls-direct.syscalls)/n, "proxy-syscalls/SET")
		b.ReportMetric(float64(px.ctxsw-direct.ctxsw)/n, "proxy-ctxsw/SET")
		b.ReportMetric(float64(int64(px.gcs)-int64(direct.gcs))*1000/n, "proxy-gc/1kSET")
		b.ReportMetric(float64(px.sched.wakeups()-direct.sched.wakeups())/n, "proxy-wakeups/SET")
		b.ReportMetric(float64(int64(px.created)-int64(direct.created))/n, "proxy-goroutines/SET")
		b.ReportMetric(float64(px.sched.p99().Microseconds()), "proxy-sched-p99-µs")
		b.ReportMetric(float64(direct.sched.p99().Microseconds()), "redis-sched-p99-µs")
		b.ReportMetric(float64(titanProxy)/1e3/n, "titan-cpu-µs/SET")
		// Over the healthy turns, pinned or not (the only ones of fast; run
		// the benchmark with -benchtime 1x).
		for _, px := range []struct {
			name string
			p    *proxyProc
		}{{"replays/pipeline", fast}, {"redis-secondary-replays/pipeline", cheap}} {
			replays := px.p.metric(b, "dualwrite_proxy_commands_total", `result="ok",side="titan"`)
			pipes := px.p.metric(b, "dualwrite_proxy_upstream_duration_seconds_count", `side="titan"`)
			b.ReportMetric(replays/max(pipes, 1), px.name)
		}
	}
}

// procCost is what this process spent over some turns.
type procCost struct {
	cpu             time.Duration
	syscalls, ctxsw int64
	gcs, created    uint64
	sched           schedHist // goroutines' runnable waits
}

// procSample is a reading of this process's counters.
type procSample struct {
	cpu             time.Duration
	syscalls, ctxsw int64
	gcs, created    uint64
	sched           *metrics.Float64Histogram
}

func readProcCost(b *testing.B) procSample {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	s := procSample{
		cpu:   time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		ctxsw: ru.Nvcsw + ru.Nivcsw,
	}
	raw, err := os.ReadFile("/proc/self/io")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "syscr: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			s.syscalls += n
		} else if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			s.syscalls += n
		}
	}
	ms := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/sched/latencies:seconds"}, {Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(ms)
	s.gcs = ms[0].Value.Uint64()
	s.sched = ms[1].Value.Float64Histogram()
	s.created = ms[2].Value.Uint64()
	return s
}

// add adds the difference between two samples.
func (c *procCost) add(a, b procSample) {
	c.cpu += b.cpu - a.cpu
	c.syscalls += b.syscalls - a.syscalls
	c.ctxsw += b.ctxsw - a.ctxsw
	c.gcs += b.gcs - a.gcs
	c.created += b.created - a.created
	if c.sched.buckets == nil {
		c.sched.buckets = b.sched.Buckets
		c.sched.counts = make([]uint64, len(b.sched.Counts))
	}
	for i := range b.sched.Counts {
		c.sched.counts[i] += b.sched.Counts[i] - a.sched.Counts[i]
	}
}

// schedHist is a histogram of runtime/metrics' /sched/latencies.
type schedHist struct {
	buckets []float64
	counts  []uint64
}

// wakeups estimates the goroutines made runnable and then run (wake-ups,
// new goroutines included): the runtime records 1 transition of a
// goroutine in 8 (gTrackingPeriod) in /sched/latencies.
func (h schedHist) wakeups() int64 {
	var n uint64
	for _, c := range h.counts {
		n += c
	}
	return int64(n) * 8
}

// p99 returns the upper bound of the bucket holding the 99th percentile.
func (h schedHist) p99() time.Duration {
	var total uint64
	for _, n := range h.counts {
		total += n
	}
	if total == 0 {
		return 0
	}
	var seen uint64
	for i, n := range h.counts {
		seen += n
		if seen*100 >= total*99 {
			return time.Duration(h.buckets[i+1] * 1e9)
		}
	}
	return 0
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
