package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

// slowRelay forwards TCP connections to upstream, holding every chunk a
// client sends for delay first: a titan that takes delay per request.
func slowRelay(t *testing.T, upstream string, delay time.Duration) string {
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
func setLatencyP99(t *testing.T, addr string, clients, perClient int) time.Duration {
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
	slices.Sort(lat)
	return lat[len(lat)*99/100]
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

// TestCutoverLosesNoWrite: a writer runs through the proxy the whole time;
// `dualwrite cutover --reverse` makes titan the primary; every write the
// writer saw acknowledged is on titan afterwards, and (reverse writes) on
// Redis too.
func TestCutoverLosesNoWrite(t *testing.T) {
	shards := startShards(t, 3)
	tg := startTarget(t)
	px := startProxy(t, append(shards.sourceFlags(), "--titan", tg.Addr)...)
	const writers, keys = 4, 50
	var mu sync.Mutex
	acked := map[string]int64{}
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
			}
		}()
	}
	time.Sleep(time.Second)
	var out bytes.Buffer
	cmd := newRootCmd(&out, io.Discard)
	cmd.SetArgs([]string{"cutover", "--proxy", px.Status, "--reverse", "--drain-timeout", "30s"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("cutover: %v\n%s", err, out.String())
	}
	t.Logf("cutover: %s", out.String())
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
