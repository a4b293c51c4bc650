package db

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/parse"
)

// countProbe is how many keys a count reads before it also starts
// counting the complement.
const countProbe = 256

// countRange counts the keys in [from, to), a part of [start, end) that
// holds total keys. It reads min(inside, outside) keys, about: it counts
// the inside and the outside in step and stops when either is done.
func (tx *Tx) countRange(start, end, from, to []byte, total int64) (int64, error) {
	if bytes.Compare(from, to) >= 0 {
		return 0, nil
	}
	in, err := tx.iter(from, to, countProbe)
	if err != nil {
		return 0, fmt.Errorf("scan: %w", err)
	}
	defer in.Close()
	var n int64
	for in.Valid() && (n < countProbe || total <= 2*countProbe) {
		n++
		if err := in.Next(); err != nil {
			return 0, fmt.Errorf("scan: %w", err)
		}
	}
	if !in.Valid() {
		return n, nil
	}
	type span struct{ a, b []byte }
	var rest []span
	if bytes.Compare(start, from) < 0 {
		rest = append(rest, span{start, from})
	}
	if bytes.Compare(to, end) < 0 {
		rest = append(rest, span{to, end})
	}
	var out int64
	var cur iterator
	defer func() {
		if cur != nil {
			cur.Close()
		}
	}()
	for {
		if !in.Valid() {
			return n, nil
		}
		n++
		if err := in.Next(); err != nil {
			return 0, fmt.Errorf("scan: %w", err)
		}
		for cur == nil || !cur.Valid() {
			if cur != nil {
				cur.Close()
				cur = nil
			}
			if len(rest) == 0 {
				return total - out, nil
			}
			it, err := tx.iter(rest[0].a, rest[0].b, scanBatchMax)
			if err != nil {
				return 0, fmt.Errorf("scan: %w", err)
			}
			cur, rest = it, rest[1:]
		}
		out++
		if err := cur.Next(); err != nil {
			return 0, fmt.Errorf("scan: %w", err)
		}
	}
}

// Rank returns member's rank (from the highest score with rev) and its
// score; ok is false when it is not a member.
func (z ZSet) Rank(member []byte, rev bool) (rank int64, score float64, ok bool, err error) {
	tx := z.tx
	m, err := z.meta()
	if err != nil || m == nil {
		return 0, 0, false, err
	}
	score, ok, err = tx.zScore(m, member)
	if err != nil || !ok {
		return 0, 0, false, err
	}
	start, end := tx.zIndexSpan(m)
	k := tx.zIndexKey(m, score, member)
	if rev {
		// Members after k.
		after, err := tx.countRange(start, end, append(k, 0), end, m.Count)
		return after, score, true, err
	}
	before, err := tx.countRange(start, end, start, k, m.Count)
	return before, score, true, err
}

// zScoreSpan is the part of the score index within r.
func (tx *Tx) zScoreSpan(m *encoding.Meta, r parse.ScoreRange) (from, to []byte) {
	from = tx.data(m, encoding.ZSetScoreBound(r.Min))
	if r.MinEx {
		from = encoding.PrefixEnd(from)
	}
	to = tx.data(m, encoding.ZSetScoreBound(r.Max))
	if !r.MaxEx {
		to = encoding.PrefixEnd(to)
	}
	return from, to
}

// Count counts the members with a score in r.
func (z ZSet) Count(r parse.ScoreRange) (int64, error) {
	tx := z.tx
	m, err := z.meta()
	if err != nil || m == nil || r.Empty() {
		return 0, err
	}
	start, end := tx.zIndexSpan(m)
	from, to := tx.zScoreSpan(m, r)
	return tx.countRange(start, end, from, to, m.Count)
}

// ZRangeBy selects what ZRANGE's start and stop mean.
type ZRangeBy int

// The three kinds of range.
const (
	ZByRank ZRangeBy = iota
	ZByScore
	ZByLex
)

// ZRangeSpec is a range of a sorted set: by rank (Start, Stop), by score
// or by member, in ascending order or, with Rev, descending, optionally
// limited to Count items (negative: all) after skipping Offset.
type ZRangeSpec struct {
	By          ZRangeBy
	Rev         bool
	Start, Stop int64
	Score       parse.ScoreRange
	Lex         parse.LexRange
	// Limit applies Offset and Count (BYSCORE and BYLEX only).
	Limit         bool
	Offset, Count int64
}

