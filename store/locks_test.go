package store

import (
	"testing"
	"time"

	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	"github.com/tikv/client-go/v2/oracle"
)

// TestLiveLockConflict: a prewrite's lock answer becomes a write conflict
// while the lock is live; an old lock, the transaction's own and other
// errors are left alone.
func TestLiveLockConflict(t *testing.T) {
	now := time.Now()
	ts := func(age time.Duration) uint64 { return oracle.GoTimeToTS(now.Add(-age)) }
	const start = 1 << 40
	locked := func(version, ttl uint64) *kvrpcpb.KeyError {
		return &kvrpcpb.KeyError{Locked: &kvrpcpb.LockInfo{Key: []byte("k"), PrimaryLock: []byte("p"), LockVersion: version, LockTtl: ttl}}
	}
	c := liveLockConflict(locked(ts(10*time.Millisecond), 3000), start, now)
	if c == nil || c.Conflict == nil || c.Conflict.StartTs != start || string(c.Conflict.Key) != "k" {
		t.Fatalf("young lock: %v", c)
	}
	if c := liveLockConflict(locked(ts(2*time.Second), 3000), start, now); c != nil {
		t.Fatalf("lock older than liveLockAge: %v", c)
	}
	if c := liveLockConflict(locked(ts(100*time.Millisecond), 50), start, now); c != nil {
		t.Fatalf("lock past its TTL: %v", c)
	}
	if c := liveLockConflict(locked(start, 3000), start, now); c != nil {
		t.Fatalf("own lock: %v", c)
	}
	if c := liveLockConflict(&kvrpcpb.KeyError{Abort: "x"}, start, now); c != nil {
		t.Fatalf("other error: %v", c)
	}
}
