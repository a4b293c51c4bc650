package db

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sync"
	"testing"

	"github.com/tikv/client-go/v2/tikvrpc"

	"github.com/titan-kv/titan/store"
)

// scanRanges records the key ranges of the Scan requests the embedded
// store serves.
type scanRanges struct {
	mu     sync.Mutex
	ranges [][2][]byte
}

func (s *scanRanges) record(req *tikvrpc.Request) error {
	if req.Type != tikvrpc.CmdScan {
		return nil
	}
	r := req.Scan()
	lo, hi := r.GetStartKey(), r.GetEndKey()
	if r.GetReverse() {
		lo, hi = hi, lo
	}
	s.mu.Lock()
	s.ranges = append(s.ranges, [2][]byte{bytes.Clone(lo), bytes.Clone(hi)})
	s.mu.Unlock()
	return nil
}

// covered returns how many of keys (sorted) the Scans since the last call
// covered: the deleted keys the store stepped over at most.
func (s *scanRanges) covered(keys [][]byte) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, k := range keys {
		for _, r := range s.ranges {
			if bytes.Compare(k, r[0]) >= 0 && (len(r[1]) == 0 || bytes.Compare(k, r[1]) < 0) {
				n++
				break
			}
		}
	}
	s.ranges = nil
	return n
}

// TestDeletedKeysBoundEachCall: over 3,000 deleted keys spread between
// three live ones, on a store whose regions split every 100 versions,
// no SCAN call and no RANDOMKEY steps over more than a few regions of
// them (counted from the ranges of the Scan requests sent), SCAN returns
// every live key, and RANDOMKEY returns live keys.
func TestDeletedKeysBoundEachCall(t *testing.T) {
	const n, split = 3000, 100
	rec := &scanRanges{}
	d := New(openStore(t, store.Options{SplitKeys: split, Fault: rec.record}), Options{}, nil)
	t.Cleanup(func() { d.Close() })
	deleted := func(i int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(1000+i*20)) }
	live := []string{"\x00live", "\x77\x77live", "\xfflive"}
	for b := 0; b < n; b += 50 {
		update(t, d, func(tx *Tx) error {
			for i := b; i < b+50; i++ {
				if _, err := tx.String(deleted(i)).Set([]byte("v"), SetOptions{}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	update(t, d, func(tx *Tx) error {
		for _, k := range live {
			if _, err := tx.String([]byte(k)).Set([]byte("v"), SetOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
	var metas [][]byte
	for b := 0; b < n; b += 50 {
		update(t, d, func(tx *Tx) error {
			for i := b; i < b+50; i++ {
				metas = append(metas, d.keys.Meta(0, deleted(i)))
				if _, err := tx.Key(deleted(i)).Delete(); err != nil {
					return err
				}
			}
			return nil
		})
	}
	slices.SortFunc(metas, bytes.Compare)

	const most = 4 * split // a few regions' worth
	rec.covered(nil)
	var found []string
	var cursor []byte
	calls, worst := 0, 0
	for {
		var p ScanPage[[]byte]
		readView(t, d, func(tx *Tx) (err error) { p, err = tx.Keyspace().Scan(cursor, 10, nil, 0); return err })
		c := rec.covered(metas)
		worst = max(worst, c)
		calls++
		for _, k := range p.Items {
			found = append(found, string(k))
		}
		if cursor = p.Next; cursor == nil {
			break
		}
	}
	t.Logf("SCAN: %d calls, at most %d deleted keys each", calls, worst)
	if worst > most {
		t.Errorf("a SCAN call stepped over up to %d deleted keys, want at most %d", worst, most)
	}
	if !slices.Equal(found, live) {
		t.Errorf("SCAN returned %q, want %q", found, live)
	}
	worst = 0
	for range 20 {
		var k []byte
		readView(t, d, func(tx *Tx) (err error) { k, err = tx.Keyspace().RandomKey(); return err })
		worst = max(worst, rec.covered(metas))
		if !slices.Contains(live, string(k)) {
			t.Fatalf("RANDOMKEY = %q, want a live key", k)
		}
	}
	t.Logf("RANDOMKEY: at most %d deleted keys a call", worst)
	if worst > 2*most {
		t.Errorf("a RANDOMKEY stepped over up to %d deleted keys, want at most %d", worst, 2*most)
	}
}
