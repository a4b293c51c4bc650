package store

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// TestEmbeddedBlockCache: an embedded store on disk runs with
// EmbeddedBlockCache, not client-go's 600 MB. It fails when a client-go or
// goleveldb upgrade moves the fields blockCache reaches.
func TestEmbeddedBlockCache(t *testing.T) {
	st, err := Open(context.Background(), Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := blockCache(st.mvcc)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Capacity(); got != EmbeddedBlockCache {
		t.Fatalf("block cache capacity %d, want %d", got, EmbeddedBlockCache)
	}
	if _, err := blockCache(struct{}{}); err == nil {
		t.Fatal("no error for a store of another type")
	}
}

// TestEmbeddedWriteBuffer: an embedded store on disk fills 16 MB
// memtables, not goleveldb's 4 MB: after the first memtable (made at open,
// 4 MB) 12 MB of writes make one level-0 table, where 4 MB memtables
// made three. It fails when an upgrade moves the fields leveldbOptions
// reaches.
func TestEmbeddedWriteBuffer(t *testing.T) {
	// No region splits: their scan of a reopened store would meet the raw
	// keys written below, which are not MVCC records.
	st, err := Open(context.Background(), Options{DataDir: t.TempDir(), SplitKeys: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o, err := leveldbOptions(st.mvcc)
	if err != nil {
		t.Fatal(err)
	}
	if o.WriteBuffer != EmbeddedWriteBuffer {
		t.Fatalf("write buffer %d, want %d", o.WriteBuffer, EmbeddedWriteBuffer)
	}
	db, err := levelDB(st.mvcc)
	if err != nil {
		t.Fatal(err)
	}
	v := bytes.Repeat([]byte("v"), 1024)
	for i := range 12 << 10 {
		if err := db.Put([]byte(fmt.Sprintf("k%08d", i)), v, nil); err != nil {
			t.Fatal(err)
		}
	}
	tables := func() int {
		n := 0
		for level := range 7 {
			p, err := db.GetProperty(fmt.Sprintf("leveldb.num-files-at-level%d", level))
			if err != nil {
				t.Fatal(err)
			}
			k, _ := strconv.Atoi(p)
			n += k
		}
		return n
	}
	// The flushes run in the background: give them time to show.
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if n := tables(); n > 1 {
			t.Fatalf("%d tables after 12 MB of writes, want 1 (the first memtable)", n)
		}
	}
}
