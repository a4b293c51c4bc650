package encoding

import (
	"encoding/binary"
	"fmt"
)

// Shared state every titan process reads from the store: SCAN cursors and
// the sharded key counters.
//
//	ns:C <minute uint32> <id uint32>    SCAN-family cursor record
//	ns:N <db uint16> <shard uint8>      key counter shard of one database
//	ns:n <db uint16> <shard uint8>      index of the counter shards that exist

// Key-space tags of shared state.
const (
	tagCursor       = 'C'
	tagCounter      = 'N'
	tagCounterIndex = 'n'
)

// CursorMinute returns the minute part of a cursor: the unix minute its
// record was written in, which orders the records by age.
func CursorMinute(cursor uint64) uint32 { return uint32(cursor >> 32) }

// MakeCursor returns the cursor handed out for a record written in unix
// minute minute with the random id id (not 0).
func MakeCursor(minute, id uint32) uint64 { return uint64(minute)<<32 | uint64(id) }

// Cursor returns the key of cursor's record.
func (k Keys) Cursor(cursor uint64) []byte {
	return binary.BigEndian.AppendUint64(k.with(tagCursor, 8), cursor)
}

// CursorUntil returns the end bound (exclusive) of the records written
// before unix minute minute.
func (k Keys) CursorUntil(minute uint32) []byte {
	return binary.BigEndian.AppendUint32(k.with(tagCursor, 4), minute)
}

// CursorPrefix returns the prefix of every cursor record.
func (k Keys) CursorPrefix() []byte { return k.with(tagCursor, 0) }

// DecodeCursorKey returns the cursor of a cursor record's key.
func (k Keys) DecodeCursorKey(key []byte) (uint64, error) {
	n := len(k.prefix) + 1
	if len(key) != n+8 || key[n-1] != tagCursor {
		return 0, fmt.Errorf("cursor key %q: %w", key, ErrMalformed)
	}
	return binary.BigEndian.Uint64(key[n:]), nil
}

// CursorRecord is where a scan resumes: the scope it belongs to (which
// scan of which key of which database) and the position in it.
type CursorRecord struct {
	// LastUse is the unix millisecond the cursor was handed out or last
	// resumed; the record lives for a TTL after it.
	LastUse int64
	// Scope names the scan: a command tag, the database and, for HSCAN,
	// SSCAN and ZSCAN, the key (CursorScope).
	Scope []byte
	// Pos is the position the scan resumes from.
	Pos []byte
}

// CursorScope returns the scope of a scan of kind ('k' SCAN, 'h' HSCAN,
// 's' SSCAN, 'z' ZSCAN) in database db, over key (nil for SCAN).
func CursorScope(kind byte, db uint16, key []byte) []byte {
	b := make([]byte, 0, 3+len(key))
	b = append(b, kind)
	b = binary.BigEndian.AppendUint16(b, db)
	return append(b, key...)
}

// EncodeCursorRecord encodes a cursor record: last use (8), scope length
// (4), scope, position.
func EncodeCursorRecord(r CursorRecord) []byte {
	b := make([]byte, 0, 12+len(r.Scope)+len(r.Pos))
	b = binary.BigEndian.AppendUint64(b, uint64(r.LastUse))
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Scope)))
	b = append(b, r.Scope...)
	return append(b, r.Pos...)
}

// DecodeCursorRecord decodes a cursor record; Scope and Pos alias b.
func DecodeCursorRecord(b []byte) (CursorRecord, error) {
	if len(b) < 12 {
		return CursorRecord{}, fmt.Errorf("cursor record of %d bytes: %w", len(b), ErrMalformed)
	}
	n := binary.BigEndian.Uint32(b[8:])
	if uint64(n) > uint64(len(b)-12) {
		return CursorRecord{}, fmt.Errorf("cursor scope of %d bytes: %w", n, ErrMalformed)
	}
	return CursorRecord{
		LastUse: int64(binary.BigEndian.Uint64(b)),
		Scope:   b[12 : 12+n],
		Pos:     b[12+n:],
	}, nil
}

