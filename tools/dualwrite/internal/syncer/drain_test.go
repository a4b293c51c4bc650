package syncer

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/copier"
	"github.com/titan-kv/titan/tools/dualwrite/internal/dirty"
	"github.com/titan-kv/titan/tools/dualwrite/internal/source"
	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

// TestDrainWaitsForProxiesNotAFixedTime: with a proxy running, the end of
// a drain round waits for the proxy to report its titan writes done, not
// for a fixed settle time.
func TestDrainWaitsForProxiesNotAFixedTime(t *testing.T) {
	redis, titanSrv := testutil.StartRedis(t), testutil.StartRedis(t)
	src, err := source.Open(context.Background(), source.Options{Redis: []string{redis.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	titan := testutil.Client(t, titanSrv.Addr)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	owner := dirty.Owner("sync")
	if err := dirty.Raise(ctx, titan, owner); err != nil {
		t.Fatal(err)
	}
	var flushes atomic.Int64
	go dirty.Poll(ctx, titan, log, "px1", func(bool) {}, func() {}, func(reqs map[string]string) []string {
		var acks []string
		for o, n := range reqs {
			flushes.Add(1)
			acks = append(acks, dirty.FlushAck(o, n))
		}
		return acks
	})
	if err := testutil.WaitFor(5*time.Second, func() error {
		_, err := dirty.AwaitProxies(ctx, titan, owner, 0)
		if n, _ := dirty.LiveProxies(ctx, titan); n != 1 {
			return io.ErrNoProgress
		}
		return err
	}); err != nil {
		t.Fatal("the proxy did not beat")
	}
	const settle = 6 * time.Second
	start := time.Now()
	_, left, err := Drain(ctx, src, titan, copier.Copier{Page: 100}, settle, 3, owner, log)
	if err != nil || left != 0 {
		t.Fatalf("drain: %d left, %v", left, err)
	}
	if took := time.Since(start); took > settle/2 {
		t.Errorf("drain took %v with an idle proxy: a fixed settle (%v), not the proxy's flush", took, settle)
	}
	if flushes.Load() == 0 {
		t.Error("the proxy was never asked to flush")
	}
}
