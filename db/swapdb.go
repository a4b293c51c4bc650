package db

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	tikverr "github.com/tikv/client-go/v2/error"
	"github.com/tikv/client-go/v2/kv"
	"github.com/tikv/client-go/v2/oracle"
	"github.com/tikv/client-go/v2/txnkv/transaction"

	"github.com/titan-kv/titan/encoding"
)

// SWAPDB under writes. A swap lock-writes all 65 counter shards of both
// physical databases (dbmap.go), and every write transaction lock-writes
// one of them, so an optimistic swap conflicts with nearly every writer
// of the two databases that commits while it runs: under steady writes
// from other instances its retries ran out. So SwapDB first takes the
// keys with pessimistic locks in a fence transaction, which waits for
// the writers holding them instead of losing to them, and then commits
// the swap in a transaction that starts once the fence holds them all:
//
//  1. The fence locks the mapping key, with a fresh for-update timestamp
//     (a newer one after each conflict), reading its value under the
//     lock: no other swap commits until the fence ends, so the physical
//     databases it names stay right.
//  2. It locks the shards of both physical databases, a chunk at a time,
//     each chunk with a fresh for-update timestamp until it is held: a
//     conflict costs one chunk's request, not the locks already held.
//     Writers that meet the fence's locks fail their prewrite with a
//     write conflict (store.ConflictOnLiveLocks) and wait for the new
//     mapping (awaitSwap, below).
//  3. With every key held, nothing commits on them any more: the swap
//     transaction begins (its start timestamp is newer than every write
//     of those keys) and writes the swap with the mapping the fence read;
//     the fence is rolled back right before its commit. A writer that
//     slips a commit (or a rollback record) into that gap makes the
//     commit conflict, and SwapDB runs the whole again until the
//     command's time is up.
//
// The swap transaction is a second one because client-go's embedded MVCC
// store checks a pessimistic transaction's prewrite against its start
// timestamp, not its for-update timestamp as TiKV does: a swap taking the
// locks itself would still fail on every shard written since it began.
// Writers whose snapshot predates the swap fail on its shards as before,
// and their retry reads the new mapping.

// swapLockChunk is how many shard keys one lock request of the fence
// takes.
const swapLockChunk = 16

// fenceMaxAge bounds the fence's time to take its locks. A writer judges
// a lock live, and fails at once with a conflict, only while it is
// younger than store.ConflictOnLiveLocks' limit (500 ms, measured from
// the fence's start timestamp); an older one it waits for, holding the
// locks it has, which the fence may be waiting for: so a fence that takes
// longer gives everything back, and SwapDB tries once without it (a store
// that slow), then with it again.
const fenceMaxAge = 400 * time.Millisecond

// errFenceAgain makes SwapDB run again: its fence deadlocked with a
// writer or grew too old.
var errFenceAgain = errors.New("the SWAPDB fence gave its locks back")

// SwapDB swaps logical databases a and b (SWAPDB run on its own): it
// waits for the writers of both databases instead of losing to them. A
// SWAPDB inside MULTI or a script runs in its transaction with
// Keyspace.Swap instead.
func (d *DB) SwapDB(ctx context.Context, a, b uint16) error {
	if a == b {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, d.opts.CommandTimeout)
	defer cancel()
	for pause := time.Millisecond; ; pause = min(2*pause, 16*time.Millisecond) {
		err := d.swapOnce(ctx, a, b)
		if errors.Is(err, errFenceAgain) {
			// A store too slow for the fence: one try without it, as
			// SWAPDB inside MULTI does.
			err = d.swapOptimistic(ctx, a, b)
		}
		if err == nil || !retryable(err) {
			return err
		}
		if d.metrics != nil {
			d.metrics.TxnRetries.Inc()
		}
		select {
		case <-time.After(pause/2 + rand.N(pause)):
		case <-ctx.Done():
			return fmt.Errorf("swapdb: %w: %w", ctx.Err(), err)
		}
	}
}

// swapOnce is one attempt of SwapDB: the fence, then the swap.
func (d *DB) swapOnce(ctx context.Context, a, b uint16) error {
	fence, err := d.store.KV().Begin()
	if err != nil {
		return fmt.Errorf("swapdb: begin the fence: %w", err)
	}
	fence.SetPessimistic(true)
	fence.SetRPCInterceptor(d.countRPC)
	defer fence.Rollback() // a no-op once rolled back before the commit
	until := time.Now().Add(fenceMaxAge)
	mk := d.mapKey()
	raw, err := d.lockFresh(ctx, until, fence, [][]byte{mk}, true)
	if err != nil {
		return err
	}
	m, err := encoding.DecodeDBMap(raw)
	if err != nil {
		return fmt.Errorf("swapdb: %w", err)
	}
	// A writer's transaction writes the same shard of every database it
	// writes: both databases' shard s go in one request (all or nothing
	// in a region), so the fence never holds one while it waits for a
	// writer holding the other.
	pa, pb := d.shardKeys(m.Physical(a)), d.shardKeys(m.Physical(b))
	shards := make([][]byte, 0, len(pa)+len(pb))
	for i := range pa {
		shards = append(shards, pa[i], pb[i])
	}
	for len(shards) > 0 {
		n := min(swapLockChunk, len(shards))
		if _, err := d.lockFresh(ctx, until, fence, shards[:n], false); err != nil {
			return err
		}
		shards = shards[n:]
	}

	tx, err := d.begin(ctx)
	if err != nil {
		return err
	}
	// The fence has held the mapping key since it read it: that is the
	// value at the new start, and reading it again would only widen the
	// gap in which writers meet the fence (see above).
	tx.remember(mk, raw)
	if err := tx.verifyMap(); err != nil {
		tx.t.Rollback()
		return err
	}
	if err := tx.Keyspace().Swap(a, b); err != nil {
		tx.t.Rollback()
		return err
	}
	if err := fence.Rollback(); err != nil {
		tx.t.Rollback()
		return fmt.Errorf("swapdb: release the fence: %w", err)
	}
	return tx.commit()
}

