package db

import (
	"fmt"

	"github.com/tikv/client-go/v2/txnkv/txnsnapshot"
	"github.com/titan-kv/titan/glob"
)

// Ordered scans sized for the work (rangeScan: the lists use it too, as
// the counts and ranges of sorted sets do), and ZSCAN.

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

func scanBatch(limit int) int {
	if limit <= 0 || limit > scanBatchMax {
		return scanBatchMax
	}
	return limit
}

// iter opens an iterator over [from, to) fetching batch keys at a time.
func (tx *Tx) iter(from, to []byte, batch int) (iterator, error) {
	snap := tx.t.GetSnapshot()
	snap.SetScanBatchSize(batch)
	defer snap.SetScanBatchSize(txnsnapshot.DefaultScanBatchSize)
	it, err := tx.t.Iter(from, to)
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	return it, nil
}

// ZScanResult is one page of ZSCAN.
type ZScanResult struct {
	Items []ScoredMember
	// Next is the member to resume from; nil when the scan is complete.
	Next []byte
}

// Scan returns up to count members from member start on (in member
// order), matching pattern when it is not empty.
func (z ZSet) Scan(start []byte, count int, pattern []byte) (ZScanResult, error) {
	tx := z.tx
	var res ZScanResult
	m, err := z.meta()
	if err != nil || m == nil {
		return res, err
	}
	from, to := tx.zMemberSpan(m)
	from = append(from, start...)
	seen := 0
	err = tx.rangeScan(from, to, count+1, false, func(k, v []byte) (bool, error) {
		sm, err := tx.zDecodeMember(m, k, v)
		if err != nil {
			return false, err
		}
		if seen >= count {
			res.Next = sm.Member
			return false, nil
		}
		seen++
		if pattern == nil || glob.Match(pattern, sm.Member, false) {
			res.Items = append(res.Items, sm)
		}
		return true, nil
	})
	return res, err
}
