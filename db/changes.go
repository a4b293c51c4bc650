package db

import (
	"context"
	"sync"

	"github.com/titan-kv/titan/encoding"
)

// Change is one key whose value a committed transaction changed: written
// (Type is its type after the change) or removed (Type is 0).
type Change struct {
	// DB is the logical database of the key (what SELECT names).
	DB uint16
	// Key is the user key.
	Key []byte
	// Type is the key's type after the change, 0 when it was removed.
	Type encoding.Type
	// Was is the key's type before the change (0: the key did not
	// exist): a stream removed or overwritten wakes the XREADGROUP
	// waiters of other instances at once.
	Was encoding.Type
	// Expired marks a removal by the expirer.
	Expired bool
	// Origin is set by the job that made the change (package command: the
	// id of the client whose command it was), 0 for the expirer. Client
	// tracking's NOLOOP spares the writer its own invalidations with it.
	Origin int64
}

// hooks holds the functions called after each commit that changed keys.
type hooks struct {
	mu  sync.RWMutex
	fns []func([]Change)
}

// OnCommit registers fn to be called after every transaction of this DB
// that committed changes of keys (writes and removals of metadata, on any
// path: commands, batches, EXEC, the expirer), with the keys it changed, in
// the order they were changed. It is the one post-commit key-change hook:
// blocking commands wake on it, keyspace notifications and client-side
// caching invalidations are built on it.
//
// fn runs on the committing goroutine after the commit succeeded and
// before the commands of the transaction reply, so it must be quick and
// never block: hand the work to another goroutine. Exactly the committed
// changes are reported: a job rolled back inside a shared transaction
// (Tx.Sub) and an attempt that conflicted and was retried report nothing.
// FLUSHDB/FLUSHALL report nothing per key. The slice and the keys are fn's
// to keep, read-only.
func (d *DB) OnCommit(fn func([]Change)) {
	d.hooks.mu.Lock()
	d.hooks.fns = append(d.hooks.fns, fn)
	d.hooks.mu.Unlock()
}

// changed records a change of key in the current database from type was
// to type t.
func (tx *Tx) changed(key []byte, t, was encoding.Type) {
	tx.changes = append(tx.changes, Change{DB: tx.dbm.Logical(tx.DB), Key: append([]byte(nil), key...), Type: t, Was: was})
}

// committed runs the hooks for the transaction's changes.
func (tx *Tx) committed() {
	if len(tx.changes) == 0 {
		return
	}
	tx.d.hooks.mu.RLock()
	fns := tx.d.hooks.fns
	tx.d.hooks.mu.RUnlock()
	for _, fn := range fns {
		fn(tx.changes)
	}
}

// KeyRef names one key of one logical database.
type KeyRef struct {
	DB  uint16
	Key []byte
}

// Existing reports, in one snapshot read, the type of each of keys (0 for
// a key that does not exist or has expired). The bounded fallback of
// blocking commands uses it to catch a missed wake-up at the cost of one
// request for all keys with waiters.
func (d *DB) Existing(ctx context.Context, keys []KeyRef) ([]encoding.Type, error) {
	out := make([]encoding.Type, len(keys))
	err := d.View(ctx, 0, func(tx *Tx) error {
		mk := make([][]byte, len(keys))
		for i, k := range keys {
			mk[i] = d.keys.Meta(tx.Physical(k.DB), k.Key)
		}
		if err := tx.prefetch(append(mk, tx.mapKeys()...)); err != nil {
			return err
		}
		for i, k := range keys {
			if err := tx.Select(k.DB); err != nil {
				return err
			}
			m, err := tx.meta(k.Key)
			if err != nil {
				return err
			}
			if m != nil {
				out[i] = m.Type
			}
		}
		return nil
	})
	return out, err
}

// Changes are the changes this transaction made so far (a job compares
// their number before and after it runs to find its own).
func (tx *Tx) Changes() []Change { return tx.changes }