// swapOptimistic is one attempt of the swap as one optimistic
// transaction, without the fence.
func (d *DB) swapOptimistic(ctx context.Context, a, b uint16) error {
	tx, err := d.begin(ctx)
	if err != nil {
		return err
	}
	if err := tx.Keyspace().Swap(a, b); err != nil {
		tx.t.Rollback()
		return err
	}
	return tx.commit()
}

// lockFresh takes fence's pessimistic locks on keys, with a new for-update
// timestamp after each conflict (a write committed after the last one),
// until it holds them; it gives up with errFenceAgain at until (the end
// of the fence's time: a lock wait is cut there, not the context, which
// a failed lock request needs to give its locks back) or when the lock
// deadlocks. With value, it returns the value of the first key under the
// lock.
func (d *DB) lockFresh(ctx context.Context, until time.Time, fence *transaction.KVTxn, keys [][]byte, value bool) ([]byte, error) {
	for {
		wait := time.Until(until).Milliseconds()
		if wait <= 0 {
			return nil, fmt.Errorf("swapdb: lock %d keys: %w: out of time", len(keys), errFenceAgain)
		}
		ts, err := d.store.KV().GetOracle().GetTimestamp(ctx, &oracle.Option{TxnScope: oracle.GlobalTxnScope})
		if err != nil {
			return nil, fmt.Errorf("swapdb: timestamp: %w", err)
		}
		lc := kv.NewLockCtx(ts, wait, time.Now())
		if value {
			lc.InitReturnValues(1)
		}
		err = fence.LockKeys(ctx, lc, keys...)
		if err == nil {
			if value {
				return lc.Values[string(keys[0])].Value, nil
			}
			return nil, nil
		}
		var dl *tikverr.ErrDeadlock
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("swapdb: lock %d keys: %w: %w", len(keys), ctx.Err(), err)
		case errors.As(err, &dl) || errors.Is(err, tikverr.ErrLockWaitTimeout):
			// Too old to keep writers off, or a writer holding a
			// shard waits for one the fence holds: give everything
			// back, start again.
			return nil, fmt.Errorf("swapdb: lock %d keys: %w: %w", len(keys), errFenceAgain, err)
		case !tikverr.IsErrWriteConflict(err):
			return nil, fmt.Errorf("swapdb: lock %d keys: %w", len(keys), err)
		}
	}
}

// A writer that meets the fence's lock on a counter shard fails its
// prewrite with a write conflict whose primary is the mapping key (the
// fence locks it first). Retrying at once or after a short backoff would
// only meet the fence again, or worse, commit in the gap between the
// fence and the swap and make the swap run again: so the writer waits
// until this process sees a new mapping (the swap committed here, or its
// bus message reloaded it), at most swapWaitMax, then runs again, through
// the new mapping.

// swapWaitMax bounds one wait of a writer for a SWAPDB in progress (a
// swap that failed, or a bus message lost).
const swapWaitMax = 250 * time.Millisecond

// swapWaiters is closed and renewed at every new mapping noted.
type swapWaiters struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns the channel closed at the next new mapping.
func (w *swapWaiters) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

// changed wakes the waiters.
func (w *swapWaiters) changed() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
}

// fenceConflict is a write conflict on a lock of a SWAPDB fence, met by
// a transaction that used the mapping of epoch.
type fenceConflict struct {
	err   error
	epoch uint64
}

func (e fenceConflict) Error() string { return e.err.Error() }
func (e fenceConflict) Unwrap() error { return e.err }

// fenced marks err, the conflict that failed tx's commit, as a
// fenceConflict when the lock it met has the mapping key for primary.
func (tx *Tx) fenced(err error) error {
	var wc *tikverr.ErrWriteConflict
	if !errors.As(err, &wc) || wc.WriteConflict == nil || !bytes.Equal(wc.Primary, tx.d.mapKey()) {
		return err
	}
	return fenceConflict{err: err, epoch: epochOf(tx.dbm)}
}

// awaitSwap waits, when err is a fenceConflict, until this process sees a
// mapping newer than the one the transaction used (or swapWaitMax, or
// ctx), and reports whether err was one.
func (d *DB) awaitSwap(ctx context.Context, err error) bool {
	var fc fenceConflict
	if err == nil || !errors.As(err, &fc) {
		return false
	}
	done := d.swapWait.wait()
	if d.MapEpoch() != fc.epoch {
		return true // seen already
	}
	t := time.NewTimer(swapWaitMax)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	}
	return true
}
