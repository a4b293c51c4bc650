package db

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/glob"
)

// ScanResult is one page of a key scan.
type ScanResult struct {
	Keys [][]byte
	// Next is the key to resume from; nil when the scan is complete.
	Next []byte
}

// Keyspace is the current database as a whole, as one transaction sees it:
// SCAN, KEYS, RANDOMKEY, DBSIZE and FLUSHDB.
type Keyspace struct{ tx *Tx }

// Keyspace returns the view of the transaction's current database.
func (tx *Tx) Keyspace() Keyspace { return Keyspace{tx: tx} }

// Scan returns up to count live keys of the database from key start on
// (inclusive), matching pattern (when not nil) and of type t (when
// non-zero). Every key present for the whole scan is returned at
// least once, because the scan walks the ordered key space.
func (ks Keyspace) Scan(start []byte, count int, pattern []byte, t encoding.Type) (ScanResult, error) {
	tx := ks.tx
	var res ScanResult
	prefix := tx.d.keys.MetaPrefix(tx.DB)
	from := append(append([]byte(nil), prefix...), start...)
	seen := 0
	err := tx.scan(from, encoding.PrefixEnd(prefix), 0, func(k, v []byte) (bool, error) {
		key := k[len(prefix):]
		if seen >= count {
			res.Next = append([]byte(nil), key...)
			return false, nil
		}
		seen++
		m, err := encoding.DecodeMeta(v)
		if err != nil {
			return false, fmt.Errorf("key %q: %w", key, err)
		}
		if m.Expired(tx.now) || (t != 0 && m.Type != t) {
			return true, nil
		}
		if pattern != nil && !glob.Match(pattern, key, false) {
			return true, nil
		}
		res.Keys = append(res.Keys, bytes.Clone(key)) // not nil: "" is a key
		return true, nil
	})
	return res, err
}

// Keys returns every live key matching pattern; "*" returns every key, the
// empty one included, as Redis's KEYS does.
func (ks Keyspace) Keys(pattern []byte) ([][]byte, error) {
	tx := ks.tx
	// A literal prefix of the pattern bounds the scan.
	lit := glob.Prefix(pattern)
	prefix := tx.d.keys.MetaPrefix(tx.DB)
	from := append(append([]byte(nil), prefix...), lit...)
	var keys [][]byte
	err := tx.scan(from, encoding.PrefixEnd(from), 0, func(k, v []byte) (bool, error) {
		key := k[len(prefix):]
		m, err := encoding.DecodeMeta(v)
		if err != nil {
			return false, fmt.Errorf("key %q: %w", key, err)
		}
		if !m.Expired(tx.now) && (string(pattern) == "*" || glob.Match(pattern, key, false)) {
			keys = append(keys, bytes.Clone(key)) // not nil: "" is a key
		}
		return true, nil
	})
	return keys, err
}

// Stats counts the live keys of the database and those with an expiry
// (DBSIZE, INFO keyspace).
func (ks Keyspace) Stats() (keys, expires int64, err error) {
	tx := ks.tx
	prefix := tx.d.keys.MetaPrefix(tx.DB)
	err = tx.scan(prefix, encoding.PrefixEnd(prefix), 0, func(k, v []byte) (bool, error) {
		m, err := encoding.DecodeMeta(v)
		if err != nil {
			return false, err
		}
		if !m.Expired(tx.now) {
			keys++
			if m.ExpireAt != 0 {
				expires++
			}
		}
		return true, nil
	})
	return keys, expires, err
}

// RandomKey returns a random live key, nil when the database has none. It
// seeks to a random point between the first and the last key and takes
// the next live key, wrapping around: a few short probes first, then, if
// they only met expired keys, a walk that goes on until it finds one.
func (ks Keyspace) RandomKey() ([]byte, error) {
	tx := ks.tx
	prefix := tx.d.keys.MetaPrefix(tx.DB)
	end := encoding.PrefixEnd(prefix)
	var first, last []byte
	err := tx.scan(prefix, end, 1, func(k, _ []byte) (bool, error) {
		first = bytes.Clone(k[len(prefix):])
		return false, nil
	})
	if err != nil || first == nil {
		return nil, err
	}
	err = tx.scanReverse(prefix, end, 1, func(k, _ []byte) (bool, error) {
		last = bytes.Clone(k[len(prefix):])
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	var found []byte
	pick := func(k, v []byte) (bool, error) {
		m, err := encoding.DecodeMeta(v)
		if err != nil {
			return false, err
		}
		if m.Expired(tx.now) {
			return true, nil
		}
		found = append([]byte(nil), k[len(prefix):]...)
		return false, nil
	}
	for attempt := 0; attempt <= 4; attempt++ {
		limit := 64
		if attempt == 4 {
			limit = 0 // no limit
		}
		seek := append(append([]byte(nil), prefix...), randomBetween(first, last)...)
		if err := tx.scan(seek, end, limit, pick); err != nil || found != nil {
			return found, err
		}
		if err := tx.scan(prefix, seek, limit, pick); err != nil || found != nil {
			return found, err
		}
	}
	return nil, nil
}

// randomBetween returns a random key between a and b (a <= b), uniform
// over the 8 bytes that follow their common prefix.
func randomBetween(a, b []byte) []byte {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	word := func(k []byte) uint64 {
		var w [8]byte
		copy(w[:], k[n:])
		return binary.BigEndian.Uint64(w[:])
	}
	lo, hi := word(a), word(b)
	x := lo
	if hi > lo {
		x = lo + rand.Uint64N(hi-lo)
	}
	return binary.BigEndian.AppendUint64(bytes.Clone(a[:n]), x)
}

// Flush deletes up to limit keys of the database and reports how many it
// deleted; callers repeat, in new transactions, until it returns 0.
func (ks Keyspace) Flush(limit int) (int, error) {
	tx := ks.tx
	prefix := tx.d.keys.MetaPrefix(tx.DB)
	n := 0
	err := tx.scan(prefix, encoding.PrefixEnd(prefix), limit, func(k, v []byte) (bool, error) {
		m, err := encoding.DecodeMeta(v)
		if err != nil {
			return false, err
		}
		n++
		if err := tx.dropObject(m); err != nil {
			return false, err
		}
		return true, tx.del(append([]byte(nil), k...))
	})
	return n, err
}
