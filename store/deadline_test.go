package store

import (
	"context"
	"testing"
	"time"
)

// TestDeadlineBeforeServed: a request whose deadline passes before the
// embedded store serves it fails for its caller only; the store keeps
// serving everyone else (it used to be marked unreachable for good).
func TestDeadlineBeforeServed(t *testing.T) {
	st := open(t, Options{RPCDelay: 30 * time.Millisecond})
	put(t, st, map[string]string{"k": "v"})
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		txn, err := st.KV().Begin()
		if err != nil {
			t.Fatal(err)
		}
		_, err = txn.Get(ctx, []byte("k"))
		cancel()
		if err == nil {
			t.Fatalf("get past its deadline: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	txn, err := st.KV().Begin()
	if err != nil {
		t.Fatal(err)
	}
	if v, err := txn.Get(ctx, []byte("k")); err != nil || string(v) != "v" {
		t.Fatalf("get after a timed-out one = %q, %v", v, err)
	}
	put(t, st, map[string]string{"k2": "v2"})
}
