package db

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/tikv/client-go/v2/txnkv/txnsnapshot"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/glob"
)

// Sorted sets. A sorted set object holds two keys per member:
//
//	ZSetMemberSub(member)        -> EncodeFloat(score)
//	ZSetScoreSub(score, member)  -> (placeholder)
//
// The member key answers ZSCORE-like lookups with one Get; the score index
// is ordered by (score, member) exactly as Redis orders a sorted set, so
// every range command is one ordered scan of the part it returns.

// Errors of the sorted set commands.
var (
	ErrMinMaxFloat = UserError("ERR min or max is not a float")
	ErrLexRange    = UserError("ERR min or max not valid string range item")
)

// ScoredMember is one member of a sorted set with its score.
type ScoredMember struct {
	Member []byte
	Score  float64
}

// FormatScore renders a score as Redis 7.0 replies with it: %.17g, "inf"
// and "-inf". A negative zero is "-0"; stored scores never are one
// (normScore), as in Redis, but computed ones (ZUNION, ZINCRBY) can be.
func FormatScore(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

// strtod parses the longest prefix of s that C's strtod accepts (leading
// white space, a sign, decimal or hexadecimal digits with an exponent,
// inf, infinity, nan) and returns its value and length; n is 0 when no
// number starts s. rangeErr reports an overflow or an underflow to zero.
func strtod(s []byte) (f float64, n int, rangeErr bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	signEnd := i
	lower := func(j int) byte {
		if j < len(s) && s[j] >= 'A' && s[j] <= 'Z' {
			return s[j] + 'a' - 'A'
		}
		if j < len(s) {
			return s[j]
		}
		return 0
	}
	hasWord := func(j int, w string) bool {
		for k := 0; k < len(w); k++ {
			if lower(j+k) != w[k] {
				return false
			}
		}
		return true
	}
	neg := signEnd > start && s[start] == '-'
	switch {
	case hasWord(i, "infinity"):
		return math.Inf(signOf(neg)), i + 8, false
	case hasWord(i, "inf"):
		return math.Inf(signOf(neg)), i + 3, false
	case hasWord(i, "nan"):
		return math.NaN(), i + 3, false
	}
	digits := func(j int, hex bool) int {
		for j < len(s) && (isDigit(s[j]) || (hex && isHexLetter(s[j]))) {
			j++
		}
		return j
	}
	hex := lower(i) == '0' && lower(i+1) == 'x' && i+2 < len(s) &&
		(isDigit(s[i+2]) || isHexLetter(s[i+2]) || (s[i+2] == '.' && i+3 < len(s) && (isDigit(s[i+3]) || isHexLetter(s[i+3]))))
	j := i
	if hex {
		j += 2
	}
	intEnd := digits(j, hex)
	mant := intEnd - j
	end := intEnd
	if end < len(s) && s[end] == '.' {
		fracEnd := digits(end+1, hex)
		mant += fracEnd - end - 1
		end = fracEnd
	}
	if mant == 0 {
		return 0, 0, false
	}
	exp := byte('e')
	if hex {
		exp = 'p'
	}
	if lower(end) == exp {
		k := end + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if e := digits(k, false); e > k {
			end = e
		}
	}
	num := string(s[start:end])
	if hex && lower(end-1) != 'p' && !bytes.ContainsAny(s[intEnd:end], "pP") {
		num += "p0"
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			return 0, 0, false
		}
		return f, end, true
	}
	if f == 0 && hasNonZeroDigit(s[j:end], hex) {
		return f, end, true // underflow
	}
	return f, end, false
}

func signOf(neg bool) int {
	if neg {
		return -1
	}
	return 1
}

func isSpace(c byte) bool     { return c == ' ' || (c >= '\t' && c <= '\r') }
func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isHexLetter(c byte) bool { return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }

// hasNonZeroDigit reports whether the mantissa of a number is not zero.
func hasNonZeroDigit(num []byte, hex bool) bool {
	for _, c := range num {
		switch {
		case c == 'e' || c == 'E' || (hex && (c == 'p' || c == 'P')):
			return false
		case c >= '1' && c <= '9', hex && isHexLetter(c):
			return true
		}
	}
	return false
}

// ParseScore parses a score argument of ZADD, ZINCRBY and WEIGHTS as
// Redis does: the whole argument must be a number, without leading
// space; inf is allowed, NaN, overflow and underflow to zero are not.
func ParseScore(b []byte) (float64, bool) {
	if len(b) == 0 || isSpace(b[0]) {
		return 0, false
	}
	f, n, rangeErr := strtod(b)
	if n != len(b) || math.IsNaN(f) || (rangeErr && (math.IsInf(f, 0) || f == 0)) {
		return 0, false
	}
	return f, true
}

