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

// TestKeyUsableAfterFailedCommit: a write whose commit fails after its
// prewrite (an undetermined or timed-out commit leaves its locks behind)
// does not leave the key unusable: once the store answers again, reads see
// the old value or the new one, and writes to the key succeed (issue 18
// item 1: every command on the key failed for good).
func TestKeyUsableAfterFailedCommit(t *testing.T) {
	var failCommit atomic.Bool
	st := openStore(t, store.Options{Fault: func(r *tikvrpc.Request) error {
		if failCommit.Load() && r.Type == tikvrpc.CmdCommit {
			return errors.New("commit lost (injected)")
		}
		return nil
	}})
	d := New(st, Options{Batch: BatchOptions{Enabled: true}, CommandTimeout: time.Second}, nil)
	defer d.Close()
	ctx := context.Background()
	set := func(v string) error {
		j := &Job{Keys: [][]byte{[]byte("k")}, Fn: func(tx *Tx) error {
			_, err := tx.String([]byte("k")).Set([]byte(v), SetOptions{})
			return err
		}}
		d.Do(ctx, j)
		return j.Err
	}
	get := func() (string, error) {
		var v []byte
		j := &Job{Keys: [][]byte{[]byte("k")}, ReadOnly: true, Fn: func(tx *Tx) (err error) {
			v, err = tx.String([]byte("k")).Get()
			return err
		}}
		d.Do(ctx, j)
		return string(v), j.Err
	}
	if err := set("old"); err != nil {
		t.Fatal(err)
	}
	failCommit.Store(true)
	if err := set("new"); err == nil {
		t.Fatal("SET succeeded with every commit failing")
	}
	failCommit.Store(false)
	// The prewrite's lock is resolved by the next reader (after its TTL at
	// most): the key answers within the command timeout's retries.
	start := time.Now()
	var v string
	var err error
	for time.Since(start) < 30*time.Second {
		if v, err = get(); err == nil {
			break
		}
	}
	if err != nil || (v != "old" && v != "new") {
		t.Fatalf("GET after the failed commit = %q, %v", v, err)
	}
	t.Logf("GET answered %q %v after the failed commit", v, time.Since(start))
	if err := set("newer"); err != nil {
		t.Fatalf("SET after the failed commit: %v", err)
	}
	if v, err := get(); err != nil || v != "newer" {
		t.Fatalf("GET = %q, %v", v, err)
	}
}
