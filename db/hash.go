package db

import (
	"fmt"
	"math/big"
	"strconv"

	"github.com/titan-kv/titan/encoding"
)

// hashMeta returns key's hash metadata, nil when missing.
func (tx *Tx) hashMeta(key []byte) (*encoding.Meta, error) {
	return tx.typedMeta(key, encoding.TypeHash)
}

func hashValue(m *encoding.Meta, raw []byte) ([]byte, error) {
	if raw == nil {
		return nil, nil
	}
	v, err := encoding.DecodeHashValue(raw)
	if err != nil {
		return nil, fmt.Errorf("hash object %s: %w", m.Object, err)
	}
	return v, nil
}

// hashField reads one field's value; nil when missing.
func (tx *Tx) hashField(m *encoding.Meta, field []byte) ([]byte, error) {
	raw, err := tx.get(tx.data(m, encoding.HashFieldSub(field)))
	if err != nil {
		return nil, err
	}
	return hashValue(m, raw)
}

// putField writes one field of hash m.
func (tx *Tx) putField(m *encoding.Meta, field, value []byte) error {
	return tx.set(tx.data(m, encoding.HashFieldSub(field)), encoding.EncodeHashValue(value))
}

// HSet sets field/value pairs (pairs alternates them) and returns how
// many fields are new. A field named twice takes its last value.
func (tx *Tx) HSet(key []byte, pairs [][]byte) (int64, error) {
	m, err := tx.hashMeta(key)
	if err != nil {
		return 0, err
	}
	existed := m != nil
	fields := make([][]byte, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		fields = append(fields, pairs[i])
	}
	var present [][]byte
	if existed {
		if present, err = tx.lookup(m, hashKind, fields); err != nil {
			return 0, err
		}
	} else {
		m = tx.newObject(encoding.TypeHash)
		present = make([][]byte, len(fields))
	}
	added := int64(0)
	seen := make(map[string]bool, len(fields))
	for i, f := range fields {
		if present[i] == nil && !seen[string(f)] {
			added++
		}
		seen[string(f)] = true
		if err := tx.putField(m, f, pairs[2*i+1]); err != nil {
			return 0, err
		}
	}
	return added, tx.saveCount(key, m, added, existed)
}

// HSetNX sets field only if it does not exist and reports whether it did.
func (tx *Tx) HSetNX(key, field, value []byte) (bool, error) {
	m, err := tx.hashMeta(key)
	if err != nil {
		return false, err
	}
	existed := m != nil
	if existed {
		v, err := tx.hashField(m, field)
		if err != nil || v != nil {
			return false, err
		}
	} else {
		m = tx.newObject(encoding.TypeHash)
	}
	if err := tx.putField(m, field, value); err != nil {
		return false, err
	}
	return true, tx.saveCount(key, m, 1, existed)
}

// HGet returns a field's value, nil when the field or key is missing.
func (tx *Tx) HGet(key, field []byte) ([]byte, error) {
	m, err := tx.hashMeta(key)
	if err != nil || m == nil {
		return nil, err
	}
	return tx.hashField(m, field)
}

