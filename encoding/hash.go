package encoding

import (
	"encoding/binary"
	"fmt"
)

// Hash fields and set members ("elements") are stored one TiKV key each,
// under their object, as
//
//	<tag> <8-byte mix of the element> <element>
//
// The 8-byte prefix spreads the elements evenly over the key space whatever
// their bytes, so that the entries after a random point of [tag 00..,
// tag ff..] are a fair random pick: this is how HRANDFIELD, SRANDMEMBER and
// SPOP sample without reading the collection (db/sample.go).
// Two elements with the same mix still have distinct keys, ordered by the
// element bytes.
const (
	hashFieldTag = 'f'
	setMemberTag = 'm'

	elemMixLen = 8
)

// HashFieldSub is the sub key of field in a hash object.
func HashFieldSub(field []byte) []byte { return elemSub(hashFieldTag, field) }

// HashFieldPrefix is the sub-key prefix of every field of a hash object.
func HashFieldPrefix() []byte { return []byte{hashFieldTag} }

// DecodeHashFieldSub returns the field of a hash sub key.
func DecodeHashFieldSub(sub []byte) ([]byte, error) { return decodeElemSub(hashFieldTag, sub) }

// SetMemberSub is the sub key of member in a set object.
func SetMemberSub(member []byte) []byte { return elemSub(setMemberTag, member) }

// SetMemberPrefix is the sub-key prefix of every member of a set object.
func SetMemberPrefix() []byte { return []byte{setMemberTag} }

// DecodeSetMemberSub returns the member of a set sub key.
func DecodeSetMemberSub(sub []byte) ([]byte, error) { return decodeElemSub(setMemberTag, sub) }

func elemSub(tag byte, elem []byte) []byte {
	b := make([]byte, 0, 1+elemMixLen+len(elem))
	b = append(b, tag)
	b = binary.BigEndian.AppendUint64(b, ElemMix(elem))
	return append(b, elem...)
}

func decodeElemSub(tag byte, sub []byte) ([]byte, error) {
	if len(sub) < 1+elemMixLen || sub[0] != tag {
		return nil, fmt.Errorf("element key %q: %w", sub, ErrMalformed)
	}
	elem := sub[1+elemMixLen:]
	if binary.BigEndian.Uint64(sub[1:]) != ElemMix(elem) {
		return nil, fmt.Errorf("element key %q: bad mix: %w", sub, ErrMalformed)
	}
	return elem, nil
}

// ElemMix is a stable 64-bit hash of an element: FNV-1a followed by the
// murmur3 finaliser, so that elements differing in one byte land far
// apart. It is part of the stored layout and must never change.
func ElemMix(b []byte) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for _, c := range b {
		h ^= uint64(c)
		h *= prime
	}
	h ^= uint64(len(b))
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// EncodeHashValue encodes a hash field's value so that every value,
// including the empty one (which TiKV cannot store), round-trips: a value
// that is empty or starts with a zero byte gets one zero byte in front;
// any other value is stored as it is.
func EncodeHashValue(v []byte) []byte {
	if len(v) > 0 && v[0] != 0 {
		return v
	}
	b := make([]byte, 0, 1+len(v))
	b = append(b, 0)
	return append(b, v...)
}

// DecodeHashValue inverts EncodeHashValue. The result aliases b.
func DecodeHashValue(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("hash value of 0 bytes: %w", ErrMalformed)
	}
	if b[0] != 0 {
		return b, nil
	}
	if len(b) > 1 && b[1] != 0 {
		return nil, fmt.Errorf("hash value %q: needless escape: %w", b, ErrMalformed)
	}
	return b[1:], nil
}
