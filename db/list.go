package db

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/titan-kv/titan/encoding"
)

// Lists. Each element is one key, ListSub(pos) -> EncodeListValue(value),
// ordered by its uint64 position. The metadata holds the positions of the
// first and last elements (Head, Tail). Pushes go ListGap beyond an end;
// while the list is dense (!Sparse) element i sits at Head + i*ListGap, so
// index lookups and ranges compute their keys. LINSERT and LREM in the
// middle make a list sparse: index lookups then scan from the nearer end.
// LINSERT takes a position between its neighbours, and when there is none,
// renumbers a small window around the insertion point (lRebalance).

// ErrListFull is returned when a list's position space is exhausted
// (after about 2^39 pushes at one end).
var ErrListFull = errors.New("list position space exhausted")

// listItem is one element: its position and (copied) value.
type listItem struct {
	pos uint64
	val []byte
}

func (tx *Tx) list(key []byte) (*encoding.Meta, error) {
	return tx.typedMeta(key, encoding.TypeList)
}

func (tx *Tx) lKey(m *encoding.Meta, pos uint64) []byte {
	return tx.data(m, encoding.ListSub(pos))
}

func (tx *Tx) lSpan(m *encoding.Meta) (start, end []byte) {
	p := tx.d.keys.DataPrefix(m.Object)
	return p, encoding.PrefixEnd(p)
}

// lLive bounds the live elements of m. Scans start from Head or Tail, not
// from the ends of the object's key range, so they never step over the
// deleted keys that pops leave beyond the ends until TiKV's GC removes them
// (a queue would otherwise get slower with every pop).
func (tx *Tx) lLive(m *encoding.Meta) (start, end []byte) {
	return tx.lKey(m, m.Head), encoding.PrefixEnd(tx.lKey(m, m.Tail))
}

func (tx *Tx) lDecode(m *encoding.Meta, k, v []byte) (listItem, error) {
	pos, err := encoding.DecodeListSub(tx.d.keys.DataSub(m.Object, k))
	if err != nil {
		return listItem{}, err
	}
	val, err := encoding.DecodeListValue(v)
	if err != nil {
		return listItem{}, fmt.Errorf("list element %d: %w", pos, err)
	}
	return listItem{pos: pos, val: bytes.Clone(val)}, nil
}

// lDensePos is the position of element i of a dense list.
func lDensePos(m *encoding.Meta, i int64) uint64 {
	return m.Head + uint64(i)*encoding.ListGap
}

// lScan walks the elements from the head (from the tail with rev),
// skipping skip of them and passing at most n (negative: all) to fn.
// Dense lists seek to the first element directly.
func (tx *Tx) lScan(m *encoding.Meta, rev bool, skip, n int64, fn func(listItem) (bool, error)) error {
	if n == 0 || skip >= m.Count {
		return nil
	}
	start, end := tx.lLive(m)
	if !m.Sparse && skip > 0 {
		if rev {
			end = encoding.PrefixEnd(tx.lKey(m, lDensePos(m, m.Count-1-skip)))
		} else {
			start = tx.lKey(m, lDensePos(m, skip))
		}
		skip = 0
	}
	limit := 0
	if n > 0 {
		limit = int(skip + n)
	}
	var i int64
	visit := func(k, v []byte) (bool, error) {
		i++
		if i <= skip {
			return true, nil
		}
		it, err := tx.lDecode(m, k, v)
		if err != nil {
			return false, err
		}
		return fn(it)
	}
	if rev {
		return tx.rangeScan(start, end, limit, true, visit)
	}
	return tx.rangeScan(start, end, limit, false, visit)
}

// lCollect returns the elements lScan passes.
func (tx *Tx) lCollect(m *encoding.Meta, rev bool, skip, n int64) ([]listItem, error) {
	var items []listItem
	err := tx.lScan(m, rev, skip, n, func(it listItem) (bool, error) {
		items = append(items, it)
		return true, nil
	})
	return items, err
}

// lAt returns element i (0 <= i < Count).
func (tx *Tx) lAt(m *encoding.Meta, i int64) (listItem, error) {
	if !m.Sparse {
		pos := lDensePos(m, i)
		v, err := tx.get(tx.lKey(m, pos))
		if err != nil {
			return listItem{}, err
		}
		if v == nil {
			return listItem{}, fmt.Errorf("list element %d at %d: missing: %w", i, pos, encoding.ErrMalformed)
		}
		val, err := encoding.DecodeListValue(v)
		return listItem{pos: pos, val: val}, err
	}
	rev := i > m.Count-1-i
	skip := i
	if rev {
		skip = m.Count - 1 - i
	}
	items, err := tx.lCollect(m, rev, skip, 1)
	if err != nil {
		return listItem{}, err
	}
	if len(items) != 1 {
		return listItem{}, fmt.Errorf("list element %d: missing: %w", i, encoding.ErrMalformed)
	}
	return items[0], nil
}

