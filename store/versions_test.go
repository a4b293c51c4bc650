package store

import (
	"context"
	"testing"
	"time"

	tikverr "github.com/tikv/client-go/v2/error"
	"github.com/tikv/client-go/v2/oracle"
)

// readAt reads k in a snapshot at time at ("" for a missing key).
func readAt(t *testing.T, st *Store, k string, at time.Time) string {
	t.Helper()
	v, err := st.KV().GetSnapshot(oracle.GoTimeToTS(at)).Get(context.Background(), []byte(k))
	if tikverr.IsErrNotFound(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}

func TestCollectVersions(t *testing.T) {
	st := open(t, Options{})
	step := func() time.Time { time.Sleep(5 * time.Millisecond); return time.Now() }
	put(t, st, map[string]string{"a": "1", "b": "1", "c": "1", "d": "1", "gone": "1"})
	t1 := step()
	put(t, st, map[string]string{"a": "2", "b": "2", "c": "2", "d": "2"})
	del, err := st.KV().Begin()
	if err != nil {
		t.Fatal(err)
	}
	del.Delete([]byte("gone"))
	if err := del.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	safe := step()
	put(t, st, map[string]string{"a": "3"})
	if got := readAt(t, st, "a", t1); got != "1" {
		t.Fatalf("before GC, a at t1 = %q, want 1", got)
	}
	if got := readAt(t, st, "gone", t1); got != "1" {
		t.Fatalf("before GC, gone at t1 = %q, want 1", got)
	}

	// Two live keys per chunk: [a b] [c d gone].
	var start []byte
	chunks := 0
	for {
		next, err := st.CollectVersions(context.Background(), start, 2, safe)
		if err != nil {
			t.Fatal(err)
		}
		chunks++
		if next == nil {
			break
		}
		start = next
	}
	if chunks != 2 {
		t.Errorf("%d chunks, want 2", chunks)
	}
	for _, k := range []string{"a", "b", "c", "d", "gone"} {
		if got := readAt(t, st, k, t1); got != "" {
			t.Errorf("after GC, %s at t1 = %q, want its history gone", k, got)
		}
	}
	for k, want := range map[string]string{"a": "2", "b": "2", "d": "2", "gone": ""} {
		if got := readAt(t, st, k, safe); got != want {
			t.Errorf("after GC, %s at the safe point = %q, want %q", k, got, want)
		}
	}
	if v, err := get(st, "a"); err != nil || v != "3" {
		t.Errorf("after GC, a = %q, %v; want 3", v, err)
	}
}