// ScoreRange is a score interval of ZRANGEBYSCORE and friends.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

func parseRangeItem(b []byte) (float64, bool, bool) {
	ex := len(b) > 0 && b[0] == '('
	if ex {
		b = b[1:]
	}
	f, n, _ := strtod(b)
	// strtod of "" is 0 and consumes nothing: Redis accepts it.
	if n != len(b) && !(n == 0 && len(bytes.TrimLeft(b, " \t\n\v\f\r")) == 0) {
		return 0, false, false
	}
	if math.IsNaN(f) {
		return 0, false, false
	}
	return f, ex, true
}

// ParseScoreRange parses min and max as ZRANGEBYSCORE does ("(" makes a
// bound exclusive).
func ParseScoreRange(min, max []byte) (ScoreRange, error) {
	var r ScoreRange
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = parseRangeItem(min)
	r.Max, r.MaxEx, ok2 = parseRangeItem(max)
	if !ok1 || !ok2 {
		return r, ErrMinMaxFloat
	}
	return r, nil
}

func (r ScoreRange) empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

func (r ScoreRange) contains(f float64) bool {
	gte := f > r.Min || (f == r.Min && !r.MinEx)
	lte := f < r.Max || (f == r.Max && !r.MaxEx)
	return gte && lte
}

// LexBound is one end of a lexicographic range: Inf is -1 for "-", +1 for
// "+", 0 for a member (inclusive with "[", exclusive with "(").
type LexBound struct {
	Inf   int
	Value []byte
	Ex    bool
}

// LexRange is a member interval of ZRANGEBYLEX and friends.
type LexRange struct{ Min, Max LexBound }

func parseLexBound(b []byte) (LexBound, bool) {
	if len(b) == 0 {
		return LexBound{}, false
	}
	switch b[0] {
	case '+':
		return LexBound{Inf: 1, Ex: true}, len(b) == 1
	case '-':
		return LexBound{Inf: -1, Ex: true}, len(b) == 1
	case '(':
		return LexBound{Value: b[1:], Ex: true}, true
	case '[':
		return LexBound{Value: b[1:]}, true
	}
	return LexBound{}, false
}

// ParseLexRange parses min and max as ZRANGEBYLEX does.
func ParseLexRange(min, max []byte) (LexRange, error) {
	lo, ok1 := parseLexBound(min)
	hi, ok2 := parseLexBound(max)
	if !ok1 || !ok2 {
		return LexRange{}, ErrLexRange
	}
	return LexRange{Min: lo, Max: hi}, nil
}

// cmpLex compares a member with a bound value, the sentinels being below
// or above every member.
func cmpLex(member []byte, b LexBound) int {
	if b.Inf != 0 {
		return -b.Inf
	}
	return bytes.Compare(member, b.Value)
}

func (r LexRange) empty() bool {
	var c int
	switch {
	case r.Min.Inf != 0 || r.Max.Inf != 0:
		if r.Min.Inf == r.Max.Inf {
			c = 0
		} else if r.Min.Inf == 1 || r.Max.Inf == -1 {
			c = 1
		} else {
			c = -1
		}
	default:
		c = bytes.Compare(r.Min.Value, r.Max.Value)
	}
	return c > 0 || (c == 0 && (r.Min.Ex || r.Max.Ex))
}

func (r LexRange) gteMin(member []byte) bool {
	c := cmpLex(member, r.Min)
	return c > 0 || (c == 0 && !r.Min.Ex)
}

func (r LexRange) lteMax(member []byte) bool {
	c := cmpLex(member, r.Max)
	return c < 0 || (c == 0 && !r.Max.Ex)
}

// --- keys and element access ---

func (tx *Tx) zset(key []byte) (*encoding.Meta, error) {
	return tx.typedMeta(key, encoding.TypeZSet)
}

func (tx *Tx) zMemberKey(m *encoding.Meta, member []byte) []byte {
	return tx.data(m, encoding.ZSetMemberSub(member))
}

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

// zEdge returns the first (or, with last, the last) member by score.
func (tx *Tx) zEdge(m *encoding.Meta, last bool) (ScoredMember, bool, error) {
	start, end := tx.zIndexSpan(m)
	var sm ScoredMember
	found := false
	fn := func(k, _ []byte) (bool, error) {
		var err error
		sm, err = tx.zDecodeIndex(m, k)
		found = err == nil
		return false, err
	}
	var err error
	if last {
		err = tx.rangeScan(start, end, 1, true, fn)
	} else {
		err = tx.rangeScan(start, end, 1, false, fn)
	}
	return sm, found, err
}

