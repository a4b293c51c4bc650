package db

import (
	"math/big"
	"strconv"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/parse"
)

// MaxStringLen bounds a string value, as Redis's proto-max-bulk-len
// (512MB) does. Strings longer than encoding.StringChunkSize are stored in
// chunks (strings_chunks.go), so no store entry comes near TiKV's raft
// entry limit. Commands that would build a longer string fail with Redis's
// "string exceeds maximum allowed size".
const MaxStringLen = 512 << 20

// String is the string stored at one key, as one transaction sees it.
type String struct {
	tx  *Tx
	key []byte
}

// String returns the view of the string at key in the transaction's
// current database.
func (tx *Tx) String(key []byte) String { return String{tx: tx, key: key} }

// meta returns the string's metadata (which holds its value), nil when the
// key is missing, ErrWrongType when it holds another type.
func (s String) meta() (*encoding.Meta, error) {
	return s.tx.typedMeta(s.key, encoding.TypeString)
}

// Exists reports whether the key holds a string; it fails with
// ErrWrongType when the key holds another type.
func (s String) Exists() (bool, error) {
	m, err := s.meta()
	return m != nil, err
}

// value returns the string's metadata and value, nil when the key is
// missing.
func (s String) value() (*encoding.Meta, []byte, error) {
	m, err := s.meta()
	if err != nil || m == nil {
		return nil, nil, err
	}
	v, err := s.tx.readString(m)
	return m, v, err
}

