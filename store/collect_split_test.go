package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pingcap/goleveldb/leveldb/util"
)

// TestCollectDeletedAfterUntrackedSplit: a region that took deletes and
// was then split by another path (Split, the split loop, the splits of a
// reopened store), so its remembered span of deletes lies past its new
// end, is collected over that span: the MVCC GC never gets a range whose
// start is past its end (goleveldb panics on one, which took titan down
// after a reopen of an aged store).
func TestCollectDeletedAfterUntrackedSplit(t *testing.T) {
	st := open(t, Options{SplitKeys: 1 << 20})
	key := func(i int) string { return fmt.Sprintf("titan:M\x00\x00k%05d", i) }
	// Values of 512 KiB: the keys spread over many level-1 tables (2 MB
	// each).
	big := strings.Repeat("v", 512<<10)
	for i := range 40 {
		put(t, st, map[string]string{key(i): big})
	}
	txn, err := st.KV().Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := 20; i < 40; i++ {
		if err := txn.Delete([]byte(key(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := txn.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The keys in level-1 tables: an inverted range panics in their index.
	db, err := levelDB(st.mvcc)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CompactRange(util.Range{}); err != nil {
		t.Fatal(err)
	}
	// The region that took the deletes now ends before all of them.
	if err := st.Split([]byte(key(5))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	safe := time.Now()
	if _, err := st.CollectDeleted(context.Background(), safe, 1000); err != nil {
		t.Fatal(err)
	}
	for i := 20; i < 40; i++ {
		if got := readAt(t, st, key(i), safe); got != "" {
			t.Fatalf("deleted key %d reads %q", i, got)
		}
	}
	if got := readAt(t, st, key(3), safe); got != big {
		t.Fatalf("live key reads %d bytes after the collection", len(got))
	}
}
