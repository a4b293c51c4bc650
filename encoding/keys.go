// Package encoding defines every byte layout titan stores in TiKV: the key
// space (namespace, database, user key, object data), object metadata, and
// the value codecs for scores, list positions and counters. It is pure: no
// I/O, no clocks, no TiKV types.
//
// Key space, for a namespace "ns" (see docs/ARCHITECTURE.md):
//
//	ns:M <db uint16> <user key>            metadata of one user key
//	ns:D <object id 12B> <sub key>         element data of a collection object
//	ns:E <expire-at ms uint64> <db uint16> <user key>   expiry index entry
//	ns:G <object id 12B> [sub]              object (or the part of it under
//	                                        a sub-key prefix, or a stream trim's
//	                                        entries: GCSpan) waiting for the collector
//	ns:S <name>                             system keys (leases, safe point)
//	ns:C <minute uint32> <id uint32>        SCAN cursor record (shared.go)
//	ns:N <db uint16> <shard uint8>          key counter shard (shared.go)
//
// Every integer is big-endian so that byte order equals numeric order.
package encoding

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Key-space tags, the byte after "ns:".
const (
	tagMeta   = 'M'
	tagData   = 'D'
	tagExpire = 'E'
	tagGC     = 'G'
	tagSystem = 'S'
)

// ObjectIDLen is the length of an object id: the creating transaction's
// start timestamp followed by a per-transaction sequence number.
const ObjectIDLen = 12

// ObjectID names one collection object. Element keys live under it so that
// dropping an object is O(1) and its elements are reclaimed later.
type ObjectID [ObjectIDLen]byte

// NewObjectID builds the id for the seq-th object created by the
// transaction that started at startTS.
func NewObjectID(startTS uint64, seq uint32) ObjectID {
	var id ObjectID
	binary.BigEndian.PutUint64(id[:8], startTS)
	binary.BigEndian.PutUint32(id[8:], seq)
	return id
}

// String renders the id in hex, for logs.
func (id ObjectID) String() string { return fmt.Sprintf("%x", id[:]) }

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("malformed encoding")

// Keys builds the keys of one namespace. The zero value is not usable; use
// NewKeys.
type Keys struct {
	prefix []byte // "ns:"
}

// NewKeys returns the key builder for namespace ns.
func NewKeys(ns string) Keys {
	return Keys{prefix: []byte(ns + ":")}
}

func (k Keys) with(tag byte, extra int) []byte {
	b := make([]byte, 0, len(k.prefix)+1+extra)
	b = append(b, k.prefix...)
	return append(b, tag)
}

// Meta returns the metadata key of user key key in database db.
func (k Keys) Meta(db uint16, key []byte) []byte {
	b := k.with(tagMeta, 2+len(key))
	b = binary.BigEndian.AppendUint16(b, db)
	return append(b, key...)
}

// MetaPrefix returns the prefix shared by every metadata key of database db.
func (k Keys) MetaPrefix(db uint16) []byte {
	return binary.BigEndian.AppendUint16(k.with(tagMeta, 2), db)
}

// MetaUserKey returns the user key of a metadata key of database db.
func (k Keys) MetaUserKey(db uint16, metaKey []byte) ([]byte, error) {
	p := k.MetaPrefix(db)
	if len(metaKey) < len(p) || string(metaKey[:len(p)]) != string(p) {
		return nil, fmt.Errorf("meta key %q outside db %d: %w", metaKey, db, ErrMalformed)
	}
	return metaKey[len(p):], nil
}

// Data returns the key of element sub of object id.
func (k Keys) Data(id ObjectID, sub []byte) []byte {
	b := k.with(tagData, ObjectIDLen+len(sub))
	b = append(b, id[:]...)
	return append(b, sub...)
}

// DataPrefix returns the prefix of every element key of object id.
func (k Keys) DataPrefix(id ObjectID) []byte { return k.Data(id, nil) }

// DataSub returns the sub key of a data key of object id.
func (k Keys) DataSub(id ObjectID, dataKey []byte) []byte {
	return dataKey[len(k.prefix)+1+ObjectIDLen:]
}

// Expire returns the expiry index entry for user key key of database db
// expiring at unix millisecond at.
func (k Keys) Expire(at int64, db uint16, key []byte) []byte {
	b := k.with(tagExpire, 10+len(key))
	b = binary.BigEndian.AppendUint64(b, uint64(at))
	b = binary.BigEndian.AppendUint16(b, db)
	return append(b, key...)
}

// ExpirePrefix returns the prefix of every expiry index entry.
func (k Keys) ExpirePrefix() []byte { return k.with(tagExpire, 0) }

// ExpireUntil returns the end bound of index entries expiring before unix
// millisecond at (exclusive).
func (k Keys) ExpireUntil(at int64) []byte {
	return binary.BigEndian.AppendUint64(k.with(tagExpire, 8), uint64(at))
}

// DecodeExpire splits an expiry index entry.
func (k Keys) DecodeExpire(entry []byte) (at int64, db uint16, key []byte, err error) {
	n := len(k.prefix) + 1
	if len(entry) < n+10 || entry[n-1] != tagExpire {
		return 0, 0, nil, fmt.Errorf("expire entry %q: %w", entry, ErrMalformed)
	}
	at = int64(binary.BigEndian.Uint64(entry[n:]))
	db = binary.BigEndian.Uint16(entry[n+8:])
	return at, db, entry[n+10:], nil
}

// GC returns the collector queue entry of object id.
func (k Keys) GC(id ObjectID) []byte {
	return append(k.with(tagGC, ObjectIDLen), id[:]...)
}

// GCPrefix returns the prefix of every collector queue entry.
func (k Keys) GCPrefix() []byte { return k.with(tagGC, 0) }

// GCPart returns the collector queue entry of the keys of object id
// under the sub-key prefix sub (a destroyed stream consumer group).
func (k Keys) GCPart(id ObjectID, sub []byte) []byte {
	return append(k.GC(id), sub...)
}

// DecodeGC returns the object id of a collector queue entry and the
// sub-key prefix it is limited to (nil: the whole object).
func (k Keys) DecodeGC(entry []byte) (ObjectID, []byte, error) {
	var id ObjectID
	n := len(k.prefix) + 1
	if len(entry) < n+ObjectIDLen || entry[n-1] != tagGC {
		return id, nil, fmt.Errorf("gc entry %q: %w", entry, ErrMalformed)
	}
	copy(id[:], entry[n:])
	if sub := entry[n+ObjectIDLen:]; len(sub) > 0 {
		return id, sub, nil
	}
	return id, nil, nil
}

// System returns the system key name.
func (k Keys) System(name string) []byte {
	return append(k.with(tagSystem, len(name)), name...)
}

// PrefixEnd returns the smallest key greater than every key with prefix p,
// the exclusive upper bound of a prefix scan.
func PrefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil // p is all 0xff: no upper bound
}
