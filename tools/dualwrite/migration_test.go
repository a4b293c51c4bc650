package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

// slowRelay forwards TCP connections to upstream, holding every chunk a
// client sends for delay first: a titan that takes delay per request.
func slowRelay(t testing.TB, upstream string, delay time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			wg.Add(2)
			go func() {
				defer wg.Done()
				io.Copy(c, u)
				c.Close()
			}()
			go func() {
				defer wg.Done()
				defer u.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					time.Sleep(delay)
					if _, err := u.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// p99 of sequential SETs through addr by clients clients.
func setLatencyP99(t testing.TB, addr string, clients, perClient int) time.Duration {
	t.Helper()
	return p99(setLatencies(t, addr, clients, perClient))
}

// p99 returns the 99th percentile of lat (sorting it).
func p99(lat []time.Duration) time.Duration {
	slices.Sort(lat)
	return lat[len(lat)*99/100]
}

// setLatencies returns the latency of each SET that clients clients send
// perClient times each to addr, one at a time.
func setLatencies(t testing.TB, addr string, clients, perClient int) []time.Duration {
	t.Helper()
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := testutil.Client(t, addr)
			for i := range perClient {
				start := time.Now()
				v, err := c.Do(context.Background(), resp.Args("SET", fmt.Sprintf("lat:%d:%d", w, i), "v")...)
				d := time.Since(start)
				if err != nil || v.IsError() {
					t.Errorf("SET: %v %v", v, err)
					return
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return lat
}

// TestSlowTitanCostsClientsNothing: with titan answering in 20 ms per
// request, clients of the proxy see Redis's latency; titan gets every
// write afterwards.
func TestSlowTitanCostsClientsNothing(t *testing.T) {
	shards := startShards(t, 1)
	tg := startTarget(t)
	slow := slowRelay(t, tg.Addr, 20*time.Millisecond)
	px := startProxy(t, append(shards.sourceFlags(), "--titan", slow)...)
	const clients, per = 4, 250
	direct := setLatencyP99(t, shards.addrs[0], clients, per)
	proxied := setLatencyP99(t, px.Addr, clients, per)
	t.Logf("SET p99: redis %v, through the proxy with titan at +20 ms/request %v", direct, proxied)
	if proxied > direct+10*time.Millisecond {
		t.Errorf("proxy p99 %v vs redis %v: clients waited for the slow titan", proxied, direct)
	}
	px.settle(t)
	titan := testutil.Client(t, tg.Addr)
	for w := range clients {
		for i := range per {
			k := fmt.Sprintf("lat:%d:%d", w, i)
			if v := testutil.Do(t, titan, "GET", k); string(v.Str) != "v" {
				t.Fatalf("titan %s = %v after the proxy settled", k, v)
			}
		}
	}
}

// TestJournalRepairsAfterProxyRestart: keys titan missed while it was down
// are repaired by the next proxy started on the same journal, even though
// the first proxy stopped before titan came back.
func TestJournalRepairsAfterProxyRestart(t *testing.T) {
	shards := startShards(t, 3)
	tg := startTarget(t)
	journal := filepath.Join(t.TempDir(), "dirty.journal")
	tg.Kill()
	px := startProxy(t, append(shards.sourceFlags(), "--titan", tg.Addr, "--journal", journal)...)
	c := testutil.Client(t, px.Addr)
	for i := range 100 {
		if v := testutil.Do(t, c, "SET", fmt.Sprintf("j:%d", i), strconv.Itoa(i)); v.String() != `"OK"` {
			t.Fatalf("SET with titan down: %v", v)
		}
	}
	if err := testutil.WaitFor(10*time.Second, func() error {
		if n := px.metric(t, "dualwrite_repair_queue_length", ""); n != 100 {
			return fmt.Errorf("%v keys queued for repair", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	px.shutdown(t)
	tg = tg.restart()
	px = startProxy(t, append(shards.sourceFlags(), "--titan", tg.Addr, "--journal", journal)...)
	px.settle(t)
	titan := testutil.Client(t, tg.Addr)
	for i := range 100 {
		if v := testutil.Do(t, titan, "GET", fmt.Sprintf("j:%d", i)); string(v.Str) != strconv.Itoa(i) {
			t.Fatalf("j:%d on titan = %v after the restarted proxy repaired", i, v)
		}
	}
}

// TestCutoverLosesNoWrite: a writer runs through the proxy the whole time.
// While it writes faster than titan replays, `dualwrite cutover` refuses
// (clients never wait longer than --max-pause) and Redis stays the primary;
// at a rate titan keeps up with, `cutover --reverse` makes titan the
// primary, and every write the writer saw acknowledged is on titan and on
// Redis afterwards.
func TestCutoverLosesNoWrite(t *testing.T) {
	shards := startShards(t, 3)
	tg := startTarget(t)
	px := startProxy(t, append(shards.sourceFlags(), "--titan", tg.Addr)...)
	const writers, keys = 4, 50
	var mu sync.Mutex
	acked := map[string]int64{}
	var pace atomic.Int64 // sleep between writes, ns
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := testutil.Client(t, px.Addr)
			for i := 0; ctx.Err() == nil; i++ {
				k := fmt.Sprintf("cnt:%d:%d", w, i%keys)
				v, err := c.Do(context.Background(), resp.Args("INCR", k)...)
				if err != nil || v.IsError() {
					t.Errorf("INCR %s: %v %v", k, v, err)
					return
				}
				mu.Lock()
				acked[k] = v.Int
				mu.Unlock()
				time.Sleep(time.Duration(pace.Load()))
			}
		}()
	}
	cutover := func(args ...string) (string, error) {
		out, _, err := cli(context.Background(), append([]string{"cutover", "--proxy", px.Status, "--drain-timeout", "30s"}, args...)...)
		return out, err
	}
	time.Sleep(time.Second)
	out, err := cutover("--max-pause", "50ms")
	t.Logf("cutover at full write speed: %s", out)
	// Refused before pausing (titan too far behind), or given up when the
	// 50 ms pause ran out while draining: both leave Redis the primary.
	refused := strings.Contains(out, "writes behind") || strings.Contains(out, "abandoned while replaying queued writes")
	if err != nil && (!refused || px.metric(t, "dualwrite_proxy_titan_primary", "") != 0) {
		t.Fatalf("refused cut-over: %v, primary %v", out, px.metric(t, "dualwrite_proxy_titan_primary", ""))
	}
	pace.Store(int64(3 * time.Millisecond))
	out, err = cutover("--reverse")
	if err != nil {
		t.Fatalf("cutover: %v\n%s", err, out)
	}
	t.Logf("cutover: %s", out)
	time.Sleep(time.Second)
	stop()
	wg.Wait()
	if px.metric(t, "dualwrite_proxy_titan_primary", "") != 1 {
		t.Fatal("titan is not the primary after the cut-over")
	}
	px.settle(t)
	titan := testutil.Client(t, tg.Addr)
	for k, n := range acked {
		if v := testutil.Do(t, titan, "GET", k); string(v.Str) != strconv.FormatInt(n, 10) {
			t.Errorf("titan %s = %v, writer's last acknowledged INCR returned %d", k, v, n)
		}
		if v := testutil.Do(t, shards.pool(k), "GET", k); string(v.Str) != strconv.FormatInt(n, 10) {
			t.Errorf("redis %s = %v after reverse writes, want %d", k, v, n)
		}
	}
	if len(acked) != writers*keys {
		t.Errorf("writer touched %d keys, want %d", len(acked), writers*keys)
	}
}

// dualwriteBinary builds this command once per test binary.
var (
	dwBuild    sync.Once
	dwBin      string
	dwBuildErr error
)

func dualwriteBinary(t testing.TB) string {
	t.Helper()
	dwBuild.Do(func() {
		dir, err := os.MkdirTemp("", "dualwrite-bin")
		if err != nil {
			dwBuildErr = err
			return
		}
		dwBin = filepath.Join(dir, "dualwrite")
		out, err := exec.Command("go", "build", "-o", dwBin, ".").CombinedOutput()
		if err != nil {
			dwBuildErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if dwBuildErr != nil {
		t.Fatalf("build dualwrite: %v", dwBuildErr)
	}
	return dwBin
}

// migrationScale is the number of small keys and the size of the big hash
// of TestWholeMigration: DUALWRITE_SCALE=10 runs the 200k keys and
// 100k-field hash.
func migrationScale() (keys, bigFields int) {
	n, _ := strconv.Atoi(os.Getenv("DUALWRITE_SCALE"))
	if n <= 0 {
		n = 1
	}
	return 20000 * n, 10000 * n
}

// TestWholeMigration runs the runbook end to end with everything going
// wrong on the way: 3 shards behind the proxy, small keys and a big hash, a
// writer through the proxy the whole time, sync killed with SIGKILL midway
// and resumed, a titan outage during the resumed sync, verify --fix, then
// the cutover command. It ends with verify reporting 0 differences, no
// temporary keys on titan, and every write the writer saw acknowledged on
// titan.
func TestWholeMigration(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	nKeys, bigFields := migrationScale()
	shards := startShards(t, 3)
	tg := startTarget(t)
	shards.seed(t, "pre", nKeys)
	bigKey := "big:{h}"
	bigOwner := shards.pool(bigKey)
	for lo := 0; lo < bigFields; lo += 1000 {
		args := []string{"HSET", bigKey}
		for j := lo; j < min(lo+1000, bigFields); j++ {
			args = append(args, "f"+strconv.Itoa(j), strconv.Itoa(j))
		}
		testutil.Do(t, bigOwner, args...)
	}
	journal := filepath.Join(t.TempDir(), "proxy.journal")
	px := startProxy(t, append(shards.sourceFlags(), "--titan", tg.Addr, "--journal", journal)...)

	// The writer: counters, strings and fields of the big hash.
	var mu sync.Mutex
	acked := map[string]string{}
	ctx, stopWriter := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var bigQuiet atomic.Bool
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := testutil.Client(t, px.Addr)
			for i := 0; ctx.Err() == nil; i++ {
				var k string
				var cmd []string
				switch i % 3 {
				case 0:
					k = fmt.Sprintf("w:cnt:%d:%d", w, i%50)
					cmd = []string{"INCR", k}
				case 1:
					k = fmt.Sprintf("w:str:%d:%d", w, i%50)
					cmd = []string{"SET", k, strconv.Itoa(i)}
				default:
					k = bigKey + "|live" + strconv.Itoa(w)
					cmd = []string{"HSET", bigKey, "live" + strconv.Itoa(w), strconv.Itoa(i)}
					if bigQuiet.Load() {
						// A big key written without pause never settles
						// once it needs a repair (each copy takes longer
						// than the gap between writes: see MIGRATION.md);
						// it is written during the backfill only.
						k = fmt.Sprintf("w:str:%d:%d", w, i%50)
						cmd = []string{"SET", k, strconv.Itoa(i)}
					}
				}
				v, err := c.Do(context.Background(), resp.Args(cmd...)...)
				if err != nil || v.IsError() {
					t.Errorf("%v through the proxy: %v %v", cmd, v, err)
					return
				}
				mu.Lock()
				switch i % 3 {
				case 0:
					acked[k] = strconv.FormatInt(v.Int, 10)
				default:
					acked[k] = strconv.Itoa(i)
				}
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}

	ckpt := filepath.Join(t.TempDir(), "sync.ckpt")
	syncArgs := append(append([]string{"sync"}, shards.sourceFlags()...), "--titan", tg.Addr, "--workers", "4",
		"--page", "500", "--settle", testSettle, "--checkpoint", ckpt, "--progress-interval", "1s")

	// 1. sync in its own process, killed with SIGKILL midway.
	var logs syncBuffer
	proc := exec.Command(dualwriteBinary(t), append(syncArgs, "--rate", "5000")...)
	proc.Stdout, proc.Stderr = &logs, &logs
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	proc.Process.Kill()
	proc.Wait()
	if _, err := os.Stat(ckpt); err != nil {
		t.Fatalf("no checkpoint after 3 s of sync: %v\n%s", err, logs.String())
	}

	// 2. Resume in-process; titan goes down for a second in the middle.
	go func() {
		time.Sleep(1500 * time.Millisecond)
		tg.Kill()
		time.Sleep(time.Second)
		tg = tg.restart()
	}()
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var out, errs string
		out, errs, err = cli(context.Background(), syncArgs...)
		if err == nil {
			break
		}
		t.Logf("sync attempt %d: %v (run again, as the runbook says)\n%s%s", attempt, err, out, lastLines(errs, 5))
		time.Sleep(time.Second)
	}
	if err != nil {
		t.Fatalf("sync never completed: %v", err)
	}
	bigQuiet.Store(true)

	// 3. verify --fix until clean, with the writer still running.
	var out string
	for attempt := 0; attempt < 5; attempt++ {
		out, _, err = cli(context.Background(), append(append([]string{"verify"}, shards.sourceFlags()...), "--titan", tg.Addr, "--fix", "--settle", testSettle)...)
		if err == nil {
			break
		}
	}
	t.Logf("verify --fix: %s", out)
	if err != nil {
		t.Fatalf("verify --fix never converged: %v\n%s", err, out)
	}

	// 4. Cut over while the writer runs, then stop it.
	cutOut, _, err := cli(context.Background(), "cutover", "--proxy", px.Status, "--drain-timeout", "60s", "--max-pause", "5s")
	if err != nil {
		t.Fatalf("cutover: %v\n%s", err, cutOut)
	}
	t.Logf("cutover: %s", cutOut)
	time.Sleep(500 * time.Millisecond)
	stopWriter()
	wg.Wait()
	px.settle(t)

	titan := testutil.Client(t, tg.Addr)
	if v := testutil.Do(t, titan, "KEYS", "__dualwrite:tmp:*"); len(v.Elems) != 0 {
		t.Errorf("%d temporary keys left on titan: %v", len(v.Elems), v)
	}
	if v := testutil.Do(t, titan, "HLEN", bigKey); v.Int < int64(bigFields) {
		t.Errorf("big hash on titan has %d fields, want %d+", v.Int, bigFields)
	}
	wrong := 0
	for k, want := range acked {
		var v resp.Value
		if key, field, ok := strings.Cut(k, "|"); ok {
			v = testutil.Do(t, titan, "HGET", key, field)
		} else {
			v = testutil.Do(t, titan, "GET", k)
		}
		if string(v.Str) != want {
			wrong++
			if wrong < 5 {
				t.Errorf("titan %s = %v, the writer's last acknowledged write set %s", k, v, want)
			}
		}
	}
	if wrong > 0 {
		t.Fatalf("%d of %d acknowledged writes wrong on titan after the cut-over", wrong, len(acked))
	}
	t.Logf("%d small keys + a %d-field hash migrated; %d keys written by the live writer all correct", nKeys, bigFields, len(acked))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
