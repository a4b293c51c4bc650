package db

import (
	"bytes"
	"slices"

	"github.com/titan-kv/titan/encoding"
)

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
		_, err := tx.Key(dst).Delete()
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
