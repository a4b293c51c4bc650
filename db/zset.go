package db

import (
	"bytes"
	"fmt"
	"math"

	"github.com/titan-kv/titan/encoding"
)

// Sorted sets. A sorted set object holds two keys per member:
//
//	ZSetMemberSub(member)        -> EncodeFloat(score)
//	ZSetScoreSub(score, member)  -> (placeholder)
//
// The member key answers ZSCORE-like lookups with one Get; the score index
// is ordered by (score, member) exactly as Redis orders a sorted set, so
// every range command is one ordered scan of the part it returns.
//
// The commands are methods of two views: ZSet (one key) and ZSets (the
// inputs of ZUNION, ZINTER, ZDIFF and ZMPOP). The code is split by job:
// this file (keys, reads and writes of members), zset_range.go (ranks,
// counts, ranges by rank and score), zset_lex.go (lex ranges),
// zset_store.go (union, intersection, difference, storing a result),
// zset_pop.go and zset_scan.go (ZSCAN, ZRANDMEMBER).

// ScoredMember is one member of a sorted set with its score.
type ScoredMember struct {
	Member []byte
	Score  float64
}

// ZSet is the sorted set stored at one key, as one transaction sees it.
type ZSet struct {
	tx  *Tx
	key []byte
}

// ZSet returns the view of the sorted set at key in the transaction's
// current database.
func (tx *Tx) ZSet(key []byte) ZSet { return ZSet{tx: tx, key: key} }

// ZSets are the sorted sets (or sets, whose members all score 1) at
// several keys, read together by ZUNION, ZINTER, ZDIFF and ZMPOP.
type ZSets struct {
	tx   *Tx
	keys [][]byte
	// weights multiply the scores of each key's members (nil: all 1).
	weights []float64
}

// ZSets returns the view of the sorted sets at keys, whose scores are
// multiplied by weights (nil: no weights; else one per key).
func (tx *Tx) ZSets(keys [][]byte, weights []float64) ZSets {
	return ZSets{tx: tx, keys: keys, weights: weights}
}

// meta reads the sorted set's metadata: nil when the key is missing,
// ErrWrongType when it holds another type.
func (z ZSet) meta() (*encoding.Meta, error) { return z.tx.typedMeta(z.key, encoding.TypeZSet) }

// --- keys and element access ---

// zMemberKey is the key of member's entry, whose value is its score.
func (tx *Tx) zMemberKey(m *encoding.Meta, member []byte) []byte {
	return tx.data(m, encoding.ZSetMemberSub(member))
}

// zIndexKey is the key of member in the score index.
func (tx *Tx) zIndexKey(m *encoding.Meta, score float64, member []byte) []byte {
	return tx.data(m, encoding.ZSetScoreSub(score, member))
}

// zIndexSpan is the key range of the score index.
func (tx *Tx) zIndexSpan(m *encoding.Meta) (start, end []byte) {
	p := tx.data(m, encoding.ZSetScorePrefix())
	return p, encoding.PrefixEnd(p)
}

// zMemberSpan is the key range of the member entries.
func (tx *Tx) zMemberSpan(m *encoding.Meta) (start, end []byte) {
	p := tx.data(m, encoding.ZSetMemberPrefix())
	return p, encoding.PrefixEnd(p)
}

// zScore reads member's score.
func (tx *Tx) zScore(m *encoding.Meta, member []byte) (float64, bool, error) {
	v, err := tx.get(tx.zMemberKey(m, member))
	if err != nil || v == nil {
		return 0, false, err
	}
	f, err := encoding.DecodeFloat(v)
	if err != nil {
		return 0, false, fmt.Errorf("zset member %q: %w", member, err)
	}
	return f, true, nil
}

// zPut stores member at score; old is its current score when had.
func (tx *Tx) zPut(m *encoding.Meta, member []byte, score, old float64, had bool) error {
	if had {
		if err := tx.del(tx.zIndexKey(m, old, member)); err != nil {
			return err
		}
	}
	if err := tx.set(tx.zIndexKey(m, score, member), nil); err != nil {
		return err
	}
	return tx.set(tx.zMemberKey(m, member), encoding.EncodeFloat(score))
}

// zDel removes member, whose score is score.
func (tx *Tx) zDel(m *encoding.Meta, member []byte, score float64) error {
	if err := tx.del(tx.zIndexKey(m, score, member)); err != nil {
		return err
	}
	return tx.del(tx.zMemberKey(m, member))
}