// CounterShards is the number of key counter shards of a database;
// shard CounterShards (one more) is the repair shard, which only the
// background repair writes.
const CounterShards = 64

// Counter returns the key of counter shard shard of database db.
func (k Keys) Counter(db uint16, shard uint8) []byte {
	b := k.with(tagCounter, 3)
	b = binary.BigEndian.AppendUint16(b, db)
	return append(b, shard)
}

// CounterIndex returns the key of the index entry of counter shard shard
// of database db: written once, when the shard is first written, so one
// scan of the index over many databases finds the shards that exist
// without stepping over the shards' own MVCC versions.
func (k Keys) CounterIndex(db uint16, shard uint8) []byte {
	b := k.with(tagCounterIndex, 3)
	b = binary.BigEndian.AppendUint16(b, db)
	return append(b, shard)
}

// CounterIndexRange returns the range [from, to) of the counter index
// entries of databases lo to hi (inclusive).
func (k Keys) CounterIndexRange(lo, hi uint16) (from, to []byte) {
	from = binary.BigEndian.AppendUint16(k.with(tagCounterIndex, 2), lo)
	to = PrefixEnd(binary.BigEndian.AppendUint16(k.with(tagCounterIndex, 2), hi))
	return from, to
}

// DecodeCounterIndexKey returns the database and the shard of a counter
// index entry's key.
func (k Keys) DecodeCounterIndexKey(key []byte) (db uint16, shard uint8, err error) {
	n := len(k.prefix) + 1
	if len(key) != n+3 || key[n-1] != tagCounterIndex {
		return 0, 0, fmt.Errorf("counter index key %q: %w", key, ErrMalformed)
	}
	return binary.BigEndian.Uint16(key[n:]), key[n+2], nil
}

// Counts are the key counts of a database, or a change of them.
type Counts struct {
	// Keys is the number of metadata keys (expired ones included until
	// they are removed, as Redis's DBSIZE counts them).
	Keys int64
	// Expires is the number of keys with an expiry.
	Expires int64
	// ExpireSum is the sum of those keys' expiry times in unix seconds,
	// for INFO keyspace's avg_ttl.
	ExpireSum int64
}

// Add returns c + o.
func (c Counts) Add(o Counts) Counts {
	return Counts{Keys: c.Keys + o.Keys, Expires: c.Expires + o.Expires, ExpireSum: c.ExpireSum + o.ExpireSum}
}

// Sub returns c - o.
func (c Counts) Sub(o Counts) Counts {
	return Counts{Keys: c.Keys - o.Keys, Expires: c.Expires - o.Expires, ExpireSum: c.ExpireSum - o.ExpireSum}
}

// CountsOf returns what one key with metadata m adds to the counts (none
// for nil).
func CountsOf(m *Meta) Counts {
	if m == nil {
		return Counts{}
	}
	c := Counts{Keys: 1}
	if m.ExpireAt != 0 {
		c.Expires, c.ExpireSum = 1, m.ExpireAt/1000
	}
	return c
}

// EncodeCounts encodes a counter shard: keys, expires, expiry sum (8
// bytes each, two's complement).
func EncodeCounts(c Counts) []byte {
	b := make([]byte, 0, 24)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Keys))
	b = binary.BigEndian.AppendUint64(b, uint64(c.Expires))
	return binary.BigEndian.AppendUint64(b, uint64(c.ExpireSum))
}

// DecodeCounts decodes a counter shard; nil is all zero.
func DecodeCounts(b []byte) (Counts, error) {
	if b == nil {
		return Counts{}, nil
	}
	if len(b) != 24 {
		return Counts{}, fmt.Errorf("counter of %d bytes: %w", len(b), ErrMalformed)
	}
	return Counts{
		Keys:      int64(binary.BigEndian.Uint64(b)),
		Expires:   int64(binary.BigEndian.Uint64(b[8:])),
		ExpireSum: int64(binary.BigEndian.Uint64(b[16:])),
	}, nil
}
