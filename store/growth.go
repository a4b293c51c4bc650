package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	"github.com/tikv/client-go/v2/oracle"
	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"
	"github.com/tikv/client-go/v2/txnkv/txnsnapshot"
	"github.com/tikv/client-go/v2/util/codec"
)

// The embedded store's regions grow and split as TiKV's do: TiKV splits a
// region once its size passes a threshold, so a Scan, which steps over
// every MVCC version inside the range it reads (the tombstones of deleted
// keys included), never has more than one region's worth to step over
// when it is bounded by the region's end (db's scanPage and sampler). The
// embedded store counts the deletes each region was written (the
// tombstones; puts, inserts or overwrites, do not count: a region of live
// keys costs a scan only what it returns, overwritten versions go at the
// next MVCC GC round, and batches of writes keep touching few regions, as
// on TiKV, whose regions hold millions of small keys) and splits a region
// that took SplitKeys of them at the median of a sample of the keys
// deleted. It also remembers the regions
// that took deletes, so the MVCC GC (CollectDeleted) removes their
// tombstones as soon as they are older than the safe point, instead of
// when its walk of the whole key space comes by.

// DefaultSplitKeys is the embedded store's region size, in deletes
// written, when Options.SplitKeys is 0. Stepping over one version costs
// the embedded store 1-3 µs, so a region's worth stays within a few ms.
const DefaultSplitKeys = 4096

// reopenSplit is how many times SplitKeys live keys a reopened store's
// regions hold.
const reopenSplit = 16

// growthSample is how many written keys a region's split point is picked
// from.
const growthSample = 32

// growth tracks the writes into the embedded store's regions.
type growth struct {
	regions   *regions
	splitKeys int
	mu        sync.Mutex
	byRegion  map[uint64]*regionGrowth
}

// regionGrowth is what one region was written since it was created or
// last split.
type regionGrowth struct {
	written int
	seen    int
	sample  [][]byte
	// firstDelete and lastDelete bound the deletes not collected yet
	// (zero: none).
	firstDelete, lastDelete time.Time
	// lo and hi are the least and the greatest key deleted since the
	// deletes were last all collected: CollectDeleted walks [lo, hi]
	// only, not the whole region. A region a stream's entries fill (puts
	// never split one) takes deletes at one end (acknowledged PEL
	// entries): walking all of it under the store's global lock stalled
	// every request for seconds.
	lo, hi []byte
}

// wrote records the mutations of a prewrite into region and splits the
// region when it grew past splitKeys.
func (g *growth) wrote(region uint64, muts []*kvrpcpb.Mutation) {
	now := time.Now()
	g.mu.Lock()
	r := g.byRegion[region]
	if r == nil {
		r = &regionGrowth{}
		g.byRegion[region] = r
	}
	for _, m := range muts {
		if m.Op != kvrpcpb.Op_Del {
			continue
		}
		r.written++
		r.seen++
		if len(r.sample) < growthSample {
			r.sample = append(r.sample, bytes.Clone(m.Key))
		} else if i := rand.IntN(r.seen); i < growthSample {
			r.sample[i] = bytes.Clone(m.Key)
		}
		if r.firstDelete.IsZero() {
			r.firstDelete = now
		}
		r.lastDelete = now
		if r.lo == nil || bytes.Compare(m.Key, r.lo) < 0 {
			r.lo = bytes.Clone(m.Key)
		}
		if r.hi == nil || bytes.Compare(m.Key, r.hi) > 0 {
			r.hi = bytes.Clone(m.Key)
		}
	}
	if r.written < g.splitKeys {
		g.mu.Unlock()
		return
	}
	slices.SortFunc(r.sample, bytes.Compare)
	at := r.sample[len(r.sample)/2]
	g.mu.Unlock()
	// The split takes the cluster's lock: outside ours.
	right, ok := g.regions.split(at)
	g.mu.Lock()
	defer g.mu.Unlock()
	if !ok {
		r.written = 0 // a key written over and over: nothing to split at
		return
	}
	i, _ := slices.BinarySearchFunc(r.sample, at, bytes.Compare)
	half := r.written / 2
	// The split key is a raw key deleted here: lo <= at <= hi.
	g.byRegion[right] = &regionGrowth{written: half, seen: half, sample: slices.Clone(r.sample[i:]),
		firstDelete: r.firstDelete, lastDelete: r.lastDelete, lo: bytes.Clone(at), hi: r.hi}
	r.written, r.seen, r.sample, r.hi = half, half, slices.Clone(r.sample[:i]), bytes.Clone(at)
}

// deletedSpan is a region holding deletes and the span of raw keys they
// fall in ([lo, hi], nil: unknown).
type deletedSpan struct {
	region uint64
	lo, hi []byte
}

// deleted returns up to limit regions holding deletes made before
// before; collected clears their marks once collected.
func (g *growth) deleted(before time.Time, limit int) []deletedSpan {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []deletedSpan
	for id, r := range g.byRegion {
		if !r.firstDelete.IsZero() && r.firstDelete.Before(before) {
			out = append(out, deletedSpan{region: id, lo: r.lo, hi: r.hi})
			if len(out) == limit {
				break
			}
		}
	}
	return out
}

