package db

import (
	"bytes"
	"fmt"
	"math/rand/v2"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/glob"
)

// Elements: the layer hashes (hash.go) and sets (set.go, sets.go) share.
// Both store one key per element, Data(object, sub), whose sub key is the
// element's name behind an 8-byte hash of it (see encoding/hash.go), so
// elements spread evenly over the object's key space. This file reads
// them: whole or in chunks, by name in one BatchGet, by random sampling,
// and by pages for HSCAN and SSCAN; and deletes them by name.

// elemKind describes the element layout of one collection type (hashKind,
// setKind).
type elemKind struct {
	typ    encoding.Type
	prefix []byte
	// sub returns an element's sub key, decode its name back.
	sub    func(name []byte) []byte
	decode func(sub []byte) ([]byte, error)
	// value decodes a stored value; nil when elements have none.
	value func(raw []byte) ([]byte, error)
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
	return tx.scan(start, end, limit, func(key, v []byte) (bool, error) {
		sub := bytes.Clone(tx.d.keys.DataSub(m.Object, key))
		name, err := k.decode(sub)
		if err != nil {
			return false, fmt.Errorf("%s object %s: %w", k.typ, m.Object, err)
		}
		return fn(elem{name: name, val: bytes.Clone(v), sub: sub})
	})
}

// readAll returns every element of m: ceil(Count/256) Scan requests.
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
	if err := tx.prefetch(keys); err != nil {
		return nil, err
	}
	out := make([][]byte, len(names))
	for i, key := range keys {
		v, err := tx.get(key)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// Random sampling. A window is the run of elements that follows a random
// point of the (uniformly hashed) element key space, wrapping around: one
// Scan request returns it. Picks are made uniformly inside windows, so an
// element's chance depends on the sum of the key-space gaps before it over
// a whole window, which evens out the gaps' randomness. Collections of up
// to sampleWindow elements, and requests for a large share of a
// collection, read it whole and pick exactly uniformly.
const (
	// sampleWindow is the most elements one Scan request returns and
	// walks past without fetching more: client-go scans in batches of 256
	// and fetches the next batch as the iterator moves past the 256th.
	sampleWindow    = 255
	samplePerWindow = 64
	// maxRandomCount bounds the replies of SRANDMEMBER and HRANDFIELD with
	// a negative count, which may repeat elements: Redis would try to
	// build any size and run out of memory.
	maxRandomCount = 1 << 22
)

// errCountRange answers a negative random-pick count past maxRandomCount.
var errCountRange = UserError("ERR value is out of range")

// window returns up to w elements starting at point of m's element key
// space, wrapping around to the first element.
func (tx *Tx) window(m *encoding.Meta, k elemKind, point uint64, w int) ([]elem, error) {
	seek := tx.data(m, encoding.ElemSeek(k.prefix, point))
	out := make([]elem, 0, w)
	add := func(e elem) (bool, error) {
		out = append(out, e)
		return true, nil
	}
	if err := tx.scanElems(m, k, seek, nil, w, add); err != nil {
		return nil, err
	}
	if len(out) < w {
		if err := tx.scanElems(m, k, nil, seek, w-len(out), add); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sampleCount picks elements as SRANDMEMBER and HRANDFIELD do: count
// distinct ones for count >= 0 (all of them when count >= Count), -count
// possibly repeated ones for count < 0.
func (tx *Tx) sampleCount(m *encoding.Meta, k elemKind, count int64) ([]elem, error) {
	if count < 0 {
		return tx.sample(m, k, -count, false)
	}
	return tx.sample(m, k, count, true)
}

// sample picks count random elements of m: distinct ones when distinct
// is set (all of them when count >= Count), otherwise count independent
// picks that may repeat.
func (tx *Tx) sample(m *encoding.Meta, k elemKind, count int64, distinct bool) ([]elem, error) {
	n := m.Count
	if count <= 0 || n <= 0 {
		return nil, nil
	}
	if distinct && count >= n {
		return tx.readAll(m, k)
	}
	if !distinct && count > maxRandomCount {
		return nil, errCountRange
	}
	if n <= sampleWindow || count > n/4 {
		all, err := tx.readAll(m, k)
		if err != nil || len(all) == 0 {
			return nil, err
		}
		if distinct {
			count = min(count, int64(len(all)))
			for i := range count {
				j := i + rand.Int64N(int64(len(all))-i)
				all[i], all[j] = all[j], all[i]
			}
			return all[:count], nil
		}
		out := make([]elem, count)
		for i := range out {
			out[i] = all[rand.IntN(len(all))]
		}
		return out, nil
	}
	out := make([]elem, 0, count)
	picked := make(map[string]bool)
	for windows := 0; int64(len(out)) < count; windows++ {
		if windows > int(count/samplePerWindow)*4+64 {
			// Only reachable if Count is far above the real number of
			// elements: finish from the whole collection.
			return tx.finishSample(m, k, out, picked, count, distinct)
		}
		win, err := tx.window(m, k, rand.Uint64(), sampleWindow)
		if err != nil || len(win) == 0 {
			return out, err
		}
		take := min(int(count)-len(out), samplePerWindow)
		if !distinct {
			for range take {
				out = append(out, win[rand.IntN(len(win))])
			}
			continue
		}
		for _, i := range rand.Perm(len(win)) {
			if take == 0 {
				break
			}
			if picked[string(win[i].name)] {
				continue
			}
			picked[string(win[i].name)] = true
			out = append(out, win[i])
			take--
		}
	}
	return out, nil
}

func (tx *Tx) finishSample(m *encoding.Meta, k elemKind, out []elem, picked map[string]bool, count int64, distinct bool) ([]elem, error) {
	all, err := tx.readAll(m, k)
	if err != nil {
		return nil, err
	}
	rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	for _, e := range all {
		if int64(len(out)) >= count {
			break
		}
		if distinct && picked[string(e.name)] {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// ElemScan is one page of HSCAN or SSCAN.
type ElemScan struct {
	// Items are the members, or field, value, field, value... for hashes.
	Items [][]byte
	// Next is the position to resume from; nil when the scan is complete.
	Next []byte
}

// scanPage examines up to count elements of m from position from (nil:
// the start) and returns those matching pattern, with their values when
// values is set.
func (tx *Tx) scanPage(m *encoding.Meta, k elemKind, from []byte, count int, pattern []byte, values bool) (ElemScan, error) {
	var res ElemScan
	var start []byte
	if from != nil {
		start = tx.data(m, from)
	}
	seen := 0
	err := tx.scanElems(m, k, start, nil, count+1, func(e elem) (bool, error) {
		if seen == count {
			res.Next = e.sub
			return false, nil
		}
		seen++
		if pattern != nil && !glob.Match(pattern, e.name, false) {
			return true, nil
		}
		res.Items = append(res.Items, e.name)
		if values && k.value != nil {
			v, err := k.value(e.val)
			if err != nil {
				return false, fmt.Errorf("%s object %s: %w", k.typ, m.Object, err)
			}
			res.Items = append(res.Items, v)
		}
		return true, nil
	})
	return res, err
}

// names returns the names of elements.
func names(es []elem) [][]byte {
	out := make([][]byte, len(es))
	for i, e := range es {
		out[i] = e.name
	}
	return out
}
