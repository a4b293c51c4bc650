// Command bench runs redis-benchmark workloads against titan (write
// batching on and off, with and without a per-request delay on the
// embedded store) and against a redis-server started in the same run, and
// prints, per workload: ops/s, p50/p99 latency, the server's CPU time per
// command (from /proc/<pid>/stat, steady on a busy machine), and titan's
// TiKV requests per command (from its /metrics), with the lock resolutions
// (ResolveLock, CheckTxnStatus...) its own traffic caused.
package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// workload is one command, on random keys (-r) or on one hot key.
type workload struct {
	name      string
	random    string // redis-benchmark command with __rand_int__ keys
	hot       string // the same on one key
	readsList bool   // needs the 100-element list "big" first
}

var workloads = []workload{
	{name: "set", random: "SET k:__rand_int__ xxx", hot: "SET hot xxx"},
	{name: "get", random: "GET k:__rand_int__", hot: "GET hot"},
	{name: "incr", random: "INCR n:__rand_int__", hot: "INCR hotn"},
	{name: "hset", random: "HSET h:__rand_int__ f xxx", hot: "HSET hoth f:__rand_int__ xxx"},
	{name: "hget", random: "HGET h:__rand_int__ f", hot: "HGET hoth f:__rand_int__"},
	{name: "lpush", random: "LPUSH l:__rand_int__ xxx", hot: "LPUSH hotl xxx"},
	{name: "rpop", random: "RPOP l:__rand_int__", hot: "RPOP hotl"},
	{name: "sadd", random: "SADD s:__rand_int__ m:__rand_int__", hot: "SADD hots m:__rand_int__"},
	{name: "zadd", random: "ZADD z:__rand_int__ __rand_int__ m:__rand_int__", hot: "ZADD hotz __rand_int__ m:__rand_int__"},
	{name: "lrange_100", random: "LRANGE big 0 99", hot: "LRANGE big 0 99", readsList: true},
	{name: "xadd", random: "XADD x:__rand_int__ * f xxx", hot: "XADD hotx * f xxx"},
	// The consumer's 100 pending entries of "bigx", read again (and their
	// delivery counts updated) by every call.
	{name: "xreadgroup_100", random: "XREADGROUP GROUP g c COUNT 100 STREAMS bigx 0", hot: "XREADGROUP GROUP g c COUNT 100 STREAMS bigx 0", readsList: true},
}

type target struct {
	name    string
	dir     string   // data directory, removed at stop
	args    []string // titan flags; nil for redis-server
	delayed bool
	addr    string
	status  string
	cmd     *exec.Cmd
}

type mode struct {
	name     string
	hot      bool
	pipeline int
	requests int
}

type result struct {
	rps, p50, p99      float64
	cpuPerCmd          float64 // µs
	rpcPerCmd, wPerCmd float64
	locks              float64 // lock resolution requests in the run
}

const clients = 50

