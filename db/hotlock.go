package db

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	tikverr "github.com/tikv/client-go/v2/error"
	"github.com/tikv/client-go/v2/kv"
)

// Keys written by every command on one collection from several instances
// (a stream's metadata: XADD, XREADGROUP, XACK of every instance write it)
// serialize badly in optimistic transactions: the batcher's latches order
// one instance's writers, but the instances' batches overlap in the store,
// all but one fail at commit, and they retry until one gives up. A job
// with Lock set makes its batch pessimistic: before anything is read, the
// batch takes TiKV's lock on the metadata keys of those jobs with its
// start timestamp as the for-update timestamp. A batch of another instance
// holding the lock makes it wait in the store; when that one commits, the
// lock request fails with a write conflict (a newer version than our
// start) and the batch runs again at once with a new start (not counted
// against MaxRetries: the command's timeout bounds it). Once the lock
// is held, nothing newer than the start timestamp was committed to the
// key, and, as every writer of the collection's keys takes it first,
// nothing newer to them either: the batch reads current data and commits
// without a conflict.

// lockHot takes the pessimistic locks of the jobs that ask for them; it
// must run before the transaction reads anything.
func (tx *Tx) lockHot(jobs []*Job) error {
	var keys [][]byte
	m := tx.d.currentMap() // the SWAPDB mapping the prefetch uses too
	for _, j := range jobs {
		if !j.Lock || j.ReadOnly {
			continue
		}
		for _, k := range j.Keys {
			keys = append(keys, tx.d.keys.Meta(m.Physical(j.DB), k))
		}
	}
	if len(keys) == 0 {
		return nil
	}
	tx.d.hot.yield(keys)
	tx.t.SetPessimistic(true)
	started := time.Now()
	lc := kv.NewLockCtx(tx.t.StartTS(), kv.LockAlwaysWait, started)
	err := tx.t.LockKeys(tx.ctx, lc, keys...)
	tx.hotLocked, tx.hotLockTook = keys, time.Since(started)
	if err == nil {
		return nil
	}
	var dl *tikverr.ErrDeadlock
	if errors.As(err, &dl) || tikverr.IsErrWriteConflict(err) {
		// The holder committed (or two batches locked keys in other
		// orders, keys in several regions): run again at once.
		return errHotLockTaken{fmt.Errorf("lock %d hot keys: %w", len(keys), err)}
	}
	return fmt.Errorf("lock %d hot keys: %w", len(keys), err)
}

// errHotLockTaken is a hot lock taken by another transaction that
// committed meanwhile: the attempt runs again at once, without counting
// as a conflict retry (the lock changes hands between instances, each
// turn costs one), until the command's time is up.
type errHotLockTaken struct{ err error }

func (e errHotLockTaken) Error() string { return e.err.Error() }
func (e errHotLockTaken) Unwrap() error { return e.err }

// hotLockPause is the pause before trying a hot lock again: short, the
// lock was just released.
func hotLockPause() time.Duration { return time.Duration(rand.N(2000)) * time.Microsecond }

// releaseHot records the end of the transaction's hot locks, once.
func (tx *Tx) releaseHot() {
	if tx.hotLocked != nil {
		tx.d.hot.release(tx.hotLocked, tx.hotLockTook)
		tx.hotLocked = nil
	}
}

// hotLocks remembers, per hot key, when this process last released its
// lock. Its own next batch on the key is formed at once, while the other
// instances waiting for the key learn of the release only at their next
// request to the store: without a pause the releasing instance would take
// the lock again and again and starve them. So a batch waits, before it
// locks a key this process released less than a store round trip ago, for
// the rest of that round trip (the last lock request's duration, 5 to 200
// ms).
type hotLocks struct {
	mu       sync.Mutex
	released map[string]hotRelease
}

type hotRelease struct {
	at    time.Time
	pause time.Duration
}

func newHotLocks() *hotLocks { return &hotLocks{released: make(map[string]hotRelease)} }

// yield waits out the pause of keys released lately.
func (h *hotLocks) yield(keys [][]byte) {
	h.mu.Lock()
	var wait time.Duration
	now := time.Now()
	for _, k := range keys {
		if r, ok := h.released[string(k)]; ok {
			wait = max(wait, r.at.Add(r.pause).Sub(now))
		}
	}
	h.mu.Unlock()
	if wait > 0 {
		time.Sleep(wait)
	}
}

// release records that this process's transaction holding keys ended;
// took is how long their lock request took.
func (h *hotLocks) release(keys [][]byte, took time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	for k, r := range h.released {
		if now.Sub(r.at) > time.Second {
			delete(h.released, k)
		}
	}
	pause := min(max(took, 5*time.Millisecond), 200*time.Millisecond)
	for _, k := range keys {
		h.released[string(k)] = hotRelease{at: now, pause: pause}
	}
}
