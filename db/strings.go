package db

import (
	"bytes"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"

	"github.com/titan-kv/titan/encoding"
)

// MaxStringLen bounds a string value (with its key). It is titan's
// proto-max-bulk-len for values: Redis allows 512MB, but a string is one
// TiKV entry, and TiKV refuses a raft entry over raft-entry-max-size (8MB by
// default), as the embedded store refuses a request over 8MB (client-go
// even panics on an entry of 128MB). Commands that would build a longer
// string fail with Redis's "string exceeds maximum allowed size".
const MaxStringLen = 8<<20 - 64<<10

func parseInt(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 20 {
		return 0, ErrNotInteger
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || (len(b) > 1 && b[0] == '0') || (len(b) > 1 && b[0] == '-' && b[1] == '0') || b[0] == '+' {
		return 0, ErrNotInteger
	}
	return n, nil
}

// FormatFloat renders f in the shortest form that parses back to f.
func FormatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// str returns key's string value; exists is false for a missing key.
func (tx *Tx) str(key []byte) (*encoding.Meta, error) {
	return tx.typedMeta(key, encoding.TypeString)
}

// Get returns the value of a string key, nil when missing.
func (tx *Tx) Get(key []byte) ([]byte, error) {
	m, err := tx.str(key)
	if err != nil || m == nil {
		return nil, err
	}
	return m.Value, nil
}

// SetOptions are SET's conditions and expiry.
type SetOptions struct {
	NX, XX  bool
	KeepTTL bool
	// ExpireAt is the absolute expiry in unix milliseconds, 0 for none.
	ExpireAt int64
	// Get asks for the old value, which must then be a string.
	Get bool
}

// SetResult is what SET did.
type SetResult struct {
	Written bool
	Old     []byte // the old value, when SetOptions.Get was set
	Existed bool
}

// String is the string stored at one key, as one transaction sees it.
type String struct {
	tx  *Tx
	key []byte
}

// String returns the view of the string at key in the transaction's
// current database.
func (tx *Tx) String(key []byte) String { return String{tx: tx, key: key} }

// Set stores value at the key under o.
func (s String) Set(value []byte, o SetOptions) (SetResult, error) {
	tx, key := s.tx, s.key
	var r SetResult
	old, err := tx.meta(key)
	if err != nil {
		return r, err
	}
	r.Existed = old != nil
	if o.Get && old != nil {
		if old.Type != encoding.TypeString {
			return r, ErrWrongType
		}
		r.Old = old.Value
	}
	if (o.NX && old != nil) || (o.XX && old == nil) {
		return r, nil
	}
	m := &encoding.Meta{Type: encoding.TypeString, Value: value, ExpireAt: o.ExpireAt}
	if o.KeepTTL && old != nil {
		m.ExpireAt = old.ExpireAt
	}
	if o.ExpireAt != 0 && o.ExpireAt <= tx.now {
		// Redis accepts an expiry in the past and the key is gone at once.
		r.Written = true
		if old != nil {
			return r, tx.deleteKey(key, old)
		}
		return r, nil
	}
	r.Written = true
	return r, tx.replace(key, m)
}

// GetDel returns a string's value and deletes the key.
func (tx *Tx) GetDel(key []byte) ([]byte, error) {
	m, err := tx.str(key)
	if err != nil || m == nil {
		return nil, err
	}
	return m.Value, tx.deleteKey(key, m)
}

// GetEx returns a string's value and changes its expiry: expireAt > 0
// sets it, persist removes it, otherwise it is kept.
func (tx *Tx) GetEx(key []byte, expireAt int64, persist bool) ([]byte, error) {
	m, err := tx.str(key)
	if err != nil || m == nil {
		return nil, err
	}
	v := m.Value
	switch {
	case expireAt > 0 && expireAt <= tx.now:
		return v, tx.deleteKey(key, m)
	case expireAt > 0:
		prev := m.ExpireAt
		m.ExpireAt = expireAt
		return v, tx.putMeta(key, m, prev)
	case persist && m.ExpireAt != 0:
		m.ExpireAt = 0
		return v, tx.putMeta(key, m, 0)
	}
	return v, nil
}

// strEnc is how Redis encodes a string a command writes, which OBJECT
// ENCODING reports.
type strEnc int

const (
	encByValue strEnc = iota // int, embstr or raw by the value (SET, INCR)
	encRaw                   // raw: changed in place (APPEND, SETRANGE, SETBIT)
	encNotInt                // embstr or raw by length (INCRBYFLOAT)
)

// updateString writes a new value for a string key keeping its expiry;
// m is its metadata or nil when the key is new.
func (tx *Tx) updateString(key []byte, m *encoding.Meta, value []byte, enc strEnc) error {
	if len(value) > MaxStringLen {
		return ErrStringTooBig
	}
	raw, notInt := enc == encRaw, enc == encNotInt
	if m == nil {
		return tx.replace(key, &encoding.Meta{Type: encoding.TypeString, Value: value, Raw: raw, NotInt: notInt})
	}
	m.Value, m.Raw, m.NotInt = value, raw, notInt
	return tx.putMeta(key, m, m.ExpireAt)
}

// Append appends value to a string and returns the new length; the result
// may be at most limit bytes long.
func (tx *Tx) Append(key, value []byte, limit int64) (int64, error) {
	m, err := tx.str(key)
	if err != nil {
		return 0, err
	}
	if m == nil {
		// A new key holds value as SET would store it.
		return int64(len(value)), tx.updateString(key, nil, value, encByValue)
	}
	if int64(len(m.Value))+int64(len(value)) > limit {
		return 0, ErrStringTooBig
	}
	nv := make([]byte, 0, len(m.Value)+len(value))
	nv = append(append(nv, m.Value...), value...)
	return int64(len(nv)), tx.updateString(key, m, nv, encRaw)
}

// StrLen returns the length of a string, 0 when missing.
func (tx *Tx) StrLen(key []byte) (int64, error) {
	v, err := tx.Get(key)
	return int64(len(v)), err
}

// IncrBy adds delta to the integer in a string and returns the result.
func (tx *Tx) IncrBy(key []byte, delta int64) (int64, error) {
	m, err := tx.str(key)
	if err != nil {
		return 0, err
	}
	var cur int64
	if m != nil {
		if cur, err = parseInt(m.Value); err != nil {
			return 0, err
		}
	}
	n, overflow := addInt64(cur, delta)
	if overflow {
		return 0, ErrOverflow
	}
	return n, tx.updateString(key, m, strconv.AppendInt(nil, n, 10), encByValue)
}

func addInt64(a, b int64) (int64, bool) {
	s := a + b
	return s, (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0)
}

// ParseFloat parses a float as Redis does (inf, -inf, +inf allowed; NaN,
// spaces and empty strings refused).
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 5000 || b[0] == ' ' || b[len(b)-1] == ' ' {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange && !math.IsInf(f, 0) {
			return f, true
		}
		return 0, false
	}
	if math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// IncrByFloat adds delta to the number in a string and returns the new
// value as stored. Like Redis on amd64, it computes in x87 long double
// precision (see AddLongDouble), and checks in Redis's order: the type of
// the key, its value, then delta.
func (tx *Tx) IncrByFloat(key, delta []byte) ([]byte, error) {
	m, err := tx.str(key)
	if err != nil {
		return nil, err
	}
	cur := new(big.Float)
	if m != nil {
		var ok bool
		if cur, ok = ParseLongDouble(m.Value); !ok {
			return nil, ErrNotFloat
		}
	}
	d, ok := ParseLongDouble(delta)
	if !ok {
		return nil, ErrNotFloat
	}
	sum, ok := AddLongDouble(cur, d)
	if !ok {
		return nil, ErrNaN
	}
	v := []byte(FormatLongDouble(sum))
	return v, tx.updateString(key, m, v, encNotInt)
}

// Redis computes INCRBYFLOAT and HINCRBYFLOAT in C long double, which on
// amd64 is the x87 extended format: a 64-bit mantissa and a binary exponent
// up to 16383. A big.Float of 64 bits of precision rounds the same way.
const (
	longDoublePrec   = 64
	longDoubleMaxExp = 16384  // |x| < 2^16384
	longDoubleMinExp = -16445 // the smallest denormal is 2^-16445
	maxLongDoubleLen = 5 * 1024
)

// ParseLongDouble parses a number as Redis's string2ld (C strtold) does:
// decimal or hexadecimal notation, an optional sign, inf and infinity; no
// spaces, no NaN, nothing out of the long double range.
func ParseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= maxLongDoubleLen || bytes.ContainsAny(b, "_ \t\n\r\v\f") {
		return nil, false
	}
	s := strings.ToLower(string(b))
	u := strings.TrimPrefix(strings.TrimPrefix(s, "+"), "-")
	if len(u) < len(s)-1 {
		return nil, false
	}
	if u == "inf" || u == "infinity" {
		return new(big.Float).SetInf(s[0] == '-'), true
	}
	base := 10
	if strings.HasPrefix(u, "0x") {
		base = 0 // hexadecimal mantissa, binary 'p' exponent
	} else if strings.ContainsAny(u, "pi") {
		return nil, false
	}
	f, _, err := new(big.Float).SetPrec(longDoublePrec).Parse(s, base)
	if err != nil || f.IsInf() {
		return nil, false
	}
	if exp := f.MantExp(nil); f.Sign() != 0 && (exp > longDoubleMaxExp || exp <= longDoubleMinExp-1) {
		return nil, false // overflows to inf or underflows to zero
	}
	return f, true
}

