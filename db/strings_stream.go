package db

import (
	"context"
	"fmt"

	"github.com/titan-kv/titan/encoding"
)

// ValueReader reads a long string value in pieces after its command's
// transaction, from a snapshot at that transaction's start: GET writes it
// to the socket chunk batch by chunk batch instead of building the whole
// value and then a reply holding a copy of it.
type ValueReader struct {
	d  *DB
	ts uint64
	m  encoding.Meta
}

// Len is the value's length.
func (s *ValueReader) Len() int64 { return s.m.Count }

// Each calls fn with the value's bytes in order, at most chunkReadBatch
// chunks at a time; the slice fn gets is not kept by the stream.
func (s *ValueReader) Each(ctx context.Context, fn func([]byte) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.d.opts.CommandTimeout)
	defer cancel()
	n := encoding.StringChunks(s.m.Count)
	for from := int64(0); from < n; from += chunkReadBatch {
		// A snapshot per batch: client-go's snapshot keeps every value
		// it read in a cache of its own, which would end up holding the
		// whole value. Its requests count as a transaction's do
		// (titan_tikv_requests_total), and a value read once in passing
		// stays out of TiKV's block cache.
		snap := s.d.store.KV().GetSnapshot(s.ts)
		snap.SetRPCInterceptor(s.d.countRPC)
		snap.SetNotFillCache(true)
		chunks, err := s.d.readChunks(ctx, snap, &s.m, from, min(from+chunkReadBatch, n)-1)
		if err != nil {
			return err
		}
		for i, v := range chunks {
			want := min(encoding.StringChunkSize, s.m.Count-(from+int64(i))*encoding.StringChunkSize)
			if int64(len(v)) != want {
				return fmt.Errorf("string chunk %d of %d bytes: %w", from+int64(i), len(v), encoding.ErrMalformed)
			}
			if err := fn(v); err != nil {
				return err
			}
			chunks[i] = nil // the caller wrote it: let it go before the next one
		}
	}
	return nil
}

// GetReader returns the value as Get does, or, for a chunked string
// longer than StageMin that this transaction did not change, a ValueReader of
// it (v is then nil).
func (s String) GetReader() (v []byte, st *ValueReader, err error) {
	m, err := s.meta()
	if err != nil || m == nil {
		return nil, nil, err
	}
	tx := s.tx
	if m.Chunked && m.Count > StageMin && !tx.planning {
		if _, err := tx.t.GetMemBuffer().Get(tx.d.keys.Meta(tx.DB, s.key)); err != nil {
			// Not written by this transaction: its chunks are as
			// committed at the snapshot.
			return nil, &ValueReader{d: tx.d, ts: tx.t.StartTS(), m: *m}, nil
		}
	}
	v, err = tx.readString(m)
	return v, nil, err
}