// zDecodeIndex decodes a score index key into a member (copied) and score.
func (tx *Tx) zDecodeIndex(m *encoding.Meta, k []byte) (ScoredMember, error) {
	score, member, err := encoding.DecodeZSetScoreSub(tx.d.keys.DataSub(m.Object, k))
	if err != nil {
		return ScoredMember{}, err
	}
	return ScoredMember{Member: bytes.Clone(member), Score: score}, nil
}

// zDecodeMember decodes a member entry into a member (copied) and score.
func (tx *Tx) zDecodeMember(m *encoding.Meta, k, v []byte) (ScoredMember, error) {
	sub := tx.d.keys.DataSub(m.Object, k)
	f, err := encoding.DecodeFloat(v)
	if err != nil || len(sub) == 0 {
		return ScoredMember{}, fmt.Errorf("zset member entry %q: %w", sub, encoding.ErrMalformed)
	}
	return ScoredMember{Member: bytes.Clone(sub[1:]), Score: f}, nil
}

// zEdges returns the first and the last members by score (two one-key
// Scans); ok is false when the set is empty.
func (tx *Tx) zEdges(m *encoding.Meta) (first, last ScoredMember, ok bool, err error) {
	lo, hi, err := tx.rangeEnds(tx.zIndexSpan(m))
	if err != nil || lo == nil {
		return first, last, false, err
	}
	if first, err = tx.zDecodeIndex(m, lo); err != nil {
		return first, last, false, err
	}
	last, err = tx.zDecodeIndex(m, hi)
	return first, last, err == nil, err
}

// normScore folds -0 into 0, as the index does.
func normScore(f float64) float64 {
	if f == 0 {
		return 0
	}
	return f
}

// zReadAll reads every member in member order.
func (tx *Tx) zReadAll(m *encoding.Meta) ([]ScoredMember, error) {
	from, to := tx.zMemberSpan(m)
	items := make([]ScoredMember, 0, m.Count)
	err := tx.rangeScan(from, to, 0, false, func(k, v []byte) (bool, error) {
		sm, err := tx.zDecodeMember(m, k, v)
		items = append(items, sm)
		return err == nil, err
	})
	return items, err
}

// --- reads and writes of members ---

// Card returns the number of members.
func (z ZSet) Card() (int64, error) {
	m, err := z.meta()
	if err != nil || m == nil {
		return 0, err
	}
	return m.Count, nil
}

// Score returns member's score; ok is false when it is not a member.
func (z ZSet) Score(member []byte) (score float64, ok bool, err error) {
	m, err := z.meta()
	if err != nil || m == nil {
		return 0, false, err
	}
	return z.tx.zScore(m, member)
}

// MScore returns the scores of members (nil for non-members), reading
// them in one request.
func (z ZSet) MScore(members [][]byte) ([]*float64, error) {
	out := make([]*float64, len(members))
	m, err := z.meta()
	if err != nil || m == nil {
		return out, err
	}
	return z.tx.zLookup(m, members, 1)
}

// zLookup returns the scores of members in m times weight (nil for
// non-members), reading them in one request. A weighted score may be NaN
// (inf * 0).
func (tx *Tx) zLookup(m *encoding.Meta, members [][]byte, weight float64) ([]*float64, error) {
	keys := make([][]byte, len(members))
	for i, mem := range members {
		keys[i] = tx.zMemberKey(m, mem)
	}
	if err := tx.prefetch(keys); err != nil {
		return nil, err
	}
	out := make([]*float64, len(members))
	for i, mem := range members {
		f, ok, err := tx.zScore(m, mem)
		if err != nil {
			return nil, err
		}
		if ok {
			f *= weight
			out[i] = &f
		}
	}
	return out, nil
}

// ZAddOptions are ZADD's flags.
type ZAddOptions struct {
	NX, XX, GT, LT bool
}

// zState tracks the members one command has read or written.
type zState struct {
	tx      *Tx
	m       *encoding.Meta
	existed bool
	scores  map[string]float64 // current score of members read or written
	absent  map[string]bool
	delta   int64
	changed bool
}

// newZState starts tracking m (existed: read from the store, else new),
// prefetching the entries of members in one request.
func (tx *Tx) newZState(m *encoding.Meta, existed bool, members [][]byte) (*zState, error) {
	st := &zState{tx: tx, m: m, existed: existed, scores: map[string]float64{}, absent: map[string]bool{}}
	if !existed {
		return st, nil
	}
	keys := make([][]byte, len(members))
	for i, mem := range members {
		keys[i] = tx.zMemberKey(m, mem)
	}
	return st, tx.prefetch(keys)
}

