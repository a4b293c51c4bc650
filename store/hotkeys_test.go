package store

import (
	"testing"
	"time"
)

// TestHotKeyFlushesMemtable: a key prewritten limit times flushes the
// memtable (its lock records' put/delete pairs leave it), at most once per
// interval, and the key reads its last value after.
func TestHotKeyFlushesMemtable(t *testing.T) {
	st := open(t, Options{})
	if st.hot == nil {
		t.Fatal("embedded store without the hot key counter")
	}
	st.hot.limit = 50
	db, err := levelDB(st.mvcc)
	if err != nil {
		t.Fatal(err)
	}
	flushed := func() string {
		v, err := db.GetProperty("leveldb.stats")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	before := flushed()
	for i := range 49 {
		put(t, st, map[string]string{"titan:M\x00\x00hot": string(rune('a' + i%26))})
	}
	time.Sleep(50 * time.Millisecond)
	if n := st.hot.flushes.Load(); n != 0 {
		t.Fatalf("%d flushes after 49 writes of the key, limit 50", n)
	}
	for range 60 {
		put(t, st, map[string]string{"titan:M\x00\x00hot": "last"})
	}
	deadline := time.Now().Add(5 * time.Second)
	for st.hot.flushes.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := st.hot.flushes.Load(); n != 1 {
		t.Fatalf("%d flushes after 109 writes of the key within %s, want 1", n, st.hot.every)
	}
	if after := flushed(); after == before {
		t.Fatalf("the memtable was not flushed: stats unchanged\n%s", after)
	}
	if got := readAt(t, st, "titan:M\x00\x00hot", time.Now()); got != "last" {
		t.Fatalf("hot key reads %q after the flush", got)
	}
}
