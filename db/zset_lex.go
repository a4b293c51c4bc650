package db

import (
	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/parse"
)

// Lexicographic ranges: ZLEXCOUNT, and ZRANGE BYLEX through zRange.

// LexCount counts the members in the lexicographic range r.
func (z ZSet) LexCount(r parse.LexRange) (int64, error) {
	tx := z.tx
	m, err := z.meta()
	if err != nil || m == nil || r.Empty() {
		return 0, err
	}
	first, last, ok, err := tx.zEdges(m)
	if err != nil || !ok {
		return 0, err
	}
	if first.Score == last.Score {
		// One score: the index is in member order, count by key range.
		start, end := tx.zIndexSpan(m)
		from, to := start, end
		if r.Min.Inf == 0 {
			from = tx.zIndexKey(m, first.Score, r.Min.Value)
			if r.Min.Ex {
				from = append(from, 0)
			}
		}
		if r.Max.Inf == 0 {
			to = tx.zIndexKey(m, first.Score, r.Max.Value)
			if !r.Max.Ex {
				to = append(to, 0)
			}
		}
		return tx.countRange(start, end, from, to, m.Count)
	}
	var n int64
	err = tx.zLexScan(m, first, last, r, false, 0, -1, func(ScoredMember) (bool, error) {
		n++
		return true, nil
	})
	return n, err
}

// zLexScan walks the members in the lexicographic range r. Lex ranges
// assume the members share one score; with mixed scores it does what
// Redis does on a listpack: from the first member that is >= min (seeking
// there under the first member's score), skip offset members, then take
// members while they are <= max (in reverse: the mirror image). first and
// last are the set's first and last members in index order (zEdges), which
// the caller has read already.
func (tx *Tx) zLexScan(m *encoding.Meta, first, last ScoredMember, r parse.LexRange, rev bool, offset, count int64, fn func(ScoredMember) (bool, error)) error {
	if r.Empty() {
		return nil
	}
	start, end := tx.zIndexSpan(m)
	// reached is true of the first member in range, past of members after
	// the range.
	reached, past := r.GteMin, func(b []byte) bool { return !r.LteMax(b) }
	if rev {
		reached, past = r.LteMax, func(b []byte) bool { return !r.GteMin(b) }
	}
	// Like Redis, give up unless the last member is >= min and the first
	// <= max (which only matters when the scores differ).
	if !r.LteMax(first.Member) || !r.GteMin(last.Member) {
		return nil
	}
	started := false
	var skipped, emitted int64
	visit := func(k, _ []byte) (bool, error) {
		sm, err := tx.zDecodeIndex(m, k)
		if err != nil {
			return false, err
		}
		if !started {
			if !reached(sm.Member) {
				return true, nil
			}
			if past(sm.Member) {
				return false, nil
			}
			started = true
		}
		if skipped < offset {
			skipped++
			return true, nil
		}
		if past(sm.Member) || (count >= 0 && emitted >= count) {
			return false, nil
		}
		emitted++
		return fn(sm)
	}
	if !rev {
		from := start
		if r.Min.Inf == 0 {
			from = tx.zIndexKey(m, first.Score, r.Min.Value)
			if r.Min.Ex {
				from = append(from, 0)
			}
		}
		return tx.rangeScan(from, end, 0, false, visit)
	}
	to := end
	if r.Max.Inf == 0 {
		to = tx.zIndexKey(m, last.Score, r.Max.Value)
		if !r.Max.Ex {
			to = append(to, 0)
		}
	}
	return tx.rangeScan(start, to, 0, true, visit)
}