// AddLongDouble returns a+b in long double arithmetic; false when the sum
// is infinite or not a number.
func AddLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	sum := new(big.Float).SetPrec(longDoublePrec).Add(a, b)
	if sum.Sign() != 0 && sum.MantExp(nil) > longDoubleMaxExp {
		return nil, false
	}
	return sum, true
}

// FormatLongDouble renders f as Redis stores an INCRBYFLOAT result:
// printf("%.17Lf") without trailing zeros.
func FormatLongDouble(f *big.Float) string {
	s := f.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// clampRange turns Redis's inclusive, possibly negative [start, end] into
// a half-open range over a sequence of n items; empty when lo >= hi.
func clampRange(start, end, n int64) (lo, hi int64) {
	if start < 0 {
		start = max(n+start, 0)
	}
	if end < 0 {
		end += n
	}
	end = min(end, n-1)
	if start > end || start >= n {
		return 0, 0
	}
	return start, end + 1
}

// stringRange converts the inclusive, possibly negative [start, end] of
// GETRANGE, BITCOUNT and BITPOS over n items into a half-open range, empty
// when lo >= hi. Unlike list ranges, an end before the first item clamps
// to the first item. bothNegative applies the shortcut of GETRANGE and
// BITCOUNT: two negative indexes in reverse order select nothing.
func stringRange(start, end, n int64, bothNegative bool) (lo, hi int64) {
	if bothNegative && start < 0 && end < 0 && start > end {
		return 0, 0
	}
	if start < 0 {
		start = max(n+start, 0)
	}
	if end < 0 {
		end = max(n+end, 0)
	}
	end = min(end, n-1)
	if start > end {
		return 0, 0
	}
	return start, end + 1
}

// GetRange returns the substring [start, end] of a string.
func (tx *Tx) GetRange(key []byte, start, end int64) ([]byte, error) {
	v, err := tx.Get(key)
	if err != nil {
		return nil, err
	}
	lo, hi := stringRange(start, end, int64(len(v)), true)
	return v[lo:hi], nil
}

// SetRange overwrites part of a string at offset, padding with zero bytes,
// and returns the new length, which may be at most limit.
func (tx *Tx) SetRange(key []byte, offset int64, value []byte, limit int64) (int64, error) {
	m, err := tx.str(key)
	if err != nil {
		return 0, err
	}
	var cur []byte
	if m != nil {
		cur = m.Value
	}
	if len(value) == 0 {
		return int64(len(cur)), nil
	}
	if offset > limit-int64(len(value)) {
		return 0, ErrStringTooBig
	}
	n := max(int64(len(cur)), offset+int64(len(value)))
	nv := make([]byte, n)
	copy(nv, cur)
	copy(nv[offset:], value)
	return n, tx.updateString(key, m, nv, encRaw)
}

// SetBit sets the bit at offset and returns its old value.
func (tx *Tx) SetBit(key []byte, offset int64, bit byte) (int64, error) {
	m, err := tx.str(key)
	if err != nil {
		return 0, err
	}
	var cur []byte
	if m != nil {
		cur = m.Value
	}
	idx := offset >> 3
	nv := make([]byte, max(int64(len(cur)), idx+1))
	copy(nv, cur)
	mask := byte(1) << (7 - uint(offset&7))
	old := int64(0)
	if nv[idx]&mask != 0 {
		old = 1
	}
	if bit == 1 {
		nv[idx] |= mask
	} else {
		nv[idx] &^= mask
	}
	return old, tx.updateString(key, m, nv, encRaw)
}

// GetBit returns the bit at offset.
func (tx *Tx) GetBit(key []byte, offset int64) (int64, error) {
	v, err := tx.Get(key)
	if err != nil {
		return 0, err
	}
	idx := offset >> 3
	if idx >= int64(len(v)) {
		return 0, nil
	}
	return int64(v[idx]>>(7-uint(offset&7))) & 1, nil
}

// bitRange turns BITCOUNT/BITPOS range arguments into a bit range
// [lo, hi) over a value of n bytes.
func bitRange(start, end int64, isBit bool, n int64, bothNegative bool) (lo, hi int64) {
	if isBit {
		return stringRange(start, end, n*8, bothNegative)
	}
	lo, hi = stringRange(start, end, n, bothNegative)
	return lo * 8, hi * 8
}

// BitCount counts set bits in [start, end] (bytes, or bits when isBit);
// whole is true when no range was given.
func (tx *Tx) BitCount(key []byte, start, end int64, isBit, whole bool) (int64, error) {
	v, err := tx.Get(key)
	if err != nil {
		return 0, err
	}
	if whole {
		start, end, isBit = 0, -1, false
	}
	lo, hi := bitRange(start, end, isBit, int64(len(v)), true)
	var n int64
	for i := lo; i < hi; {
		if i&7 == 0 && hi-i >= 8 {
			n += int64(bits.OnesCount8(v[i>>3]))
			i += 8
			continue
		}
		n += int64(v[i>>3]>>(7-uint(i&7))) & 1
		i++
	}
	return n, nil
}

// BitPos returns the first bit equal to bit in the range, as Redis does.
func (tx *Tx) BitPos(key []byte, bit byte, start, end int64, isBit, hasStart, hasEnd bool) (int64, error) {
	m, err := tx.str(key)
	if err != nil {
		return 0, err
	}
	if m == nil {
		if bit == 1 {
			return -1, nil
		}
		return 0, nil
	}
	v := m.Value
	if !hasStart {
		start = 0
	}
	if !hasEnd {
		end = -1
	}
	lo, hi := bitRange(start, end, isBit, int64(len(v)), false)
	if lo >= hi {
		return -1, nil
	}
	for i := lo; i < hi; i++ {
		if (v[i>>3]>>(7-uint(i&7)))&1 == bit {
			return i, nil
		}
	}
	if bit == 0 && !hasEnd {
		// Looking for a clear bit past the end of the string: Redis
		// considers the bits after the value cleared.
		return hi, nil
	}
	return -1, nil
}

// BitOp computes op (AND OR XOR NOT) over the source keys into dst and
// returns the length of the result.
func (tx *Tx) BitOp(op string, dst []byte, srcs [][]byte) (int64, error) {
	vals := make([][]byte, len(srcs))
	maxLen := 0
	for i, k := range srcs {
		v, err := tx.Get(k)
		if err != nil {
			return 0, err
		}
		vals[i] = v
		maxLen = max(maxLen, len(v))
	}
	out := make([]byte, maxLen)
	for i := range out {
		at := func(j int) byte {
			if i < len(vals[j]) {
				return vals[j][i]
			}
			return 0
		}
		b := at(0)
		for j := 1; j < len(vals); j++ {
			switch op {
			case "AND":
				b &= at(j)
			case "OR":
				b |= at(j)
			case "XOR":
				b ^= at(j)
			}
		}
		if op == "NOT" {
			b = ^b
		}
		out[i] = b
	}
	if maxLen == 0 {
		_, err := tx.Del(dst)
		return 0, err
	}
	return int64(maxLen), tx.replace(dst, &encoding.Meta{Type: encoding.TypeString, Value: out, Raw: true})
}

// MGet returns the values of keys; nil for missing keys and non-strings.
func (tx *Tx) MGet(keys [][]byte) ([][]byte, error) {
	out := make([][]byte, len(keys))
	for i, k := range keys {
		m, err := tx.meta(k)
		if err != nil {
			return nil, err
		}
		if m != nil && m.Type == encoding.TypeString {
			out[i] = m.Value
		}
	}
	return out, nil
}

// MSet sets key/value pairs; with nx it sets none unless no key exists,
// and reports whether it set them.
func (tx *Tx) MSet(pairs [][]byte, nx bool) (bool, error) {
	if nx {
		for i := 0; i < len(pairs); i += 2 {
			m, err := tx.meta(pairs[i])
			if err != nil || m != nil {
				return false, err
			}
		}
	}
	for i := 0; i < len(pairs); i += 2 {
		if err := tx.replace(pairs[i], &encoding.Meta{Type: encoding.TypeString, Value: pairs[i+1]}); err != nil {
			return false, err
		}
	}
	return true, nil
}