func (st *zState) score(member []byte) (float64, bool, error) {
	if f, ok := st.scores[string(member)]; ok {
		return f, true, nil
	}
	if !st.existed || st.absent[string(member)] {
		return 0, false, nil
	}
	f, ok, err := st.tx.zScore(st.m, member)
	if err != nil {
		return 0, false, err
	}
	if ok {
		st.scores[string(member)] = f
	} else {
		st.absent[string(member)] = true
	}
	return f, ok, nil
}

func (st *zState) put(member []byte, score float64) error {
	score = normScore(score)
	old, had, err := st.score(member)
	if err != nil {
		return err
	}
	if had && old == score && math.Signbit(old) == math.Signbit(score) {
		return nil
	}
	if err := st.tx.zPut(st.m, member, score, old, had); err != nil {
		return err
	}
	if !had {
		st.delta++
	}
	delete(st.absent, string(member))
	st.scores[string(member)] = score
	st.changed = true
	return nil
}

func (st *zState) remove(member []byte) (bool, error) {
	old, had, err := st.score(member)
	if err != nil || !had {
		return false, err
	}
	if err := st.tx.zDel(st.m, member, old); err != nil {
		return false, err
	}
	delete(st.scores, string(member))
	st.absent[string(member)] = true
	st.delta--
	st.changed = true
	return true, nil
}

func (st *zState) save(key []byte) error {
	if !st.changed {
		return nil
	}
	return st.tx.saveCount(key, st.m, st.delta, st.existed)
}

// Add adds members or updates their scores under o and returns how many
// were added and how many existing ones changed score.
func (z ZSet) Add(o ZAddOptions, items []ScoredMember) (added, updated int64, err error) {
	m, existed, err := z.metaOrNew(o)
	if err != nil || m == nil {
		return 0, 0, err
	}
	members := make([][]byte, len(items))
	for i, it := range items {
		members[i] = it.Member
	}
	st, err := z.tx.newZState(m, existed, members)
	if err != nil {
		return 0, 0, err
	}
	for _, it := range items {
		cur, had, err := st.score(it.Member)
		if err != nil {
			return 0, 0, err
		}
		score := normScore(it.Score)
		switch {
		case had && (o.NX || (o.GT && score <= cur) || (o.LT && score >= cur) || score == cur):
			continue
		case !had && o.XX:
			continue
		}
		if err := st.put(it.Member, score); err != nil {
			return 0, 0, err
		}
		if had {
			updated++
		} else {
			added++
		}
	}
	return added, updated, st.save(z.key)
}

// metaOrNew reads the sorted set's metadata or, when the key is missing,
// makes a new object (none under XX, which only updates members).
// existed reports whether the key held a sorted set.
func (z ZSet) metaOrNew(o ZAddOptions) (m *encoding.Meta, existed bool, err error) {
	m, err = z.meta()
	switch {
	case err != nil:
		return nil, false, err
	case m != nil:
		return m, true, nil
	case o.XX:
		return nil, false, nil
	}
	return z.tx.newObject(encoding.TypeZSet), false, nil
}

// Incr adds delta to member's score under o (ZADD INCR, ZINCRBY) and
// returns the new score; ok is false when a condition stopped it.
func (z ZSet) Incr(member []byte, delta float64, o ZAddOptions) (score float64, ok bool, err error) {
	m, existed, err := z.metaOrNew(o)
	if err != nil || m == nil {
		return 0, false, err
	}
	st, err := z.tx.newZState(m, existed, nil)
	if err != nil {
		return 0, false, err
	}
	cur, had, err := st.score(member)
	if err != nil {
		return 0, false, err
	}
	if (had && o.NX) || (!had && o.XX) {
		return 0, false, nil
	}
	score = delta
	if had {
		score = cur + delta
	}
	if math.IsNaN(score) {
		return 0, false, ErrZSetNaN
	}
	if had && ((o.GT && score <= cur) || (o.LT && score >= cur)) {
		return 0, false, nil
	}
	if err := st.put(member, score); err != nil {
		return 0, false, err
	}
	// The reply keeps a negative zero (ZINCRBY new -0 is "-0"); the
	// stored score does not.
	return score, true, st.save(z.key)
}

// Rem removes members and returns how many were members.
func (z ZSet) Rem(members [][]byte) (int64, error) {
	m, err := z.meta()
	if err != nil || m == nil {
		return 0, err
	}
	st, err := z.tx.newZState(m, true, members)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, mem := range members {
		ok, err := st.remove(mem)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, st.save(z.key)
}
