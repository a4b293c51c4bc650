package db

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/tidwall/match"

	"github.com/titan-kv/titan/encoding"
)

// This file holds the set commands and the element helpers sets share
// with hashes. Both store one TiKV key per element (see encoding/hash.go):
// the key of member x of set s is Data(s.Object, SetMemberSub(x)), with an
// empty value; a hash field's key is Data(h.Object, HashFieldSub(f)) with
// the value EncodeHashValue(v).

// elemKind describes the element layout of one collection type.
type elemKind struct {
	typ    encoding.Type
	prefix []byte
	sub    func([]byte) []byte
	decode func([]byte) ([]byte, error)
}

var (
	setKind  = elemKind{encoding.TypeSet, encoding.SetMemberPrefix(), encoding.SetMemberSub, encoding.DecodeSetMemberSub}
	hashKind = elemKind{encoding.TypeHash, encoding.HashFieldPrefix(), encoding.HashFieldSub, encoding.DecodeHashFieldSub}
)

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

// scanPage examines up to count elements of the collection at key from
// position from (nil: the start) and returns those matching pattern.
func (tx *Tx) scanPage(key []byte, k elemKind, from []byte, count int, pattern []byte, values bool) (ElemScan, error) {
	var res ElemScan
	m, err := tx.typedMeta(key, k.typ)
	if err != nil || m == nil {
		return res, err
	}
	var start []byte
	if from != nil {
		start = tx.data(m, from)
	}
	seen := 0
	err = tx.scanElems(m, k, start, nil, count+1, func(e elem) (bool, error) {
		if seen == count {
			res.Next = e.sub
			return false, nil
		}
		seen++
		if len(pattern) > 0 && !match.Match(string(e.name), string(pattern)) {
			return true, nil
		}
		res.Items = append(res.Items, e.name)
		if values {
			v, err := encoding.DecodeHashValue(e.val)
			if err != nil {
				return false, err
			}
			res.Items = append(res.Items, v)
		}
		return true, nil
	})
	return res, err
}

func names(es []elem) [][]byte {
	out := make([][]byte, len(es))
	for i, e := range es {
		out[i] = e.name
	}
	return out
}

// setMeta returns key's set metadata, nil when missing.
func (tx *Tx) setMeta(key []byte) (*encoding.Meta, error) {
	return tx.typedMeta(key, encoding.TypeSet)
}

// SAdd adds members and returns how many were not there.
func (tx *Tx) SAdd(key []byte, members [][]byte) (int64, error) {
	m, err := tx.setMeta(key)
	if err != nil {
		return 0, err
	}
	existed := m != nil
	var present [][]byte
	if existed {
		if present, err = tx.lookup(m, setKind, members); err != nil {
			return 0, err
		}
	} else {
		m = tx.newObject(encoding.TypeSet)
		present = make([][]byte, len(members))
	}
	added := int64(0)
	seen := make(map[string]bool, len(members))
	for i, x := range members {
		if present[i] != nil || seen[string(x)] {
			continue
		}
		seen[string(x)] = true
		if err := tx.set(tx.data(m, encoding.SetMemberSub(x)), nil); err != nil {
			return 0, err
		}
		added++
	}
	if added == 0 {
		return 0, nil
	}
	return added, tx.saveCount(key, m, added, existed)
}

// SRem removes members and returns how many were there.
func (tx *Tx) SRem(key []byte, members [][]byte) (int64, error) {
	m, err := tx.setMeta(key)
	if err != nil || m == nil {
		return 0, err
	}
	present, err := tx.lookup(m, setKind, members)
	if err != nil {
		return 0, err
	}
	removed := int64(0)
	seen := make(map[string]bool, len(members))
	for i, x := range members {
		if present[i] == nil || seen[string(x)] {
			continue
		}
		seen[string(x)] = true
		if err := tx.del(tx.data(m, encoding.SetMemberSub(x))); err != nil {
			return 0, err
		}
		removed++
	}
	if removed == 0 {
		return 0, nil
	}
	return removed, tx.saveCount(key, m, -removed, true)
}

// SCard returns the number of members, 0 for a missing key.
func (tx *Tx) SCard(key []byte) (int64, error) {
	m, err := tx.setMeta(key)
	if err != nil || m == nil {
		return 0, err
	}
	return m.Count, nil
}

// SIsMember reports whether member is in the set.
func (tx *Tx) SIsMember(key, member []byte) (bool, error) {
	r, err := tx.SMIsMember(key, [][]byte{member})
	if err != nil {
		return false, err
	}
	return r[0], nil
}

// SMIsMember reports which members are in the set.
func (tx *Tx) SMIsMember(key []byte, members [][]byte) ([]bool, error) {
	out := make([]bool, len(members))
	m, err := tx.setMeta(key)
	if err != nil || m == nil {
		return out, err
	}
	present, err := tx.lookup(m, setKind, members)
	if err != nil {
		return nil, err
	}
	for i, v := range present {
		out[i] = v != nil
	}
	return out, nil
}