// normScore folds -0 into 0, as the index does.
func normScore(f float64) float64 {
	if f == 0 {
		return 0
	}
	return f
}

// --- counting ---

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

// scanBatchMax is the largest scan batch: larger than client-go's default
// (256), so that reading a whole collection takes few requests.
const scanBatchMax = 1024

// scanBatchFirst is the first batch of an unbounded scan: many stop early
// (LINSERT at its pivot, LPOS at a match), so an unbounded scan reads
// scanBatchFirst keys, then 4*scanBatchFirst, then goes on with one
// iterator fetching scanBatchMax keys per request.
const scanBatchFirst = 64

// rangeScan is tx.scan (tx.scanReverse with rev) with batches sized for
// the work: a bounded scan fetches only what it may use (up to
// scanBatchMax keys per request); an unbounded one fetches batches that
// grow from scanBatchFirst to scanBatchMax.
func (tx *Tx) rangeScan(start, end []byte, limit int, rev bool, fn func(k, v []byte) (bool, error)) error {
	snap := tx.t.GetSnapshot()
	defer snap.SetScanBatchSize(txnsnapshot.DefaultScanBatchSize)
	run := func(start, end []byte, limit int, visit func(k, v []byte) (bool, error)) error {
		snap.SetScanBatchSize(scanBatch(limit))
		if rev {
			return tx.scanReverse(start, end, limit, visit)
		}
		return tx.scan(start, end, limit, visit)
	}
	if limit > 0 {
		return run(start, end, limit, fn)
	}
	for _, first := range []int{scanBatchFirst, 4 * scanBatchFirst} {
		got, stopped := 0, false
		var last []byte
		err := run(start, end, first, func(k, v []byte) (bool, error) {
			got++
			last = append(last[:0], k...)
			more, err := fn(k, v)
			stopped = !more
			return more, err
		})
		if err != nil || stopped || got < first {
			return err
		}
		if rev {
			end = last
		} else {
			start = append(last, 0)
		}
	}
	return run(start, end, 0, fn)
}

func scanBatch(limit int) int {
	if limit <= 0 || limit > scanBatchMax {
		return scanBatchMax
	}
	return limit
}

// iter opens an iterator over [from, to) fetching batch keys at a time.
func (tx *Tx) iter(from, to []byte, batch int) (iterator, error) {
	snap := tx.t.GetSnapshot()
	snap.SetScanBatchSize(batch)
	defer snap.SetScanBatchSize(txnsnapshot.DefaultScanBatchSize)
	it, err := tx.t.Iter(from, to)
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	return it, nil
}

// --- commands ---

// ZCard returns the number of members.
func (tx *Tx) ZCard(key []byte) (int64, error) {
	m, err := tx.zset(key)
	if err != nil || m == nil {
		return 0, err
	}
	return m.Count, nil
}

// ZScore returns member's score; ok is false when it is not a member.
func (tx *Tx) ZScore(key, member []byte) (score float64, ok bool, err error) {
	m, err := tx.zset(key)
	if err != nil || m == nil {
		return 0, false, err
	}
	return tx.zScore(m, member)
}

