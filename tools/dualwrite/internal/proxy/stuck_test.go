package proxy

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/metrics"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/source"
	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

// stallRelay forwards connections to upstream until a client sends a
// chunk containing marker: from then on that connection's requests are
// swallowed while it stays open, as with a titan stuck on a write.
// stalled returns how many such connections the client has not closed.
func stallRelay(t *testing.T, upstream string, marker []byte) (addr string, stalled func() int64) {
	t.Helper()
	var n atomic.Int64
	return relay(t, upstream, func(chunk []byte) bool { return !bytes.Contains(chunk, marker) }, &n), n.Load
}

// TestStuckTitanWriteBounded: titan keeps a replay's connection open and
// never answers. The key's repair waits for that write only up to
// FenceTimeout; then the connection is closed, the key is marked dirty
// (the write may still land after the copy: a later drain copies it
// again) and repaired. Before, the repair waited for ever
// (dualwrite_repair_queue_length stayed at 1).
func TestStuckTitanWriteBounded(t *testing.T) {
	redis := testutil.StartRedis(t)
	titan := testutil.StartRedis(t)
	relay, stalled := stallRelay(t, titan.Addr, []byte("stuck-value"))
	const fenceTimeout = time.Second
	p := newRealProxyCfg(t, redis.Addr, relay, 200*time.Millisecond, func(c *Config) { c.FenceTimeout = fenceTimeout })
	p.polledAt.Store(time.Now().Add(time.Hour).UnixNano()) // no backfill: replays are not marked
	rc, tc := testutil.Client(t, redis.Addr), testutil.Client(t, titan.Addr)
	start := time.Now()
	if v, _ := p.dispatch(split("SET k stuck-value")); v.String() != `"OK"` {
		t.Fatalf("SET: %v", v)
	}
	testutil.Do(t, rc, "SET", "k", "fresh") // what the repair copies
	if err := testutil.WaitFor(10*time.Second, func() error {
		if p.RepairQueueLen()+p.ApplyQueueLen() > 0 {
			return io.ErrNoProgress
		}
		return nil
	}); err != nil {
		t.Fatalf("repair of a key whose replay titan never answers still waiting after %v (repair queue %d)", time.Since(start), p.RepairQueueLen())
	}
	if took := time.Since(start); took < fenceTimeout*9/10 {
		t.Errorf("repaired after %v: did not wait for the timed-out replay (fence timeout %v)", took, fenceTimeout)
	}
	if v := testutil.Do(t, tc, "GET", "k"); string(v.Str) != "fresh" {
		t.Errorf("titan holds %v, want the repaired value", v)
	}
	if v := testutil.Do(t, tc, "SISMEMBER", "__dualwrite:dirty", "k"); v.Int != 1 {
		t.Error("key not marked dirty after its timed-out write was abandoned")
	}
	if n := metricValue(t, p, "dualwrite_proxy_fences_abandoned_total", ""); n < 1 {
		t.Errorf("fences abandoned %v, want ≥ 1", n)
	}
	if err := testutil.WaitFor(2*time.Second, func() error {
		if stalled() > 0 {
			return io.ErrNoProgress
		}
		return nil
	}); err != nil {
		t.Errorf("%d stuck connections still open after the fence was abandoned", stalled())
	}
}

// TestShutdownClosesFencedReaders: at shutdown the proxy stops reading
// the replies of timed-out replays (their connections were kept open with
// no limit before) and marks their keys dirty, since those writes may
// still land after the next proxy repaired the keys from the journal.
func TestShutdownClosesFencedReaders(t *testing.T) {
	redis := testutil.StartRedis(t)
	titan := testutil.StartRedis(t)
	relay, stalled := stallRelay(t, titan.Addr, []byte("stuck-value"))
	const timeout = 200 * time.Millisecond
	src, err := source.Open(context.Background(), source.Options{Redis: []string{redis.Addr}, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tp := resp.NewPool(relay, 16, timeout)
	defer tp.Close()
	p, err := New(Config{Source: src, Titan: tp, ReadFrom: ReadRedis, Metrics: metrics.New(metrics.Proxy),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Timeout: timeout, ApplyShards: 4})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- p.Serve(ctx, ln) }()
	if err := testutil.WaitPing(ln.Addr().String(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	pc := testutil.Client(t, ln.Addr().String())
	if v := testutil.Do(t, pc, "SET", "k", "stuck-value"); v.String() != `"OK"` {
		t.Fatalf("SET: %v", v)
	}
	if err := testutil.WaitFor(5*time.Second, func() error {
		if stalled() == 0 || p.orphans.Load() == 0 {
			return io.ErrNoProgress // the replay has not timed out yet
		}
		return nil
	}); err != nil {
		t.Fatal("the replay never timed out")
	}
	pc.Close()
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("proxy did not stop")
	}
	if err := testutil.WaitFor(2*time.Second, func() error {
		if stalled() > 0 || p.orphans.Load() > 0 {
			return io.ErrNoProgress
		}
		return nil
	}); err != nil {
		t.Errorf("after shutdown: %d connections still read for timed-out replays, %d replays in flight", stalled(), p.orphans.Load())
	}
	if v := testutil.Do(t, testutil.Client(t, titan.Addr), "SISMEMBER", "__dualwrite:dirty", "k"); v.Int != 1 {
		t.Error("key of a timed-out replay not marked dirty at shutdown")
	}
}