// SMembers returns every member.
func (tx *Tx) SMembers(key []byte) ([][]byte, error) {
	m, err := tx.setMeta(key)
	if err != nil || m == nil {
		return nil, err
	}
	all, err := tx.readAll(m, setKind)
	return names(all), err
}

// SRandMember returns count random members: distinct ones for count >= 0
// (the whole set when count >= SCARD), -count possibly repeated ones for
// count < 0.
func (tx *Tx) SRandMember(key []byte, count int64) ([][]byte, error) {
	m, err := tx.setMeta(key)
	if err != nil || m == nil {
		return nil, err
	}
	distinct := count >= 0
	if !distinct {
		count = -count
	}
	es, err := tx.sample(m, setKind, count, distinct)
	return names(es), err
}

// SPop removes and returns count distinct random members (all of them
// when count >= SCARD).
func (tx *Tx) SPop(key []byte, count int64) ([][]byte, error) {
	m, err := tx.setMeta(key)
	if err != nil || m == nil || count <= 0 {
		return nil, err
	}
	es, err := tx.sample(m, setKind, count, true)
	if err != nil || len(es) == 0 {
		return nil, err
	}
	if int64(len(es)) >= m.Count {
		// Popping everything: drop the object at once, the collector
		// deletes the elements.
		return names(es), tx.deleteKey(key, m)
	}
	for _, e := range es {
		if err := tx.del(tx.data(m, e.sub)); err != nil {
			return nil, err
		}
	}
	return names(es), tx.saveCount(key, m, -int64(len(es)), true)
}

// SMove moves member from src to dst and reports whether it was in src.
func (tx *Tx) SMove(src, dst, member []byte) (bool, error) {
	sm, err := tx.setMeta(src)
	if err != nil || sm == nil {
		return false, err
	}
	dm, err := tx.setMeta(dst)
	if err != nil {
		return false, err
	}
	if bytes.Equal(src, dst) {
		return tx.SIsMember(src, member)
	}
	sk := tx.data(sm, encoding.SetMemberSub(member))
	v, err := tx.get(sk)
	if err != nil || v == nil {
		return false, err
	}
	if err := tx.del(sk); err != nil {
		return false, err
	}
	if err := tx.saveCount(src, sm, -1, true); err != nil {
		return false, err
	}
	existed := dm != nil
	if !existed {
		dm = tx.newObject(encoding.TypeSet)
	} else {
		dv, err := tx.get(tx.data(dm, encoding.SetMemberSub(member)))
		if err != nil {
			return false, err
		}
		if dv != nil {
			return true, nil
		}
	}
	if err := tx.set(tx.data(dm, encoding.SetMemberSub(member)), nil); err != nil {
		return false, err
	}
	return true, tx.saveCount(dst, dm, 1, existed)
}

