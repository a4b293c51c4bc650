package db

import (
	"bytes"

	"github.com/titan-kv/titan/encoding"
)

// Positions in the middle of a list. LINSERT takes the position halfway
// between the pivot and its neighbour, which makes the list sparse; when
// the neighbours are adjacent, it renumbers a window around them
// (lRebalance) instead of the whole list.

// Insert inserts v before (or after) the first element equal to pivot
// and returns the new length, -1 when pivot is not found, 0 when the key
// is missing.
func (l List) Insert(before bool, pivot, v []byte) (int64, error) {
	m, err := l.meta()
	if err != nil || m == nil {
		return 0, err
	}
	tx := l.tx
	var prev, at, next uint64
	var idx int64 = -1
	hasNext := false
	var i int64
	start, end := tx.lLive(m)
	// The pivot search compares stored values in place: it may visit the
	// whole list, so it decodes nothing but positions.
	err = tx.rangeScan(start, end, 0, false, func(k, v []byte) (bool, error) {
		pos, err := encoding.DecodeListSub(tx.d.keys.DataSub(m.Object, k))
		if err != nil {
			return false, err
		}
		defer func() { i++ }()
		if idx >= 0 {
			next, hasNext = pos, true
			return false, nil
		}
		val, err := encoding.DecodeListValue(v)
		if err != nil {
			return false, err
		}
		if bytes.Equal(val, pivot) {
			idx, at = i, pos
			return !before, nil // after: read the next element too
		}
		prev = pos
		return true, nil
	})
	if err != nil {
		return 0, err
	}
	if idx < 0 {
		return -1, nil
	}
	switch {
	case before && idx == 0:
		err = tx.lPush(m, v, true)
	case !before && !hasNext:
		err = tx.lPush(m, v, false)
	case before:
		err = tx.lInsertBetween(m, prev, at, v)
	default:
		err = tx.lInsertBetween(m, at, next, v)
	}
	if err != nil {
		return 0, err
	}
	return m.Count, l.save(m, true)
}

// lInsertBetween inserts v between the adjacent elements at a < b.
func (tx *Tx) lInsertBetween(m *encoding.Meta, a, b uint64, v []byte) error {
	if b-a >= 2 {
		m.Count++
		m.Sparse = true
		return tx.set(tx.lKey(m, a+(b-a)/2), encoding.EncodeListValue(v))
	}
	return tx.lRebalance(m, a, b, v)
}

// lRebalanceStart is the number of elements on each side of the insertion
// point the first rebalancing window holds; it doubles until the window
// fits.
const lRebalanceStart = 4

// lRebalanceGap is the spacing a rebalanced window of w elements needs:
// the larger the window, the sparser it must be, so a freshly rebalanced
// region absorbs many inserts before its sub-windows fill up again
// (amortised, about two element rewrites per insert at one point).
func lRebalanceGap(w int) uint64 { return uint64(2 * max(w, 1)) }

// lRebalance inserts v between the adjacent elements at a and b (b = a+1)
// by renumbering a window of neighbouring elements. The window grows on
// both sides until the space between the elements just outside it allows
// evenly spaced positions; a window reaching an end of the list extends
// past it at ListGap spacing. Only the window is read and rewritten.
func (tx *Tx) lRebalance(m *encoding.Meta, a, b uint64, v []byte) error {
	start, end := tx.lLive(m)
	for k := lRebalanceStart; ; k *= 2 {
		var left, right []listItem
		err := tx.rangeScan(start, encoding.PrefixEnd(tx.lKey(m, a)), k+1, true, func(key, val []byte) (bool, error) {
			it, err := tx.lDecode(m, key, val)
			left = append(left, it)
			return err == nil, err
		})
		if err != nil {
			return err
		}
		err = tx.rangeScan(tx.lKey(m, b), end, k+1, false, func(key, val []byte) (bool, error) {
			it, err := tx.lDecode(m, key, val)
			right = append(right, it)
			return err == nil, err
		})
		if err != nil {
			return err
		}
		hasL, hasR := len(left) > k, len(right) > k
		var lo, hi uint64
		if hasL {
			lo, left = left[k].pos, left[:k]
		}
		if hasR {
			hi, right = right[k].pos, right[:k]
		}
		w := len(left) + len(right) + 1
		var first, step uint64
		switch {
		case hasL && hasR:
			step = (hi - lo) / uint64(w+1)
			if step < lRebalanceGap(w) {
				continue
			}
			first = lo + step
		case hasL:
			step, first = encoding.ListGap, lo+encoding.ListGap
			if _, ok := encoding.ListOffset(lo, int64(w)); !ok {
				return ErrListFull
			}
		case hasR:
			p, ok := encoding.ListOffset(hi, -int64(w))
			if !ok {
				return ErrListFull
			}
			step, first = encoding.ListGap, p
		default:
			// The window is the whole list: it becomes dense again.
			step, first = encoding.ListGap, left[len(left)-1].pos
			if _, ok := encoding.ListOffset(first, int64(w-1)); !ok {
				return ErrListFull
			}
		}
		vals := make([][]byte, 0, w)
		for i := len(left) - 1; i >= 0; i-- {
			vals = append(vals, left[i].val)
		}
		vals = append(vals, v)
		for _, it := range right {
			vals = append(vals, it.val)
		}
		for _, it := range left {
			if err := tx.del(tx.lKey(m, it.pos)); err != nil {
				return err
			}
		}
		for _, it := range right {
			if err := tx.del(tx.lKey(m, it.pos)); err != nil {
				return err
			}
		}
		for i, val := range vals {
			if err := tx.set(tx.lKey(m, first+uint64(i)*step), encoding.EncodeListValue(val)); err != nil {
				return err
			}
		}
		last := first + uint64(w-1)*step
		if !hasL {
			m.Head = first
		}
		if !hasR {
			m.Tail = last
		}
		m.Count++
		m.Sparse = hasL || hasR
		return nil
	}
}