// ZMScore returns the scores of members (nil for non-members), reading
// them in one request.
func (tx *Tx) ZMScore(key []byte, members [][]byte) ([]*float64, error) {
	out := make([]*float64, len(members))
	m, err := tx.zset(key)
	if err != nil || m == nil {
		return out, err
	}
	keys := make([][]byte, len(members))
	for i, mem := range members {
		keys[i] = tx.zMemberKey(m, mem)
	}
	if err := tx.prefetch(keys); err != nil {
		return nil, err
	}
	for i, mem := range members {
		f, ok, err := tx.zScore(m, mem)
		if err != nil {
			return nil, err
		}
		if ok {
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

func (tx *Tx) newZState(m *encoding.Meta, existed bool, members [][]byte) (*zState, error) {
	z := &zState{tx: tx, m: m, existed: existed, scores: map[string]float64{}, absent: map[string]bool{}}
	if !existed {
		return z, nil
	}
	keys := make([][]byte, len(members))
	for i, mem := range members {
		keys[i] = tx.zMemberKey(m, mem)
	}
	return z, tx.prefetch(keys)
}

func (z *zState) score(member []byte) (float64, bool, error) {
	if f, ok := z.scores[string(member)]; ok {
		return f, true, nil
	}
	if !z.existed || z.absent[string(member)] {
		return 0, false, nil
	}
	f, ok, err := z.tx.zScore(z.m, member)
	if err != nil {
		return 0, false, err
	}
	if ok {
		z.scores[string(member)] = f
	} else {
		z.absent[string(member)] = true
	}
	return f, ok, nil
}

func (z *zState) put(member []byte, score float64) error {
	score = normScore(score)
	old, had, err := z.score(member)
	if err != nil {
		return err
	}
	if had && old == score && math.Signbit(old) == math.Signbit(score) {
		return nil
	}
	if err := z.tx.zPut(z.m, member, score, old, had); err != nil {
		return err
	}
	if !had {
		z.delta++
	}
	delete(z.absent, string(member))
	z.scores[string(member)] = score
	z.changed = true
	return nil
}

func (z *zState) remove(member []byte) (bool, error) {
	old, had, err := z.score(member)
	if err != nil || !had {
		return false, err
	}
	if err := z.tx.zDel(z.m, member, old); err != nil {
		return false, err
	}
	delete(z.scores, string(member))
	z.absent[string(member)] = true
	z.delta--
	z.changed = true
	return true, nil
}

func (z *zState) save(key []byte) error {
	if !z.changed {
		return nil
	}
	return z.tx.saveCount(key, z.m, z.delta, z.existed)
}

// ZAdd adds members or updates their scores under o and returns how many
// were added and how many existing ones changed score.
func (tx *Tx) ZAdd(key []byte, o ZAddOptions, items []ScoredMember) (added, updated int64, err error) {
	m, err := tx.zset(key)
	if err != nil {
		return 0, 0, err
	}
	existed := m != nil
	if !existed {
		if o.XX {
			return 0, 0, nil
		}
		m = tx.newObject(encoding.TypeZSet)
	}
	members := make([][]byte, len(items))
	for i, it := range items {
		members[i] = it.Member
	}
	z, err := tx.newZState(m, existed, members)
	if err != nil {
		return 0, 0, err
	}
	for _, it := range items {
		cur, had, err := z.score(it.Member)
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
		if err := z.put(it.Member, score); err != nil {
			return 0, 0, err
		}
		if had {
			updated++
		} else {
			added++
		}
	}
	return added, updated, z.save(key)
}

// ZIncr adds delta to member's score under o (ZADD INCR, ZINCRBY) and
// returns the new score; ok is false when a condition stopped it.
func (tx *Tx) ZIncr(key, member []byte, delta float64, o ZAddOptions) (score float64, ok bool, err error) {
	m, err := tx.zset(key)
	if err != nil {
		return 0, false, err
	}
	existed := m != nil
	if !existed {
		if o.XX {
			return 0, false, nil
		}
		m = tx.newObject(encoding.TypeZSet)
	}
	z, err := tx.newZState(m, existed, nil)
	if err != nil {
		return 0, false, err
	}
	cur, had, err := z.score(member)
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
	if err := z.put(member, score); err != nil {
		return 0, false, err
	}
	// The reply keeps a negative zero (ZINCRBY new -0 is "-0"); the
	// stored score does not.
	return score, true, z.save(key)
}

// ZRem removes members and returns how many were members.
func (tx *Tx) ZRem(key []byte, members [][]byte) (int64, error) {
	m, err := tx.zset(key)
	if err != nil || m == nil {
		return 0, err
	}
	z, err := tx.newZState(m, true, members)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, mem := range members {
		ok, err := z.remove(mem)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, z.save(key)
}

// ZRank returns member's rank (from the highest score with rev) and its
// score; ok is false when it is not a member.
func (tx *Tx) ZRank(key, member []byte, rev bool) (rank int64, score float64, ok bool, err error) {
	m, err := tx.zset(key)
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
func (tx *Tx) zScoreSpan(m *encoding.Meta, r ScoreRange) (from, to []byte) {
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

// ZCount counts the members with a score in r.
func (tx *Tx) ZCount(key []byte, r ScoreRange) (int64, error) {
	m, err := tx.zset(key)
	if err != nil || m == nil || r.empty() {
		return 0, err
	}
	start, end := tx.zIndexSpan(m)
	from, to := tx.zScoreSpan(m, r)
	return tx.countRange(start, end, from, to, m.Count)
}

// ZLexCount counts the members in the lexicographic range r.
func (tx *Tx) ZLexCount(key []byte, r LexRange) (int64, error) {
	m, err := tx.zset(key)
	if err != nil || m == nil || r.empty() {
		return 0, err
	}
	first, _, err := tx.zEdge(m, false)
	if err != nil {
		return 0, err
	}
	last, _, err := tx.zEdge(m, true)
	if err != nil {
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
	err = tx.zLexScan(m, r, false, 0, -1, func(ScoredMember) (bool, error) {
		n++
		return true, nil
	})
	return n, err
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
	Score       ScoreRange
	Lex         LexRange
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
		if s.Score.empty() {
			return nil
		}
		from, to := tx.zScoreSpan(m, s.Score)
		if bytes.Compare(from, to) >= 0 {
			return nil
		}
		return tx.zIndexScan(m, from, to, s.Rev, offset, count, fn)
	default:
		return tx.zLexScan(m, s.Lex, s.Rev, offset, count, fn)
	}
}

// zIndexScan walks the index keys in [from, to), skipping offset and
// passing at most count (negative: all) items to fn.
func (tx *Tx) zIndexScan(m *encoding.Meta, from, to []byte, rev bool, offset, count int64, fn func(ScoredMember) (bool, error)) error {
	limit := 0
	if count >= 0 {
		limit = int(offset + count)
	}
	var i int64
	walk := func(k, _ []byte) (bool, error) {
		i++
		if i <= offset {
			return true, nil
		}
		sm, err := tx.zDecodeIndex(m, k)
		if err != nil {
			return false, err
		}
		return fn(sm)
	}
	if rev {
		return tx.rangeScan(from, to, limit, true, walk)
	}
	return tx.rangeScan(from, to, limit, false, walk)
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

// zLexScan walks the members in the lexicographic range r. Lex ranges
// assume the members share one score; with mixed scores it does what
// Redis does on a listpack: from the first member that is >= min (seeking
// there under the first member's score), skip offset members, then take
// members while they are <= max (in reverse: the mirror image).
func (tx *Tx) zLexScan(m *encoding.Meta, r LexRange, rev bool, offset, count int64, fn func(ScoredMember) (bool, error)) error {
	if r.empty() {
		return nil
	}
	start, end := tx.zIndexSpan(m)
	// reached is true of the first member in range, past of members after
	// the range.
	reached, past := r.gteMin, func(b []byte) bool { return !r.lteMax(b) }
	if rev {
		reached, past = r.lteMax, func(b []byte) bool { return !r.gteMin(b) }
	}
	// Like Redis, give up unless the last member is >= min and the first
	// <= max (which only matters when the scores differ).
	first, ok, err := tx.zEdge(m, false)
	if err != nil || !ok || !r.lteMax(first.Member) {
		return err
	}
	last, ok, err := tx.zEdge(m, true)
	if err != nil || !ok || !r.gteMin(last.Member) {
		return err
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

// ZRange returns the items of spec.
func (tx *Tx) ZRange(key []byte, s ZRangeSpec) ([]ScoredMember, error) {
	m, err := tx.zset(key)
	if err != nil || m == nil {
		return nil, err
	}
	var items []ScoredMember
	err = tx.zRange(m, s, func(sm ScoredMember) (bool, error) {
		items = append(items, sm)
		return true, nil
	})
	return items, err
}

// ZRemRange removes the items of spec and returns how many it removed.
func (tx *Tx) ZRemRange(key []byte, s ZRangeSpec) (int64, error) {
	m, err := tx.zset(key)
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
		first, _, err := tx.zEdge(m, false)
		if err != nil {
			return 0, err
		}
		last, _, err := tx.zEdge(m, true)
		if err != nil {
			return 0, err
		}
		if s.Score.contains(first.Score) && s.Score.contains(last.Score) {
			return m.Count, tx.deleteKey(key, m)
		}
	}
	var items []ScoredMember
	err = tx.zRange(m, s, func(sm ScoredMember) (bool, error) {
		items = append(items, sm)
		return true, nil
	})
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

// ZStore makes dst a sorted set of items (which must not repeat a
// member), replacing what dst held; no items delete dst. It returns the
// size of the result.
func (tx *Tx) ZStore(dst []byte, items []ScoredMember) (int64, error) {
	if len(items) == 0 {
		_, err := tx.Del(dst)
		return 0, err
	}
	m := tx.newObject(encoding.TypeZSet)
	for _, it := range items {
		s := normScore(it.Score)
		if err := tx.set(tx.zIndexKey(m, s, it.Member), nil); err != nil {
			return 0, err
		}
		if err := tx.set(tx.zMemberKey(m, it.Member), encoding.EncodeFloat(s)); err != nil {
			return 0, err
		}
	}
	m.Count = int64(len(items))
	return m.Count, tx.replace(dst, m)
}

// ZPop removes and returns up to count members with the lowest scores
// (the highest with max).
func (tx *Tx) ZPop(key []byte, max bool, count int64) ([]ScoredMember, error) {
	m, err := tx.zset(key)
	if err != nil || m == nil || count <= 0 {
		return nil, err
	}
	return tx.zPop(key, m, max, count)
}

func (tx *Tx) zPop(key []byte, m *encoding.Meta, max bool, count int64) ([]ScoredMember, error) {
	from, to := tx.zIndexSpan(m)
	items, err := tx.zCollect(m, from, to, max, 0, min(count, m.Count))
	if err != nil || len(items) == 0 {
		return nil, err
	}
	return items, tx.zDelItems(key, m, items)
}

// ZMPop pops from the first non-empty sorted set of keys; key is nil when
// all are empty.
func (tx *Tx) ZMPop(keys [][]byte, max bool, count int64) (key []byte, items []ScoredMember, err error) {
	for _, k := range keys {
		m, err := tx.zset(k)
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

// ZScanResult is one page of ZSCAN.
type ZScanResult struct {
	Items []ScoredMember
	// Next is the member to resume from; nil when the scan is complete.
	Next []byte
}

// ZScan returns up to count members from member start on (in member
// order), matching pattern when it is not nil.
func (tx *Tx) ZScan(key, start []byte, count int, pattern []byte) (ZScanResult, error) {
	var res ZScanResult
	m, err := tx.zset(key)
	if err != nil || m == nil {
		return res, err
	}
	from, to := tx.zMemberSpan(m)
	from = append(from, start...)
	seen := 0
	err = tx.rangeScan(from, to, count+1, false, func(k, v []byte) (bool, error) {
		sm, err := tx.zDecodeMember(m, k, v)
		if err != nil {
			return false, err
		}
		if seen >= count {
			res.Next = sm.Member
			return false, nil
		}
		seen++
		if pattern == nil || glob.Match(pattern, sm.Member, false) {
			res.Items = append(res.Items, sm)
		}
		return true, nil
	})
	return res, err
}

// --- random members ---

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

// randomSeeker picks random points of a key span to read from.
type randomSeeker struct {
	tx          *Tx
	from, to    []byte
	first, last []byte
}

func (tx *Tx) newRandomSeeker(from, to []byte) (*randomSeeker, error) {
	s := &randomSeeker{tx: tx, from: from, to: to}
	err := tx.rangeScan(from, to, 1, false, func(k, _ []byte) (bool, error) {
		s.first = bytes.Clone(k)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	err = tx.rangeScan(from, to, 1, true, func(k, _ []byte) (bool, error) {
		s.last = bytes.Clone(k)
		return false, nil
	})
	return s, err
}

// point returns a random key between the first and last keys, treating
// the 8 bytes after their common prefix as a number.
func (s *randomSeeker) point() []byte {
	a, b := s.first, s.last
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	num := func(k []byte) uint64 {
		var x uint64
		for i := 0; i < 8; i++ {
			x <<= 8
			if p+i < len(k) {
				x |= uint64(k[p+i])
			}
		}
		return x
	}
	lo, hi := num(a), num(b)
	x := lo
	if hi > lo {
		if hi-lo == math.MaxUint64 {
			x = rand.Uint64()
		} else {
			x = lo + rand.Uint64N(hi-lo+1)
		}
	}
	k := append(bytes.Clone(a[:p]), make([]byte, 8)...)
	for i := 7; i >= 0; i-- {
		k[p+i] = byte(x)
		x >>= 8
	}
	return k
}

// window reads up to n consecutive entries from a random point, wrapping
// around to the first entry.
func (s *randomSeeker) window(n int, fn func(k, v []byte) error) error {
	at := s.point()
	got := 0
	visit := func(k, v []byte) (bool, error) {
		got++
		return true, fn(k, v)
	}
	if err := s.tx.rangeScan(at, s.to, n, false, visit); err != nil {
		return err
	}
	if got < n {
		rest := n - got
		got = 0
		if err := s.tx.rangeScan(s.from, at, rest, false, visit); err != nil {
			return err
		}
	}
	return nil
}

// randomReadAll is the size up to which a random pick reads the whole
// collection.
const randomReadAll = 128

// randomSeeks bounds the random seeks of one command.
const randomSeeks = 64

// ZRandMember returns random members: one (nil when the key is missing)
// without count; up to count distinct members for count > 0; -count
// members that may repeat for count < 0.
func (tx *Tx) ZRandMember(key []byte, count int64) ([]ScoredMember, error) {
	m, err := tx.zset(key)
	if err != nil || m == nil || count == 0 {
		return nil, err
	}
	from, to := tx.zMemberSpan(m)
	decode := func(k, v []byte) (ScoredMember, error) { return tx.zDecodeMember(m, k, v) }
	return randomPick(tx, m.Count, count, from, to, decode, func() ([]ScoredMember, error) { return tx.zReadAll(m) })
}

// randomPick implements the sampling of ZRANDMEMBER (and friends) over a
// collection of n entries in [from, to).
func randomPick[T any](tx *Tx, n, count int64, from, to []byte, decode func(k, v []byte) (T, error), all func() ([]T, error)) ([]T, error) {
	distinct := count > 0
	want := count
	if !distinct {
		want = -count
	}
	if distinct && want >= n {
		items, err := all()
		rand.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		return items, err
	}
	if n <= randomReadAll || (distinct && want*2 >= n) || (!distinct && want >= n) {
		items, err := all()
		if err != nil || len(items) == 0 {
			return nil, err
		}
		if distinct {
			for i := int64(0); i < want; i++ {
				j := i + rand.Int64N(int64(len(items))-i)
				items[i], items[j] = items[j], items[i]
			}
			return items[:want], nil
		}
		out := make([]T, want)
		for i := range out {
			out[i] = items[rand.IntN(len(items))]
		}
		return out, nil
	}
	s, err := tx.newRandomSeeker(from, to)
	if err != nil {
		return nil, err
	}
	seeks := min(want, randomSeeks)
	per := int((want + seeks - 1) / seeks)
	var out []T
	seen := map[string]bool{}
	add := func(k, v []byte) error {
		if int64(len(out)) >= want || (distinct && seen[string(k)]) {
			return nil
		}
		it, err := decode(k, v)
		if err != nil {
			return err
		}
		seen[string(k)] = true
		out = append(out, it)
		return nil
	}
	for i := int64(0); i < seeks*2 && int64(len(out)) < want; i++ {
		if err := s.window(per, add); err != nil {
			return nil, err
		}
	}
	if int64(len(out)) < want {
		// Unlucky seeks: fill up in order (only distinct picks get here).
		if err := tx.rangeScan(from, to, 0, false, func(k, v []byte) (bool, error) {
			return int64(len(out)) < want, add(k, v)
		}); err != nil {
			return nil, err
		}
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, nil
}

// --- union, intersection, difference ---

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

func (s zSource) size() int64 {
	if s.m == nil {
		return 0
	}
	return s.m.Count
}

func (tx *Tx) zSources(keys [][]byte, weights []float64) ([]zSource, error) {
	src := make([]zSource, len(keys))
	for i, k := range keys {
		m, err := tx.meta(k)
		if err != nil {
			return nil, err
		}
		if m != nil && m.Type != encoding.TypeZSet && m.Type != encoding.TypeSet {
			return nil, ErrWrongType
		}
		src[i] = zSource{m: m, weight: 1}
		if weights != nil {
			src[i].weight = weights[i]
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
		var members [][]byte
		members, err = tx.zSetMembers(s.m)
		for _, mem := range members {
			items = append(items, ScoredMember{Member: mem, Score: 1})
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

// zSourceLookup returns the weighted scores of members in the source (nil
// for non-members), in one request. Unlike zSourceAll, a weighted score
// may be NaN (inf * 0): ZINTER aggregates it as Redis does.
func (tx *Tx) zSourceLookup(s zSource, members [][]byte) ([]*float64, error) {
	out := make([]*float64, len(members))
	if s.m == nil {
		return out, nil
	}
	if s.m.Type == encoding.TypeSet {
		has, err := tx.zSetHas(s.m, members)
		if err != nil {
			return nil, err
		}
		for i, ok := range has {
			if ok {
				f := s.weight
				out[i] = &f
			}
		}
		return out, nil
	}
	keys := make([][]byte, len(members))
	for i, mem := range members {
		keys[i] = tx.zMemberKey(s.m, mem)
	}
	if err := tx.prefetch(keys); err != nil {
		return nil, err
	}
	for i, mem := range members {
		f, ok, err := tx.zScore(s.m, mem)
		if err != nil {
			return nil, err
		}
		if ok {
			f *= s.weight
			out[i] = &f
		}
	}
	return out, nil
}

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

// ZUnion returns the union of the sorted sets (or sets) at keys, ordered.
func (tx *Tx) ZUnion(keys [][]byte, weights []float64, agg ZAggregate) ([]ScoredMember, error) {
	src, err := tx.zSources(keys, weights)
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

// zInter intersects the sources: it reads the smallest and looks its
// members up in the others, chunk by chunk, stopping after limit results
// (0: no limit).
func (tx *Tx) zInter(keys [][]byte, weights []float64, agg ZAggregate, limit int64) ([]ScoredMember, error) {
	src, err := tx.zSources(keys, weights)
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
	var out []ScoredMember
	for len(base) > 0 {
		chunk := base[:min(len(base), zLookupChunk)]
		base = base[len(chunk):]
		for _, s := range src[1:] {
			members := make([][]byte, len(chunk))
			for i, it := range chunk {
				members[i] = it.Member
			}
			scores, err := tx.zSourceLookup(s, members)
			if err != nil {
				return nil, err
			}
			kept := chunk[:0]
			for i, it := range chunk {
				if scores[i] != nil {
					it.Score = aggregate(it.Score, *scores[i], agg)
					kept = append(kept, it)
				}
			}
			chunk = kept
			if len(chunk) == 0 {
				break
			}
		}
		out = append(out, chunk...)
		if limit > 0 && int64(len(out)) >= limit {
			return out[:limit], nil
		}
	}
	return out, nil
}

// ZInter returns the intersection of the sorted sets (or sets) at keys.
func (tx *Tx) ZInter(keys [][]byte, weights []float64, agg ZAggregate) ([]ScoredMember, error) {
	out, err := tx.zInter(keys, weights, agg, 0)
	sortScored(out)
	return out, err
}

// ZInterCard returns the size of the intersection, counting at most limit
// (0: no limit).
func (tx *Tx) ZInterCard(keys [][]byte, limit int64) (int64, error) {
	out, err := tx.zInter(keys, nil, AggSum, limit)
	return int64(len(out)), err
}

// ZDiff returns the members of the first key that are in none of the
// others, with their scores.
func (tx *Tx) ZDiff(keys [][]byte) ([]ScoredMember, error) {
	src, err := tx.zSources(keys, nil)
	if err != nil {
		return nil, err
	}
	base, err := tx.zSourceAll(src[0])
	if err != nil {
		return nil, err
	}
	var out []ScoredMember
	for len(base) > 0 {
		chunk := base[:min(len(base), zLookupChunk)]
		base = base[len(chunk):]
		for _, s := range src[1:] {
			if s.m == nil || len(chunk) == 0 {
				continue
			}
			members := make([][]byte, len(chunk))
			for i, it := range chunk {
				members[i] = it.Member
			}
			scores, err := tx.zSourceLookup(s, members)
			if err != nil {
				return nil, err
			}
			kept := chunk[:0]
			for i, it := range chunk {
				if scores[i] == nil {
					kept = append(kept, it)
				}
			}
			chunk = kept
		}
		out = append(out, chunk...)
	}
	sortScored(out)
	return out, nil
}

// zSetMembers reads every member of a set (an input of ZUNION and
// friends).
func (tx *Tx) zSetMembers(m *encoding.Meta) ([][]byte, error) {
	p := tx.data(m, encoding.SetMemberPrefix())
	var out [][]byte
	err := tx.rangeScan(p, encoding.PrefixEnd(p), 0, false, func(k, _ []byte) (bool, error) {
		mem, err := encoding.DecodeSetMemberSub(tx.d.keys.DataSub(m.Object, k))
		out = append(out, bytes.Clone(mem))
		return err == nil, err
	})
	return out, err
}

// zSetHas reports which members are in a set, in one request.
func (tx *Tx) zSetHas(m *encoding.Meta, members [][]byte) ([]bool, error) {
	keys := make([][]byte, len(members))
	for i, mem := range members {
		keys[i] = tx.data(m, encoding.SetMemberSub(mem))
	}
	if err := tx.prefetch(keys); err != nil {
		return nil, err
	}
	out := make([]bool, len(members))
	for i, k := range keys {
		v, err := tx.get(k)
		if err != nil {
			return nil, err
		}
		out[i] = v != nil
	}
	return out, nil
}

// ZCheckSources checks that every key holds a sorted set, a set or
// nothing, as ZUNION and friends do before they read their options.
func (tx *Tx) ZCheckSources(keys [][]byte) error {
	_, err := tx.zSources(keys, nil)
	return err
}
