package db

import (
	"github.com/titan-kv/titan/encoding"
)

// ZPOPMIN, ZPOPMAX and ZMPOP.

// Pop removes and returns up to count members with the lowest scores
// (the highest with max).
func (z ZSet) Pop(max bool, count int64) ([]ScoredMember, error) {
	m, err := z.meta()
	if err != nil || m == nil || count <= 0 {
		return nil, err
	}
	return z.tx.zPop(z.key, m, max, count)
}

// zPop removes and returns up to count members from one end of m.
func (tx *Tx) zPop(key []byte, m *encoding.Meta, max bool, count int64) ([]ScoredMember, error) {
	from, to := tx.zIndexSpan(m)
	items, err := tx.zCollect(m, from, to, max, 0, min(count, m.Count))
	if err != nil || len(items) == 0 {
		return nil, err
	}
	return items, tx.zDelItems(key, m, items)
}

// MPop pops up to count members (as Pop does) from the first of the
// sorted sets that exists, and returns its key; key is nil when none
// does. The weights are not used.
func (zs ZSets) MPop(max bool, count int64) (key []byte, items []ScoredMember, err error) {
	tx := zs.tx
	for _, k := range zs.keys {
		m, err := tx.ZSet(k).meta()
		if err != nil {
			return nil, nil, err
		}
		if m == nil {
			continue
		}
		items, err := tx.zPop(k, m, max, count)
		return k, items, err
	}
	return nil, nil, nil
}
