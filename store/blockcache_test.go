package store

import (
	"context"
	"testing"
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
