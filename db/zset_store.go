package db

import (
	"bytes"
	"math"
	"slices"

	"github.com/titan-kv/titan/encoding"
)

// ZUNION, ZINTER, ZDIFF, ZINTERCARD, and storing a result (their STORE
// forms and ZRANGESTORE).

// Store makes the key a sorted set of items (which must not repeat a
// member), replacing what it held, whatever its type; no items delete
// it. It returns the size of the result.
func (z ZSet) Store(items []ScoredMember) (int64, error) {
	tx := z.tx
	return tx.storeNew(z.key, encoding.TypeZSet, len(items), func(m *encoding.Meta, i int) error {
		return tx.zPut(m, items[i].Member, normScore(items[i].Score), 0, false)
	})
}

// ZAggregate is how ZUNION and ZINTER combine the scores of a member.
type ZAggregate int

// The aggregates.
const (
	AggSum ZAggregate = iota
	AggMin
	AggMax
)

// aggregate combines a member's score so far with val as Redis does:
// inf + -inf (or anything + NaN) sums to 0, and MIN and MAX compare with
// < and > (so they keep the score so far against NaN or an equal zero).
func aggregate(target, val float64, agg ZAggregate) float64 {
	switch agg {
	case AggMin:
		if val < target {
			return val
		}
		return target
	case AggMax:
		if val > target {
			return val
		}
		return target
	}
	s := target + val
	if math.IsNaN(s) {
		return 0
	}
	return s
}

// zSource is one input of ZUNION, ZINTER and ZDIFF: a sorted set, or a
// set whose members all score 1.
type zSource struct {
	m      *encoding.Meta // nil for a missing key
	weight float64
}

// size is the number of members of the source.
func (s zSource) size() int64 {
	if s.m == nil {
		return 0
	}
	return s.m.Count
}

// sources reads the metadata of the inputs: each must hold a sorted set,
// a set or nothing.
func (zs ZSets) sources() ([]zSource, error) {
	src := make([]zSource, len(zs.keys))
	for i, k := range zs.keys {
		m, err := zs.tx.meta(k)
		if err != nil {
			return nil, err
		}
		if m != nil && m.Type != encoding.TypeZSet && m.Type != encoding.TypeSet {
			return nil, ErrWrongType
		}
		src[i] = zSource{m: m, weight: 1}
		if zs.weights != nil {
			src[i].weight = zs.weights[i]
		}
	}
	return src, nil
}

// zSourceAll reads every member of the source with its weighted score (a
// NaN product, inf * 0, counts as 0, as in Redis).
func (tx *Tx) zSourceAll(s zSource) ([]ScoredMember, error) {
	if s.m == nil {
		return nil, nil
	}
	var items []ScoredMember
	var err error
	if s.m.Type == encoding.TypeSet {
		var all []elem
		all, err = tx.readAll(s.m, setKind)
		for _, e := range all {
			items = append(items, ScoredMember{Member: e.name, Score: 1})
		}
	} else {
		items, err = tx.zReadAll(s.m)
	}
	for i := range items {
		items[i].Score = weigh(items[i].Score, s.weight)
	}
	return items, err
}

// weigh multiplies a score by a weight, NaN giving 0.
func weigh(score, weight float64) float64 {
	f := score * weight
	if math.IsNaN(f) {
		return 0
	}
	return f
}

// zSourceLookup returns the weighted scores in the source of the members
// of items (nil for non-members), in one request. Unlike zSourceAll, a
// weighted score may be NaN (inf * 0): ZINTER aggregates it as Redis does.
func (tx *Tx) zSourceLookup(s zSource, items []ScoredMember) ([]*float64, error) {
	out := make([]*float64, len(items))
	if s.m == nil {
		return out, nil
	}
	members := make([][]byte, len(items))
	for i, it := range items {
		members[i] = it.Member
	}
	if s.m.Type == encoding.TypeSet {
		present, err := tx.lookup(s.m, setKind, members)
		if err != nil {
			return nil, err
		}
		for i, v := range present {
			if v != nil {
				f := s.weight
				out[i] = &f
			}
		}
		return out, nil
	}
	return tx.zLookup(s.m, members, s.weight)
}

