package dirty

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

// TestAwaitProxies: with no proxy a backfill waits for nothing; a live
// proxy that has not seen the flag is waited for until it has (or the
// settle time ends); a proxy whose key expired is forgotten.
func TestAwaitProxies(t *testing.T) {
	p := testutil.Client(t, testutil.StartRedis(t).Addr)
	ctx := context.Background()
	owner := Owner("sync")
	start := time.Now()
	if n, err := AwaitProxies(ctx, p, owner, 3*time.Second); err != nil || n != 0 || time.Since(start) > time.Second {
		t.Fatalf("no proxy: %d proxies, %v, waited %v", n, err, time.Since(start))
	}

	// A proxy that saw nothing yet: waited for until the limit.
	if _, err := p.Pipeline(ctx, BeatCmds("px1", nil)); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if n, err := AwaitProxies(ctx, p, owner, 300*time.Millisecond); err != nil || n != 1 || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("unaware proxy: %d proxies, %v, waited %v", n, err, time.Since(start))
	}

	// Polling: the proxy sees the raised flag and says so.
	if err := Raise(ctx, p, owner); err != nil {
		t.Fatal(err)
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	seen := make(chan bool, 10)
	go Poll(pctx, p, slog.New(slog.NewTextHandler(io.Discard, nil)), "px1", func(on bool) { seen <- on }, func() {}, nil)
	start = time.Now()
	if n, err := AwaitProxies(ctx, p, owner, 3*time.Second); err != nil || n != 1 || time.Since(start) > 2*time.Second {
		t.Fatalf("polling proxy: %d proxies, %v, waited %v", n, err, time.Since(start))
	}
	if !<-seen {
		t.Error("the proxy did not see the flag")
	}
	stop()
	if err := Leave(ctx, p, "px1"); err != nil {
		t.Fatal(err)
	}

	// A crashed proxy: registered, key expired.
	testutil.Do(t, p, "HSET", ProxiesKey, "dead", "1")
	if n, err := LiveProxies(ctx, p); err != nil || n != 0 {
		t.Fatalf("dead proxy counted: %d %v", n, err)
	}
	if v := testutil.Do(t, p, "HLEN", ProxiesKey); v.Int != 0 {
		t.Errorf("dead proxy not forgotten: %d registered", v.Int)
	}
}

// TestAwaitFlush: a drain's flush request is acknowledged by a polling
// proxy once its flush is done, not before, and not after a fixed time.
func TestAwaitFlush(t *testing.T) {
	p := testutil.Client(t, testutil.StartRedis(t).Addr)
	ctx := context.Background()
	owner := Owner("sync")
	if err := Raise(ctx, p, owner); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var asked []string
	flush := func(reqs map[string]string) []string {
		select {
		case <-release:
		default:
			return nil // writes still in flight
		}
		var acks []string
		for o, n := range reqs {
			asked = append(asked, o)
			acks = append(acks, FlushAck(o, n))
		}
		return acks
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		Poll(pctx, p, slog.New(slog.NewTextHandler(io.Discard, nil)), "px1", func(bool) {}, func() {}, flush)
	}()
	if err := testutil.WaitFor(5*time.Second, func() error {
		if n, err := AwaitProxies(ctx, p, owner, 3*time.Second); err != nil || n != 1 {
			return fmt.Errorf("polling proxy: %d proxies, %v", n, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(700*time.Millisecond, func() { close(release) })
	start := time.Now()
	n, err := AwaitFlush(ctx, p, owner, 10*time.Second)
	if took := time.Since(start); err != nil || n != 1 || took < 600*time.Millisecond || took > 3*time.Second {
		t.Fatalf("flush: %d proxies, %v, took %v; want the proxy's flush (700 ms) waited for, and no more than a poll after it", n, err, took)
	}
	stop()
	<-done
	if len(asked) == 0 || asked[0] != owner {
		t.Errorf("flush asked for %v, want %s", asked, owner)
	}
	if err := Lower(ctx, p, owner); err != nil {
		t.Fatal(err)
	}
	if v := testutil.Do(t, p, "HLEN", FlushKey); v.Int != 0 {
		t.Errorf("flush request left after the backfill lowered its flag")
	}
}
