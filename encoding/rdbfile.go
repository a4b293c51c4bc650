package encoding

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
)

// RDB file opcodes (rdb.h): what may stand before a key in a snapshot.
const (
	rdbOpFunction2  = 0xf5
	rdbOpIdle       = 0xf8
	rdbOpFreq       = 0xf9
	rdbOpAux        = 0xfa
	rdbOpResizeDB   = 0xfb
	rdbOpExpireMs   = 0xfc
	rdbOpExpireSecs = 0xfd
	rdbOpSelectDB   = 0xfe
	rdbOpEOF        = 0xff
)

// maxRDBFileVersion is the newest snapshot version WalkRDB reads (Redis
// 7.2); a value of a type it does not know stops the walk with an error.
const maxRDBFileVersion = 11

// RDBEntry is one key of an RDB snapshot.
type RDBEntry struct {
	// DB is the database the key is in.
	DB int
	// Key is the key's name.
	Key []byte
	// ExpireAt is the key's expiry in unix milliseconds, 0 for none.
	ExpireAt int64
	// Payload is the value as a DUMP payload (RESTORE's argument), in the
	// RDB version titan presents.
	Payload []byte
	// Value is the decoded value.
	Value *RDBValue
}

// WalkRDB calls fn for every key of an RDB snapshot (a SAVE file, or what
// a master sends a replica) in file order, and checks the file's checksum
// at the end. Auxiliary fields, functions and size hints are skipped; a
// module value, a stream or a type newer than Redis 7.2 ends the walk
// with an error naming the key.
func WalkRDB(data []byte, fn func(RDBEntry) error) error { return walkRDB(data, true, fn) }

// WalkRDBRaw is WalkRDB without decoding the values: each entry's Value
// is nil and its Payload is the value's bytes as they are in the file
// (with the DUMP footer), which RESTORE checks. It is several times
// faster on collections.
func WalkRDBRaw(data []byte, fn func(RDBEntry) error) error { return walkRDB(data, false, fn) }

func walkRDB(data []byte, decode bool, fn func(RDBEntry) error) error {
	if len(data) < 9 || !bytes.Equal(data[:5], []byte("REDIS")) {
		return fmt.Errorf("rdb: no REDIS header: %w", ErrBadDump)
	}
	version, err := strconv.Atoi(string(data[5:9]))
	if err != nil || version < 1 || version > maxRDBFileVersion {
		return fmt.Errorf("rdb: version %q not supported: %w", data[5:9], ErrBadDump)
	}
	r := &rdbReader{b: data[9:]}
	var e RDBEntry
	for r.err == nil && len(r.b) > 0 {
		op := r.b[0]
		if op < rdbOpFunction2 {
			if err := walkRDBKey(r, &e, decode, fn); err != nil {
				return err
			}
			e.ExpireAt = 0
			continue
		}
		r.b = r.b[1:]
		switch op {
		case rdbOpEOF:
			return checkRDBFooter(data, r.b, version)
		case rdbOpSelectDB:
			n, _ := r.length()
			e.DB = int(n)
		case rdbOpResizeDB:
			r.length()
			r.length()
		case rdbOpAux:
			r.str()
			r.str()
		case rdbOpFunction2:
			r.str()
		case rdbOpExpireMs:
			if b := r.take(8); b != nil {
				e.ExpireAt = int64(binary.LittleEndian.Uint64(b))
			}
		case rdbOpExpireSecs:
			if b := r.take(4); b != nil {
				e.ExpireAt = int64(binary.LittleEndian.Uint32(b)) * 1000
			}
		case rdbOpIdle:
			r.length()
		case rdbOpFreq:
			r.byte()
		default: // pre-GA functions, module auxiliary data
			return fmt.Errorf("rdb: opcode %#x (pre-GA functions or module data) not supported: %w", op, ErrBadDump)
		}
	}
	return fmt.Errorf("rdb: truncated: %w", ErrBadDump)
}

// walkRDBKey reads one key (type byte, name, value, decoded or only
// skipped) and hands it to fn.
func walkRDBKey(r *rdbReader, e *RDBEntry, decode bool, fn func(RDBEntry) error) error {
	typ := r.byte()
	e.Key = r.str()
	if r.err != nil {
		return fmt.Errorf("rdb: truncated key: %w", ErrBadDump)
	}
	start := r.b
	var v *RDBValue
	var err error
	if decode {
		v, err = r.value(typ)
	} else if !r.skipValue(typ) {
		err = ErrBadDump
	}
	if err != nil {
		return fmt.Errorf("rdb: key %q: value of RDB type %d not supported: %w", e.Key, typ, ErrBadDump)
	}
	raw := start[:len(start)-len(r.b)]
	p := make([]byte, 0, 1+len(raw)+10)
	p = append(append(p, typ), raw...)
	p = binary.LittleEndian.AppendUint16(p, RDBVersion)
	p = binary.LittleEndian.AppendUint64(p, CRC64(0, p))
	e.Payload, e.Value = p, v
	return fn(*e)
}

// checkRDBFooter checks the 8-byte CRC-64 after the EOF opcode (RDB 5
// and later; zero means the writer did not compute it).
func checkRDBFooter(data, rest []byte, version int) error {
	if version < 5 {
		return nil
	}
	if len(rest) < 8 {
		return fmt.Errorf("rdb: truncated checksum: %w", ErrBadDump)
	}
	want := binary.LittleEndian.Uint64(rest)
	if want == 0 {
		return nil
	}
	body := data[:len(data)-len(rest)]
	if CRC64(0, body) != want {
		return fmt.Errorf("rdb: checksum mismatch: %w", ErrBadDump)
	}
	return nil
}
