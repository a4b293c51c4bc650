package store

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tikv/client-go/v2/oracle"
	"github.com/tikv/client-go/v2/tikv"
)

// TestRegionsGrowAndSplit: the embedded store splits a region once it took
// SplitKeys deletes (tombstones a scan steps over), so no region holds
// many more; puts alone (inserts, overwrites) split nothing; the regions
// that took deletes are collected once the deletes are older than the
// safe point.
func TestRegionsGrowAndSplit(t *testing.T) {
	const split, n = 100, 1000
	st := open(t, Options{SplitKeys: split})
	key := func(i int) string { return fmt.Sprintf("titan:M\x00\x00k%05d", i) }
	for round := range 3 { // inserts, then overwrites
		for b := 0; b < n; b += 50 {
			kvs := map[string]string{}
			for i := b; i < b+50; i++ {
				kvs[key(i)] = "v"
			}
			put(t, st, kvs)
		}
		if s := st.Stats(); s.Splits != 0 {
			t.Fatalf("%d splits after %d rounds of %d puts: puts must not split", s.Splits, round+1, n)
		}
	}
	before := time.Now()
	time.Sleep(5 * time.Millisecond)
	for b := 0; b < n; b += 50 {
		txn, err := st.KV().Begin()
		if err != nil {
			t.Fatal(err)
		}
		for i := b; i < b+50; i++ {
			if err := txn.Delete([]byte(key(i))); err != nil {
				t.Fatal(err)
			}
		}
		if err := txn.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if s := st.Stats(); s.Splits < n/split {
		t.Fatalf("%d splits after %d deletes, want at least %d", s.Splits, n, n/split)
	}
	// Count the deleted keys of each region.
	bo := tikv.NewBackoffer(context.Background(), 2000)
	per := map[uint64]int{}
	for i := range n {
		loc, err := st.KV().GetRegionCache().LocateKey(bo, []byte(key(i)))
		if err != nil {
			t.Fatal(err)
		}
		per[loc.Region.GetID()]++
	}
	for id, c := range per {
		if c > split+50 { // one batch may land after the split point was picked
			t.Errorf("region %d holds %d deleted keys, want at most about %d", id, c, split)
		}
	}
	t.Logf("%d deleted keys in %d regions", n, len(per))

	// Deletes newer than the safe point stay.
	if c, err := st.CollectDeleted(context.Background(), before, 1000); err != nil || c != 0 {
		t.Fatalf("collected %d regions before the deletes were old enough (%v)", c, err)
	}
	if got := readAt(t, st, key(0), before); got != "v" {
		t.Fatalf("before GC, the deleted key at the safe point = %q", got)
	}
	time.Sleep(5 * time.Millisecond)
	safe := time.Now()
	c, err := st.CollectDeleted(context.Background(), safe, 1000)
	if err != nil || c < len(per) {
		t.Fatalf("collected %d regions of %d (%v)", c, len(per), err)
	}
	// One scan at the old timestamp finds none of the keys (a Get per key
	// walks the store's leftover tombstones each time: minutes under the
	// race detector for 1000 keys).
	if k := firstKeyAt(t, st, oracle.GoTimeToTS(before)); k != nil {
		t.Fatalf("after GC, %q before its delete is still there, want its history gone", k)
	}
	if c, err := st.CollectDeleted(context.Background(), time.Now(), 1000); err != nil || c != 0 {
		t.Fatalf("collected %d regions again (%v)", c, err)
	}
	// What is left of the keys is nothing: a scan finds none.
	if k := firstKeyAt(t, st, latest(t, st)); k != nil {
		t.Fatalf("key %q left", k)
	}
}

// firstKeyAt returns the first titan:M key a snapshot at ts sees, nil
// when there is none.
func firstKeyAt(t *testing.T, st *Store, ts uint64) []byte {
	t.Helper()
	it, err := st.KV().GetSnapshot(ts).Iter([]byte("titan:M"), []byte("titan:N"))
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if it.Valid() && bytes.HasPrefix(it.Key(), []byte("titan:M")) {
		return append([]byte(nil), it.Key()...)
	}
	return nil
}

// latest returns a timestamp of now.
func latest(t *testing.T, st *Store) uint64 {
	t.Helper()
	ts, err := st.KV().CurrentTimestamp("global")
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestReopenedStoreSplits: a store reopened from its data directory
// splits what it holds (its regions are not kept on disk).
func TestReopenedStoreSplits(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(context.Background(), Options{DataDir: dir, SplitKeys: -1})
	if err != nil {
		t.Fatal(err)
	}
	kvs := map[string]string{}
	for i := range 1000 {
		kvs[fmt.Sprintf("titan:M\x00\x00k%05d", i)] = "v"
	}
	put(t, st, kvs)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	const splitKeys = 10
	want := int64(1000/(splitKeys*reopenSplit) - 1)
	st = open(t, Options{DataDir: dir, SplitKeys: splitKeys})
	deadline := time.Now().Add(10 * time.Second)
	for st.Stats().Splits < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d splits after reopening 1000 keys, want %d", st.Stats().Splits, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCollectDeletedWalksTheirSpan: the prompt GC of a region that took
// deletes walks the span of those deletes, not the whole region: a
// region full of a stream's entries, deleted at one end, was walked
// whole under the store's global lock every round.
func TestCollectDeletedWalksTheirSpan(t *testing.T) {
	st := open(t, Options{SplitKeys: 1000})
	live := func(i int) string { return fmt.Sprintf("titan:M\x00\x00a%02d", i) }
	gone := func(i int) string { return fmt.Sprintf("titan:M\x00\x00z%02d", i) }
	var mid time.Time // after round 0's put, before round 1's
	for round := range 2 {
		kvs := map[string]string{}
		for i := range 10 {
			kvs[live(i)] = fmt.Sprint("v", round)
			kvs[gone(i)] = "v"
		}
		put(t, st, kvs)
		time.Sleep(5 * time.Millisecond)
		if round == 0 {
			mid = time.Now()
			time.Sleep(5 * time.Millisecond)
		}
	}
	txn, err := st.KV().Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i < 8; i++ {
		if err := txn.Delete([]byte(gone(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := txn.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if c, err := st.CollectDeleted(context.Background(), time.Now(), 10); err != nil || c != 1 {
		t.Fatalf("collected %d regions: %v", c, err)
	}
	if got := readAt(t, st, gone(5), mid); got != "" {
		t.Errorf("deleted key's history read %q after the collection", got)
	}
	// Outside the deletes' span the history is left for the versions walk.
	if got := readAt(t, st, live(5), mid); got != "v0" {
		t.Errorf("a key outside the deletes' span read %q at an old time, want its old version v0: the whole region was walked", got)
	}
}