// setMetas returns the set metadata of keys (nil for missing ones),
// failing with ErrWrongType if any key holds another type, as Redis
// checks every key before it computes anything.
func (tx *Tx) setMetas(keys [][]byte) ([]*encoding.Meta, error) {
	ks := make([][]byte, len(keys))
	for i, k := range keys {
		ks[i] = tx.d.keys.Meta(tx.DB, k)
	}
	if err := tx.prefetch(ks); err != nil {
		return nil, err
	}
	out := make([]*encoding.Meta, len(keys))
	for i, k := range keys {
		m, err := tx.setMeta(k)
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}

// interChunk is the number of members of the smallest set checked against
// the others at once: one Scan request and one BatchGet per other set.
const interChunk = sampleWindow

// inter intersects the sets at keys: it walks the smallest set in chunks
// and keeps the members every other set holds. It stops once limit
// members are found (0: no limit); collect asks for the members.
func (tx *Tx) inter(keys [][]byte, limit int64, collect bool) ([][]byte, int64, error) {
	metas, err := tx.setMetas(keys)
	if err != nil {
		return nil, 0, err
	}
	for _, m := range metas {
		if m == nil {
			return nil, 0, nil
		}
	}
	slices.SortStableFunc(metas, func(a, b *encoding.Meta) int {
		switch {
		case a.Count < b.Count:
			return -1
		case a.Count > b.Count:
			return 1
		}
		return 0
	})
	small := metas[0]
	var others []*encoding.Meta
	for _, m := range metas[1:] {
		if m.Object != small.Object && !slices.ContainsFunc(others, func(o *encoding.Meta) bool { return o.Object == m.Object }) {
			others = append(others, m)
		}
	}
	var out [][]byte
	var n int64
	err = tx.eachChunk(small, setKind, interChunk, func(chunk []elem) (bool, error) {
		cand := names(chunk)
		for _, o := range others {
			present, err := tx.lookup(o, setKind, cand)
			if err != nil {
				return false, err
			}
			kept := cand[:0]
			for i, x := range cand {
				if present[i] != nil {
					kept = append(kept, x)
				}
			}
			cand = kept
			if len(cand) == 0 {
				break
			}
		}
		for _, x := range cand {
			if limit > 0 && n >= limit {
				return false, nil
			}
			n++
			if collect {
				out = append(out, x)
			}
		}
		return limit == 0 || n < limit, nil
	})
	return out, n, err
}

// SInter returns the intersection of the sets.
func (tx *Tx) SInter(keys [][]byte) ([][]byte, error) {
	out, _, err := tx.inter(keys, 0, true)
	return out, err
}

// SInterCard returns the size of the intersection, counting at most limit
// members when limit > 0.
func (tx *Tx) SInterCard(keys [][]byte, limit int64) (int64, error) {
	_, n, err := tx.inter(keys, limit, false)
	return n, err
}

// SUnion returns the union of the sets.
func (tx *Tx) SUnion(keys [][]byte) ([][]byte, error) {
	metas, err := tx.setMetas(keys)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	seen := make(map[string]bool)
	var done []encoding.ObjectID
	for _, m := range metas {
		if m == nil || slices.Contains(done, m.Object) {
			continue
		}
		done = append(done, m.Object)
		err := tx.scanElems(m, setKind, nil, nil, 0, func(e elem) (bool, error) {
			if !seen[string(e.name)] {
				seen[string(e.name)] = true
				out = append(out, e.name)
			}
			return true, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SDiff returns the members of the first set that no other set holds.
// Other sets no larger than the first are read whole; larger ones are
// probed with a BatchGet per chunk of the first set.
func (tx *Tx) SDiff(keys [][]byte) ([][]byte, error) {
	metas, err := tx.setMetas(keys)
	if err != nil {
		return nil, err
	}
	first := metas[0]
	if first == nil {
		return nil, nil
	}
	exclude := make(map[string]bool)
	var probe []*encoding.Meta
	for _, m := range metas[1:] {
		switch {
		case m == nil:
		case m.Object == first.Object:
			return nil, nil
		case m.Count <= first.Count:
			err := tx.scanElems(m, setKind, nil, nil, 0, func(e elem) (bool, error) {
				exclude[string(e.name)] = true
				return true, nil
			})
			if err != nil {
				return nil, err
			}
		default:
			probe = append(probe, m)
		}
	}
	var out [][]byte
	err = tx.eachChunk(first, setKind, interChunk, func(chunk []elem) (bool, error) {
		var cand [][]byte
		for _, e := range chunk {
			if !exclude[string(e.name)] {
				cand = append(cand, e.name)
			}
		}
		for _, o := range probe {
			if len(cand) == 0 {
				break
			}
			present, err := tx.lookup(o, setKind, cand)
			if err != nil {
				return false, err
			}
			kept := cand[:0]
			for i, x := range cand {
				if present[i] == nil {
					kept = append(kept, x)
				}
			}
			cand = kept
		}
		out = append(out, cand...)
		return true, nil
	})
	return out, err
}

// storeSet makes dst a new set of members (distinct), replacing whatever
// it held; an empty result deletes dst. It returns the size.
func (tx *Tx) storeSet(dst []byte, members [][]byte) (int64, error) {
	if len(members) == 0 {
		_, err := tx.Del(dst)
		return 0, err
	}
	m := tx.newObject(encoding.TypeSet)
	for _, x := range members {
		if err := tx.set(tx.data(m, encoding.SetMemberSub(x)), nil); err != nil {
			return 0, err
		}
	}
	m.Count = int64(len(members))
	return m.Count, tx.replace(dst, m)
}

// SInterStore stores the intersection of keys at dst and returns its size.
func (tx *Tx) SInterStore(dst []byte, keys [][]byte) (int64, error) {
	r, err := tx.SInter(keys)
	if err != nil {
		return 0, err
	}
	return tx.storeSet(dst, r)
}

// SUnionStore stores the union of keys at dst and returns its size.
func (tx *Tx) SUnionStore(dst []byte, keys [][]byte) (int64, error) {
	r, err := tx.SUnion(keys)
	if err != nil {
		return 0, err
	}
	return tx.storeSet(dst, r)
}

// SDiffStore stores the difference of keys at dst and returns its size.
func (tx *Tx) SDiffStore(dst []byte, keys [][]byte) (int64, error) {
	r, err := tx.SDiff(keys)
	if err != nil {
		return 0, err
	}
	return tx.storeSet(dst, r)
}

// SScan examines up to count members from position from (nil: the
// start) and returns those matching pattern (all when empty).
func (tx *Tx) SScan(key, from []byte, count int, pattern []byte) (ElemScan, error) {
	return tx.scanPage(key, setKind, from, count, pattern, false)
}
