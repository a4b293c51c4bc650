package proxy

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/metrics"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/source"
	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

// markerRelay forwards connections to upstream, holding back for delay
// every chunk a client sends that contains marker (the rest of that
// connection waits behind it, as on a slow server).
func markerRelay(t *testing.T, upstream string, marker []byte, delay time.Duration) string {
	t.Helper()
	return relay(t, upstream, func(chunk []byte) bool {
		if bytes.Contains(chunk, marker) {
			time.Sleep(delay)
		}
		return true
	}, nil)
}

// relay forwards connections to upstream. Each chunk a client sends goes
// through pass first, which may hold it back and reports whether it is
// forwarded: after a false, the connection's requests are swallowed
// (never forwarded, never answered) while it stays open, and stuck (when
// not nil) counts it until the client closes it. Every connection is
// closed at cleanup.
func relay(t *testing.T, upstream string, pass func(chunk []byte) bool, stuck *atomic.Int64) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
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
			mu.Lock()
			conns = append(conns, c, u)
			mu.Unlock()
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, _ = io.Copy(c, u)
				c.Close()
			}()
			go func() {
				defer wg.Done()
				defer u.Close()
				defer c.Close()
				buf := make([]byte, 64<<10)
				swallow := false
				for {
					n, err := c.Read(buf)
					if n > 0 && !swallow && !pass(buf[:n]) {
						swallow = true
						if stuck != nil {
							stuck.Add(1)
							defer stuck.Add(-1)
						}
					}
					if n > 0 && !swallow {
						if _, werr := u.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return // the client closed the connection
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// newRealProxy runs a proxy over a real Redis source and titan address
// with the given timeout, with its apply and repair loops.
func newRealProxy(t testing.TB, redisAddr, titanAddr string, timeout time.Duration) *Proxy {
	t.Helper()
	return newRealProxyCfg(t, redisAddr, titanAddr, timeout, nil)
}

// newRealProxyCfg is newRealProxy with the Config changed by set (when
// not nil) before the proxy is made.
func newRealProxyCfg(t testing.TB, redisAddr, titanAddr string, timeout time.Duration, set func(*Config)) *Proxy {
	t.Helper()
	src, err := source.Open(context.Background(), source.Options{Redis: []string{redisAddr}, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	titan := resp.NewPool(titanAddr, 16, timeout)
	t.Cleanup(titan.Close)
	cfg := Config{Source: src, Titan: titan, ReadFrom: ReadRedis, Metrics: metrics.New(metrics.Proxy),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Timeout: timeout, ApplyShards: 4}
	if set != nil {
		set(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for _, run := range []func(context.Context){p.repair.run, p.titanQ.run, p.redisQ.run} {
			wg.Add(1)
			go func() { defer wg.Done(); run(ctx) }()
		}
		wg.Wait()
	}()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

// TestLateReplayNeverOverwritesRepair: a replay that timed out reaches
// titan only later (titan was slow, not down). The key's repair waits
// until that replay can no longer land, so the late old value never
// overwrites the newer copy.
func TestLateReplayNeverOverwritesRepair(t *testing.T) {
	redis := testutil.StartRedis(t)
	titan := testutil.StartRedis(t)
	const late = 1500 * time.Millisecond
	relay := markerRelay(t, titan.Addr, []byte("old-value"), late)
	p := newRealProxy(t, redis.Addr, relay, 300*time.Millisecond)
	start := time.Now()
	if v, _ := p.dispatch(split("SET k old-value")); v.String() != `"OK"` {
		t.Fatalf("SET: %v", v)
	}
	// The replay of old-value times out after 300 ms; the key is queued
	// for repair. Redis moves on meanwhile.
	if v, _ := p.dispatch(split("SET k new-value")); v.String() != `"OK"` {
		t.Fatalf("SET: %v", v)
	}
	tc := testutil.Client(t, titan.Addr)
	if err := testutil.WaitFor(10*time.Second, func() error {
		if time.Since(start) < late+500*time.Millisecond {
			return io.ErrNoProgress // the late write has not landed yet
		}
		if n := p.RepairQueueLen() + p.ApplyQueueLen(); n > 0 {
			return io.ErrNoProgress
		}
		return nil
	}); err != nil {
		t.Fatalf("proxy did not settle: repair %d, apply %d", p.RepairQueueLen(), p.ApplyQueueLen())
	}
	if v := testutil.Do(t, tc, "GET", "k"); string(v.Str) != "new-value" {
		t.Errorf("titan holds %v after the repair, want new-value: a timed-out replay landed after the copy", v)
	}
	if n := metricValue(t, p, "dualwrite_repairs_done_total", ""); n < 1 {
		t.Errorf("%v repairs, want the key repaired after its replay timed out", n)
	}
}

// TestRepairMarksAcrossBackfill: a repair copy marks its key dirty when a
// backfill ran at any time during the copy: one lowered while the copy's
// write was on its way (the backfill's drain may have passed the key), or
// one that started and ended within the copy.
func TestRepairMarksAcrossBackfill(t *testing.T) {
	redis := testutil.StartRedis(t)
	titan := testutil.StartRedis(t)
	const slow = 800 * time.Millisecond
	relay := markerRelay(t, titan.Addr, []byte("marker-value"), slow)
	p := newRealProxy(t, redis.Addr, relay, 5*time.Second)
	// The proxy polls the flag every second: fresh polls, no stale marking.
	p.polledAt.Store(time.Now().Add(time.Hour).UnixNano())
	rc, tc := testutil.Client(t, redis.Addr), testutil.Client(t, titan.Addr)
	for _, tc2 := range []struct {
		name       string
		startOn    bool
		duringCopy []bool // flag values set while the copy's write is delayed
	}{
		{"lowered during the copy", true, []bool{false}},
		{"raised and lowered during the copy", false, []bool{true, false}},
	} {
		key := "k-" + tc2.name[:6]
		testutil.Do(t, rc, "SET", key, "marker-value")
		testutil.Do(t, tc, "DEL", "__dualwrite:dirty")
		p.setBackfill(tc2.startOn)
		t0 := time.Now()
		p.repair.schedule([]byte(key), "test")
		time.Sleep(slow / 3)
		for _, on := range tc2.duringCopy {
			p.setBackfill(on)
		}
		if err := testutil.WaitFor(10*time.Second, func() error {
			if p.RepairQueueLen() > 0 {
				return io.ErrNoProgress
			}
			return nil
		}); err != nil {
			t.Fatalf("%s: repair did not finish", tc2.name)
		}
		t.Logf("%s: repaired after %v", tc2.name, time.Since(t0))
		if v := testutil.Do(t, tc, "GET", key); string(v.Str) != "marker-value" {
			t.Fatalf("%s: titan holds %v, the repair did not copy", tc2.name, v)
		}
		if v := testutil.Do(t, tc, "SISMEMBER", "__dualwrite:dirty", key); v.Int != 1 {
			t.Errorf("%s: the repaired key is not marked dirty", tc2.name)
		}
	}
}

// TestFlushWaitsForTitanWrites: a flush (a backfill's drain asking) ends
// only once the replays queued before it and the repair copies running
// are on titan with their dirty marks.
func TestFlushWaitsForTitanWrites(t *testing.T) {
	redis := testutil.StartRedis(t)
	titan := testutil.StartRedis(t)
	const slow = 600 * time.Millisecond
	relay := markerRelay(t, titan.Addr, []byte("slow-value"), slow)
	p := newRealProxy(t, redis.Addr, relay, 5*time.Second) // never polled: marks every write
	rc, tc := testutil.Client(t, redis.Addr), testutil.Client(t, titan.Addr)
	testutil.Do(t, rc, "SET", "r", "slow-value")
	p.repair.schedule([]byte("r"), "test")
	if v, _ := p.dispatch(split("SET k slow-value")); v.String() != `"OK"` {
		t.Fatalf("SET: %v", v)
	}
	time.Sleep(50 * time.Millisecond) // the copy and the replay are under way
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.flush(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < slow/2 {
		t.Errorf("flush took %v with titan writes held %v", took, slow)
	}
	for _, k := range []string{"k", "r"} {
		if v := testutil.Do(t, tc, "SISMEMBER", "__dualwrite:dirty", k); v.Int != 1 {
			t.Errorf("%s not marked on titan when the flush ended", k)
		}
	}
	// Nothing in flight: a flush is immediate.
	start = time.Now()
	if err := p.flush(ctx); err != nil || time.Since(start) > 100*time.Millisecond {
		t.Errorf("idle flush: %v, took %v", err, time.Since(start))
	}
}

// TestLateRepairCopyNeverOverwritesNewer: a repair copy whose write timed
// out but reaches titan later does not overwrite the key's next copy.
func TestLateRepairCopyNeverOverwritesNewer(t *testing.T) {
	redis := testutil.StartRedis(t)
	titan := testutil.StartRedis(t)
	const late = 1500 * time.Millisecond
	relay := markerRelay(t, titan.Addr, []byte("old-value"), late)
	p := newRealProxy(t, redis.Addr, relay, 300*time.Millisecond)
	rc, tc := testutil.Client(t, redis.Addr), testutil.Client(t, titan.Addr)
	testutil.Do(t, rc, "SET", "k", "old-value")
	start := time.Now()
	p.repair.schedule([]byte("k"), "test") // its write times out after 300 ms
	time.Sleep(100 * time.Millisecond)
	testutil.Do(t, rc, "SET", "k", "new-value") // the retry copies this
	if err := testutil.WaitFor(10*time.Second, func() error {
		if time.Since(start) < late+500*time.Millisecond || p.RepairQueueLen() > 0 {
			return io.ErrNoProgress
		}
		return nil
	}); err != nil {
		t.Fatal("repair did not finish")
	}
	if v := testutil.Do(t, tc, "GET", "k"); string(v.Str) != "new-value" {
		t.Errorf("titan holds %v, want new-value: a timed-out copy landed after the next one", v)
	}
}
