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
//
// This file holds the views, the element reads and the pushes and pops;
// list_positions.go inserts in the middle, list_edit.go holds LSET, LREM,
// LTRIM and LPOS.

// ErrListFull is returned when a list's position space is exhausted
// (after about 2^39 pushes at one end).
var ErrListFull = errors.New("list position space exhausted")

// listItem is one element: its position and (copied) value.
type listItem struct {
	pos uint64
	val []byte
}

// List is the list stored at one key, as one transaction sees it.
type List struct {
	tx  *Tx
	key []byte
}

// List returns the view of the list at key in the transaction's current
// database.
func (tx *Tx) List(key []byte) List { return List{tx: tx, key: key} }

// Lists are the lists stored at several keys, for the commands that take
// the first non-empty one (LMPOP).
type Lists struct {
	tx   *Tx
	keys [][]byte
}

// Lists returns the view of the lists at keys in the transaction's current
// database.
func (tx *Tx) Lists(keys [][]byte) Lists { return Lists{tx: tx, keys: keys} }

// meta returns the list's metadata, nil when the key is missing.
func (l List) meta() (*encoding.Meta, error) {
	return l.tx.typedMeta(l.key, encoding.TypeList)
}

// save stores m after a change; an empty list is deleted.
func (l List) save(m *encoding.Meta, existed bool) error {
	if m.Count <= 1 {
		m.Sparse = false
	}
	return l.tx.saveCount(l.key, m, 0, existed)
}

// lKey is the key of the element at pos of m.
func (tx *Tx) lKey(m *encoding.Meta, pos uint64) []byte {
	return tx.data(m, encoding.ListSub(pos))
}

// lLive bounds the live elements of m. Scans start from Head or Tail, not
// from the ends of the object's key range, so they never step over the
// deleted keys that pops leave beyond the ends until TiKV's GC removes them
// (a queue would otherwise get slower with every pop).
func (tx *Tx) lLive(m *encoding.Meta) (start, end []byte) {
	return tx.lKey(m, m.Head), encoding.PrefixEnd(tx.lKey(m, m.Tail))
}

// lDecode decodes the element stored at key k with value v.
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
	return skipScan(tx, start, end, rev, skip, n, func(k, v []byte) (listItem, error) { return tx.lDecode(m, k, v) }, fn)
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

// lEnds returns the n elements at the head (left) or the tail, nearest
// the end first. A dense list's are read by position, in one BatchGet (a
// batch's planning pass gathers those of every job), never by a scan that
// could step over what earlier pops deleted.
func (tx *Tx) lEnds(m *encoding.Meta, left bool, n int64) ([]listItem, error) {
	if m.Sparse {
		return tx.lCollect(m, !left, 0, n)
	}
	idx := func(i int64) int64 {
		if left {
			return i
		}
		return m.Count - 1 - i
	}
	keys := make([][]byte, n)
	for i := range n {
		keys[i] = tx.lKey(m, lDensePos(m, idx(i)))
	}
	if err := tx.prefetch(keys); err != nil {
		return nil, err
	}
	items := make([]listItem, n)
	for i := range n {
		it, err := tx.lAt(m, idx(i))
		if err != nil {
			return nil, err
		}
		items[i] = it
	}
	return items, nil
}