// zRange calls fn for each item of spec in order until fn returns false.
func (tx *Tx) zRange(m *encoding.Meta, s ZRangeSpec, fn func(ScoredMember) (bool, error)) error {
	offset, count := int64(0), int64(-1)
	if s.Limit {
		if s.Offset < 0 || s.Count == 0 {
			return nil
		}
		offset, count = s.Offset, s.Count
	}
	switch s.By {
	case ZByRank:
		return tx.zRankScan(m, s.Start, s.Stop, s.Rev, fn)
	case ZByScore:
		if s.Score.Empty() {
			return nil
		}
		from, to := tx.zScoreSpan(m, s.Score)
		if bytes.Compare(from, to) >= 0 {
			return nil
		}
		return tx.zIndexScan(m, from, to, s.Rev, offset, count, fn)
	default:
		if s.Lex.Empty() {
			return nil
		}
		first, last, ok, err := tx.zEdges(m)
		if err != nil || !ok {
			return err
		}
		return tx.zLexScan(m, first, last, s.Lex, s.Rev, offset, count, fn)
	}
}

// zIndexScan walks the index keys in [from, to), skipping offset and
// passing at most count (negative: all) items to fn.
func (tx *Tx) zIndexScan(m *encoding.Meta, from, to []byte, rev bool, offset, count int64, fn func(ScoredMember) (bool, error)) error {
	return skipScan(tx, from, to, rev, offset, count, func(k, _ []byte) (ScoredMember, error) { return tx.zDecodeIndex(m, k) }, fn)
}

// zRankScan walks the members with ranks [start, stop] (Redis's inclusive,
// possibly negative indexes), scanning from the nearer end.
func (tx *Tx) zRankScan(m *encoding.Meta, start, stop int64, rev bool, fn func(ScoredMember) (bool, error)) error {
	n := m.Count
	lo, hi := clampRange(start, stop, n)
	if lo >= hi {
		return nil
	}
	if rev {
		// Reverse ranks [lo, hi) are ascending ranks [n-hi, n-lo).
		lo, hi = n-hi, n-lo
	}
	from, to := tx.zIndexSpan(m)
	count := hi - lo
	if lo <= n-hi {
		if !rev {
			return tx.zIndexScan(m, from, to, false, lo, count, fn)
		}
		items, err := tx.zCollect(m, from, to, false, lo, count)
		if err != nil {
			return err
		}
		slices.Reverse(items)
		return each(items, fn)
	}
	if rev {
		return tx.zIndexScan(m, from, to, true, n-hi, count, fn)
	}
	items, err := tx.zCollect(m, from, to, true, n-hi, count)
	if err != nil {
		return err
	}
	slices.Reverse(items)
	return each(items, fn)
}

func each(items []ScoredMember, fn func(ScoredMember) (bool, error)) error {
	for _, it := range items {
		if more, err := fn(it); err != nil || !more {
			return err
		}
	}
	return nil
}

func (tx *Tx) zCollect(m *encoding.Meta, from, to []byte, rev bool, offset, count int64) ([]ScoredMember, error) {
	var items []ScoredMember
	err := tx.zIndexScan(m, from, to, rev, offset, count, func(sm ScoredMember) (bool, error) {
		items = append(items, sm)
		return true, nil
	})
	return items, err
}

// Range returns the items of spec.
func (z ZSet) Range(s ZRangeSpec) ([]ScoredMember, error) {
	m, err := z.meta()
	if err != nil || m == nil {
		return nil, err
	}
	return z.tx.zRangeAll(m, s)
}

// zRangeAll returns the items of spec in m.
func (tx *Tx) zRangeAll(m *encoding.Meta, s ZRangeSpec) ([]ScoredMember, error) {
	var items []ScoredMember
	err := tx.zRange(m, s, func(sm ScoredMember) (bool, error) {
		items = append(items, sm)
		return true, nil
	})
	return items, err
}

// RemRange removes the items of spec and returns how many it removed.
func (z ZSet) RemRange(s ZRangeSpec) (int64, error) {
	tx, key := z.tx, z.key
	m, err := z.meta()
	if err != nil || m == nil {
		return 0, err
	}
	// A range that holds every member drops the whole object at once.
	switch s.By {
	case ZByRank:
		if lo, hi := clampRange(s.Start, s.Stop, m.Count); lo == 0 && hi == m.Count {
			return m.Count, tx.deleteKey(key, m)
		}
	case ZByScore:
		first, last, _, err := tx.zEdges(m)
		if err != nil {
			return 0, err
		}
		if s.Score.Contains(first.Score) && s.Score.Contains(last.Score) {
			return m.Count, tx.deleteKey(key, m)
		}
	}
	items, err := tx.zRangeAll(m, s)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	return int64(len(items)), tx.zDelItems(key, m, items)
}

// zDelItems removes items (read from m) and saves m; removing every member
// drops the object for the collector instead of deleting each key.
func (tx *Tx) zDelItems(key []byte, m *encoding.Meta, items []ScoredMember) error {
	if int64(len(items)) >= m.Count {
		return tx.deleteKey(key, m)
	}
	for _, it := range items {
		if err := tx.zDel(m, it.Member, it.Score); err != nil {
			return err
		}
	}
	return tx.saveCount(key, m, -int64(len(items)), true)
}
