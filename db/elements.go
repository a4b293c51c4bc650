package db

import (
	"bytes"
	"fmt"

	"github.com/titan-kv/titan/encoding"
)

// Elements: the layer hashes (hash.go) and sets (set.go, sets.go) share.
// Both store one key per element, Data(object, sub), whose sub key is the
// element's name behind an 8-byte hash of it (see encoding/hash.go), so
// elements spread evenly over the object's key space. This file reads
// them: whole or in chunks, by name in one BatchGet, by random sampling
// (with sampleRange, sample.go) and by pages for HSCAN and SSCAN (with
// scanPage, scan.go); and deletes them by name.

// elemKind describes the element layout of one collection type (hashKind,
// setKind).
type elemKind struct {
	typ    encoding.Type
	prefix []byte
	// sub returns an element's sub key, decode its name back.
	sub    func(name []byte) []byte
	decode func(sub []byte) ([]byte, error)
}

// elem is one element read from the store: a set member or a hash field
// (name), its stored value and its sub key.
type elem struct {
	name, val, sub []byte
}

// elemBounds returns the key range holding every element of m.
func (tx *Tx) elemBounds(m *encoding.Meta, k elemKind) (start, end []byte) {
	start = tx.data(m, k.prefix)
	return start, encoding.PrefixEnd(start)
}

// scanElems calls fn for the elements of m whose keys are in [from, to)
// (nil bounds: the whole collection), in key order, at most limit of them
// (0: no limit), until fn returns false.
func (tx *Tx) scanElems(m *encoding.Meta, k elemKind, from, to []byte, limit int, fn func(e elem) (bool, error)) error {
	start, end := tx.elemBounds(m, k)
	if from != nil && bytes.Compare(from, start) > 0 {
		start = from
	}
	if to != nil && bytes.Compare(to, end) < 0 {
		end = to
	}
	if bytes.Compare(start, end) >= 0 {
		return nil
	}
	decode := tx.elemDecoder(m, k)
	return tx.rangeScan(start, end, limit, false, func(key, v []byte) (bool, error) {
		e, _, err := decode(key, v)
		if err != nil {
			return false, err
		}
		return fn(e)
	})
}

// elemDecoder decodes the element keys of m (copying them).
func (tx *Tx) elemDecoder(m *encoding.Meta, k elemKind) decoder[elem] {
	return func(key, v []byte) (elem, bool, error) {
		sub := bytes.Clone(tx.d.keys.DataSub(m.Object, key))
		name, err := k.decode(sub)
		if err != nil {
			return elem{}, false, fmt.Errorf("%s object %s: %w", k.typ, m.Object, err)
		}
		return elem{name: name, val: bytes.Clone(v), sub: sub}, true, nil
	}
}

// readAll returns every element of m, in one scan (see rangeScan).
func (tx *Tx) readAll(m *encoding.Meta, k elemKind) ([]elem, error) {
	out := make([]elem, 0, min(m.Count, 1<<16))
	err := tx.scanElems(m, k, nil, nil, 0, func(e elem) (bool, error) {
		out = append(out, e)
		return true, nil
	})
	return out, err
}

// eachChunk reads the elements of m in chunks of size, one Scan request
// each, and calls fn with every chunk until fn returns false.
func (tx *Tx) eachChunk(m *encoding.Meta, k elemKind, size int, fn func([]elem) (bool, error)) error {
	var from []byte
	for {
		chunk := make([]elem, 0, size)
		err := tx.scanElems(m, k, from, nil, size, func(e elem) (bool, error) {
			chunk = append(chunk, e)
			return true, nil
		})
		if err != nil || len(chunk) == 0 {
			return err
		}
		more, err := fn(chunk)
		if err != nil || !more || len(chunk) < size {
			return err
		}
		from = tx.data(m, append(bytes.Clone(chunk[len(chunk)-1].sub), 0))
	}
}

// removeElems deletes the elements names of m (the collection at key) and
// returns how many existed; a name given twice counts once.
func (tx *Tx) removeElems(key []byte, m *encoding.Meta, k elemKind, names [][]byte) (int64, error) {
	present, err := tx.lookup(m, k, names)
	if err != nil {
		return 0, err
	}
	removed := int64(0)
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		if present[i] == nil || seen[string(n)] {
			continue
		}
		seen[string(n)] = true
		if err := tx.del(tx.data(m, k.sub(n))); err != nil {
			return 0, err
		}
		removed++
	}
	if removed == 0 {
		return 0, nil
	}
	return removed, tx.saveCount(key, m, -removed, true)
}

// lookup reads the elements names of m in one BatchGet (reads of keys this
// transaction wrote are served from its buffer) and returns their stored
// values, nil for absent ones.
func (tx *Tx) lookup(m *encoding.Meta, k elemKind, names [][]byte) ([][]byte, error) {
	keys := make([][]byte, len(names))
	for i, n := range names {
		keys[i] = tx.data(m, k.sub(n))
	}
	return tx.getMany(keys)
}

// getMany reads keys in one BatchGet (reads of keys this transaction
// wrote are served from its buffer) and returns their values, nil for
// absent ones.
func (tx *Tx) getMany(keys [][]byte) ([][]byte, error) {
	if err := tx.prefetch(keys); err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, key := range keys {
		v, err := tx.get(key)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// sampleElems picks count random elements of m as SRANDMEMBER,
// HRANDFIELD and SPOP do (see sampleRange), refusing negative counts
// below -maxRandomCount.
func (tx *Tx) sampleElems(m *encoding.Meta, k elemKind, count int64) ([]elem, error) {
	if count < -maxRandomCount {
		return nil, errCountRange
	}
	from, to := tx.elemBounds(m, k)
	return sampleRange(tx, sampleSource[elem]{from: from, to: to, n: m.Count, spread: true, decode: tx.elemDecoder(m, k)}, count)
}

// elemPage examines up to count elements of m from position from (a sub
// key; nil: the start) and returns those whose name matches pattern (nil:
// all): one page of HSCAN or SSCAN.
func (tx *Tx) elemPage(m *encoding.Meta, k elemKind, from []byte, count int, pattern []byte) (ScanPage[elem], error) {
	if bytes.Compare(from, k.prefix) < 0 {
		from = k.prefix
	}
	_, end := tx.elemBounds(m, k)
	return scanPage(tx, tx.data(m, nil), from, end, count, pattern, tx.elemDecoder(m, k), func(e elem) []byte { return e.name })
}

// names returns the names of elements.
func names(es []elem) [][]byte {
	out := make([][]byte, len(es))
	for i, e := range es {
		out[i] = e.name
	}
	return out
}
