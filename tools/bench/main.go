// Command bench runs redis-benchmark workloads against titan (write
// batching on and off, with and without a per-request delay on the
// embedded store) and against a redis-server started in the same run, and
// prints ops/s, the ratios, and TiKV requests per command read from
// titan's /metrics.
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
	"strconv"
	"strings"
	"time"
)

type target struct {
	name   string
	args   []string // titan flags; nil for redis-server
	addr   string
	status string
	cmd    *exec.Cmd
}

type mode struct {
	name     string
	clients  int
	pipeline int
	requests int
}

type result struct {
	rps                     float64
	rpcPerCmd, writesPerCmd float64
}

func main() {
	titan := flag.String("titan", "bin/titan", "titan binary")
	tests := flag.String("t", "set,get,incr,hset,lpush,zadd", "redis-benchmark tests")
	delay := flag.String("delay", "1ms", "per-request delay of the embedded store for the delayed runs")
	scale := flag.Float64("scale", 1, "multiplies the request counts")
	out := flag.String("out", "", "also write the markdown table to this file")
	flag.Parse()

	modes := []mode{
		{"-c 1", 1, 1, int(2000 * *scale)},
		{"-c 50", 50, 1, int(20000 * *scale)},
		{"-c 50 -P 16", 50, 16, int(50000 * *scale)},
	}
	targets := []*target{
		{name: "redis-server"},
		{name: "titan batch", args: []string{"--write-batch=true"}},
		{name: "titan no-batch", args: []string{"--write-batch=false"}},
		{name: "titan batch +" + *delay, args: []string{"--write-batch=true", "--embedded-rpc-delay", *delay}},
		{name: "titan no-batch +" + *delay, args: []string{"--write-batch=false", "--embedded-rpc-delay", *delay}},
	}
	workloads := strings.Split(*tests, ",")
	results := map[string]result{}
	key := func(t *target, m mode, w string) string { return t.name + "|" + m.name + "|" + w }

	for _, t := range targets {
		if err := start(t, *titan); err != nil {
			log.Fatalf("%s: %v", t.name, err)
		}
		for _, m := range modes {
			for _, w := range workloads {
				n := m.requests
				switch {
				case strings.Contains(t.name, "no-batch +"):
					// Without batching, a hot key on a delayed store is
					// served one transaction at a time.
					n = max(n/20, 200)
				case strings.Contains(t.name, "+") && m.clients == 1:
					n = max(n/4, 200) // one client against a delayed store is slow
				}
				before := scrape(t)
				rps, err := runBenchmark(t.addr, w, m, n)
				if err != nil {
					log.Fatalf("%s %s %s: %v", t.name, m.name, w, err)
				}
				after := scrape(t)
				r := result{rps: rps}
				if t.args != nil {
					cmds := after["cmds"] - before["cmds"]
					r.rpcPerCmd = (after["rpc"] - before["rpc"]) / cmds
					r.writesPerCmd = (after["writes"] - before["writes"]) / cmds
				}
				results[key(t, m, w)] = r
				fmt.Fprintf(os.Stderr, "%-26s %-12s %-6s %10.0f ops/s  rpc/cmd %.2f  writes/cmd %.2f\n",
					t.name, m.name, w, r.rps, r.rpcPerCmd, r.writesPerCmd)
			}
		}
		stop(t)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "| workload | mode | redis ops/s |")
	for _, t := range targets[1:] {
		fmt.Fprintf(&b, " %s ops/s (ratio) | %s RPC/cmd (writes) |", t.name, t.name)
	}
	b.WriteString("\n|---|---|---:|")
	for range targets[1:] {
		b.WriteString("---:|---:|")
	}
	b.WriteString("\n")
	for _, w := range workloads {
		for _, m := range modes {
			redis := results[key(targets[0], m, w)].rps
			fmt.Fprintf(&b, "| %s | %s | %.0f |", strings.ToUpper(w), m.name, redis)
			for _, t := range targets[1:] {
				r := results[key(t, m, w)]
				fmt.Fprintf(&b, " %.0f (%.3f) | %.2f (%.2f) |", r.rps, r.rps/redis, r.rpcPerCmd, r.writesPerCmd)
			}
			b.WriteString("\n")
		}
	}
	fmt.Print(b.String())
	if *out != "" {
		if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
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
	for i := 0; i < 300; i++ {
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
	}
}

// runBenchmark runs one redis-benchmark test and returns its requests/s.
func runBenchmark(addr, test string, m mode, n int) (float64, error) {
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-h", host, "-p", port, "-t", test, "-c", strconv.Itoa(m.clients), "-n", strconv.Itoa(n), "--csv"}
	if m.pipeline > 1 {
		args = append(args, "-P", strconv.Itoa(m.pipeline))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-benchmark", args...).Output()
	if err != nil {
		return 0, fmt.Errorf("redis-benchmark %v: %w", args, err)
	}
	rd := csv.NewReader(strings.NewReader(string(out)))
	rd.FieldsPerRecord = -1
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		if len(rec) >= 2 && rec[0] != "test" {
			return strconv.ParseFloat(rec[1], 64)
		}
	}
	return 0, fmt.Errorf("no result in %q", out)
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
			if strings.Contains(line, `"Prewrite"`) || strings.Contains(line, `"Commit"`) {
				res["writes"] += v
			}
		}
	}
	return res
}
