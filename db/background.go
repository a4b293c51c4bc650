package db

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/titan-kv/titan/encoding"
)

// This file holds the transactional steps of the background tasks.
// Package background decides when they run, on which process, and how
// often; each step here is one bounded transaction (or one read).

// TryLease takes or renews the lease of task for owner, valid for ttl, and
// reports whether owner holds it. Several processes may race; the
// transaction conflict picks one.
func (d *DB) TryLease(ctx context.Context, task, owner string, ttl time.Duration) (bool, error) {
	key := d.keys.System("lease/" + task)
	var held bool
	err := d.Update(ctx, 0, func(tx *Tx) error {
		held = false
		v, err := tx.get(key)
		if err != nil {
			return err
		}
		if cur, until, ok := decodeLease(v); ok && cur != owner && until > tx.now {
			return nil
		}
		held = true
		return tx.set(key, encodeLease(owner, tx.now+ttl.Milliseconds()))
	})
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", task, err)
	}
	return held, nil
}

// ReleaseLease gives up owner's lease of task, if owner holds it, so that
// another process may take it at once.
func (d *DB) ReleaseLease(ctx context.Context, task, owner string) error {
	key := d.keys.System("lease/" + task)
	err := d.Update(ctx, 0, func(tx *Tx) error {
		v, err := tx.get(key)
		if err != nil {
			return err
		}
		if cur, _, ok := decodeLease(v); ok && cur == owner {
			return tx.del(key)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", task, err)
	}
	return nil
}

func encodeLease(owner string, until int64) []byte {
	return append(encoding.EncodeInt64(until), owner...)
}

func decodeLease(v []byte) (owner string, until int64, ok bool) {
	if len(v) < 8 {
		return "", 0, false
	}
	until, _ = encoding.DecodeInt64(v[:8])
	return string(v[8:]), until, true
}

// rawMeta reads key's metadata whether or not it expired.
func (tx *Tx) rawMeta(key []byte) (*encoding.Meta, error) {
	raw, err := tx.get(tx.d.keys.Meta(tx.DB, key))
	if err != nil || raw == nil {
		return nil, err
	}
	return encoding.DecodeMeta(raw)
}

// Expired reports one ExpireDue transaction.
type Expired struct {
	// Entries is how many expiry index entries were read: fewer than the
	// limit means none was left due.
	Entries int
	// Keys is how many keys were removed.
	Keys int
	// Now is the transaction's clock, unix milliseconds.
	Now int64
}

// ExpireDue removes, in one transaction, the keys whose expiry passed,
// reading at most limit entries of the expiry index in time order from
// since (unix milliseconds; 0: from the first entry). An entry whose key
// no longer has that expiry (TTL changed or removed, key deleted) is only
// dropped; an expired collection's elements go to the collector.
func (d *DB) ExpireDue(ctx context.Context, since int64, limit int) (Expired, error) {
	from := d.keys.ExpirePrefix()
	if since > 0 {
		from = d.keys.ExpireUntil(since)
	}
	var r Expired
	err := d.Update(ctx, 0, func(tx *Tx) error {
		r = Expired{Now: tx.now}
		var found [][]byte
		err := tx.scan(from, d.keys.ExpireUntil(tx.now+1), limit, func(k, _ []byte) (bool, error) {
			found = append(found, bytes.Clone(k))
			return true, nil
		})
		if err != nil {
			return err
		}
		r.Entries = len(found)
		for _, e := range found {
			at, db, key, err := d.keys.DecodeExpire(e)
			if err != nil {
				return err
			}
			tx.DB = db
			m, err := tx.rawMeta(key)
			if err != nil {
				return err
			}
			if m != nil && m.ExpireAt == at && m.Expired(tx.now) {
				if err := tx.dropObject(m); err != nil {
					return err
				}
				if err := tx.delMeta(db, key, m); err != nil {
					return err
				}
				// Notifications name the logical database: read the
				// mapping of this snapshot (once; the delete conflicts
				// with a SWAPDB committed after it, guardWrites).
				if err := tx.verifyMap(); err != nil {
					return err
				}
				tx.changes = append(tx.changes, Change{DB: tx.dbm.Logical(db), Key: key, Type: 0, Was: m.Type, Expired: true})
				r.Keys++
			}
			if err := tx.del(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Expired{}, fmt.Errorf("expire: %w", err)
	}
	return r, nil
}

// Dropped is a collection queued for the collector (by DEL, overwrite or
// expiry), with how far the collector got through its elements.
type Dropped struct {
	// Object is the collection's object id.
	Object encoding.ObjectID
	// Sub limits the collection to the object's keys under this sub-key
	// prefix (a destroyed stream group); nil: the whole object.
	Sub []byte
	// from is the first element key left to delete, to the end of the
	// keys to delete (exclusive).
	from, to []byte
}

// NextDropped returns the first collection queued for the collector, or
// nil when none is.
func (d *DB) NextDropped(ctx context.Context) (*Dropped, error) {
	var next *Dropped
	err := d.View(ctx, 0, func(tx *Tx) error {
		next = nil
		// Objects being staged (strings_stage.go) are skipped.
		return tx.scan(d.keys.GCPrefix(), encoding.PrefixEnd(d.keys.GCPrefix()), 0, func(k, v []byte) (bool, error) {
			if gcPending(v, tx.now) {
				return true, nil
			}
			id, sub, err := d.keys.DecodeGC(k)
			if err != nil {
				return false, err
			}
			next = &Dropped{Object: id, Sub: bytes.Clone(sub)}
			next.from, next.to = d.dataSpan(id, sub)
			if len(v) > 8 {
				// Where an earlier round stopped: the deleted keys before
				// it would otherwise be scanned again.
				next.from = append(bytes.Clone(v[8:]), 0)
			}
			return false, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("collector queue: %w", err)
	}
	return next, nil
}

// CollectChunk deletes up to limit elements of o in one transaction and
// records the progress in o and in its queue entry, which it removes once
// the collection is empty (done).
func (d *DB) CollectChunk(ctx context.Context, o *Dropped, limit int) (deleted int, done bool, err error) {
	entry := d.keys.GCPart(o.Object, o.Sub)
	var last []byte
	err = d.Update(ctx, 0, func(tx *Tx) error {
		deleted, last = 0, nil
		err := tx.scan(o.from, o.to, limit, func(k, _ []byte) (bool, error) {
			deleted++
			last = bytes.Clone(k)
			return true, tx.del(last)
		})
		if err != nil {
			return err
		}
		if deleted < limit {
			return tx.del(entry)
		}
		progress := append(encoding.EncodeInt64(tx.now), last...)
		return tx.set(entry, progress)
	})
	if err != nil {
		return 0, false, fmt.Errorf("collect object %s: %w", o.Object, err)
	}
	if deleted < limit {
		return deleted, true, nil
	}
	o.from = append(last, 0) // the next key after last
	return deleted, false, nil
}

// dataSpan is the key range a collector queue entry of object id with
// sub covers (encoding.GCSpan): the whole object, a prefix of it, or a
// stream trim's entries.
func (d *DB) dataSpan(id encoding.ObjectID, sub []byte) (from, to []byte) {
	f, t := encoding.GCSpan(sub)
	if t == nil {
		p := d.keys.DataPrefix(id)
		return p, encoding.PrefixEnd(p)
	}
	return d.keys.Data(id, f), d.keys.Data(id, t)
}