// lPush adds v at one end of m.
func (tx *Tx) lPush(m *encoding.Meta, v []byte, left bool) error {
	var pos uint64
	switch {
	case m.Count == 0:
		pos = encoding.ListCenter
		m.Head, m.Tail, m.Sparse = pos, pos, false
	case left:
		p, ok := encoding.ListOffset(m.Head, -1)
		if !ok {
			return ErrListFull
		}
		pos, m.Head = p, p
	default:
		p, ok := encoding.ListOffset(m.Tail, 1)
		if !ok {
			return ErrListFull
		}
		pos, m.Tail = p, p
	}
	m.Count++
	return tx.set(tx.lKey(m, pos), encoding.EncodeListValue(v))
}

// lPop removes up to n elements from one end of m and returns them.
func (tx *Tx) lPop(m *encoding.Meta, left bool, n int64) ([][]byte, error) {
	n = min(n, m.Count)
	if n <= 0 {
		return nil, nil
	}
	read := n
	if m.Sparse && n < m.Count {
		read++ // the element after the popped ones is the new end
	}
	items, err := tx.lCollect(m, !left, 0, read)
	if err != nil {
		return nil, err
	}
	if int64(len(items)) != read {
		return nil, fmt.Errorf("list of %d elements has %d: %w", m.Count, len(items), encoding.ErrMalformed)
	}
	out := make([][]byte, n)
	for i := int64(0); i < n; i++ {
		if err := tx.del(tx.lKey(m, items[i].pos)); err != nil {
			return nil, err
		}
		out[i] = items[i].val
	}
	m.Count -= n
	switch {
	case m.Count == 0:
		m.Head, m.Tail = encoding.ListCenter, encoding.ListCenter
	case m.Sparse && left:
		m.Head = items[n].pos
	case m.Sparse:
		m.Tail = items[n].pos
	case left:
		m.Head += uint64(n) * encoding.ListGap
	default:
		m.Tail -= uint64(n) * encoding.ListGap
	}
	return out, nil
}

// saveList stores m after a change; an empty list is deleted.
func (tx *Tx) saveList(key []byte, m *encoding.Meta, existed bool) error {
	if m.Count <= 1 {
		m.Sparse = false
	}
	return tx.saveCount(key, m, 0, existed)
}

// Push adds values at the head (left) or tail of a list, in order, and
// returns the new length. With xx it does nothing to a missing key.
func (tx *Tx) Push(key []byte, values [][]byte, left, xx bool) (int64, error) {
	m, err := tx.list(key)
	if err != nil {
		return 0, err
	}
	existed := m != nil
	if !existed {
		if xx {
			return 0, nil
		}
		m = tx.newObject(encoding.TypeList)
	}
	for _, v := range values {
		if err := tx.lPush(m, v, left); err != nil {
			return 0, err
		}
	}
	return m.Count, tx.saveList(key, m, existed)
}

// Pop removes and returns up to count elements from one end; exists is
// false when the key is missing.
func (tx *Tx) Pop(key []byte, left bool, count int64) (values [][]byte, exists bool, err error) {
	m, err := tx.list(key)
	if err != nil || m == nil {
		return nil, false, err
	}
	if count <= 0 {
		return nil, true, nil
	}
	out, err := tx.popSave(key, m, left, count)
	return out, err == nil, err
}

// popSave pops up to n elements from one end of the list at key and saves
// it; popping every element drops the object for the collector instead of
// deleting each key.
func (tx *Tx) popSave(key []byte, m *encoding.Meta, left bool, n int64) ([][]byte, error) {
	if n >= m.Count {
		items, err := tx.lCollect(m, !left, 0, m.Count)
		if err != nil {
			return nil, err
		}
		out := make([][]byte, len(items))
		for i, it := range items {
			out[i] = it.val
		}
		return out, tx.deleteKey(key, m)
	}
	out, err := tx.lPop(m, left, n)
	if err != nil {
		return nil, err
	}
	return out, tx.saveList(key, m, true)
}

// LMPop pops from the first non-empty list of keys; key is nil when all
// are empty.
func (tx *Tx) LMPop(keys [][]byte, left bool, count int64) (key []byte, values [][]byte, err error) {
	for _, k := range keys {
		m, err := tx.list(k)
		if err != nil {
			return nil, nil, err
		}
		if m == nil {
			continue
		}
		out, err := tx.popSave(k, m, left, count)
		return k, out, err
	}
	return nil, nil, nil
}

// LLen returns the length of a list.
func (tx *Tx) LLen(key []byte) (int64, error) {
	m, err := tx.list(key)
	if err != nil || m == nil {
		return 0, err
	}
	return m.Count, nil
}

