package db

import (
	"bytes"
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
// with Lock set may make its batch pessimistic: before anything is read,
// the batch takes TiKV's lock on those jobs' metadata keys that are
// contended (see below) with its start timestamp as the for-update
// timestamp. A batch of another instance holding the lock makes it wait
// in the store; when that one commits, the lock request fails with a
// write conflict (a newer version than our start) and the batch runs
// again at once with a new start (not counted against MaxRetries: the
// command's timeout bounds it). Once the lock is held, nothing newer than
// the start timestamp was committed to the key, and, as every writer of
// the collection's keys takes it first, nothing newer to them either: the
// batch reads current data and commits without a conflict.
//
// The lock costs a request per batch (and a second one for the counter
// shards at commit, dbmap.go), and one instance alone never conflicts
// with itself (the batcher's latches): so a key is locked only while it
// is contended, from a conflict on it (at commit, or a lock request that
// lost to another instance) until contendedFor passes without one. Until
// its first conflict a stream's writers run optimistic, a new stream's
// first XADD too; an optimistic writer that meets another instance's
// pessimistic lock fails at prewrite with a write conflict
// (store.ConflictOnLiveLocks), marks the key and locks it when it runs
// again. So each instance pays one conflict per contended key per
// contendedFor, not a storm.

// contendedFor is how long a key stays contended (its writers lock it)
// after the last conflict seen on it.
const contendedFor = 10 * time.Second

// lockHot takes the pessimistic locks of the jobs that ask for them; it
// must run before the transaction reads anything.
func (tx *Tx) lockHot(jobs []*Job) error {
	tx.lockable = tx.lockable[:0]
	m := tx.d.currentMap() // the SWAPDB mapping the prefetch uses too
	for _, j := range jobs {
		if !j.Lock || j.ReadOnly {
			continue
		}
		for _, k := range j.Keys {
			tx.lockable = append(tx.lockable, tx.d.keys.Meta(m.Physical(j.DB), k))
		}
	}
	keys := tx.d.hot.contendedOf(tx.lockable)
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
		tx.d.hot.contend(keys)
		return errHotLockTaken{fmt.Errorf("lock %d hot keys: %w", len(keys), err)}
	}
	return fmt.Errorf("lock %d hot keys: %w", len(keys), err)
}

// noteConflict marks contended the lockable keys of a transaction that
// failed with a write conflict: the key the conflict names if it is one
// of them, none if it is the transaction's counter shard (another
// instance counting keys: the streams had nothing to do with it), else
// all of them (a conflict on a stream's entry or group record, which only
// the stream's writers write, or a conflict that names no key).
func (tx *Tx) noteConflict(err error) {
	if len(tx.lockable) == 0 {
		return
	}
	var wc *tikverr.ErrWriteConflict
	if errors.As(err, &wc) && wc.WriteConflict != nil && len(wc.Key) > 0 {
		for _, k := range tx.lockable {
			if bytes.Equal(k, wc.Key) {
				tx.d.hot.contend([][]byte{k})
				return
			}
		}
		if tx.counter.set {
			for _, p := range tx.wrote {
				if bytes.Equal(wc.Key, tx.d.keys.Counter(p, tx.counter.shard)) {
					return
				}
			}
		}
	}
	tx.d.hot.contend(tx.lockable)
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
	// contended are the keys locked while contended, with the time of
	// the last conflict seen on each.
	contended map[string]time.Time
	swept     time.Time // contended's last sweep of expired keys
}

type hotRelease struct {
	at    time.Time
	pause time.Duration
}

func newHotLocks() *hotLocks {
	return &hotLocks{released: make(map[string]hotRelease), contended: make(map[string]time.Time)}
}

// contendedOf returns the keys among keys that are contended, in order.
func (h *hotLocks) contendedOf(keys [][]byte) [][]byte {
	if len(keys) == 0 {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.contended) == 0 {
		return nil
	}
	now := time.Now()
	var hot [][]byte
	for _, k := range keys {
		if at, ok := h.contended[string(k)]; ok && now.Sub(at) < contendedFor {
			hot = append(hot, k)
		}
	}
	return hot
}

// contend marks keys contended as of now.
func (h *hotLocks) contend(keys [][]byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	if now.Sub(h.swept) > contendedFor {
		h.swept = now
		for k, at := range h.contended {
			if now.Sub(at) >= contendedFor {
				delete(h.contended, k)
			}
		}
	}
	for _, k := range keys {
		h.contended[string(k)] = now
	}
}

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
