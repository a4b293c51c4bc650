package store

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	"github.com/tikv/client-go/v2/oracle"
)

// TestResolveLockKeyByKey: a reader that meets the secondary locks of a
// transaction whose primary is committed (its owner is about to commit
// the rest) reads the committed values, and the resolve it makes commits
// the keys it met only: the MVCC store's own resolve walks the region
// (every version of every key, under its global lock), which committed
// every lock of the transaction and stalled the store for seconds on a
// region of a big stream.
func TestResolveLockKeyByKey(t *testing.T) {
	st := open(t, Options{})
	ctx := context.Background()
	ts := func() uint64 {
		v, err := st.KV().CurrentTimestamp(oracle.GlobalTxnScope)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// 40 keys: past client-go's threshold (16) below which it asks for the
	// lock's key alone.
	const n = 40
	key := func(i int) []byte { return []byte(fmt.Sprintf("k%02d", i)) }
	start := ts()
	muts := make([]*kvrpcpb.Mutation, n)
	for i := range muts {
		muts[i] = &kvrpcpb.Mutation{Op: kvrpcpb.Op_Put, Key: key(i), Value: []byte(fmt.Sprintf("v%d", i))}
	}
	for _, err := range st.mvcc.Prewrite(&kvrpcpb.PrewriteRequest{Mutations: muts, PrimaryLock: key(0), StartVersion: start, LockTtl: 20000, TxnSize: n}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := st.mvcc.Commit([][]byte{key(0)}, start, ts()); err != nil {
		t.Fatal(err)
	}
	got, err := st.KV().GetSnapshot(ts()).BatchGet(ctx, [][]byte{key(5), key(6)})
	if err != nil {
		t.Fatal(err)
	}
	if string(got[string(key(5))]) != "v5" || string(got[string(key(6))]) != "v6" {
		t.Fatalf("read %q", got)
	}
	// A read's resolve runs in the background: wait for it.
	var left []*kvrpcpb.LockInfo
	for deadline := time.Now().Add(5 * time.Second); ; {
		if left, err = st.mvcc.ScanLock([]byte("k"), []byte("l"), math.MaxUint64); err != nil {
			t.Fatal(err)
		}
		if !locked(left, key(5)) && !locked(left, key(6)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if locked(left, key(5)) || locked(left, key(6)) {
		t.Fatal("the keys the reader met are still locked")
	}
	if len(left) != n-3 {
		t.Errorf("%d locks left, want the %d the reader did not meet (the region was walked?)", len(left), n-3)
	}
}

func locked(locks []*kvrpcpb.LockInfo, k []byte) bool {
	for _, l := range locks {
		if string(l.Key) == string(k) {
			return true
		}
	}
	return false
}

// TestLockKeysTakenOnce: the keys seen locked by a transaction are handed
// to one resolve only, so the readers of a big transaction do not resolve
// all of its keys again each; a transaction never seen is unknown.
func TestLockKeysTakenOnce(t *testing.T) {
	s := newLockKeys()
	s.note(&kvrpcpb.BatchGetResponse{Pairs: []*kvrpcpb.KvPair{
		{Error: &kvrpcpb.KeyError{Locked: &kvrpcpb.LockInfo{Key: []byte("a"), LockVersion: 7}}},
		{Error: &kvrpcpb.KeyError{Locked: &kvrpcpb.LockInfo{Key: []byte("b"), LockVersion: 7}}},
	}})
	if keys, known := s.take(7); len(keys) != 2 || !known {
		t.Fatalf("first take: %q, known %v", keys, known)
	}
	if keys, known := s.take(7); len(keys) != 0 || !known {
		t.Fatalf("second take: %q, known %v; want nothing, known", keys, known)
	}
	s.note(&kvrpcpb.GetResponse{Error: &kvrpcpb.KeyError{Locked: &kvrpcpb.LockInfo{Key: []byte("a"), LockVersion: 7}}})
	if keys, _ := s.take(7); len(keys) != 1 || keys[0] != "a" {
		t.Fatalf("a lock met again: %q", keys)
	}
	if _, known := s.take(8); known {
		t.Fatal("a transaction never seen is known")
	}
}

// TestLockKeysForgotten: a transaction's entry goes once its locks were
// resolved (after lockKeysTaken, for the resolves of readers that met the
// same locks meanwhile), an entry never resolved goes after lockKeysAge,
// and no more than lockKeysMax transactions are kept. The entries used to
// stay until 4,096 were kept and then only those a minute old went, so a
// process kept up to 8,192 of them, mostly empty.
func TestLockKeysForgotten(t *testing.T) {
	clock := time.Unix(1000, 0)
	s := newLockKeys()
	s.now = func() time.Time { return clock }
	lock := func(ts uint64, key string) *kvrpcpb.GetResponse {
		return &kvrpcpb.GetResponse{Error: &kvrpcpb.KeyError{Locked: &kvrpcpb.LockInfo{Key: []byte(key), LockVersion: ts}}}
	}
	s.note(lock(1, "a")) // resolved below
	s.note(lock(2, "b")) // never resolved
	if keys, _ := s.take(1); len(keys) != 1 {
		t.Fatalf("take: %q", keys)
	}
	clock = clock.Add(lockKeysTaken / 2)
	if _, known := s.take(1); !known {
		t.Fatal("a resolve right after another one walks the region: the entry went too soon")
	}
	clock = clock.Add(lockKeysTaken)
	s.note(lock(3, "c"))
	if _, ok := s.byTxn[1]; ok {
		t.Errorf("the entry of a resolved transaction is kept %v after its resolve", lockKeysTaken*3/2)
	}
	if _, ok := s.byTxn[2]; !ok {
		t.Fatal("an entry never resolved went before lockKeysAge")
	}
	clock = clock.Add(lockKeysAge)
	s.note(lock(3, "c"))
	if _, ok := s.byTxn[2]; ok {
		t.Errorf("an entry never resolved is kept past lockKeysAge")
	}
	if len(s.byTxn) != 1 {
		t.Errorf("%d entries kept, want 1 (transaction 3)", len(s.byTxn))
	}
	// Live entries: at most lockKeysMax.
	for ts := uint64(10); ts < 10+2*lockKeysMax; ts++ {
		s.note(lock(ts, "k"))
	}
	if n := len(s.byTxn); n > lockKeysMax {
		t.Errorf("%d live entries kept, want at most %d", n, lockKeysMax)
	}
}
