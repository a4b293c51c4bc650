package main

// The aged-store run (-aged N): one titan on the embedded store, measured
// fresh, after N writes to the same 100k keys, and again once the store
// settled (its MVCC GC past the written history, its compactions done),
// with the same workloads, figures and counters as the main table.

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// agedOptions configures runAged.
type agedOptions struct {
	titan   string
	writes  int      // aging writes: 90% SET, 5% INCR, 5% HSET
	args    []string // extra titan flags
	reps    int      // measurements per figure; the median is kept
	scale   float64
	settle  time.Duration // least wait before the settled measurement
	idle    float64       // settled: titan's CPU share (cores) at most, over 10 s
	pprof   string        // directory for CPU profiles of the aged and settled store
	out     string
	workers string // workloads measured
	// control: a second titan, filled as the first but never aged,
	// measured right after it in every phase (same workloads, same
	// moment): CPU µs per command move with the machine's load, so the
	// aged store is compared with a fresh one under the same load.
	control bool
}

// agedPhase is one measurement of every workload and mode.
type agedPhase struct {
	name    string
	results map[string]result // workload|mode
	control map[string]result // the control titan's, measured interleaved
	// ratio is the median over the reps of the aged titan's CPU µs per
	// command over the control's measured right after: paired, so a
	// change of the machine's load between reps cancels out.
	ratio map[string]float64
	store string // /debug/store after the phase
	load  string // the machine's load averages after the phase
}

