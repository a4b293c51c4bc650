package db

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/glob"
)

// Del deletes keys and returns how many existed.
func (tx *Tx) Del(keys ...[]byte) (int64, error) {
	var n int64
	for _, k := range keys {
		m, err := tx.meta(k)
		if err != nil {
			return 0, err
		}
		if m == nil {
			continue
		}
		if err := tx.deleteKey(k, m); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// Exists counts the keys that exist (a key named twice counts twice).
func (tx *Tx) Exists(keys ...[]byte) (int64, error) {
	var n int64
	for _, k := range keys {
		m, err := tx.meta(k)
		if err != nil {
			return 0, err
		}
		if m != nil {
			n++
		}
	}
	return n, nil
}

// Type returns the type of key, "none" when it does not exist.
func (tx *Tx) Type(key []byte) (string, error) {
	m, err := tx.meta(key)
	if err != nil || m == nil {
		return "none", err
	}
	return m.Type.String(), nil
}

// ExpireFlags are EXPIRE's NX XX GT LT conditions.
type ExpireFlags struct{ NX, XX, GT, LT bool }

// ExpireAt sets key to expire at unix millisecond at, under flags. An
// expiry in the past deletes the key. It reports whether the TTL was set.
func (tx *Tx) ExpireAt(key []byte, at int64, f ExpireFlags) (bool, error) {
	m, err := tx.meta(key)
	if err != nil || m == nil {
		return false, err
	}
	has := m.ExpireAt != 0
	switch {
	case f.NX && has, f.XX && !has:
		return false, nil
	case f.GT && (!has || at <= m.ExpireAt):
		return false, nil
	case f.LT && has && at >= m.ExpireAt:
		return false, nil
	}
	if at <= tx.now {
		return true, tx.deleteKey(key, m)
	}
	prev := m.ExpireAt
	m.ExpireAt = at
	return true, tx.putMeta(key, m, prev)
}

// PTTL returns the remaining time to live in milliseconds, -1 for a key
// without expiry, -2 for a missing key.
func (tx *Tx) PTTL(key []byte) (int64, error) {
	m, err := tx.meta(key)
	switch {
	case err != nil:
		return 0, err
	case m == nil:
		return -2, nil
	case m.ExpireAt == 0:
		return -1, nil
	}
	return m.ExpireAt - tx.now, nil
}

// ExpireTime returns the absolute expiry in unix milliseconds, -1 for a
// key without expiry, -2 for a missing key.
func (tx *Tx) ExpireTime(key []byte) (int64, error) {
	m, err := tx.meta(key)
	switch {
	case err != nil:
		return 0, err
	case m == nil:
		return -2, nil
	case m.ExpireAt == 0:
		return -1, nil
	}
	return m.ExpireAt, nil
}

// Persist removes key's expiry and reports whether it had one.
func (tx *Tx) Persist(key []byte) (bool, error) {
	m, err := tx.meta(key)
	if err != nil || m == nil || m.ExpireAt == 0 {
		return false, err
	}
	m.ExpireAt = 0
	return true, tx.putMeta(key, m, 0)
}

// Rename moves src to dst, replacing dst; with nx it does nothing when dst
// exists. The value is not copied: dst takes src's metadata, so the cost is
// O(1) for any size. It reports whether the rename happened.
func (tx *Tx) Rename(src, dst []byte, nx bool) (bool, error) {
	m, err := tx.meta(src)
	if err != nil {
		return false, err
	}
	if m == nil {
		return false, ErrNoSuchKey
	}
	if bytes.Equal(src, dst) {
		return !nx, nil
	}
	if nx {
		d, err := tx.meta(dst)
		if err != nil || d != nil {
			return false, err
		}
	}
	if err := tx.del(tx.d.keys.Meta(tx.DB, src)); err != nil {
		return false, err
	}
	// replace writes dst's expiry index entry: the old one names src and
	// is dropped by the expirer.
	return true, tx.replace(dst, m)
}

// Copy copies src to dst in database dstDB (the current one when equal).
// Collections are copied element by element into a new object.
func (tx *Tx) Copy(src, dst []byte, dstDB uint16, replace bool) (bool, error) {
	m, err := tx.meta(src)
	if err != nil || m == nil {
		return false, err
	}
	srcDB := tx.DB
	if srcDB == dstDB && bytes.Equal(src, dst) {
		return false, nil
	}
	tx.DB = dstDB
	defer func() { tx.DB = srcDB }()
	d, err := tx.meta(dst)
	if err != nil {
		return false, err
	}
	if d != nil && !replace {
		return false, nil
	}
	c := *m
	if m.Type.IsCollection() {
		fresh := tx.newObject(m.Type)
		c.Object = fresh.Object
		err := tx.scan(tx.d.keys.DataPrefix(m.Object), encoding.PrefixEnd(tx.d.keys.DataPrefix(m.Object)), 0,
			func(k, v []byte) (bool, error) {
				return true, tx.set(tx.d.keys.Data(c.Object, tx.d.keys.DataSub(m.Object, k)), v)
			})
		if err != nil {
			return false, err
		}
	}
	return true, tx.replace(dst, &c)
}

// ObjectEncoding returns the encoding Redis would report for key, or ""
// when the key does not exist.
func (tx *Tx) ObjectEncoding(key []byte) (string, error) {
	m, err := tx.meta(key)
	if err != nil || m == nil {
		return "", err
	}
	small := m.Count <= 128
	switch m.Type {
	case encoding.TypeString:
		if m.Raw {
			return "raw", nil
		}
		if _, err := parseInt(m.Value); err == nil && len(m.Value) <= 20 && !m.NotInt {
			return "int", nil
		}
		if len(m.Value) <= 44 {
			return "embstr", nil
		}
		return "raw", nil
	case encoding.TypeHash, encoding.TypeZSet:
		if small {
			return "listpack", nil
		}
		if m.Type == encoding.TypeHash {
			return "hashtable", nil
		}
		return "skiplist", nil
	case encoding.TypeSet:
		if small {
			return "listpack", nil
		}
		return "hashtable", nil
	default:
		// Redis 7.0 keeps every list in a quicklist (7.2 added listpack).
		return "quicklist", nil
	}
}

// ScanResult is one page of a key scan.
type ScanResult struct {
	Keys [][]byte
	// Next is the key to resume from; nil when the scan is complete.
	Next []byte
}

// Scan returns up to count live keys of the current database from key
// start on (inclusive), matching pattern (when not nil) and of type t
// (when non-zero). Every key present for the whole scan is returned at
// least once, because the scan walks the ordered key space.
func (tx *Tx) Scan(start []byte, count int, pattern []byte, t encoding.Type) (ScanResult, error) {
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

// KeysMatching returns every live key matching pattern; "*" returns every
// key, the empty one included, as Redis's KEYS does.
func (tx *Tx) KeysMatching(pattern []byte) ([][]byte, error) {
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

// DBStats counts the live keys of the current database and those with an
// expiry.
func (tx *Tx) DBStats() (keys, expires int64, err error) {
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
func (tx *Tx) RandomKey() ([]byte, error) {
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

// FlushBatch deletes up to limit keys of the current database and reports
// how many it deleted; callers repeat until it returns 0.
func (tx *Tx) FlushBatch(limit int) (int, error) {
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

// KeyVersion returns the version of key's current value, 0 when the key
// does not exist or has expired. Every write of a key changes it.
func (tx *Tx) KeyVersion(key []byte) (uint64, error) {
	m, err := tx.meta(key)
	if err != nil || m == nil {
		return 0, err
	}
	return m.Version, nil
}

// LockKey makes the transaction fail with a conflict, and be retried, if
// anyone else changes key before it commits.
func (tx *Tx) LockKey(key []byte) { tx.lock(tx.d.keys.Meta(tx.DB, key)) }
