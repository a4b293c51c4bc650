package db

import (
	"context"
	"testing"

	"github.com/titan-kv/titan/encoding"
)

// TestSwapConflictsWithRacingWrite: a write whose snapshot predates a
// SWAPDB of its database and that commits after it must not commit into
// the physical database the swap gave to the other logical one: it fails
// with a retryable conflict (guardWrites), for an overwrite that changes
// no key count too; a retry reads the new mapping.
func TestSwapConflictsWithRacingWrite(t *testing.T) {
	ctx := context.Background()
	d := openDB(t, Options{}, nil)
	set := func(logical uint16, key, v string) error {
		return d.Update(ctx, 0, func(tx *Tx) error {
			if err := tx.Select(logical); err != nil {
				return err
			}
			_, err := tx.String([]byte(key)).Set([]byte(v), SetOptions{})
			return err
		})
	}
	get := func(logical uint16, key string) string {
		var out []byte
		readView(t, d, func(tx *Tx) error {
			if err := tx.Select(logical); err != nil {
				return err
			}
			v, err := tx.String([]byte(key)).Get()
			out = v
			return err
		})
		return string(out)
	}
	if err := set(0, "k", "zero"); err != nil {
		t.Fatal(err)
	}
	for _, overwrite := range []bool{true, false} {
		key := "k"
		if !overwrite {
			key = "fresh"
		}
		w, err := d.begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Select(0); err != nil {
			t.Fatal(err)
		}
		if _, err := w.String([]byte(key)).Set([]byte("raced"), SetOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := d.Update(ctx, 0, func(tx *Tx) error { return tx.Keyspace().Swap(0, 1) }); err != nil {
			t.Fatal(err)
		}
		if err := w.commit(); err == nil || !retryable(err) {
			t.Fatalf("overwrite %v: the write that raced the swap committed (%v), want a retryable conflict", overwrite, err)
		}
		if v := get(1, key); v == "raced" {
			t.Fatalf("overwrite %v: the raced write landed in logical db 1", overwrite)
		}
	}
	// The mapping: two swaps, back to the identity at epoch 2.
	if m := d.currentMap(); m.Epoch != 2 || m.Physical(0) != 0 || m.SwappedAt(1) != 2 {
		t.Fatalf("mapping after two swaps: %+v", m)
	}
	if err := set(0, "k", "after"); err != nil || get(0, "k") != "after" {
		t.Fatalf("write after the swaps: %v, %q", err, get(0, "k"))
	}
}

// TestSwapReadsThroughSnapshotMapping: a DB whose cached mapping is stale
// (another instance swapped) reads and writes through the mapping of its
// transaction's snapshot, with the mapping read in the metadata's BatchGet.
func TestSwapReadsThroughSnapshotMapping(t *testing.T) {
	ctx := context.Background()
	d := openDB(t, Options{}, nil)
	other := New(d.store, d.opts, nil)
	job := func(dd *DB, logical uint16, ro bool, fn func(tx *Tx) error) {
		t.Helper()
		j := &Job{DB: logical, Keys: toBytes("k"), ReadOnly: ro, Fn: fn}
		dd.Do(ctx, j)
		if j.Err != nil {
			t.Fatal(j.Err)
		}
	}
	setK := func(v string) func(tx *Tx) error {
		return func(tx *Tx) error { _, err := tx.String([]byte("k")).Set([]byte(v), SetOptions{}); return err }
	}
	job(d, 0, false, setK("zero"))
	job(d, 1, false, setK("one"))
	var got []byte
	getK := func(tx *Tx) (err error) { got, err = tx.String([]byte("k")).Get(); return err }
	job(other, 0, true, getK) // other caches the identity
	if string(got) != "zero" {
		t.Fatalf("before: %q", got)
	}
	job(d, 0, false, func(tx *Tx) error { return tx.Keyspace().Swap(0, 1) })
	if other.MapEpoch() != 0 {
		t.Fatal("other's cache changed without a read")
	}
	job(other, 0, true, getK)
	if string(got) != "one" || other.MapEpoch() != 1 {
		t.Fatalf("after the swap, db0 on the stale DB: %q (epoch %d)", got, other.MapEpoch())
	}
	var m *encoding.DBMap = other.currentMap()
	if m.Physical(0) != 1 || m.Logical(1) != 0 {
		t.Fatalf("mapping %+v", m)
	}
}