func runAged(o agedOptions) {
	t := &target{name: "aged", args: append([]string{"--write-batch=true"}, o.args...)}
	if err := start(t, o.titan); err != nil {
		log.Fatalf("titan: %v", err)
	}
	defer stop(t)
	var tc *target
	if o.control {
		tc = &target{name: "control", args: t.args}
		if err := start(tc, o.titan); err != nil {
			log.Fatalf("control titan: %v", err)
		}
		defer stop(tc)
	}
	modes := []mode{
		{"-r 100000 -P 1", false, 1, int(20000 * o.scale)},
		{"-r 100000 -P 16", false, 16, int(100000 * o.scale)},
	}
	ws := pick(o.workers)
	logf := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, a...)...)
	}
	// Every key of the three types exists before the fresh figures.
	for _, cmd := range []string{"SET k:__rand_int__ xxx", "INCR n:__rand_int__", "HSET h:__rand_int__ f xxx"} {
		if _, err := runBenchmark(t.addr, cmd, mode{pipeline: 16}, 150000); err != nil {
			log.Fatal(err)
		}
		if tc != nil {
			if _, err := runBenchmark(tc.addr, cmd, mode{pipeline: 16}, 150000); err != nil {
				log.Fatal(err)
			}
		}
	}
	measure := func(name string) agedPhase {
		p := agedPhase{name: name, results: map[string]result{}, control: map[string]result{}, ratio: map[string]float64{}}
		all, ctl := map[string][]result{}, map[string][]result{}
		for range o.reps {
			for _, m := range modes {
				for _, w := range ws {
					k := w.name + "|" + m.name
					all[k] = append(all[k], measureOne(t, w.random, m))
					if tc != nil {
						ctl[k] = append(ctl[k], measureOne(tc, w.random, m))
					}
				}
			}
		}
		for k, rs := range all {
			p.results[k] = medianResult(rs)
			r := p.results[k]
			logf("%-8s %-22s %8.0f ops/s %7.1f µs/cmd req/cmd %.2f (writes %.2f) locks %.0f",
				name, k, r.rps, r.cpuPerCmd, r.rpcPerCmd, r.wPerCmd, r.locks)
			if cs := ctl[k]; len(cs) > 0 {
				c := medianResult(cs)
				p.control[k] = c
				ratios := make([]float64, len(cs))
				for i := range cs {
					ratios[i] = rs[i].cpuPerCmd / cs[i].cpuPerCmd
				}
				slices.Sort(ratios)
				p.ratio[k] = ratios[len(ratios)/2]
				logf("%-8s %-22s %8.0f ops/s %7.1f µs/cmd (paired ratios %.2f, median %.2f)", "control", k, c.rps, c.cpuPerCmd, ratios, p.ratio[k])
			}
		}
		p.store = storeStats(t)
		p.load = loadAvg()
		logf("%s store (load average %s):\n%s", name, p.load, p.store)
		return p
	}
	profile := func(name string) {
		if o.pprof == "" {
			return
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			resp, err := http.Get("http://" + t.status + "/debug/pprof/profile?seconds=20")
			if err != nil {
				log.Printf("pprof: %v", err)
				return
			}
			defer resp.Body.Close()
			f, err := os.Create(filepath.Join(o.pprof, "aged-"+name+".pprof"))
			if err != nil {
				log.Fatal(err)
			}
			defer f.Close()
			io.Copy(f, resp.Body)
		}()
		// Load for the profile: SET and GET at -P 1, as measured.
		for {
			select {
			case <-done:
				return
			default:
			}
			runBenchmark(t.addr, "SET k:__rand_int__ xxx", mode{pipeline: 1}, 5000)
			runBenchmark(t.addr, "GET k:__rand_int__", mode{pipeline: 1}, 5000)
		}
	}

	fresh := measure("fresh")
	profile("fresh")
	began := time.Now()
	const chunk = 1000000
	for done := 0; done < o.writes; done += chunk {
		n := min(chunk, o.writes-done)
		c0, s0, t0 := cpuTime(t), scrape(t), time.Now()
		for _, w := range []struct {
			cmd   string
			share int // of 20
		}{{"SET k:__rand_int__ xxx", 18}, {"INCR n:__rand_int__", 1}, {"HSET h:__rand_int__ f xxx", 1}} {
			if _, err := runBenchmark(t.addr, w.cmd, mode{pipeline: 16}, n*w.share/20); err != nil {
				log.Fatal(err)
			}
		}
		c1, s1 := cpuTime(t), scrape(t)
		cmds := s1["cmds"] - s0["cmds"]
		logf("aging: %d writes done, %.0f ops/s, %.1f µs/cmd, req/cmd %.2f, %s elapsed",
			done+n, cmds/time.Since(t0).Seconds(), float64((c1-c0).Microseconds())/cmds,
			(s1["rpc"]-s0["rpc"])/cmds, time.Since(began).Round(time.Second))
	}
	aged := measure("aged")
	profile("aged")

	// Settled: the MVCC GC has passed the aging's history and titan is
	// (nearly) idle: compactions and collections are done.
	settleStart := time.Now()
	for {
		c0 := cpuTime(t)
		time.Sleep(10 * time.Second)
		share := float64(cpuTime(t)-c0) / float64(10*time.Second)
		waited := time.Since(settleStart)
		logf("settling: %.2f cores busy, %s waited", share, waited.Round(time.Second))
		if waited >= o.settle && share <= o.idle {
			break
		}
		if waited >= o.settle+20*time.Minute {
			logf("settling: still busy, measured anyway")
			break
		}
	}
	settled := measure("settled")
	profile("settled")

	var b strings.Builder
	fmt.Fprintf(&b, "Embedded store fresh, after %d writes to the same keys (%s), and settled (c=%d; medians of %d; µs = titan CPU µs per command; req = TiKV requests per command):\n\n",
		o.writes, time.Since(began).Round(time.Second), clients, o.reps)
	b.WriteString("| workload | mode | fresh ops/s | fresh µs | fresh req | aged ops/s | aged µs (x fresh) | aged req | settled ops/s | settled µs (x fresh) | settled req |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, w := range ws {
		for _, m := range modes {
			k := w.name + "|" + m.name
			f, a, s := fresh.results[k], aged.results[k], settled.results[k]
			fmt.Fprintf(&b, "| %s | %s | %.0f | %.1f | %.2f | %.0f | %.1f (%.2f) | %.2f | %.0f | %.1f (%.2f) | %.2f |\n",
				strings.ToUpper(w.name), m.name, f.rps, f.cpuPerCmd, f.rpcPerCmd, a.rps, a.cpuPerCmd, a.cpuPerCmd/f.cpuPerCmd,
				a.rpcPerCmd, s.rps, s.cpuPerCmd, s.cpuPerCmd/f.cpuPerCmd, s.rpcPerCmd)
		}
	}
	for _, p := range []agedPhase{fresh, aged, settled} {
		fmt.Fprintf(&b, "\nStore, %s (load average %s):\n\n```\n%s\n```\n", p.name, p.load, strings.TrimSpace(p.store))
	}
	if tc != nil {
		fmt.Fprintf(&b, "\nThe same phases against the control titan (filled as the first, never aged), measured right after it each time (µs per command, control; x control: median over the reps of the titan's µs over the control's right after):\n\n")
		b.WriteString("| workload | mode | fresh: control µs | x control | aged: control µs | x control | settled: control µs | x control |\n")
		b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|\n")
		for _, w := range ws {
			for _, m := range modes {
				k := w.name + "|" + m.name
				fmt.Fprintf(&b, "| %s | %s |", strings.ToUpper(w.name), m.name)
				for _, p := range []agedPhase{fresh, aged, settled} {
					c := p.control[k]
					fmt.Fprintf(&b, " %.1f | %.2f |", c.cpuPerCmd, p.ratio[k])
				}
				b.WriteString("\n")
			}
		}
	}
	fmt.Print(b.String())
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(b.String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// measureOne runs one workload and returns its figures, as the main
// table measures them.
func measureOne(t *target, cmd string, m mode) result {
	before, cpu0 := scrape(t), cpuTime(t)
	r, err := runBenchmark(t.addr, cmd, m, m.requests)
	if err != nil {
		log.Fatalf("%s %s: %v", m.name, cmd, err)
	}
	after, cpu1 := scrape(t), cpuTime(t)
	r.cpuPerCmd = float64((cpu1 - cpu0).Microseconds()) / float64(m.requests)
	cmds := after["cmds"] - before["cmds"]
	r.rpcPerCmd = (after["rpc"] - before["rpc"]) / cmds
	r.wPerCmd = (after["writes"] - before["writes"]) / cmds
	r.locks = after["locks"] - before["locks"]
	return r
}

// medianResult is the median of rs, figure by figure.
func medianResult(rs []result) result {
	med := func(f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return result{
		rps:       med(func(r result) float64 { return r.rps }),
		p50:       med(func(r result) float64 { return r.p50 }),
		p99:       med(func(r result) float64 { return r.p99 }),
		cpuPerCmd: med(func(r result) float64 { return r.cpuPerCmd }),
		rpcPerCmd: med(func(r result) float64 { return r.rpcPerCmd }),
		wPerCmd:   med(func(r result) float64 { return r.wPerCmd }),
		locks:     med(func(r result) float64 { return r.locks }),
	}
}

// storeStats is titan's embedded-store report (/debug/store: LevelDB's
// levels and compactions, regions), or what went wrong reading it.
func storeStats(t *target) string {
	resp, err := http.Get("http://" + t.status + "/debug/store")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.Status
	}
	return string(b)
}

// loadAvg is the machine's 1, 5 and 15 minute load averages: CPU µs per
// command rise on a crowded machine, so figures come with it.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