func main() {
	titan := flag.String("titan", "bin/titan", "titan binary")
	tests := flag.String("t", "set,get,incr,hset,hget,lpush,rpop,sadd,zadd,lrange_100,xadd", "workloads (also: xreadgroup_100)")
	delayedTests := flag.String("t-delay", "set,get,incr,hset", "workloads of the delayed runs")
	delay := flag.String("delay", "1ms", "per-request delay of the embedded store for the delayed runs")
	scale := flag.Float64("scale", 1, "multiplies the request counts")
	out := flag.String("out", "", "also write the markdown tables to this file")
	only := flag.String("only", "", "run only these targets, comma-separated (redis, batch, no-batch, \"batch +1ms\"...; default all): the others' columns stay empty")
	aged := flag.Int("aged", 0, "instead of the tables: measure one titan fresh, after this many writes to the same keys, and settled (aged.go)")
	agedArgs := flag.String("aged-args", "", "extra titan flags of the -aged run, space-separated")
	agedReps := flag.Int("aged-reps", 3, "measurements per figure of the -aged run (the median is kept)")
	agedSettle := flag.Duration("aged-settle", 11*time.Minute, "least wait before the -aged run's settled figures (past gc-life-time)")
	agedIdle := flag.Float64("aged-idle", 0.1, "settled: titan busy at most this share of a core over 10 s")
	agedPprof := flag.String("aged-pprof", "", "directory for CPU profiles of the -aged run")
	agedControl := flag.Bool("aged-control", false, "-aged: also measure a second titan, filled the same but never aged, right after the first in every phase (the same load)")
	flag.Parse()
	if *aged > 0 {
		runAged(agedOptions{titan: *titan, writes: *aged, args: strings.Fields(*agedArgs), reps: *agedReps,
			scale: *scale, settle: *agedSettle, idle: *agedIdle, pprof: *agedPprof, control: *agedControl, out: *out, workers: "set,get,incr,hset"})
		return
	}

	modes := []mode{
		{"-r 100000 -P 1", false, 1, int(20000 * *scale)},
		{"-r 100000 -P 16", false, 16, int(100000 * *scale)},
		{"hot -P 1", true, 1, int(20000 * *scale)},
		{"hot -P 16", true, 16, int(100000 * *scale)},
	}
	targets := []*target{
		{name: "redis"},
		{name: "batch", args: []string{"--write-batch=true"}},
		{name: "no-batch", args: []string{"--write-batch=false"}},
		{name: "batch +" + *delay, args: []string{"--write-batch=true", "--embedded-rpc-delay", *delay}, delayed: true},
		{name: "no-batch +" + *delay, args: []string{"--write-batch=false", "--embedded-rpc-delay", *delay}, delayed: true},
	}
	results := map[string]result{}
	key := func(t *target, m mode, w string) string { return t.name + "|" + m.name + "|" + w }
	for _, t := range targets {
		if *only != "" && !slices.Contains(strings.Split(*only, ","), t.name) {
			continue
		}
		if err := start(t, *titan); err != nil {
			log.Fatalf("%s: %v", t.name, err)
		}
		names := *tests
		if t.delayed {
			names = *delayedTests
		}
		for _, m := range modes {
			for _, w := range pick(names) {
				n := m.requests
				switch {
				case t.args == nil:
				case t.delayed && t.args[0] == "--write-batch=false":
					n /= 20 // one transaction at a time per key, 3 ms each
				case t.delayed:
					n /= 4
				case m.hot && t.args[0] == "--write-batch=false":
					n /= 10 // one key's transactions run one at a time
				}
				n = max(n, 500)
				if w.readsList {
					fill(t.addr)
				}
				cmd := w.random
				if m.hot {
					cmd = w.hot
				}
				before, cpu0 := scrape(t), cpuTime(t)
				r, err := runBenchmark(t.addr, cmd, m, n)
				if err != nil {
					log.Fatalf("%s %s %s: %v", t.name, m.name, w.name, err)
				}
				after, cpu1 := scrape(t), cpuTime(t)
				r.cpuPerCmd = float64((cpu1 - cpu0).Microseconds()) / float64(n)
				if t.args != nil {
					cmds := after["cmds"] - before["cmds"]
					r.rpcPerCmd = (after["rpc"] - before["rpc"]) / cmds
					r.wPerCmd = (after["writes"] - before["writes"]) / cmds
					r.locks = after["locks"] - before["locks"]
				}
				results[key(t, m, w.name)] = r
				fmt.Fprintf(os.Stderr, "%-16s %-16s %-10s %9.0f ops/s p99 %7.2f ms %7.1f µs/cmd  req/cmd %.2f (writes %.2f) locks %.0f\n",
					t.name, m.name, w.name, r.rps, r.p99, r.cpuPerCmd, r.rpcPerCmd, r.wPerCmd, r.locks)
			}
		}
		stop(t)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Without delay (c=%d; µs = CPU µs of the server process per command; req = TiKV requests per command, writes = Prewrite+Commit; locks = ResolveLock/CheckTxnStatus/Cleanup requests in the run):\n\n", clients)
	b.WriteString("| workload | mode | redis ops/s | redis µs | batch ops/s (x redis) | p50 / p99 ms | µs (x redis) | req (writes) | locks | no-batch ops/s | no-batch µs | no-batch req | on/off |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, w := range pick(*tests) {
		for _, m := range modes {
			rd, on, off := results[key(targets[0], m, w.name)], results[key(targets[1], m, w.name)], results[key(targets[2], m, w.name)]
			fmt.Fprintf(&b, "| %s | %s | %.0f | %.1f | %.0f (%.2f) | %.1f / %.1f | %.1f (%.1f) | %.2f (%.2f) | %.0f | %.0f | %.1f | %.2f | %.2f |\n",
				strings.ToUpper(w.name), m.name, rd.rps, rd.cpuPerCmd, on.rps, on.rps/rd.rps, on.p50, on.p99,
				on.cpuPerCmd, on.cpuPerCmd/rd.cpuPerCmd, on.rpcPerCmd, on.wPerCmd, on.locks, off.rps, off.cpuPerCmd, off.rpcPerCmd, on.rps/off.rps)
		}
	}
	fmt.Fprintf(&b, "\nWith %s per store request:\n\n", *delay)
	b.WriteString("| workload | mode | batch ops/s | p50 / p99 ms | req (writes) | locks | no-batch ops/s | no-batch req (writes) | on/off |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, w := range pick(*delayedTests) {
		for _, m := range modes {
			on, off := results[key(targets[3], m, w.name)], results[key(targets[4], m, w.name)]
			fmt.Fprintf(&b, "| %s | %s | %.0f | %.1f / %.1f | %.2f (%.2f) | %.0f | %.0f | %.2f (%.2f) | %.2f |\n",
				strings.ToUpper(w.name), m.name, on.rps, on.p50, on.p99, on.rpcPerCmd, on.wPerCmd, on.locks,
				off.rps, off.rpcPerCmd, off.wPerCmd, on.rps/off.rps)
		}
	}
	fmt.Print(b.String())
	if *out != "" {
		if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func pick(names string) []workload {
	var ws []workload
	for _, n := range strings.Split(names, ",") {
		found := false
		for _, w := range workloads {
			if w.name == n {
				ws, found = append(ws, w), true
			}
		}
		if !found {
			log.Fatalf("unknown workload %q", n)
		}
	}
	return ws
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func start(t *target, titan string) error {
	t.addr = freeAddr()
	dir, err := os.MkdirTemp("", "titan-bench-")
	if err != nil {
		return err
	}
	t.dir = dir
	if t.args == nil {
		_, port, _ := net.SplitHostPort(t.addr)
		t.cmd = exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	} else {
		t.status = freeAddr()
		args := append([]string{"--listen", t.addr, "--status-listen", t.status, "--data-dir", dir, "--log-level", "warn"}, t.args...)
		t.cmd = exec.Command(titan, args...)
	}
	t.cmd.Stderr = os.Stderr
	if err := t.cmd.Start(); err != nil {
		return err
	}
	for range 300 {
		if c, err := net.Dial("tcp", t.addr); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("did not start")
}

func stop(t *target) {
	t.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { t.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(t.dir)
}

// fill makes "big" a list of 100 elements for LRANGE_100 and "bigx" a
// stream of 100 entries all pending for consumer c of group g.
func fill(addr string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	var b strings.Builder
	b.WriteString("*102\r\n$5\r\nRPUSH\r\n$3\r\nbig\r\n")
	for i := range 100 {
		v := strconv.Itoa(i)
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(v), v)
	}
	b.WriteString("*4\r\n$5\r\nLTRIM\r\n$3\r\nbig\r\n$1\r\n0\r\n$2\r\n99\r\n")
	for i := range 100 {
		fmt.Fprintf(&b, "XADD bigx %d-1 f xxx\r\n", i+1)
	}
	b.WriteString("XGROUP CREATE bigx g 0\r\nXGROUP SETID bigx g 0\r\nXREADGROUP GROUP g c STREAMS bigx >\r\nPING\r\n")
	if _, err := io.WriteString(c, b.String()); err != nil {
		log.Fatal(err)
	}
	rd := bufio.NewReader(c)
	for {
		l, err := rd.ReadString('\n')
		if err != nil {
			log.Fatal(err)
		}
		if l == "+PONG\r\n" {
			break
		}
	}
}

// cpuTime is the user+system CPU time the target's process has used.
func cpuTime(t *target) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", t.cmd.Process.Pid))
	if err != nil {
		log.Fatal(err)
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are the 14th and 15th fields of the line, in clock ticks.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * time.Second / 100 // USER_HZ is 100 on Linux
}

// runBenchmark runs one redis-benchmark command and returns its figures.
func runBenchmark(addr, command string, m mode, n int) (result, error) {
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-h", host, "-p", port, "-c", strconv.Itoa(clients), "-n", strconv.Itoa(n), "-r", "100000", "--csv"}
	if m.pipeline > 1 {
		args = append(args, "-P", strconv.Itoa(m.pipeline))
	}
	args = append(args, strings.Fields(command)...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-benchmark", args...).Output()
	if err != nil {
		return result{}, fmt.Errorf("redis-benchmark %v: %w", args, err)
	}
	rd := csv.NewReader(strings.NewReader(string(out)))
	rd.FieldsPerRecord = -1
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return result{}, err
		}
		if len(rec) >= 7 && rec[0] != "test" {
			var r result
			r.rps, _ = strconv.ParseFloat(rec[1], 64)
			r.p50, _ = strconv.ParseFloat(rec[4], 64)
			r.p99, _ = strconv.ParseFloat(rec[6], 64)
			return r, nil
		}
	}
	return result{}, fmt.Errorf("no result in %q", out)
}

// scrape sums titan's command and TiKV request counters.
func scrape(t *target) map[string]float64 {
	res := map[string]float64{}
	if t.status == "" {
		return res
	}
	resp, err := http.Get("http://" + t.status + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		switch {
		case strings.HasPrefix(line, "titan_commands_total{"):
			res["cmds"] += v
		case strings.HasPrefix(line, "titan_tikv_requests_total{"):
			res["rpc"] += v
			switch {
			case strings.Contains(line, `"Prewrite"`) || strings.Contains(line, `"Commit"`):
				res["writes"] += v
			case strings.Contains(line, `"ResolveLock"`) || strings.Contains(line, `"CheckTxnStatus"`) ||
				strings.Contains(line, `"Cleanup"`) || strings.Contains(line, `"CheckSecondaryLocks"`):
				res["locks"] += v
			}
		}
	}
	return res
}
