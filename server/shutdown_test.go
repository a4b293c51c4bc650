package server

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tikv/client-go/v2/tikvrpc"

	"github.com/titan-kv/titan/command"
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/store"
)

// TestShutdownAbortsStuckCommands: with the store stuck, Shutdown returns
// within its bound and the command in flight is answered with an error
// instead of a dropped connection (issue 18 item 1).
func TestShutdownAbortsStuckCommands(t *testing.T) {
	var stuck atomic.Bool
	var stuckCalls atomic.Int64
	st, err := store.Open(ctx, store.Options{DataDir: t.TempDir(), Fault: func(*tikvrpc.Request) error {
		if stuck.Load() {
			stuckCalls.Add(1)
			return errors.New("store stuck (injected)")
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d := db.New(st, db.Options{Batch: db.BatchOptions{Enabled: true}, CommandTimeout: 5 * time.Second}, nil)
	t.Cleanup(func() { d.Close() })
	in := serveDB(t, d, nil)
	if err := in.cli.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	stuck.Store(true)
	reply := make(chan error, 1)
	go func() { reply <- in.cli.Set(ctx, "k", "v2", 0).Err() }()
	// Shut down once the SET is in flight: its transaction met the stuck
	// store (a fixed sleep raced a loaded machine).
	for deadline := time.Now().Add(5 * time.Second); stuckCalls.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the SET never reached the store")
		}
		time.Sleep(5 * time.Millisecond)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	in.srv.Shutdown(sctx)
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Shutdown took %v with the store stuck", took)
	}
	select {
	case err := <-reply:
		if err == nil || err.Error() != command.ReplyAborted {
			t.Fatalf("in-flight SET answered %v, want %q", err, command.ReplyAborted)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("in-flight SET got no answer")
	}
}
