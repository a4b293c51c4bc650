package db

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/titan-kv/titan/encoding"
)

// SCAN-family cursors any titan process can resume. A cursor is an
// unsigned 64-bit number naming a record in the store (encoding.Keys.Cursor:
// the minute it was written, then a random id) that holds the scan's scope
// and resume position. A record lives CursorTTL after it was handed out or
// last resumed; the background collector removes it later
// (CollectCursors). A cursor that names no record, a record of another
// scan, or an expired one answers ErrUnknownCursor: the scan never
// silently restarts.

// CursorTTL is how long a cursor stays valid after its last use.
const CursorTTL = time.Hour

// cursorRefresh is how old a record's last use may be before resuming
// it writes the record again, so a cursor resumed again and again stays
// valid without a write on every call.
const cursorRefresh = 5 * time.Minute

// ErrUnknownCursor answers a cursor no scan handed out, or one that expired.
var ErrUnknownCursor = UserError("ERR unknown or expired cursor, restart the scan from 0")

// Scans are read jobs: the records a call writes (the cursor it hands
// out, the refreshed last use of the one it resumed) are written by small
// transactions of their own, started from the scan's transaction when it
// has a next page (writeCursor). A call that ends the scan, or a scan that
// fits in one page, writes nothing. A scan job that runs again (a batch
// retried) may leave a record nobody resumes: the collector removes it
// after CursorTTL.

// Cursor returns the position the scan of scope (encoding.CursorScope)
// resumes from at cursor: nil for 0, the start.
func (tx *Tx) Cursor(cursor uint64, scope []byte) ([]byte, error) {
	if cursor == 0 {
		return nil, nil
	}
	k := tx.d.keys.Cursor(cursor)
	raw, err := tx.get(k)
	if err != nil || raw == nil {
		return nil, cmp(err, ErrUnknownCursor)
	}
	r, err := encoding.DecodeCursorRecord(raw)
	if err != nil {
		return nil, fmt.Errorf("cursor %d: %w", cursor, err)
	}
	if !bytes.Equal(r.Scope, scope) || r.LastUse+CursorTTL.Milliseconds() < tx.now {
		return nil, ErrUnknownCursor
	}
	pos := bytes.Clone(r.Pos)
	if tx.now-r.LastUse > cursorRefresh.Milliseconds() && !tx.planning {
		r.LastUse = tx.now
		rec := encoding.EncodeCursorRecord(r)
		if err := tx.writeCursor(func(w *Tx) error { return w.set(k, rec) }); err != nil {
			return nil, err
		}
	}
	return pos, nil
}

// writeCursor runs fn in a transaction of its own, committed before it
// returns: cursor records are written apart from the scan that reads,
// which stays a read job.
func (tx *Tx) writeCursor(fn func(w *Tx) error) error {
	if err := tx.d.Update(tx.ctx, tx.DB, fn); err != nil {
		return fmt.Errorf("cursor record: %w", err)
	}
	return nil
}

// cmp returns err if it is not nil, otherwise alt.
func cmp(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}

// SaveCursor records that the scan of scope goes on at pos and returns
// the cursor to hand out; 0 when pos is nil (the scan is complete), which
// writes nothing. The record is written by a transaction of its own
// (writeCursor); an id already taken is drawn again, and two transactions
// drawing the same id conflict.
func (tx *Tx) SaveCursor(scope, pos []byte) (uint64, error) {
	if pos == nil {
		return 0, nil
	}
	if tx.planning {
		return 0, errPlanning
	}
	minute := uint32(tx.now / time.Minute.Milliseconds())
	var cursor uint64
	err := tx.writeCursor(func(w *Tx) error {
		for {
			cursor = encoding.MakeCursor(minute, 1+rand.Uint32N(1<<32-1))
			k := w.d.keys.Cursor(cursor)
			// A record of the same id written after this transaction
			// began makes the commit conflict; one written before is
			// seen here.
			old, err := w.get(k)
			if err != nil {
				return err
			}
			if old != nil {
				continue
			}
			r := encoding.CursorRecord{LastUse: tx.now, Scope: scope, Pos: pos}
			return w.set(k, encoding.EncodeCursorRecord(r))
		}
	})
	if err != nil {
		return 0, err
	}
	return cursor, nil
}

// prefetchCursor reads cursor's record (none for 0) in one BatchGet with
// keys.
func (tx *Tx) prefetchCursor(cursor uint64, keys [][]byte) error {
	if cursor != 0 {
		keys = append(keys, tx.d.keys.Cursor(cursor))
	}
	return tx.prefetch(keys)
}

// CollectCursors deletes, in one transaction, the expired cursor records
// among at most limit records from cursor from on, written before
// CursorTTL ago. It returns the cursor to go on from (0 when none is
// left), how many records it deleted, and the first record it kept
// (0 when none), where a later round may start.
func (d *DB) CollectCursors(ctx context.Context, from uint64, limit int) (next uint64, deleted int, kept uint64, err error) {
	err = d.Update(ctx, 0, func(tx *Tx) error {
		next, deleted, kept = 0, 0, 0
		until := uint32((tx.now - CursorTTL.Milliseconds()) / time.Minute.Milliseconds())
		n := 0
		return tx.scan(d.keys.Cursor(from), d.keys.CursorUntil(until), 0, func(k, v []byte) (bool, error) {
			c, err := d.keys.DecodeCursorKey(k)
			if err != nil {
				return false, err
			}
			if n == limit {
				next = c
				return false, nil
			}
			n++
			r, err := encoding.DecodeCursorRecord(v)
			if err == nil && r.LastUse+CursorTTL.Milliseconds() >= tx.now {
				if kept == 0 {
					kept = c
				}
				return true, nil
			}
			deleted++
			return true, tx.del(bytes.Clone(k))
		})
	})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("collect cursors: %w", err)
	}
	return next, deleted, kept, nil
}