// collected clears the delete marks of region up to before: deletes made
// since stay marked.
func (g *growth) collected(region uint64, before time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.byRegion[region]
	switch {
	case r == nil:
	case r.lastDelete.Before(before):
		r.firstDelete, r.lastDelete, r.lo, r.hi = time.Time{}, time.Time{}, nil, nil
	default:
		r.firstDelete = before
	}
}

// growthClient records the prewrites the embedded store serves.
type growthClient struct {
	tikv.Client
	g *growth
}

// SendRequest implements tikv.Client.
func (c growthClient) SendRequest(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	resp, err := c.Client.SendRequest(ctx, addr, req, timeout)
	if err != nil || req.Type != tikvrpc.CmdPrewrite {
		return resp, err
	}
	if re, _ := resp.GetRegionError(); re == nil {
		c.g.wrote(req.RegionId, req.Prewrite().GetMutations())
	}
	return resp, err
}

// CollectDeleted is the embedded store's prompt MVCC GC of deleted keys:
// it removes the history older than before (tombstones included) from up
// to limit regions that took deletes before before, and returns how many
// regions it collected. A region holding a lock older than before (a
// transaction that died) is left for later; its error is returned after
// the other regions were collected.
func (s *Store) CollectDeleted(ctx context.Context, before time.Time, limit int) (int, error) {
	if s.mvcc == nil {
		return 0, ErrNotEmbedded
	}
	if s.growth == nil {
		return 0, nil
	}
	spans := s.growth.deleted(before, limit)
	safePoint := oracle.GoTimeToTS(before)
	n := 0
	var errs []error
	for _, sp := range spans {
		id := sp.region
		if err := ctx.Err(); err != nil {
			return n, errors.Join(append(errs, err)...)
		}
		region, _ := s.regions.cluster.GetRegion(id)
		if region == nil { // merged away; its keys are another region's
			s.growth.collected(id, time.Now())
			continue
		}
		start, end, err := rawRange(region.GetStartKey(), region.GetEndKey())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// Only the span of the deletes: the rest of the region took none.
		if sp.lo != nil && bytes.Compare(sp.lo, start) > 0 {
			start = sp.lo
		}
		if hi := append(bytes.Clone(sp.hi), 0); sp.hi != nil && (len(end) == 0 || bytes.Compare(hi, end) < 0) {
			end = hi
		}
		// A split this tracker did not make (Split, the split loop, a
		// reopened store's) left the deletes past the region's new end:
		// collect their span itself. goleveldb panics on a range whose
		// start is past its end.
		if len(end) > 0 && bytes.Compare(start, end) >= 0 && sp.lo != nil && sp.hi != nil {
			start, end = sp.lo, append(bytes.Clone(sp.hi), 0)
		}
		if err := s.mvcc.GC(start, end, safePoint); err != nil {
			errs = append(errs, fmt.Errorf("collect deleted keys from %q: %w", start, err))
			continue
		}
		s.growth.collected(id, before)
		n++
	}
	return n, errors.Join(errs...)
}

// rawRange decodes a region's bounds (TiKV's memcomparable form) into
// the keys the MVCC store takes; an empty bound stays empty (unbounded).
func rawRange(start, end []byte) (rawStart, rawEnd []byte, err error) {
	dec := func(k []byte) ([]byte, error) {
		if len(k) == 0 {
			return nil, nil
		}
		_, raw, err := codec.DecodeBytes(k, nil)
		if err != nil {
			return nil, fmt.Errorf("region bound %q: %w", k, err)
		}
		return raw, nil
	}
	if rawStart, err = dec(start); err != nil {
		return nil, nil, err
	}
	rawEnd, err = dec(end)
	return rawStart, rawEnd, err
}

// splitExisting splits the regions of a store reopened from its data
// directory, which starts as one region (the embedded cluster's regions
// are not kept on disk): every reopenSplit × splitKeys live keys, read
// key-only in a snapshot, until the end of the key space or ctx ends, so
// that no region's scan steps over more than that many keys and whatever
// tombstones lie between them. Deleted keys do not show in a snapshot;
// their tombstones go with the MVCC GC.
func (g *growth) splitExisting(ctx context.Context, kv *tikv.KVStore) error {
	ts, err := kv.CurrentTimestamp(oracle.GlobalTxnScope)
	if err != nil {
		return fmt.Errorf("split existing regions: %w", err)
	}
	snap := kv.GetSnapshot(ts)
	snap.SetIsolationLevel(txnsnapshot.RC)
	snap.SetKeyOnly(true)
	snap.SetNotFillCache(true)
	snap.SetScanBatchSize(256)
	it, err := snap.Iter(nil, nil)
	if err != nil {
		return fmt.Errorf("split existing regions: %w", err)
	}
	defer it.Close()
	every := max(g.splitKeys*reopenSplit, 1)
	for i := 1; it.Valid() && ctx.Err() == nil; i++ {
		if i%every == 0 {
			g.regions.split(bytes.Clone(it.Key()))
		}
		if err := it.Next(); err != nil {
			return fmt.Errorf("split existing regions: %w", err)
		}
	}
	return ctx.Err()
}
