package store

import (
	"testing"
	"time"

	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	"github.com/tikv/client-go/v2/oracle"
)

// TestLiveLockConflict: a prewrite's lock answer becomes a write conflict
// while the lock is live; an old lock, the transaction's own and other
// errors are left alone. Ages count from the transaction's start
// timestamp, whatever the local clock says.
func TestLiveLockConflict(t *testing.T) {
	now := time.Now().Add(-time.Hour) // a start timestamp far from this host's clock
	ts := func(age time.Duration) uint64 { return oracle.GoTimeToTS(now.Add(-age)) }
	start := ts(0)
	locked := func(version, ttl uint64) *kvrpcpb.KeyError {
		return &kvrpcpb.KeyError{Locked: &kvrpcpb.LockInfo{Key: []byte("k"), PrimaryLock: []byte("p"), LockVersion: version, LockTtl: ttl}}
	}
	c := liveLockConflict(locked(ts(10*time.Millisecond), 3000), start)
	if c == nil || c.Conflict == nil || c.Conflict.StartTs != start || string(c.Conflict.Key) != "k" {
		t.Fatalf("young lock: %v", c)
	}
	if c := liveLockConflict(locked(ts(2*time.Second), 3000), start); c != nil {
		t.Fatalf("lock older than liveLockAge: %v", c)
	}
	if c := liveLockConflict(locked(ts(100*time.Millisecond), 50), start); c != nil {
		t.Fatalf("lock past its TTL: %v", c)
	}
	if c := liveLockConflict(locked(start, 3000), start); c != nil {
		t.Fatalf("own lock: %v", c)
	}
	if c := liveLockConflict(locked(ts(-time.Second), 3000), start); c == nil {
		t.Fatal("a lock younger than the transaction is live")
	}
	if c := liveLockConflict(&kvrpcpb.KeyError{Abort: "x"}, start); c != nil {
		t.Fatalf("other error: %v", c)
	}
}