// LIndex returns element i (negative: from the end); nil when out of range.
func (tx *Tx) LIndex(key []byte, i int64) ([]byte, error) {
	m, err := tx.list(key)
	if err != nil || m == nil {
		return nil, err
	}
	if i < 0 {
		i += m.Count
	}
	if i < 0 || i >= m.Count {
		return nil, nil
	}
	it, err := tx.lAt(m, i)
	return it.val, err
}

// LRange returns the elements [start, stop] (inclusive, negative from the
// end), reading only them (and, in a sparse list, those before them from
// the nearer end).
func (tx *Tx) LRange(key []byte, start, stop int64) ([][]byte, error) {
	m, err := tx.list(key)
	if err != nil || m == nil {
		return nil, err
	}
	lo, hi := clampRange(start, stop, m.Count)
	if lo >= hi {
		return nil, nil
	}
	rev := lo > m.Count-hi
	skip := lo
	if rev {
		skip = m.Count - hi
	}
	items, err := tx.lCollect(m, rev, skip, hi-lo)
	if err != nil {
		return nil, err
	}
	if rev {
		slices.Reverse(items)
	}
	out := make([][]byte, len(items))
	for i, it := range items {
		out[i] = it.val
	}
	return out, nil
}

// LSet replaces element i.
func (tx *Tx) LSet(key []byte, i int64, v []byte) error {
	m, err := tx.list(key)
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
		it, err := tx.lAt(m, i)
		if err != nil {
			return err
		}
		pos = it.pos
	} else {
		pos = lDensePos(m, i)
	}
	if err := tx.set(tx.lKey(m, pos), encoding.EncodeListValue(v)); err != nil {
		return err
	}
	return tx.saveList(key, m, true)
}

// LInsert inserts v before (or after) the first element equal to pivot
// and returns the new length, -1 when pivot is not found, 0 when the key
// is missing.
func (tx *Tx) LInsert(key []byte, before bool, pivot, v []byte) (int64, error) {
	m, err := tx.list(key)
	if err != nil || m == nil {
		return 0, err
	}
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
	return m.Count, tx.saveList(key, m, true)
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

// LRem removes up to count elements equal to v (from the tail for a
// negative count, all of them for 0) and returns how many it removed.
func (tx *Tx) LRem(key []byte, count int64, v []byte) (int64, error) {
	m, err := tx.list(key)
	if err != nil || m == nil {
		return 0, err
	}
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
	return removed, tx.saveList(key, m, true)
}

// LTrim keeps only the elements [start, stop]. It removes elements from
// the ends; when it keeps fewer elements than it removes, it copies the
// kept ones into a new object and drops the old one for the collector
// instead, so it writes O(min(kept, removed)) keys.
func (tx *Tx) LTrim(key []byte, start, stop int64) error {
	m, err := tx.list(key)
	if err != nil || m == nil {
		return err
	}
	lo, hi := clampRange(start, stop, m.Count)
	if lo >= hi {
		return tx.deleteKey(key, m)
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
		return tx.saveList(key, m, true)
	}
	if err := tx.lCut(m, true, lo); err != nil {
		return err
	}
	if err := tx.lCut(m, false, cutTail); err != nil {
		return err
	}
	return tx.saveList(key, m, true)
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

// LPos returns the indexes of the elements equal to v: the rank-th match
// on (from the tail for a negative rank), at most count of them (0: all),
// comparing at most maxLen elements (0: all).
func (tx *Tx) LPos(key, v []byte, rank, count, maxLen int64) ([]int64, error) {
	m, err := tx.list(key)
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
	err = tx.lScan(m, rev, 0, maxLen, func(it listItem) (bool, error) {
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

// LMove pops an element from one end of src and pushes it at one end of
// dst (which may be src) and returns it; ok is false when src is missing.
func (tx *Tx) LMove(src, dst []byte, fromLeft, toLeft bool) (v []byte, ok bool, err error) {
	ms, err := tx.list(src)
	if err != nil || ms == nil {
		return nil, false, err
	}
	md, dstExisted := ms, true
	same := bytes.Equal(src, dst)
	if !same {
		if md, err = tx.list(dst); err != nil {
			return nil, false, err
		}
		dstExisted = md != nil
		if md == nil {
			md = tx.newObject(encoding.TypeList)
		}
	}
	out, err := tx.lPop(ms, fromLeft, 1)
	if err != nil {
		return nil, false, err
	}
	if err := tx.lPush(md, out[0], toLeft); err != nil {
		return nil, false, err
	}
	if !same {
		if err := tx.saveList(src, ms, true); err != nil {
			return nil, false, err
		}
	}
	return out[0], true, tx.saveList(dst, md, dstExisted)
}
