package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tikv/client-go/v2/oracle"
	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/txnkv/txnsnapshot"
)

// ErrNotEmbedded is CollectVersions on a cluster, whose TiKV collects its
// own history.
var ErrNotEmbedded = errors.New("not the embedded store")

// CollectVersions is the embedded store's MVCC garbage collection, one
// small chunk at a time: from start, over the next n live keys (and every
// deleted key between them) but not past the end of start's region, it removes the versions no read at or after
// before can see — older values, tombstones, rollback and lock records —
// so that reads and scans do not slow down as history piles up. It returns
// where the next chunk starts, or nil once the end of the key space is
// reached. A chunk holding a lock older than before (a transaction that
// died) is left for a later round.
func (s *Store) CollectVersions(ctx context.Context, start []byte, n int, before time.Time) ([]byte, error) {
	if s.mvcc == nil {
		return nil, ErrNotEmbedded
	}
	safePoint := oracle.GoTimeToTS(before)
	// Find the chunk's end among the keys live now, reading committed data
	// only (read committed): the scan never waits for a running
	// transaction's lock or resolves one.
	ts, err := s.kv.CurrentTimestamp(oracle.GlobalTxnScope)
	if err != nil {
		return nil, fmt.Errorf("collect versions: %w", err)
	}
	snap := s.kv.GetSnapshot(ts)
	snap.SetIsolationLevel(txnsnapshot.RC)
	// Only keys are needed. The embedded store sends values anyway, and a
	// long string's chunks are 64 KiB each: small batches keep the scan's
	// memory at a few MB instead of n values.
	snap.SetKeyOnly(true)
	snap.SetNotFillCache(true)
	snap.SetScanBatchSize(32)
	// The chunk ends at the end of start's region at the latest, so one
	// step never walks more than a region's worth of deleted keys.
	var regionEnd []byte
	if loc, err := s.kv.GetRegionCache().LocateKey(tikv.NewBackoffer(ctx, 2000), start); err == nil && len(loc.EndKey) > 0 {
		regionEnd = loc.EndKey
	}
	it, err := snap.Iter(start, regionEnd)
	if err != nil {
		return nil, fmt.Errorf("collect versions: %w", err)
	}
	var end []byte
	for i := 0; it.Valid() && ctx.Err() == nil; i++ {
		if i == n {
			end = append([]byte(nil), it.Key()...)
			break
		}
		if err := it.Next(); err != nil {
			it.Close()
			return nil, fmt.Errorf("collect versions: %w", err)
		}
	}
	it.Close()
	if end == nil {
		end = regionEnd
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.mvcc.GC(start, end, safePoint); err != nil {
		return end, fmt.Errorf("collect versions from %q: %w", start, err)
	}
	return end, nil
}