// HMGet returns the values of fields, nil for missing ones.
func (tx *Tx) HMGet(key []byte, fields [][]byte) ([][]byte, error) {
	out := make([][]byte, len(fields))
	m, err := tx.hashMeta(key)
	if err != nil || m == nil {
		return out, err
	}
	raws, err := tx.lookup(m, hashKind, fields)
	if err != nil {
		return nil, err
	}
	for i, raw := range raws {
		if out[i], err = hashValue(m, raw); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// HDel deletes fields and returns how many existed.
func (tx *Tx) HDel(key []byte, fields [][]byte) (int64, error) {
	m, err := tx.hashMeta(key)
	if err != nil || m == nil {
		return 0, err
	}
	present, err := tx.lookup(m, hashKind, fields)
	if err != nil {
		return 0, err
	}
	removed := int64(0)
	seen := make(map[string]bool, len(fields))
	for i, f := range fields {
		if present[i] == nil || seen[string(f)] {
			continue
		}
		seen[string(f)] = true
		if err := tx.del(tx.data(m, encoding.HashFieldSub(f))); err != nil {
			return 0, err
		}
		removed++
	}
	if removed == 0 {
		return 0, nil
	}
	return removed, tx.saveCount(key, m, -removed, true)
}

// HLen returns the number of fields, 0 for a missing key.
func (tx *Tx) HLen(key []byte) (int64, error) {
	m, err := tx.hashMeta(key)
	if err != nil || m == nil {
		return 0, err
	}
	return m.Count, nil
}

// HExists reports whether field exists.
func (tx *Tx) HExists(key, field []byte) (bool, error) {
	v, err := tx.HGet(key, field)
	return v != nil, err
}

// HStrLen returns the length of a field's value, 0 when missing.
func (tx *Tx) HStrLen(key, field []byte) (int64, error) {
	v, err := tx.HGet(key, field)
	return int64(len(v)), err
}

// HGetAll returns the fields and their values, in the same order.
func (tx *Tx) HGetAll(key []byte) (fields, values [][]byte, err error) {
	m, err := tx.hashMeta(key)
	if err != nil || m == nil {
		return nil, nil, err
	}
	all, err := tx.readAll(m, hashKind)
	if err != nil {
		return nil, nil, err
	}
	return hashPairs(m, all)
}

func hashPairs(m *encoding.Meta, es []elem) (fields, values [][]byte, err error) {
	fields = make([][]byte, len(es))
	values = make([][]byte, len(es))
	for i, e := range es {
		fields[i] = e.name
		if values[i], err = hashValue(m, e.val); err != nil {
			return nil, nil, err
		}
	}
	return fields, values, nil
}

// HIncrBy adds delta to the integer in field and returns the result.
func (tx *Tx) HIncrBy(key, field []byte, delta int64) (int64, error) {
	m, err := tx.hashMeta(key)
	if err != nil {
		return 0, err
	}
	existed := m != nil
	var cur []byte
	if existed {
		if cur, err = tx.hashField(m, field); err != nil {
			return 0, err
		}
	} else {
		m = tx.newObject(encoding.TypeHash)
	}
	var n int64
	if cur != nil {
		if n, err = parseInt(cur); err != nil {
			return 0, ErrHashNotInt
		}
	}
	n, overflow := addInt64(n, delta)
	if overflow {
		return 0, ErrOverflow
	}
	if err := tx.putField(m, field, strconv.AppendInt(nil, n, 10)); err != nil {
		return 0, err
	}
	added := int64(0)
	if cur == nil {
		added = 1
	}
	return n, tx.saveCount(key, m, added, existed)
}

// HIncrByFloat adds incr (finite, from ParseLongDouble) to the float in
// field and returns the new value as stored.
func (tx *Tx) HIncrByFloat(key, field []byte, incr *big.Float) ([]byte, error) {
	m, err := tx.hashMeta(key)
	if err != nil {
		return nil, err
	}
	existed := m != nil
	var cur []byte
	if existed {
		if cur, err = tx.hashField(m, field); err != nil {
			return nil, err
		}
	} else {
		m = tx.newObject(encoding.TypeHash)
	}
	f := new(big.Float)
	if cur != nil {
		var ok bool
		if f, ok = ParseLongDouble(cur); !ok {
			return nil, ErrHashNotFloat
		}
	}
	sum, ok := AddLongDouble(f, incr)
	if !ok {
		return nil, ErrNaN
	}
	out := []byte(FormatLongDouble(sum))
	if err := tx.putField(m, field, out); err != nil {
		return nil, err
	}
	added := int64(0)
	if cur == nil {
		added = 1
	}
	return out, tx.saveCount(key, m, added, existed)
}

// HRandField returns count random fields and their values: distinct ones
// for count >= 0 (the whole hash when count >= HLEN), -count possibly
// repeated ones for count < 0.
func (tx *Tx) HRandField(key []byte, count int64) (fields, values [][]byte, err error) {
	m, err := tx.hashMeta(key)
	if err != nil || m == nil {
		return nil, nil, err
	}
	distinct := count >= 0
	if !distinct {
		count = -count
	}
	es, err := tx.sample(m, hashKind, count, distinct)
	if err != nil {
		return nil, nil, err
	}
	return hashPairs(m, es)
}

// HScan examines up to count fields from position from (nil: the start)
// and returns field, value, ... for those matching pattern (all when
// empty). novalues leaves the values out.
func (tx *Tx) HScan(key, from []byte, count int, pattern []byte, novalues bool) (ElemScan, error) {
	return tx.scanPage(key, hashKind, from, count, pattern, !novalues)
}