// Get returns the value, nil when the key is missing.
func (s String) Get() ([]byte, error) {
	_, v, err := s.value()
	return v, err
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

// Set stores value under o, replacing whatever the key held.
func (s String) Set(value []byte, o SetOptions) (SetResult, error) {
	tx := s.tx
	var r SetResult
	old, err := tx.meta(s.key)
	if err != nil {
		return r, err
	}
	r.Existed = old != nil
	if o.Get && old != nil {
		if old.Type != encoding.TypeString {
			return r, ErrWrongType
		}
		if r.Old, err = tx.readString(old); err != nil {
			return r, err
		}
	}
	if (o.NX && old != nil) || (o.XX && old == nil) {
		return r, nil
	}
	m := &encoding.Meta{Type: encoding.TypeString, ExpireAt: o.ExpireAt}
	if err := tx.setValue(m, value); err != nil {
		return r, err
	}
	if o.KeepTTL && old != nil {
		m.ExpireAt = old.ExpireAt
	}
	if o.ExpireAt != 0 && o.ExpireAt <= tx.now {
		// Redis accepts an expiry in the past and the key is gone at once;
		// the chunks of a long value just written go to the collector.
		r.Written = true
		if err := tx.dropObject(m); err != nil {
			return r, err
		}
		if old != nil {
			return r, tx.deleteKey(s.key, old)
		}
		return r, nil
	}
	r.Written = true
	return r, tx.replace(s.key, m)
}

// GetDel returns the value and deletes the key.
func (s String) GetDel() ([]byte, error) {
	m, v, err := s.value()
	if err != nil || m == nil {
		return nil, err
	}
	return v, s.tx.deleteKey(s.key, m)
}

// GetEx returns the value and changes the key's expiry: expireAt > 0 sets
// it, persist removes it, otherwise it is kept.
func (s String) GetEx(expireAt int64, persist bool) ([]byte, error) {
	tx := s.tx
	m, v, err := s.value()
	if err != nil || m == nil {
		return nil, err
	}
	switch {
	case expireAt > 0 && expireAt <= tx.now:
		return v, tx.deleteKey(s.key, m)
	case expireAt > 0:
		prev := m.ExpireAt
		m.ExpireAt = expireAt
		return v, tx.putMeta(s.key, m, prev)
	case persist && m.ExpireAt != 0:
		m.ExpireAt = 0
		return v, tx.putMeta(s.key, m, 0)
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

// update writes a new value keeping the key's expiry; m is the string's
// metadata or nil when the key is new.
func (s String) update(m *encoding.Meta, value []byte, enc strEnc) error {
	if len(value) > MaxStringLen {
		return ErrStringTooBig
	}
	nm := &encoding.Meta{Type: encoding.TypeString, Raw: enc == encRaw, NotInt: enc == encNotInt}
	if m != nil {
		nm.ExpireAt = m.ExpireAt
	}
	if err := s.tx.setValue(nm, value); err != nil {
		return err
	}
	return s.tx.replace(s.key, nm)
}

// Append appends value and returns the new length; the result may be at
// most limit bytes long.
func (s String) Append(value []byte, limit int64) (int64, error) {
	m, err := s.meta()
	if err != nil {
		return 0, err
	}
	if m == nil {
		// A new key holds value as SET would store it.
		return int64(len(value)), s.update(nil, value, encByValue)
	}
	n := strLen(m)
	if n+int64(len(value)) > limit {
		return 0, ErrStringTooBig
	}
	if m.Chunked {
		// Only the last chunk and the new ones are written.
		m.Raw = true
		if err := s.tx.writeAt(m, n, value); err != nil {
			return 0, err
		}
		return m.Count, s.tx.putMeta(s.key, m, m.ExpireAt)
	}
	nv := make([]byte, 0, len(m.Value)+len(value))
	nv = append(append(nv, m.Value...), value...)
	return int64(len(nv)), s.update(m, nv, encRaw)
}

// Len returns the length of the value, 0 when the key is missing. It
// reads the metadata only.
func (s String) Len() (int64, error) {
	m, err := s.meta()
	if err != nil || m == nil {
		return 0, err
	}
	return strLen(m), nil
}

// IncrBy adds delta to the integer the string holds and returns the result.
func (s String) IncrBy(delta int64) (int64, error) {
	m, err := s.meta()
	if err != nil {
		return 0, err
	}
	var cur int64
	if m != nil {
		var ok bool
		if cur, ok = parse.Int(m.Value); !ok {
			return 0, ErrNotInteger
		}
	}
	n, overflow := addInt64(cur, delta)
	if overflow {
		return 0, ErrOverflow
	}
	return n, s.update(m, strconv.AppendInt(nil, n, 10), encByValue)
}

// addInt64 returns a+b and whether the sum overflowed.
func addInt64(a, b int64) (int64, bool) {
	sum := a + b
	return sum, (a > 0 && b > 0 && sum < 0) || (a < 0 && b < 0 && sum >= 0)
}

// IncrByFloat adds delta to the number the string holds and returns the
// new value as stored. Like Redis on amd64, it computes in x87 long double
// precision (see parse.AddLongDouble), and checks in Redis's order: the
// type of the key, its value, then delta.
func (s String) IncrByFloat(delta []byte) ([]byte, error) {
	m, err := s.meta()
	if err != nil {
		return nil, err
	}
	cur := new(big.Float)
	if m != nil {
		var ok bool
		if cur, ok = parse.LongDouble(m.Value); !ok {
			return nil, ErrNotFloat
		}
	}
	d, ok := parse.LongDouble(delta)
	if !ok {
		return nil, ErrNotFloat
	}
	sum, ok := parse.AddLongDouble(cur, d)
	if !ok {
		return nil, ErrNaN
	}
	v := []byte(parse.FormatLongDouble(sum))
	return v, s.update(m, v, encNotInt)
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

// GetRange returns the substring [start, end] of the value, reading only
// the chunks that hold it.
func (s String) GetRange(start, end int64) ([]byte, error) {
	m, err := s.meta()
	if err != nil || m == nil {
		return []byte{}, err
	}
	lo, hi := stringRange(start, end, strLen(m), true)
	if lo >= hi {
		return []byte{}, nil
	}
	return s.tx.readRange(m, lo, hi)
}

// SetRange overwrites part of the value at offset, padding with zero
// bytes, and returns the new length, which may be at most limit.
func (s String) SetRange(offset int64, value []byte, limit int64) (int64, error) {
	m, err := s.meta()
	if err != nil {
		return 0, err
	}
	var n int64
	if m != nil {
		n = strLen(m)
	}
	if len(value) == 0 {
		return n, nil
	}
	if offset > limit-int64(len(value)) {
		return 0, ErrStringTooBig
	}
	if m != nil && m.Chunked {
		// Only the chunks the new bytes (and the zero padding before
		// them) fall in are written.
		pos, data := offset, value
		if offset > n {
			pos, data = n, append(make([]byte, offset-n, offset-n+int64(len(value))), value...)
		}
		m.Raw = true
		if err := s.tx.writeAt(m, pos, data); err != nil {
			return 0, err
		}
		return m.Count, s.tx.putMeta(s.key, m, m.ExpireAt)
	}
	var cur []byte
	if m != nil {
		cur = m.Value
	}
	nv := grown(cur, offset+int64(len(value)))
	copy(nv[offset:], value)
	return int64(len(nv)), s.update(m, nv, encRaw)
}

// grown returns a copy of cur at least n bytes long, padded with zero
// bytes.
func grown(cur []byte, n int64) []byte {
	nv := make([]byte, max(int64(len(cur)), n))
	copy(nv, cur)
	return nv
}

// Strings are the strings stored at several keys, as one transaction sees
// them: MGET, MSET, MSETNX and the sources of BITOP.
type Strings struct {
	tx   *Tx
	keys [][]byte
}

// Strings returns the view of the strings at keys in the transaction's
// current database.
func (tx *Tx) Strings(keys [][]byte) Strings { return Strings{tx: tx, keys: keys} }

// Get returns the values of the keys; nil for missing keys and for keys
// holding another type.
func (ss Strings) Get() ([][]byte, error) {
	out := make([][]byte, len(ss.keys))
	for i, k := range ss.keys {
		m, err := ss.tx.meta(k)
		if err != nil {
			return nil, err
		}
		if m != nil && m.Type == encoding.TypeString {
			if out[i], err = ss.tx.readString(m); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Set stores values[i] at keys[i], replacing whatever the keys held; with
// nx it sets none unless no key exists, and reports whether it set them.
func (ss Strings) Set(values [][]byte, nx bool) (bool, error) {
	tx := ss.tx
	if nx {
		for _, k := range ss.keys {
			m, err := tx.meta(k)
			if err != nil || m != nil {
				return false, err
			}
		}
	}
	for i, k := range ss.keys {
		m := &encoding.Meta{Type: encoding.TypeString}
		if err := tx.setValue(m, values[i]); err != nil {
			return false, err
		}
		if err := tx.replace(k, m); err != nil {
			return false, err
		}
	}
	return true, nil
}
