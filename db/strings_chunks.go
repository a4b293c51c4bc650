package db

import (
	"context"
	"fmt"

	"github.com/titan-kv/titan/encoding"
)

// Large strings. A string longer than encoding.StringChunkSize is not
// kept in its metadata but in chunks under an object id of its own, as a
// collection keeps its elements (the metadata then has Chunked set and
// Count is the length). Every store entry stays small, so no request comes
// near TiKV's raft entry limit and values up to MaxStringLen fit; writes
// of a new value go to a fresh object, the old one goes to the collector
// (DEL and overwrite stay O(1)); APPEND, SETRANGE and SETBIT rewrite only
// the chunks they touch, GETRANGE, GETBIT and STRLEN read only the chunks
// they need.

// chunkReadBatch is how many chunks one BatchGet reads (4MB).
const chunkReadBatch = 64

// setValue makes m, a string's metadata, hold value: inline when it is
// short, otherwise in chunks under a fresh object. m must not be saved
// yet; the caller saves it with replace, which drops m's old object.
func (tx *Tx) setValue(m *encoding.Meta, value []byte) error {
	if len(value) > MaxStringLen {
		return ErrStringTooBig
	}
	m.Value, m.Chunked, m.Count, m.Object = value, false, 0, encoding.ObjectID{}
	if len(value) <= encoding.StringChunkSize {
		return nil
	}
	if ok, err := tx.adoptStaged(m, value); ok || err != nil {
		return err
	}
	m.Chunked, m.Value = true, nil
	m.Object = tx.newObject(encoding.TypeString).Object
	return tx.writeAt(m, 0, value)
}

// readString returns the whole value of the string m.
func (tx *Tx) readString(m *encoding.Meta) ([]byte, error) {
	if !m.Chunked {
		return m.Value, nil
	}
	return tx.readRange(m, 0, m.Count)
}

// strLen is the length of the string m.
func strLen(m *encoding.Meta) int64 {
	if m.Chunked {
		return m.Count
	}
	return int64(len(m.Value))
}

// readRange returns bytes [lo, hi) of the string m, reading only the
// chunks that hold them.
func (tx *Tx) readRange(m *encoding.Meta, lo, hi int64) ([]byte, error) {
	if !m.Chunked {
		return m.Value[lo:hi], nil
	}
	out := make([]byte, 0, hi-lo)
	if lo >= hi {
		return out, nil
	}
	const c = encoding.StringChunkSize
	first, last := lo/c, (hi-1)/c
	for from := first; from <= last; from += chunkReadBatch {
		to := min(from+chunkReadBatch-1, last)
		chunks, err := tx.readChunks(m, from, to)
		if err != nil {
			return nil, err
		}
		for i, chunk := range chunks {
			start := (from + int64(i)) * c
			a, b := max(lo, start)-start, min(hi, start+int64(len(chunk)))-start
			if a < 0 || b > int64(len(chunk)) || a > b {
				return nil, fmt.Errorf("string chunk %d of %d bytes: %w", from+int64(i), len(chunk), encoding.ErrMalformed)
			}
			out = append(out, chunk[a:b]...)
		}
	}
	return out, nil
}

// readChunks reads chunks [from, to] of the string m in one request,
// seeing this transaction's own writes.
func (tx *Tx) readChunks(m *encoding.Meta, from, to int64) ([][]byte, error) {
	return tx.d.readChunks(tx.ctx, tx.t, m, from, to)
}

// batchGetter is what chunks are read from: a transaction, or a snapshot
// (ValueReader).
type batchGetter interface {
	BatchGet(ctx context.Context, keys [][]byte) (map[string][]byte, error)
}

// readChunks reads chunks [from, to] of the string m from g in one
// request.
func (d *DB) readChunks(ctx context.Context, g batchGetter, m *encoding.Meta, from, to int64) ([][]byte, error) {
	keys := make([][]byte, 0, to-from+1)
	for i := from; i <= to; i++ {
		keys = append(keys, d.keys.Data(m.Object, encoding.StringChunkSub(i)))
	}
	found, err := g.BatchGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("read string chunks: %w", err)
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		v, ok := found[string(k)]
		if !ok {
			return nil, fmt.Errorf("string chunk %d missing: %w", from+int64(i), encoding.ErrMalformed)
		}
		out[i] = v
	}
	return out, nil
}

// writeAt writes data at byte pos of the chunked string m, which must be
// at most m.Count (no gap), rewriting only the chunks data touches, and
// updates m.Count. The caller saves m.
func (tx *Tx) writeAt(m *encoding.Meta, pos int64, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	const c = encoding.StringChunkSize
	end := pos + int64(len(data))
	n := max(m.Count, end)
	first, last := pos/c, (end-1)/c
	for i := first; i <= last; i++ {
		cs, ce := i*c, min((i+1)*c, n)
		lo, hi := max(pos, cs), min(end, ce)
		k := tx.data(m, encoding.StringChunkSub(i))
		if lo == cs && hi == ce {
			// A chunk data covers whole is stored from data itself (the
			// transaction's buffer copies it).
			if err := tx.set(k, data[lo-pos:hi-pos]); err != nil {
				return err
			}
			continue
		}
		chunk := make([]byte, ce-cs)
		// Only the first and the last chunk may keep old bytes.
		if (i == first && pos > cs) || (i == last && end < ce && cs < m.Count) {
			old, err := tx.readChunks(m, i, i)
			if err != nil {
				return err
			}
			copy(chunk, old[0])
		}
		copy(chunk[lo-cs:], data[lo-pos:hi-pos])
		if err := tx.set(k, chunk); err != nil {
			return err
		}
	}
	m.Count = n
	return nil
}
