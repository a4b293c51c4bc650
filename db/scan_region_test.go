package db

import (
	"fmt"
	"testing"

	"github.com/titan-kv/titan/store"
)

// TestScanStopsAtRegionEnd: a SCAN page does not step over more than one
// region: over a region of deleted keys it returns nothing, with a cursor
// at the next region, which the next page reads.
func TestScanStopsAtRegionEnd(t *testing.T) {
	st := openStore(t, store.Options{Regions: 2})
	d := New(st, Options{}, nil)
	t.Cleanup(func() { d.Close() })
	if err := st.Split(d.keys.Meta(0, []byte("b"))); err != nil {
		t.Fatal(err)
	}
	update(t, d, func(tx *Tx) error {
		for i := range 500 {
			if _, err := tx.String([]byte(fmt.Sprintf("a%04d", i))).Set([]byte("v"), SetOptions{}); err != nil {
				return err
			}
		}
		_, err := tx.String([]byte("b1")).Set([]byte("v"), SetOptions{})
		return err
	})
	update(t, d, func(tx *Tx) error {
		for i := range 500 {
			if _, err := tx.Key([]byte(fmt.Sprintf("a%04d", i))).Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	readView(t, d, func(tx *Tx) error {
		p, err := tx.Keyspace().Scan(nil, 10, nil, 0)
		if err != nil {
			return err
		}
		if len(p.Items) != 0 || string(p.Next) != "b" {
			t.Fatalf("first page %q next %q, want nothing and b", p.Items, p.Next)
		}
		p, err = tx.Keyspace().Scan(p.Next, 10, nil, 0)
		if err != nil {
			return err
		}
		if len(p.Items) != 1 || string(p.Items[0]) != "b1" || p.Next != nil {
			t.Fatalf("second page %q next %q", p.Items, p.Next)
		}
		return nil
	})
}