// lAt returns element i (0 <= i < Count).
func (tx *Tx) lAt(m *encoding.Meta, i int64) (listItem, error) {
	if !m.Sparse {
		pos := lDensePos(m, i)
		v, err := tx.get(tx.lKey(m, pos))
		if err != nil {
			return listItem{}, err
		}
		if v == nil && tx.planning {
			// Not read yet: the planning pass goes on, so that the jobs
			// after this one (the next pops) record their elements too.
			return listItem{pos: pos}, nil
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
	items, err := tx.lEnds(m, left, read)
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

// Push adds values at the head (left) or tail of a list, in order, and
// returns the new length. With xx it does nothing to a missing key.
func (l List) Push(values [][]byte, left, xx bool) (int64, error) {
	m, err := l.meta()
	if err != nil {
		return 0, err
	}
	existed := m != nil
	if !existed {
		if xx {
			return 0, nil
		}
		m = l.tx.newObject(encoding.TypeList)
	}
	for _, v := range values {
		if err := l.tx.lPush(m, v, left); err != nil {
			return 0, err
		}
	}
	return m.Count, l.save(m, existed)
}

// Pop removes and returns up to count elements from one end; exists is
// false when the key is missing.
func (l List) Pop(left bool, count int64) (values [][]byte, exists bool, err error) {
	m, err := l.meta()
	if err != nil || m == nil {
		return nil, false, err
	}
	if count <= 0 {
		return nil, true, nil
	}
	out, err := l.popSave(m, left, count)
	return out, err == nil, err
}

// popSave pops up to n elements from one end of the list (m is its
// metadata) and saves it; popping every element drops the object for the
// collector instead of deleting each key.
func (l List) popSave(m *encoding.Meta, left bool, n int64) ([][]byte, error) {
	if n >= m.Count {
		items, err := l.tx.lCollect(m, !left, 0, m.Count)
		if err != nil {
			return nil, err
		}
		out := make([][]byte, len(items))
		for i, it := range items {
			out[i] = it.val
		}
		return out, l.tx.deleteKey(l.key, m)
	}
	out, err := l.tx.lPop(m, left, n)
	if err != nil {
		return nil, err
	}
	return out, l.save(m, true)
}

// MPop pops up to count elements from one end of the first non-empty
// list and returns its key and them; key is nil when all are empty.
func (ls Lists) MPop(left bool, count int64) (key []byte, values [][]byte, err error) {
	for _, k := range ls.keys {
		l := ls.tx.List(k)
		m, err := l.meta()
		if err != nil {
			return nil, nil, err
		}
		if m == nil {
			continue
		}
		out, err := l.popSave(m, left, count)
		return k, out, err
	}
	return nil, nil, nil
}

// Len returns the length of the list (0 when the key is missing).
func (l List) Len() (int64, error) {
	m, err := l.meta()
	if err != nil || m == nil {
		return 0, err
	}
	return m.Count, nil
}

// Index returns element i (negative: from the end); nil when out of range.
func (l List) Index(i int64) ([]byte, error) {
	m, err := l.meta()
	if err != nil || m == nil {
		return nil, err
	}
	if i < 0 {
		i += m.Count
	}
	if i < 0 || i >= m.Count {
		return nil, nil
	}
	it, err := l.tx.lAt(m, i)
	return it.val, err
}

// Range returns the elements [start, stop] (inclusive, negative from the
// end), reading only them (and, in a sparse list, those before them from
// the nearer end).
func (l List) Range(start, stop int64) ([][]byte, error) {
	m, err := l.meta()
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
	items, err := l.tx.lCollect(m, rev, skip, hi-lo)
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

// Move pops an element from one end of the list and pushes it at one end
// of the list at dst (which may be this one) and returns it; ok is false
// when the list is missing.
func (l List) Move(dst []byte, fromLeft, toLeft bool) (v []byte, ok bool, err error) {
	ms, err := l.meta()
	if err != nil || ms == nil {
		return nil, false, err
	}
	to := l.tx.List(dst)
	md, dstExisted := ms, true
	same := bytes.Equal(l.key, dst)
	if !same {
		if md, err = to.meta(); err != nil {
			return nil, false, err
		}
		dstExisted = md != nil
		if md == nil {
			md = l.tx.newObject(encoding.TypeList)
		}
	}
	out, err := l.tx.lPop(ms, fromLeft, 1)
	if err != nil {
		return nil, false, err
	}
	if err := l.tx.lPush(md, out[0], toLeft); err != nil {
		return nil, false, err
	}
	if !same {
		if err := l.save(ms, true); err != nil {
			return nil, false, err
		}
	}
	return out[0], true, to.save(md, dstExisted)
}
