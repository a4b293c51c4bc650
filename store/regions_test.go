package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestManyRegionsWithFaults: a store of several regions that split while
// transactions run, with injected region errors and timeouts, reads back
// every write and scans every key exactly once across region boundaries.
func TestManyRegionsWithFaults(t *testing.T) {
	st := open(t, Options{Regions: 8, SplitInterval: 10 * time.Millisecond, FaultRate: 0.05})
	if len(initialSplits([]byte("titan:"), 8)) != 7 {
		t.Fatal("8 regions need 7 splits")
	}
	const n = 3000
	for batch := 0; batch < n; batch += 100 {
		kvs := map[string]string{}
		for i := batch; i < batch+100; i++ {
			tag := "MDEG"[i%4 : i%4+1]
			k := fmt.Sprintf("titan:%s\x00\x00%c%05d", tag, 'a'+i%26, i)
			kvs[k] = fmt.Sprint(i)
		}
		put(t, st, kvs)
	}
	// The split loop splits at a random key every 10 ms; on a loaded
	// machine under -race the writes can end before its first split
	// (seen once): wait for one, so the scan below crosses it.
	for deadline := time.Now().Add(10 * time.Second); st.Stats().Splits == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // a few more splits
	txn, err := st.KV().Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Rollback()
	it, err := txn.Iter([]byte("titan:"), []byte("titan;"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var last string
	for it.Valid() {
		k := string(it.Key())
		if seen[k] || k <= last {
			t.Fatalf("key %q twice or out of order", k)
		}
		seen[k], last = true, k
		if err := it.Next(); err != nil {
			t.Fatal(err)
		}
	}
	it.Close()
	if len(seen) != n {
		t.Fatalf("scanned %d keys of %d", len(seen), n)
	}
	v, err := txn.Get(context.Background(), []byte(fmt.Sprintf("titan:D\x00\x00%c%05d", 'a'+1, 1)))
	if err != nil || string(v) != "1" {
		t.Fatalf("get: %q %v", v, err)
	}
	s := st.Stats()
	t.Logf("splits %d, faults %d", s.Splits, s.Faults)
	if s.Splits == 0 || s.Faults == 0 {
		t.Fatalf("no split or no fault: %+v", s)
	}
	if err := st.Split([]byte("titan:M\x00\x00k")); err != nil {
		t.Fatal(err)
	}
	if err := open(t, Options{SplitKeys: -1}).Split([]byte("x")); err != ErrNoTestRegions {
		t.Fatalf("split of a store without regions: %v", err)
	}
}
