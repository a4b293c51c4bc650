package db

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tikv/client-go/v2/tikvrpc"

	"github.com/titan-kv/titan/store"
)

// TestStoreDown: while the store fails every request, commands fail with
// an error instead of hanging or crashing, and work again once it is back.
func TestStoreDown(t *testing.T) {
	var down atomic.Bool
	st := openStore(t, store.Options{Fault: func(*tikvrpc.Request) error {
		if down.Load() {
			return errors.New("connection refused (injected)")
		}
		return nil
	}})
	d := New(st, Options{Batch: BatchOptions{Enabled: true}, CommandTimeout: time.Second}, nil)
	defer d.Close()
	set := func(ctx context.Context) error {
		j := &Job{Keys: [][]byte{[]byte("k")}, Fn: func(tx *Tx) error {
			_, err := tx.String([]byte("k")).Set([]byte("v"), SetOptions{})
			return err
		}}
		d.Do(ctx, j)
		return j.Err
	}
	if err := set(context.Background()); err != nil {
		t.Fatal(err)
	}
	down.Store(true)
	start := time.Now()
	err := set(context.Background())
	if err == nil {
		t.Fatal("write succeeded with the store down")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("failing took %v with a 1s command timeout", took)
	}
	t.Logf("failed after %v: %v", time.Since(start), err)
	down.Store(false)
	if err := set(context.Background()); err != nil {
		t.Fatalf("store back, write still fails: %v", err)
	}
}
