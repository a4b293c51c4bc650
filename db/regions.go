package db

import (
	"bytes"

	"github.com/tikv/client-go/v2/tikv"
)

// Region-bounded reads. TiKV steps over every MVCC version inside the
// range a Scan reads, the tombstones of deleted keys included, and only a
// region's end stops it; a read bounded by the region holding its start
// therefore costs at most one region's worth, however many keys were
// deleted around it. scanPage (SCAN, HSCAN, SSCAN, ZSCAN) and the random
// sampler's windows and bounds (RANDOMKEY, ZRANDMEMBER, HRANDFIELD,
// SRANDMEMBER, SPOP) read this way.

// edgeRegions is how many regions the sampler's search for the first or
// last live key of a range reads before it settles for a bound.
const edgeRegions = 4

// region returns the bounds of the store region holding key (with
// endingAt, the region that ends at key), clipped to [from, to); ok is
// false when the region is unknown, which leaves [from, to) unclipped.
func (tx *Tx) region(key []byte, endingAt bool, from, to []byte) (start, end []byte, ok bool) {
	cache := tx.d.store.KV().GetRegionCache()
	bo := tikv.NewBackoffer(tx.ctx, 2000)
	loc, err := cache.LocateKey(bo, key)
	if endingAt {
		loc, err = cache.LocateEndKey(bo, key)
	}
	if err != nil {
		return from, to, false
	}
	start, end = from, to
	if bytes.Compare(loc.StartKey, start) > 0 {
		start = loc.StartKey
	}
	if len(loc.EndKey) > 0 && (to == nil || bytes.Compare(loc.EndKey, to) < 0) {
		end = loc.EndKey
	}
	return start, end, true
}

// regionEnd returns the end of the store region holding key, nil when
// it is the last region or unknown (the page is then not bounded).
func (tx *Tx) regionEnd(key []byte) []byte {
	_, end, ok := tx.region(key, false, nil, nil)
	if !ok {
		return nil
	}
	return end
}

// liveBounds returns positions lo <= hi bounding the keys of [from, to)
// the sampler picks among: the first and last keys when they lie within
// edgeRegions regions of either end (keys lists those), otherwise the
// region boundary where the search stopped (so no search steps over more
// than edgeRegions regions of deleted keys). lo is nil when the range is
// empty.
func (tx *Tx) liveBounds(from, to []byte) (lo, hi []byte, keys [][]byte, err error) {
	edge := func(rev bool) ([]byte, error) {
		at := from
		if rev {
			at = to
		}
		for range edgeRegions {
			start, end, ok := tx.region(at, rev, from, to)
			var k []byte
			err := tx.rangeScan(start, end, 1, rev, func(key, _ []byte) (bool, error) {
				k = bytes.Clone(key)
				return false, nil
			})
			if k != nil {
				keys = append(keys, k)
			}
			if err != nil || k != nil || !ok {
				return k, err
			}
			if rev {
				at = start
			} else {
				at = end
			}
			if bytes.Equal(at, from) || bytes.Equal(at, to) {
				return nil, nil // the whole range read: empty
			}
		}
		return at, nil
	}
	if lo, err = edge(false); err != nil || lo == nil {
		return nil, nil, nil, err
	}
	hi, err = edge(true)
	if hi == nil || bytes.Compare(hi, lo) < 0 {
		hi = lo
	}
	return lo, hi, keys, err
}
