package db

import (
	"bytes"
	"slices"

	"github.com/titan-kv/titan/encoding"
)

// Edits of a list's elements by index or value: LSET, LREM, LTRIM, and
// LPOS's search.

// Set replaces element i (negative: from the end).
func (l List) Set(i int64, v []byte) error {
	m, err := l.meta()
	if err != nil {
		return err
	}
	if m == nil {
		return ErrNoSuchKey
	}
	if i < 0 {
		i += m.Count
	}
	if i < 0 || i >= m.Count {
		return ErrIndexRange
	}
	var pos uint64
	if m.Sparse {
		it, err := l.tx.lAt(m, i)
		if err != nil {
			return err
		}
		pos = it.pos
	} else {
		pos = lDensePos(m, i)
	}
	if err := l.tx.set(l.tx.lKey(m, pos), encoding.EncodeListValue(v)); err != nil {
		return err
	}
	return l.save(m, true)
}

// Rem removes up to count elements equal to v (from the tail for a
// negative count, all of them for 0) and returns how many it removed.
func (l List) Rem(count int64, v []byte) (int64, error) {
	m, err := l.meta()
	if err != nil || m == nil {
		return 0, err
	}
	tx := l.tx
	rev := count < 0
	limit := count
	if rev {
		limit = -count
	}
	var (
		removed, prefix, pending int64
		seenSurvivor, middle     bool
		limitReached             bool
		first, last              uint64
		reachedEnd               = true
	)
	survivor := func(pos uint64) {
		if seenSurvivor && pending > 0 {
			middle = true
		}
		if !seenSurvivor {
			first = pos
		}
		seenSurvivor, last, pending = true, pos, 0
	}
	var doomed []uint64
	err = tx.lScan(m, rev, 0, -1, func(it listItem) (bool, error) {
		if limitReached {
			survivor(it.pos)
			reachedEnd = false
			return false, nil
		}
		if !bytes.Equal(it.val, v) {
			survivor(it.pos)
			return true, nil
		}
		doomed = append(doomed, it.pos)
		removed++
		pending++
		if !seenSurvivor {
			prefix++
		}
		limitReached = limit > 0 && removed == limit
		return true, nil
	})
	if err != nil || removed == 0 {
		return 0, err
	}
	for _, pos := range doomed {
		if err := tx.del(tx.lKey(m, pos)); err != nil {
			return 0, err
		}
	}
	m.Count -= removed
	if m.Count > 0 {
		near, far := &m.Head, &m.Tail
		if rev {
			near, far = far, near
		}
		if prefix > 0 {
			*near = first
		}
		if reachedEnd && pending > 0 {
			*far = last
		}
		if middle {
			m.Sparse = true
		}
	}
	return removed, l.save(m, true)
}

// Trim keeps only the elements [start, stop]. It removes elements from
// the ends; when it keeps fewer elements than it removes, it copies the
// kept ones into a new object and drops the old one for the collector
// instead, so it writes O(min(kept, removed)) keys.
func (l List) Trim(start, stop int64) error {
	m, err := l.meta()
	if err != nil || m == nil {
		return err
	}
	tx := l.tx
	lo, hi := clampRange(start, stop, m.Count)
	if lo >= hi {
		return tx.deleteKey(l.key, m)
	}
	kept, cutTail := hi-lo, m.Count-hi
	if kept < lo+cutTail {
		// Read the kept elements from the nearer end.
		rev := lo > cutTail
		skip := lo
		if rev {
			skip = cutTail
		}
		items, err := tx.lCollect(m, rev, skip, kept)
		if err != nil {
			return err
		}
		if rev {
			slices.Reverse(items)
		}
		old := *m
		if err := tx.dropObject(&old); err != nil {
			return err
		}
		fresh := tx.newObject(encoding.TypeList)
		m.Object, m.Count, m.Sparse = fresh.Object, 0, false
		for _, it := range items {
			if err := tx.lPush(m, it.val, false); err != nil {
				return err
			}
		}
		return l.save(m, true)
	}
	if err := tx.lCut(m, true, lo); err != nil {
		return err
	}
	if err := tx.lCut(m, false, cutTail); err != nil {
		return err
	}
	return l.save(m, true)
}

// lCut deletes n elements (fewer than Count) from one end of m.
func (tx *Tx) lCut(m *encoding.Meta, left bool, n int64) error {
	if n <= 0 {
		return nil
	}
	if !m.Sparse {
		for i := int64(0); i < n; i++ {
			j := i
			if !left {
				j = m.Count - 1 - i
			}
			if err := tx.del(tx.lKey(m, lDensePos(m, j))); err != nil {
				return err
			}
		}
		if left {
			m.Head += uint64(n) * encoding.ListGap
		} else {
			m.Tail -= uint64(n) * encoding.ListGap
		}
		m.Count -= n
		return nil
	}
	_, err := tx.lPop(m, left, n)
	return err
}

// Pos returns the indexes of the elements equal to v: the rank-th match
// on (from the tail for a negative rank), at most count of them (0: all),
// comparing at most maxLen elements (0: all).
func (l List) Pos(v []byte, rank, count, maxLen int64) ([]int64, error) {
	m, err := l.meta()
	if err != nil || m == nil {
		return nil, err
	}
	rev := rank < 0
	skip := rank - 1
	if rev {
		skip = -rank - 1
	}
	if maxLen == 0 {
		maxLen = -1
	}
	var out []int64
	var i int64
	err = l.tx.lScan(m, rev, 0, maxLen, func(it listItem) (bool, error) {
		idx := i
		if rev {
			idx = m.Count - 1 - i
		}
		i++
		if !bytes.Equal(it.val, v) {
			return true, nil
		}
		if skip > 0 {
			skip--
			return true, nil
		}
		out = append(out, idx)
		return count == 0 || int64(len(out)) < count, nil
	})
	return out, err
}
