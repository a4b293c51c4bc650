package db

import (
	"slices"

	"github.com/titan-kv/titan/encoding"
)

// Operations over several sets: SINTER, SINTERCARD, SUNION, SDIFF and the
// *STORE commands. Like Redis, they check the type of every key before
// they compute anything.

// Sets is several sets, as one transaction sees them.
type Sets struct {
	tx   *Tx
	keys [][]byte
}

// Sets returns the view of the sets at keys in the transaction's current
// database.
func (tx *Tx) Sets(keys [][]byte) Sets { return Sets{tx: tx, keys: keys} }

// metas returns the set metadata of the keys (nil for missing ones),
// failing with ErrWrongType if any key holds another type.
func (ss Sets) metas() ([]*encoding.Meta, error) {
	tx := ss.tx
	ks := make([][]byte, len(ss.keys))
	for i, k := range ss.keys {
		ks[i] = tx.d.keys.Meta(tx.DB, k)
	}
	if err := tx.prefetch(ks); err != nil {
		return nil, err
	}
	out := make([]*encoding.Meta, len(ss.keys))
	for i, k := range ss.keys {
		m, err := tx.Set(k).meta()
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

// inter intersects the sets: it walks the smallest set in chunks and keeps
// the members every other set holds. It stops once limit members are
// found (0: no limit); collect asks for the members.
func (ss Sets) inter(limit int64, collect bool) ([][]byte, int64, error) {
	tx := ss.tx
	metas, err := ss.metas()
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
			var err error
			if cand, err = tx.filterMembers(o, cand, true); err != nil {
				return false, err
			}
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

// filterMembers returns the members of cand that set m holds (keep) or
// does not hold (!keep), in one BatchGet. It reuses cand's array.
func (tx *Tx) filterMembers(m *encoding.Meta, cand [][]byte, keep bool) ([][]byte, error) {
	present, err := tx.lookup(m, setKind, cand)
	if err != nil {
		return nil, err
	}
	kept := cand[:0]
	for i, x := range cand {
		if (present[i] != nil) == keep {
			kept = append(kept, x)
		}
	}
	return kept, nil
}

// Inter returns the intersection of the sets.
func (ss Sets) Inter() ([][]byte, error) {
	out, _, err := ss.inter(0, true)
	return out, err
}

// InterCard returns the size of the intersection, counting at most limit
// members when limit > 0.
func (ss Sets) InterCard(limit int64) (int64, error) {
	_, n, err := ss.inter(limit, false)
	return n, err
}

// Union returns the union of the sets.
func (ss Sets) Union() ([][]byte, error) {
	tx := ss.tx
	metas, err := ss.metas()
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

// Diff returns the members of the first set that no other set holds.
// Other sets no larger than the first are read whole; larger ones are
// probed with a BatchGet per chunk of the first set.
func (ss Sets) Diff() ([][]byte, error) {
	tx := ss.tx
	metas, err := ss.metas()
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
			var err error
			if cand, err = tx.filterMembers(o, cand, false); err != nil {
				return false, err
			}
		}
		out = append(out, cand...)
		return true, nil
	})
	return out, err
}

// InterStore stores the intersection of the sets at dst and returns its
// size.
func (ss Sets) InterStore(dst []byte) (int64, error) { return ss.store(dst, Sets.Inter) }

// UnionStore stores the union of the sets at dst and returns its size.
func (ss Sets) UnionStore(dst []byte) (int64, error) { return ss.store(dst, Sets.Union) }

// DiffStore stores the difference of the sets at dst and returns its size.
func (ss Sets) DiffStore(dst []byte) (int64, error) { return ss.store(dst, Sets.Diff) }

// store makes dst a new set of the members op computes, replacing whatever
// it held; an empty result deletes dst. It returns the size.
func (ss Sets) store(dst []byte, op func(Sets) ([][]byte, error)) (int64, error) {
	members, err := op(ss)
	if err != nil {
		return 0, err
	}
	return ss.tx.storeNew(dst, encoding.TypeSet, len(members), func(m *encoding.Meta, i int) error {
		return ss.tx.putMember(m, members[i])
	})
}
