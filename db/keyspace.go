package db

import (
	"bytes"
	"fmt"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/glob"
)

// Keyspace is the current database as a whole, as one transaction sees it:
// SCAN, KEYS, RANDOMKEY, DBSIZE and FLUSHDB.
type Keyspace struct{ tx *Tx }

// Keyspace returns the view of the transaction's current database.
func (tx *Tx) Keyspace() Keyspace { return Keyspace{tx: tx} }

// Scan returns up to count live keys of the database from key start on
// (inclusive), matching pattern (when not nil) and of type t (when
// non-zero). Every key present for the whole scan is returned at
// least once, because the scan walks the ordered key space.
func (ks Keyspace) Scan(start []byte, count int, pattern []byte, t encoding.Type) (ScanPage[[]byte], error) {
	if empty, err := ks.empty(); err != nil || empty {
		return ScanPage[[]byte]{}, err
	}
	prefix := ks.tx.d.keys.MetaPrefix(ks.tx.DB)
	decode := ks.liveKeys(prefix, t)
	return scanPage(ks.tx, prefix, start, encoding.PrefixEnd(prefix), count, pattern, decode, func(k []byte) []byte { return k })
}

// ScanCursor is SCAN: the page after the position cursor's record of
// scope holds (0: the start). The record and the key counters (an empty
// database answers at once) are read in one BatchGet.
func (ks Keyspace) ScanCursor(cursor uint64, scope []byte, count int, pattern []byte, t encoding.Type) (ScanPage[[]byte], error) {
	if err := ks.tx.prefetchCursor(cursor, ks.tx.shardKeys(ks.tx.DB)); err != nil {
		return ScanPage[[]byte]{}, err
	}
	start, err := ks.tx.Cursor(cursor, scope)
	if err != nil {
		return ScanPage[[]byte]{}, err
	}
	return ks.Scan(start, count, pattern, t)
}

// liveKeys decodes the metadata keys after prefix into their user keys
// (copied; not nil: "" is a key), passing over expired keys and, when t
// is not zero, keys of other types.
func (ks Keyspace) liveKeys(prefix []byte, t encoding.Type) decoder[[]byte] {
	return func(k, v []byte) ([]byte, bool, error) {
		key := k[len(prefix):]
		m, err := encoding.DecodeMeta(v)
		if err != nil {
			return nil, false, fmt.Errorf("key %q: %w", key, err)
		}
		if m.Expired(ks.tx.now) || (t != 0 && m.Type != t) {
			return nil, false, nil
		}
		return append([]byte{}, key...), true, nil
	}
}

// Keys returns every live key matching pattern; "*" returns every key, the
// empty one included, as Redis's KEYS does.
func (ks Keyspace) Keys(pattern []byte) ([][]byte, error) {
	tx := ks.tx
	// A literal prefix of the pattern bounds the scan.
	lit := glob.Prefix(pattern)
	prefix := tx.d.keys.MetaPrefix(tx.DB)
	from := append(append([]byte(nil), prefix...), lit...)
	decode := ks.liveKeys(prefix, 0)
	var keys [][]byte
	err := tx.scan(from, encoding.PrefixEnd(from), 0, func(k, v []byte) (bool, error) {
		key, ok, err := decode(k, v)
		if ok && (string(pattern) == "*" || glob.Match(pattern, key, false)) {
			keys = append(keys, key)
		}
		return err == nil, err
	})
	return keys, err
}

// Counts returns the database's key counts from its counters (DBSIZE,
// INFO keyspace): one Scan of the counter shards, whatever the size
// of the database. Keys that expired but were not removed yet are
// counted, as Redis counts them.
func (ks Keyspace) Counts() (encoding.Counts, error) {
	c, err := ks.tx.counts(ks.tx.DB, ks.tx.DB)
	if err != nil {
		return encoding.Counts{}, err
	}
	return c[0], nil
}

// empty reports whether the counters say the database holds no key: then
// SCAN and RANDOMKEY answer at once, however many deleted keys' MVCC
// tombstones the store would step over.
func (ks Keyspace) empty() (bool, error) {
	c, err := ks.Counts()
	return c.Keys <= 0, err
}

// RandomKey returns a random live key, nil when the database has none
// (at once when the counters say it is empty): sampleRange's pick of one
// among the live keys after random points between the first and the last
// key.
func (ks Keyspace) RandomKey() ([]byte, error) {
	if empty, err := ks.empty(); err != nil || empty {
		return nil, err
	}
	prefix := ks.tx.d.keys.MetaPrefix(ks.tx.DB)
	src := sampleSource[[]byte]{from: prefix, to: encoding.PrefixEnd(prefix), n: -1, decode: ks.liveKeys(prefix, 0)}
	keys, err := sampleRange(ks.tx, src, 1)
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	return keys[0], nil
}

// Flush deletes up to limit keys of the database from key from on (nil:
// the first) and returns the key to go on from, nil when none is left;
// callers repeat, in new transactions, from there, so no round steps
// over the tombstones of the keys the earlier rounds deleted.
func (ks Keyspace) Flush(from []byte, limit int) ([]byte, error) {
	tx := ks.tx
	prefix := tx.d.keys.MetaPrefix(tx.DB)
	var next []byte
	n := 0
	err := tx.scan(append(bytes.Clone(prefix), from...), encoding.PrefixEnd(prefix), limit+1, func(k, v []byte) (bool, error) {
		if n == limit {
			next = bytes.Clone(k[len(prefix):])
			return false, nil
		}
		n++
		m, err := encoding.DecodeMeta(v)
		if err != nil {
			return false, err
		}
		if err := tx.dropObject(m); err != nil {
			return false, err
		}
		return true, tx.delMeta(tx.DB, bytes.Clone(k[len(prefix):]), m)
	})
	return next, err
}
