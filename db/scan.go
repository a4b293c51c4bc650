package db

import (
	"bytes"
	"fmt"

	"github.com/tikv/client-go/v2/txnkv/txnsnapshot"
	"github.com/titan-kv/titan/glob"
)

// Ordered scans every type shares: rangeScan (scans sized for the work,
// used by lists, sorted sets and the sampler of sample.go), skipScan,
// rangeEnds, iter, and scanPage, the one page of SCAN, HSCAN, SSCAN and ZSCAN.

// scanBatchMax is the largest scan batch: larger than client-go's default
// (256), so that reading a whole collection takes few requests.
const scanBatchMax = 1024

// scanBatchFirst is the first batch of an unbounded scan: many stop early
// (LINSERT at its pivot, LPOS at a match), so an unbounded scan reads
// scanBatchFirst keys, then 4*scanBatchFirst, then goes on with one
// iterator fetching scanBatchMax keys per request.
const scanBatchFirst = 64

// rangeScan is tx.scan (tx.scanReverse with rev) with batches sized for
// the work: a bounded scan fetches only what it may use (up to
// scanBatchMax keys per request); an unbounded one fetches batches that
// grow from scanBatchFirst to scanBatchMax.
func (tx *Tx) rangeScan(start, end []byte, limit int, rev bool, fn func(k, v []byte) (bool, error)) error {
	snap := tx.t.GetSnapshot()
	defer snap.SetScanBatchSize(txnsnapshot.DefaultScanBatchSize)
	run := func(start, end []byte, limit int, visit func(k, v []byte) (bool, error)) error {
		snap.SetScanBatchSize(scanBatch(limit))
		if rev {
			return tx.scanReverse(start, end, limit, visit)
		}
		return tx.scan(start, end, limit, visit)
	}
	if limit > 0 {
		return run(start, end, limit, fn)
	}
	for _, first := range []int{scanBatchFirst, 4 * scanBatchFirst} {
		got, stopped := 0, false
		var last []byte
		err := run(start, end, first, func(k, v []byte) (bool, error) {
			got++
			last = append(last[:0], k...)
			more, err := fn(k, v)
			stopped = !more
			return more, err
		})
		if err != nil || stopped || got < first {
			return err
		}
		if rev {
			end = last
		} else {
			start = append(last, 0)
		}
	}
	return run(start, end, 0, fn)
}

// scanBatch is the scan batch for a scan of at most limit keys (0: no
// limit). client-go turns a batch of 1 into its default of 256, so a
// one-key scan asks for 2.
func scanBatch(limit int) int {
	if limit <= 0 || limit > scanBatchMax {
		return scanBatchMax
	}
	return max(limit, 2)
}

// iter opens an iterator over [from, to) fetching batch keys at a time.
func (tx *Tx) iter(from, to []byte, batch int) (iterator, error) {
	if tx.planning {
		return nil, errPlanning
	}
	if err := tx.checkLazy(); err != nil {
		return nil, err
	}
	snap := tx.t.GetSnapshot()
	snap.SetScanBatchSize(batch)
	defer snap.SetScanBatchSize(txnsnapshot.DefaultScanBatchSize)
	it, err := tx.t.Iter(from, to)
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	return it, nil
}

// skipScan walks [start, end) (from the end with rev), passes over the
// first skip keys and decodes the next ones for fn, at most n of them
// (n < 0: all), until fn returns false.
func skipScan[T any](tx *Tx, start, end []byte, rev bool, skip, n int64, decode func(k, v []byte) (T, error), fn func(T) (bool, error)) error {
	limit := 0
	if n >= 0 {
		limit = int(skip + n)
	}
	var i int64
	return tx.rangeScan(start, end, limit, rev, func(k, v []byte) (bool, error) {
		i++
		if i <= skip {
			return true, nil
		}
		it, err := decode(k, v)
		if err != nil {
			return false, err
		}
		return fn(it)
	})
}

// rangeEnds returns the first and last keys of [from, to), nil when the
// range is empty: two one-key Scans.
func (tx *Tx) rangeEnds(from, to []byte) (first, last []byte, err error) {
	edge := func(rev bool) ([]byte, error) {
		var k []byte
		err := tx.rangeScan(from, to, 1, rev, func(key, _ []byte) (bool, error) {
			k = bytes.Clone(key)
			return false, nil
		})
		return k, err
	}
	if first, err = edge(false); err != nil || first == nil {
		return nil, nil, err
	}
	last, err = edge(true)
	return first, last, err
}

// decoder decodes one stored entry of a scan or a sample, copying what it
// keeps (the scan reuses k and v); ok is false for an entry to pass over
// (an expired key, a key of another type).
type decoder[T any] func(k, v []byte) (item T, ok bool, err error)

// ScanPage is one page of a scan (SCAN, HSCAN, SSCAN, ZSCAN).
type ScanPage[T any] struct {
	// Items are the entries of the page that matched.
	Items []T
	// Next is the position to resume from; nil when the scan is complete.
	Next []byte
}

// scanPage examines at most count entries of the keys [base+at, end) in
// order (at nil: from base), decodes each and keeps those whose name
// matches pattern (nil: no MATCH, every entry; an empty pattern matches
// only an empty name). Positions are keys without base: Next is the
// position of the first entry left unexamined. A page never crosses the
// end of the region holding its first key: TiKV steps over the MVCC
// tombstones of deleted keys inside a Scan, so this bounds what one call
// can cost to one region's worth; a page that reaches the region's end
// returns what it found (maybe nothing) with Next there, as Redis may
// return fewer than COUNT items. Costs one Scan of count+1 keys (in
// batches of at most scanBatchMax).
func scanPage[T any](tx *Tx, base, at, end []byte, count int, pattern []byte, decode decoder[T], name func(T) []byte) (ScanPage[T], error) {
	var page ScanPage[T]
	start := append(bytes.Clone(base), at...)
	if end != nil && bytes.Compare(start, end) >= 0 {
		return page, nil
	}
	limit := count + 1
	if limit <= 0 { // count+1 overflowed
		limit = 0
	}
	bound := end
	if re := tx.regionEnd(start); len(re) > len(base) && bytes.HasPrefix(re, base) && (end == nil || bytes.Compare(re, end) < 0) {
		bound = re
	}
	seen := 0
	err := tx.rangeScan(start, bound, limit, false, func(k, v []byte) (bool, error) {
		if seen >= count {
			page.Next = bytes.Clone(k[len(base):])
			return false, nil
		}
		seen++
		it, ok, err := decode(k, v)
		if err != nil || !ok {
			return err == nil, err
		}
		if pattern == nil || glob.Match(pattern, name(it), false) {
			page.Items = append(page.Items, it)
		}
		return true, nil
	})
	if err == nil && page.Next == nil && !bytes.Equal(bound, end) {
		page.Next = bytes.Clone(bound[len(base):])
	}
	return page, err
}
