package db

import (
	"fmt"

	"github.com/titan-kv/titan/encoding"
)

// meta returns the live metadata of key in the current database, or nil
// when the key does not exist or has expired.
func (tx *Tx) meta(key []byte) (*encoding.Meta, error) {
	raw, err := tx.get(tx.d.keys.Meta(tx.DB, key))
	if err != nil || raw == nil {
		return nil, err
	}
	m, err := encoding.DecodeMeta(raw)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", key, err)
	}
	if m.Expired(tx.now) {
		if tx.stale == nil {
			tx.stale = make(map[string]*encoding.Meta)
		}
		tx.stale[tx.staleKey(key)] = m
		return nil, nil
	}
	return m, nil
}

func (tx *Tx) staleKey(key []byte) string {
	return string(tx.d.keys.Meta(tx.DB, key))
}

// typedMeta returns key's metadata if it holds type t, nil if it does not
// exist, and ErrWrongType if it holds another type.
func (tx *Tx) typedMeta(key []byte, t encoding.Type) (*encoding.Meta, error) {
	m, err := tx.meta(key)
	if err != nil || m == nil {
		return nil, err
	}
	if m.Type != t {
		return nil, ErrWrongType
	}
	return m, nil
}

// putMeta writes key's metadata, stamping it with this transaction's
// version. prevExpire is the expiry the key had when read; when the expiry
// changes, an expiry index entry is written for the new time (entries for
// old times are dropped lazily by the expirer).
func (tx *Tx) putMeta(key []byte, m *encoding.Meta, prevExpire int64) error {
	m.Version = tx.t.StartTS()
	mk := tx.d.keys.Meta(tx.DB, key)
	if err := tx.reclaimStale(mk, m); err != nil {
		return err
	}
	if m.ExpireAt != 0 && m.ExpireAt != prevExpire {
		if err := tx.set(tx.d.keys.Expire(m.ExpireAt, tx.DB, key), nil); err != nil {
			return err
		}
	}
	// The stored metadata, read (and cached) anyway to count the change
	// (setMeta), names the type the key had.
	was, err := tx.get(mk)
	if err != nil {
		return err
	}
	tx.changed(key, m.Type, encoding.MetaType(was))
	return tx.setMeta(tx.DB, key, m)
}

// reclaimStale queues the elements of an expired key that is being
// replaced for the collector.
func (tx *Tx) reclaimStale(metaKey []byte, next *encoding.Meta) error {
	old, ok := tx.stale[string(metaKey)]
	if !ok {
		return nil
	}
	delete(tx.stale, string(metaKey))
	if next != nil && next.HasObject() && next.Object == old.Object {
		return nil
	}
	return tx.dropObject(old)
}

// deleteKey removes key, whose live metadata is m, and queues its elements
// for the collector. It is O(1) whatever the size of the value.
func (tx *Tx) deleteKey(key []byte, m *encoding.Meta) error {
	mk := tx.d.keys.Meta(tx.DB, key)
	if err := tx.reclaimStale(mk, nil); err != nil {
		return err
	}
	if m != nil {
		if err := tx.dropObject(m); err != nil {
			return err
		}
	}
	var was encoding.Type
	if m != nil {
		was = m.Type
	}
	tx.changed(key, 0, was)
	return tx.delMeta(tx.DB, key, m)
}

// dropObject queues a collection's elements (or a chunked string's
// chunks) for the collector.
func (tx *Tx) dropObject(m *encoding.Meta) error {
	if !m.HasObject() {
		return nil
	}
	return tx.set(tx.d.keys.GC(m.Object), encoding.EncodeInt64(tx.now))
}

// newObject returns a fresh, empty collection of type t.
func (tx *Tx) newObject(t encoding.Type) *encoding.Meta {
	tx.objSeq++
	m := &encoding.Meta{Type: t, Object: encoding.NewObjectID(tx.t.StartTS(), tx.objSeq)}
	if t == encoding.TypeList {
		m.Head, m.Tail = encoding.ListCenter, encoding.ListCenter
	}
	return m
}

// storeNew makes key a new collection of type t holding n elements,
// which put writes one by one (i from 0 to n-1), replacing whatever key
// held; n == 0 deletes key. It returns n. The S*STORE and Z*STORE commands
// store their results through it.
func (tx *Tx) storeNew(key []byte, t encoding.Type, n int, put func(m *encoding.Meta, i int) error) (int64, error) {
	if n == 0 {
		_, err := tx.Key(key).Delete()
		return 0, err
	}
	m := tx.newObject(t)
	for i := range n {
		if err := put(m, i); err != nil {
			return 0, err
		}
	}
	m.Count = int64(n)
	return m.Count, tx.replace(key, m)
}

// replace makes key hold m, whatever it held before, dropping the old
// value's elements.
func (tx *Tx) replace(key []byte, m *encoding.Meta) error {
	old, err := tx.meta(key)
	if err != nil {
		return err
	}
	prevExpire := int64(0)
	if old != nil {
		prevExpire = old.ExpireAt
		if !(m.HasObject() && old.HasObject() && old.Object == m.Object) {
			if err := tx.dropObject(old); err != nil {
				return err
			}
		}
	}
	return tx.putMeta(key, m, prevExpire)
}

// data returns the key of element sub of the collection m.
func (tx *Tx) data(m *encoding.Meta, sub []byte) []byte {
	return tx.d.keys.Data(m.Object, sub)
}

// saveCount stores a collection after its element count changed by delta,
// deleting the key when the collection became empty.
func (tx *Tx) saveCount(key []byte, m *encoding.Meta, delta int64, existed bool) error {
	m.Count += delta
	if m.Count <= 0 {
		if !existed {
			return nil
		}
		// Every element is already deleted in this transaction: nothing
		// is left for the collector.
		return tx.deleteKey(key, nil)
	}
	return tx.putMeta(key, m, m.ExpireAt)
}
