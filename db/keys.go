package db

import (
	"bytes"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/parse"
)

// Key is one key of the current database, whatever its type, as one
// transaction sees it: the operations every type shares (existence, type,
// expiry, rename, copy, version).
type Key struct {
	tx  *Tx
	key []byte
}

// Key returns the view of key in the transaction's current database.
func (tx *Tx) Key(key []byte) Key { return Key{tx: tx, key: key} }

// Delete deletes the key and reports whether it existed.
func (k Key) Delete() (bool, error) {
	m, err := k.tx.meta(k.key)
	if err != nil || m == nil {
		return false, err
	}
	return true, k.tx.deleteKey(k.key, m)
}

// Exists reports whether the key exists.
func (k Key) Exists() (bool, error) {
	m, err := k.tx.meta(k.key)
	return m != nil, err
}

// Type returns the type of the key, "none" when it does not exist.
func (k Key) Type() (string, error) {
	m, err := k.tx.meta(k.key)
	if err != nil || m == nil {
		return "none", err
	}
	return m.Type.String(), nil
}

// ExpireFlags are EXPIRE's NX XX GT LT conditions.
type ExpireFlags struct{ NX, XX, GT, LT bool }

// ExpireAt sets the key to expire at unix millisecond at, under flags. An
// expiry in the past deletes the key. It reports whether the TTL was set.
func (k Key) ExpireAt(at int64, f ExpireFlags) (bool, error) {
	tx := k.tx
	m, err := tx.meta(k.key)
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
		return true, tx.deleteKey(k.key, m)
	}
	prev := m.ExpireAt
	m.ExpireAt = at
	return true, tx.putMeta(k.key, m, prev)
}

// PTTL returns the remaining time to live in milliseconds, -1 for a key
// without expiry, -2 for a missing key.
func (k Key) PTTL() (int64, error) {
	at, err := k.ExpireTime()
	if err != nil || at < 0 {
		return at, err
	}
	return at - k.tx.now, nil
}

// ExpireTime returns the absolute expiry in unix milliseconds, -1 for a
// key without expiry, -2 for a missing key.
func (k Key) ExpireTime() (int64, error) {
	m, err := k.tx.meta(k.key)
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

// Persist removes the key's expiry and reports whether it had one.
func (k Key) Persist() (bool, error) {
	m, err := k.tx.meta(k.key)
	if err != nil || m == nil || m.ExpireAt == 0 {
		return false, err
	}
	m.ExpireAt = 0
	return true, k.tx.putMeta(k.key, m, 0)
}

// Rename moves the key to dst, replacing dst; with nx it does nothing when
// dst exists. The value is not copied: dst takes the key's metadata, so the
// cost is O(1) for any size. It reports whether the rename happened.
func (k Key) Rename(dst []byte, nx bool) (bool, error) {
	tx := k.tx
	m, err := tx.meta(k.key)
	if err != nil {
		return false, err
	}
	if m == nil {
		return false, ErrNoSuchKey
	}
	if bytes.Equal(k.key, dst) {
		return !nx, nil
	}
	if nx {
		d, err := tx.meta(dst)
		if err != nil || d != nil {
			return false, err
		}
	}
	if err := tx.delMeta(tx.DB, k.key, m); err != nil {
		return false, err
	}
	tx.changed(k.key, 0, m.Type)
	// replace writes dst's expiry index entry: the old one names the
	// source key and is dropped by the expirer.
	return true, tx.replace(dst, m)
}

// Copy copies the key to dst in logical database dstDB (the current one when
// equal). Collections are copied element by element into a new object.
func (k Key) Copy(dst []byte, dstDB uint16, replace bool) (bool, error) {
	tx := k.tx
	m, err := tx.meta(k.key)
	if err != nil || m == nil {
		return false, err
	}
	srcDB := tx.DB
	dstDB = tx.Physical(dstDB)
	if srcDB == dstDB && bytes.Equal(k.key, dst) {
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
	if m.HasObject() {
		fresh := tx.newObject(m.Type)
		c.Object = fresh.Object
		for _, sp := range tx.objectSpans(m) {
			err := tx.scan(sp[0], sp[1], 0, func(dk, v []byte) (bool, error) {
				return true, tx.set(tx.d.keys.Data(c.Object, tx.d.keys.DataSub(m.Object, dk)), v)
			})
			if err != nil {
				return false, err
			}
		}
	}
	return true, tx.replace(dst, &c)
}

// Encoding returns the encoding Redis would report for the key (OBJECT
// ENCODING), or "" when the key does not exist.
func (k Key) Encoding() (string, error) {
	m, err := k.tx.meta(k.key)
	if err != nil || m == nil {
		return "", err
	}
	switch m.Type {
	case encoding.TypeString:
		if m.Raw || m.Chunked {
			return "raw", nil
		}
		if _, ok := parse.Int(m.Value); ok && !m.NotInt {
			return "int", nil
		}
		if len(m.Value) <= 44 {
			return "embstr", nil
		}
		return "raw", nil
	case encoding.TypeList:
		// Redis 7.0 keeps every list in a quicklist (7.2 added listpack).
		return "quicklist", nil
	case encoding.TypeStream:
		return "stream", nil
	}
	return k.collectionEncoding(m)
}

// Version returns the version of the key's current value, 0 when the key
// does not exist or has expired. Every write of a key changes it: WATCH
// records it and EXEC compares it.
func (k Key) Version() (uint64, error) {
	m, err := k.tx.meta(k.key)
	if err != nil || m == nil {
		return 0, err
	}
	return m.Version, nil
}

// Lock makes the transaction fail with a conflict, and be retried, if
// anyone else changes the key before it commits.
func (k Key) Lock() { k.tx.lock(k.tx.d.keys.Meta(k.tx.DB, k.key)) }
