package encoding

import (
	"encoding/binary"
	"fmt"
)

// Type is the Redis type of a key.
type Type byte

// The six Redis types titan stores.
const (
	TypeString Type = 1
	TypeHash   Type = 2
	TypeList   Type = 3
	TypeSet    Type = 4
	TypeZSet   Type = 5
	TypeStream Type = 6
)

// String returns the name TYPE replies with.
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeHash:
		return "hash"
	case TypeList:
		return "list"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	case TypeStream:
		return "stream"
	}
	return "none"
}

// IsCollection reports whether elements of t live under an object id.
func (t Type) IsCollection() bool { return t >= TypeHash && t <= TypeStream }

// HasObject reports whether the key's data lives under m.Object: a
// collection's elements or a chunked string's chunks.
func (m *Meta) HasObject() bool { return m.Type.IsCollection() || m.Chunked }

const (
	flagSparse = 1 << 0 // list positions are not evenly spaced
	flagRaw    = 1 << 1 // a string changed in place (OBJECT ENCODING raw)
	flagNotInt = 1 << 2 // a string Redis never encodes as an integer
	flagChunk  = 1 << 3 // a string stored in chunks under an object id

	metaHeaderLen     = 1 + 1 + 8 + 8
	collectionMetaLen = metaHeaderLen + ObjectIDLen + 8
	listMetaLen       = collectionMetaLen + 8 + 8
	streamMetaLen     = collectionMetaLen + streamMetaExtra
)

// Meta is the metadata of one user key: its type, expiry, version and, for
// strings, the value itself; for collections, the object that holds the
// elements and the element count.
type Meta struct {
	Type Type
	// ExpireAt is the unix time in milliseconds at which the key expires,
	// 0 when it has no TTL.
	ExpireAt int64
	// Version changes on every write of the key (it is the writing
	// transaction's start timestamp), so WATCH can detect any change.
	Version uint64

	// Value is the value of a string.
	Value []byte
	// Raw is set on a string changed in place (APPEND, SETRANGE, SETBIT,
	// BITOP), which Redis keeps in its raw encoding whatever the value.
	Raw bool
	// NotInt is set on a string Redis stores without trying the integer
	// encoding (INCRBYFLOAT results).
	NotInt bool
	// Chunked is set on a string longer than StringChunkSize: its value
	// is not in the metadata but in chunks under Object (see
	// StringChunkSub), and Count is its length in bytes.
	Chunked bool

	// Object holds a collection's elements.
	Object ObjectID
	// Count is the number of elements of a collection.
	Count int64
	// Head and Tail are the positions of a list's first and last elements.
	Head, Tail uint64
	// Sparse is set once a list's positions are no longer Head + i*ListGap.
	Sparse bool
	// Stream is a stream's IDs and counters (Count is its length).
	Stream StreamMeta
}

// Expired reports whether the key is expired at unix millisecond now.
func (m *Meta) Expired(now int64) bool { return m.ExpireAt != 0 && m.ExpireAt <= now }

// EncodeMeta serialises m.
func EncodeMeta(m *Meta) []byte {
	n := metaHeaderLen
	switch {
	case m.Type == TypeString && !m.Chunked:
		n += len(m.Value)
	case m.Type == TypeList:
		n = listMetaLen
	case m.Type == TypeStream:
		n = streamMetaLen
	default:
		n = collectionMetaLen
	}
	b := make([]byte, 0, n)
	var flags byte
	if m.Sparse {
		flags |= flagSparse
	}
	if m.Raw {
		flags |= flagRaw
	}
	if m.NotInt {
		flags |= flagNotInt
	}
	if m.Chunked {
		flags |= flagChunk
	}
	b = append(b, byte(m.Type), flags)
	b = binary.BigEndian.AppendUint64(b, uint64(m.ExpireAt))
	b = binary.BigEndian.AppendUint64(b, m.Version)
	if m.Type == TypeString && !m.Chunked {
		return append(b, m.Value...)
	}
	b = append(b, m.Object[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(m.Count))
	if m.Type == TypeList {
		b = binary.BigEndian.AppendUint64(b, m.Head)
		b = binary.BigEndian.AppendUint64(b, m.Tail)
	}
	if m.Type == TypeStream {
		b = appendStreamMeta(b, &m.Stream)
	}
	return b
}

// MetaType returns the type of the metadata value b (0 for nil), without
// decoding the rest.
func MetaType(b []byte) Type {
	if len(b) == 0 {
		return 0
	}
	return Type(b[0])
}

// DecodeMeta parses a value written by EncodeMeta. A string's Value aliases b.
func DecodeMeta(b []byte) (*Meta, error) {
	if len(b) < metaHeaderLen {
		return nil, fmt.Errorf("meta of %d bytes: %w", len(b), ErrMalformed)
	}
	if b[1]&^(flagSparse|flagRaw|flagNotInt|flagChunk) != 0 {
		return nil, fmt.Errorf("meta flags %#x: %w", b[1], ErrMalformed)
	}
	m := &Meta{
		Type:     Type(b[0]),
		Sparse:   b[1]&flagSparse != 0,
		Raw:      b[1]&flagRaw != 0,
		NotInt:   b[1]&flagNotInt != 0,
		Chunked:  b[1]&flagChunk != 0,
		ExpireAt: int64(binary.BigEndian.Uint64(b[2:])),
		Version:  binary.BigEndian.Uint64(b[10:]),
	}
	rest := b[metaHeaderLen:]
	switch {
	case m.Type == TypeString && !m.Chunked:
		m.Value = rest
		return m, nil
	case m.Type != TypeString && !m.Type.IsCollection(), m.Chunked && m.Type != TypeString:
		return nil, fmt.Errorf("meta type %d flags %#x: %w", b[0], b[1], ErrMalformed)
	}
	want := collectionMetaLen - metaHeaderLen
	switch m.Type {
	case TypeList:
		want = listMetaLen - metaHeaderLen
	case TypeStream:
		want = streamMetaLen - metaHeaderLen
	}
	if len(rest) != want {
		return nil, fmt.Errorf("%s meta of %d bytes: %w", m.Type, len(b), ErrMalformed)
	}
	copy(m.Object[:], rest)
	m.Count = int64(binary.BigEndian.Uint64(rest[ObjectIDLen:]))
	if m.Type == TypeList {
		m.Head = binary.BigEndian.Uint64(rest[ObjectIDLen+8:])
		m.Tail = binary.BigEndian.Uint64(rest[ObjectIDLen+16:])
	}
	if m.Type == TypeStream {
		m.Stream = decodeStreamMeta(rest[ObjectIDLen+8:])
	}
	return m, nil
}
