package db

import (
	"fmt"
	"math/big"
	"strconv"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/parse"
)

// Hashes. Each field is one key, Data(object, HashFieldSub(field)) ->
// EncodeHashValue(value); the metadata counts the fields. Reads and scans
// go through the element helpers of elements.go, shared with sets.

// hashKind is the element layout of hashes.
var hashKind = elemKind{
	typ:    encoding.TypeHash,
	prefix: encoding.HashFieldPrefix(),
	sub:    encoding.HashFieldSub,
	decode: encoding.DecodeHashFieldSub,
}

// Hash is the hash stored at one key, as one transaction sees it.
type Hash struct {
	tx  *Tx
	key []byte
}

// Hash returns the view of the hash at key in the transaction's current
// database.
func (tx *Tx) Hash(key []byte) Hash { return Hash{tx: tx, key: key} }

// meta returns the hash's metadata, nil when the key is missing and
// ErrWrongType when it holds another type.
func (h Hash) meta() (*encoding.Meta, error) {
	return h.tx.typedMeta(h.key, encoding.TypeHash)
}

// metaOrNew returns the hash's metadata, or a new empty hash when the key
// is missing; existed tells which.
func (h Hash) metaOrNew() (m *encoding.Meta, existed bool, err error) {
	m, err = h.meta()
	if err != nil {
		return nil, false, err
	}
	if m == nil {
		return h.tx.newObject(encoding.TypeHash), false, nil
	}
	return m, true, nil
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

// field reads one field's value; nil when missing.
func (h Hash) field(m *encoding.Meta, field []byte) ([]byte, error) {
	raw, err := h.tx.get(h.tx.data(m, encoding.HashFieldSub(field)))
	if err != nil {
		return nil, err
	}
	return hashValue(m, raw)
}

// putField writes one field of hash m.
func (h Hash) putField(m *encoding.Meta, field, value []byte) error {
	return h.tx.set(h.tx.data(m, encoding.HashFieldSub(field)), encoding.EncodeHashValue(value))
}

// Set sets field/value pairs (pairs alternates them) and returns how
// many fields are new. A field named twice takes its last value.
func (h Hash) Set(pairs [][]byte) (int64, error) {
	m, existed, err := h.metaOrNew()
	if err != nil {
		return 0, err
	}
	fields := make([][]byte, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		fields = append(fields, pairs[i])
	}
	var present [][]byte
	if existed {
		if present, err = h.tx.lookup(m, hashKind, fields); err != nil {
			return 0, err
		}
	} else {
		present = make([][]byte, len(fields))
	}
	added := int64(0)
	seen := make(map[string]bool, len(fields))
	for i, f := range fields {
		if present[i] == nil && !seen[string(f)] {
			added++
		}
		seen[string(f)] = true
		if err := h.putField(m, f, pairs[2*i+1]); err != nil {
			return 0, err
		}
	}
	return added, h.tx.saveCount(h.key, m, added, existed)
}

// SetNX sets field only if it does not exist and reports whether it did.
func (h Hash) SetNX(field, value []byte) (bool, error) {
	m, existed, err := h.metaOrNew()
	if err != nil {
		return false, err
	}
	if existed {
		v, err := h.field(m, field)
		if err != nil || v != nil {
			return false, err
		}
	}
	if err := h.putField(m, field, value); err != nil {
		return false, err
	}
	return true, h.tx.saveCount(h.key, m, 1, existed)
}

// Get returns a field's value, nil when the field or key is missing.
func (h Hash) Get(field []byte) ([]byte, error) {
	m, err := h.meta()
	if err != nil || m == nil {
		return nil, err
	}
	return h.field(m, field)
}

// MGet returns the values of fields, nil for missing ones.
func (h Hash) MGet(fields [][]byte) ([][]byte, error) {
	out := make([][]byte, len(fields))
	m, err := h.meta()
	if err != nil || m == nil {
		return out, err
	}
	raws, err := h.tx.lookup(m, hashKind, fields)
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

// Del deletes fields and returns how many existed.
func (h Hash) Del(fields [][]byte) (int64, error) {
	m, err := h.meta()
	if err != nil || m == nil {
		return 0, err
	}
	return h.tx.removeElems(h.key, m, hashKind, fields)
}

// Len returns the number of fields, 0 for a missing key.
func (h Hash) Len() (int64, error) {
	m, err := h.meta()
	if err != nil || m == nil {
		return 0, err
	}
	return m.Count, nil
}

// Exists reports whether field exists.
func (h Hash) Exists(field []byte) (bool, error) {
	v, err := h.Get(field)
	return v != nil, err
}

// StrLen returns the length of a field's value, 0 when missing.
func (h Hash) StrLen(field []byte) (int64, error) {
	v, err := h.Get(field)
	return int64(len(v)), err
}

// GetAll returns the fields and their values, in the same order.
func (h Hash) GetAll() (fields, values [][]byte, err error) {
	m, err := h.meta()
	if err != nil || m == nil {
		return nil, nil, err
	}
	all, err := h.tx.readAll(m, hashKind)
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

// IncrBy adds delta to the integer in field and returns the result.
func (h Hash) IncrBy(field []byte, delta int64) (int64, error) {
	m, existed, err := h.metaOrNew()
	if err != nil {
		return 0, err
	}
	var cur []byte
	if existed {
		if cur, err = h.field(m, field); err != nil {
			return 0, err
		}
	}
	var n int64
	if cur != nil {
		var ok bool
		if n, ok = parse.Int(cur); !ok {
			return 0, ErrHashNotInt
		}
	}
	n, overflow := addInt64(n, delta)
	if overflow {
		return 0, ErrOverflow
	}
	return n, h.update(m, existed, field, cur == nil, strconv.AppendInt(nil, n, 10))
}

// IncrByFloat adds incr (finite, from parse.LongDouble) to the float in
// field and returns the new value as stored.
func (h Hash) IncrByFloat(field []byte, incr *big.Float) ([]byte, error) {
	m, existed, err := h.metaOrNew()
	if err != nil {
		return nil, err
	}
	var cur []byte
	if existed {
		if cur, err = h.field(m, field); err != nil {
			return nil, err
		}
	}
	f := new(big.Float)
	if cur != nil {
		var ok bool
		if f, ok = parse.LongDouble(cur); !ok {
			return nil, ErrHashNotFloat
		}
	}
	sum, ok := parse.AddLongDouble(f, incr)
	if !ok {
		return nil, ErrNaN
	}
	out := []byte(parse.FormatLongDouble(sum))
	return out, h.update(m, existed, field, cur == nil, out)
}

// update writes the new value of field, which is new to the hash when
// added, and stores the hash.
func (h Hash) update(m *encoding.Meta, existed bool, field []byte, added bool, value []byte) error {
	if err := h.putField(m, field, value); err != nil {
		return err
	}
	delta := int64(0)
	if added {
		delta = 1
	}
	return h.tx.saveCount(h.key, m, delta, existed)
}

// RandField returns count random fields and their values: distinct ones
// for count >= 0 (the whole hash when count >= Len), -count possibly
// repeated ones for count < 0.
func (h Hash) RandField(count int64) (fields, values [][]byte, err error) {
	m, err := h.meta()
	if err != nil || m == nil {
		return nil, nil, err
	}
	es, err := h.tx.sampleElems(m, hashKind, count)
	if err != nil {
		return nil, nil, err
	}
	return hashPairs(m, es)
}

// Scan examines up to count fields from position from (nil: the start)
// and returns field, value, ... for those matching pattern (nil: all).
// novalues leaves the values out.
func (h Hash) Scan(from []byte, count int, pattern []byte, novalues bool) (ScanPage[[]byte], error) {
	m, err := h.meta()
	if err != nil || m == nil {
		return ScanPage[[]byte]{}, err
	}
	page, err := h.tx.elemPage(m, hashKind, from, count, pattern)
	if err != nil {
		return ScanPage[[]byte]{}, err
	}
	res := ScanPage[[]byte]{Next: page.Next}
	for _, e := range page.Items {
		res.Items = append(res.Items, e.name)
		if !novalues {
			v, err := hashValue(m, e.val)
			if err != nil {
				return ScanPage[[]byte]{}, err
			}
			res.Items = append(res.Items, v)
		}
	}
	return res, nil
}
