package store

import (
	"context"
	"testing"
	"time"

	tikverr "github.com/tikv/client-go/v2/error"
	"github.com/tikv/client-go/v2/kv"
	"github.com/tikv/client-go/v2/txnkv/transaction"
)

// TestLockWaitLeavesTheStoreFree: a transaction waiting for another's
// pessimistic lock does not hold up the store's other requests (the MVCC
// store's own wait sleeps holding its global lock), and it is answered
// once the holder commits.
func TestLockWaitLeavesTheStoreFree(t *testing.T) {
	st := open(t, Options{})
	ctx := context.Background()
	put(t, st, map[string]string{"hot": "0", "other": "1"})
	reads := func() time.Duration {
		start := time.Now()
		for range 100 {
			txn, err := st.KV().Begin()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := txn.Get(ctx, []byte("other")); err != nil {
				t.Fatal(err)
			}
			txn.Rollback()
		}
		return time.Since(start)
	}
	alone := reads()

	lock := func() (*transaction.KVTxn, error) {
		txn, err := st.KV().Begin()
		if err != nil {
			t.Fatal(err)
		}
		txn.SetPessimistic(true)
		err = txn.LockKeys(ctx, kv.NewLockCtx(txn.StartTS(), kv.LockAlwaysWait, time.Now()), []byte("hot"))
		return txn, err
	}
	holder, err := lock()
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		txn, err := lock()
		txn.Rollback()
		waited <- err
	}()
	time.Sleep(20 * time.Millisecond) // the waiter is waiting
	beside := reads()
	if err := holder.Set([]byte("hot"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := holder.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-waited:
		if !tikverr.IsErrWriteConflict(err) {
			t.Errorf("the waiter got %v, want a write conflict (the holder committed after it started)", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiter is still waiting 5 s after the holder committed")
	}
	// The store's own wait holds its lock 5 ms per round: 100 reads
	// beside a waiter took up to 250 ms (not every run: a gross guard,
	// lenient for a loaded machine).
	if beside > 4*alone+250*time.Millisecond {
		t.Errorf("100 reads took %v beside a lock waiter, %v alone", beside, alone)
	}
}
