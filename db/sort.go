package db

import (
	"slices"

	"github.com/titan-kv/titan/encoding"
)

// SortLen returns what SORT needs to know of its key before reading it:
// its type (0 when missing) and length. Keys that are not lists, sets or
// sorted sets are ErrWrongType.
func (k Key) SortLen() (encoding.Type, int64, error) {
	m, err := k.tx.meta(k.key)
	if err != nil || m == nil {
		return 0, 0, err
	}
	switch m.Type {
	case encoding.TypeList, encoding.TypeSet, encoding.TypeZSet:
		return m.Type, m.Count, nil
	}
	return 0, 0, ErrWrongType
}

// SortElements reads the elements SORT sorts: all of them, or with ranged
// (lists and sorted sets in their own order, SORT BY nosort with LIMIT)
// the ones at positions [start, end] counted from the tail when desc, in
// that order.
func (k Key) SortElements(t encoding.Type, ranged bool, start, end int64, desc bool) ([][]byte, error) {
	tx := k.tx
	switch t {
	case encoding.TypeList:
		l := tx.List(k.key)
		if !ranged {
			return l.Range(0, -1)
		}
		if !desc {
			return l.Range(start, end)
		}
		vs, err := l.Range(-end-1, -start-1)
		slices.Reverse(vs)
		return vs, err
	case encoding.TypeSet:
		return tx.Set(k.key).Members()
	case encoding.TypeZSet:
		spec := ZRangeSpec{By: ZByRank, Start: 0, Stop: -1}
		if ranged {
			spec.Start, spec.Stop, spec.Rev = start, end, desc
		}
		items, err := tx.ZSet(k.key).Range(spec)
		vs := make([][]byte, len(items))
		for i, it := range items {
			vs[i] = it.Member
		}
		return vs, err
	}
	return nil, nil
}

// SortLookups reads what SORT's BY and GET patterns name, one per key:
// the string at keys[i], or when fields[i] is not nil that field of the
// hash at keys[i]; nil when missing or of another type. The keys'
// metadata is read in one request.
func (tx *Tx) SortLookups(keys, fields [][]byte) ([][]byte, error) {
	mks := make([][]byte, len(keys))
	for i, k := range keys {
		mks[i] = tx.d.keys.Meta(tx.DB, k)
	}
	if err := tx.prefetch(mks); err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		m, err := tx.meta(k)
		if err != nil {
			return nil, err
		}
		switch {
		case m == nil:
		case fields[i] == nil && m.Type == encoding.TypeString:
			out[i] = m.Value
			if out[i] == nil {
				out[i] = []byte{}
			}
		case fields[i] != nil && m.Type == encoding.TypeHash:
			if out[i], err = tx.Hash(k).Get(fields[i]); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// StoreList makes key a list of values, replacing whatever it held; no
// values delete it (SORT ... STORE).
func (tx *Tx) StoreList(key []byte, values [][]byte) error {
	if _, err := tx.Key(key).Delete(); err != nil {
		return err
	}
	if len(values) == 0 {
		return nil
	}
	_, err := tx.List(key).Push(values, false, false)
	return err
}