// sortScored sorts items as a sorted set orders its members.
func sortScored(items []ScoredMember) {
	slices.SortFunc(items, func(a, b ScoredMember) int {
		switch {
		case a.Score < b.Score:
			return -1
		case a.Score > b.Score:
			return 1
		}
		return bytes.Compare(a.Member, b.Member)
	})
}

// Union returns the union of the sorted sets (or sets), ordered, the
// scores of a member in several inputs combined by agg.
func (zs ZSets) Union(agg ZAggregate) ([]ScoredMember, error) {
	tx := zs.tx
	src, err := zs.sources()
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(src, func(a, b zSource) int { return int(a.size() - b.size()) })
	acc := map[string]int{}
	var out []ScoredMember
	for _, s := range src {
		items, err := tx.zSourceAll(s)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if i, ok := acc[string(it.Member)]; ok {
				out[i].Score = aggregate(out[i].Score, it.Score, agg)
				continue
			}
			acc[string(it.Member)] = len(out)
			out = append(out, it)
		}
	}
	sortScored(out)
	return out, nil
}

// zLookupChunk bounds the members looked up in one request.
const zLookupChunk = 1024

// inter intersects the sources: it reads the smallest and looks its
// members up in the others, chunk by chunk, stopping after limit results
// (0: no limit).
func (zs ZSets) inter(agg ZAggregate, limit int64) ([]ScoredMember, error) {
	tx := zs.tx
	src, err := zs.sources()
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(src, func(a, b zSource) int { return int(a.size() - b.size()) })
	for _, s := range src {
		if s.m == nil {
			return nil, nil
		}
	}
	base, err := tx.zSourceAll(src[0])
	if err != nil {
		return nil, err
	}
	return tx.zFilter(base, src[1:], limit, func(it *ScoredMember, score *float64) bool {
		if score == nil {
			return false
		}
		it.Score = aggregate(it.Score, *score, agg)
		return true
	})
}

// zFilter returns the items of base that keep accepts in every source of
// others, checking chunks of zLookupChunk items with one BatchGet per
// source; keep sees an item and its weighted score in the source (nil
// when absent there) and may change the item. It stops once limit items
// are kept (0: no limit).
func (tx *Tx) zFilter(base []ScoredMember, others []zSource, limit int64, keep func(it *ScoredMember, score *float64) bool) ([]ScoredMember, error) {
	var out []ScoredMember
	for len(base) > 0 {
		chunk := base[:min(len(base), zLookupChunk)]
		base = base[len(chunk):]
		for _, s := range others {
			if len(chunk) == 0 {
				break
			}
			scores, err := tx.zSourceLookup(s, chunk)
			if err != nil {
				return nil, err
			}
			kept := chunk[:0]
			for i := range chunk {
				if keep(&chunk[i], scores[i]) {
					kept = append(kept, chunk[i])
				}
			}
			chunk = kept
		}
		out = append(out, chunk...)
		if limit > 0 && int64(len(out)) >= limit {
			return out[:limit], nil
		}
	}
	return out, nil
}

// Inter returns the intersection of the sorted sets (or sets), ordered,
// the scores of a member combined by agg.
func (zs ZSets) Inter(agg ZAggregate) ([]ScoredMember, error) {
	out, err := zs.inter(agg, 0)
	sortScored(out)
	return out, err
}

// InterCard returns the size of the intersection, counting at most limit
// (0: no limit). The weights are not used.
func (zs ZSets) InterCard(limit int64) (int64, error) {
	zs.weights = nil
	out, err := zs.inter(AggSum, limit)
	return int64(len(out)), err
}

// Diff returns the members of the first sorted set (or set) that are in
// none of the others, with their scores, ordered. The weights are not
// used.
func (zs ZSets) Diff() ([]ScoredMember, error) {
	tx := zs.tx
	zs.weights = nil
	src, err := zs.sources()
	if err != nil {
		return nil, err
	}
	base, err := tx.zSourceAll(src[0])
	if err != nil {
		return nil, err
	}
	out, err := tx.zFilter(base, src[1:], 0, func(_ *ScoredMember, score *float64) bool { return score == nil })
	if err != nil {
		return nil, err
	}
	sortScored(out)
	return out, nil
}

// Check checks that every key holds a sorted set, a set or nothing, as
// ZUNION and friends do before they read their options.
func (zs ZSets) Check() error {
	_, err := zs.sources()
	return err
}
