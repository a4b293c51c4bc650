package db

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/store"
)

func TestCursors(t *testing.T) {
	st := openStore(t, store.Options{})
	a, b := New(st, Options{}, nil), New(st, Options{}, nil)
	t.Cleanup(func() { a.Close(); b.Close() })
	scope := encoding.CursorScope('k', 0, nil)
	var cur uint64
	update(t, a, func(tx *Tx) (err error) {
		if c, err := tx.SaveCursor(scope, nil); c != 0 || err != nil {
			t.Errorf("a complete scan's cursor = %d, %v", c, err)
		}
		cur, err = tx.SaveCursor(scope, []byte("pos"))
		return err
	})
	if cur == 0 || cur>>63 != 0 {
		t.Fatalf("cursor %d", cur)
	}
	// Another DB over the store resumes it.
	update(t, b, func(tx *Tx) error {
		pos, err := tx.Cursor(cur, scope)
		if err != nil || !bytes.Equal(pos, []byte("pos")) {
			t.Errorf("resume = %q, %v", pos, err)
		}
		if pos, err := tx.Cursor(0, scope); pos != nil || err != nil {
			t.Errorf("cursor 0 = %q, %v", pos, err)
		}
		for _, c := range []struct {
			cursor uint64
			scope  []byte
		}{{cur + 1, scope}, {cur, encoding.CursorScope('k', 1, nil)}, {cur, encoding.CursorScope('h', 0, []byte("h"))}} {
			if _, err := tx.Cursor(c.cursor, c.scope); err != ErrUnknownCursor {
				t.Errorf("cursor %d scope %q: %v", c.cursor, c.scope, err)
			}
		}
		return nil
	})
	// An expired record answers an error and is collected; a fresh one
	// is kept.
	old := encoding.MakeCursor(uint32(time.Now().Add(-2*CursorTTL).Unix()/60), 5)
	update(t, a, func(tx *Tx) error {
		r := encoding.CursorRecord{LastUse: tx.now - 2*CursorTTL.Milliseconds(), Scope: scope, Pos: []byte("x")}
		return tx.set(a.keys.Cursor(old), encoding.EncodeCursorRecord(r))
	})
	if err := a.Update(context.Background(), 0, func(tx *Tx) error { _, err := tx.Cursor(old, scope); return err }); err != ErrUnknownCursor {
		t.Fatalf("expired cursor: %v", err)
	}
	// A refreshed old record is kept.
	kept := encoding.MakeCursor(uint32(time.Now().Add(-2*CursorTTL).Unix()/60), 6)
	update(t, a, func(tx *Tx) error {
		r := encoding.CursorRecord{LastUse: tx.now - 10*time.Minute.Milliseconds(), Scope: scope, Pos: []byte("y")}
		return tx.set(a.keys.Cursor(kept), encoding.EncodeCursorRecord(r))
	})
	next, deleted, firstKept, err := a.CollectCursors(context.Background(), 0, 100)
	if err != nil || next != 0 || deleted != 1 || firstKept != kept {
		t.Fatalf("collect: next %d deleted %d kept %d, %v", next, deleted, firstKept, err)
	}
	update(t, b, func(tx *Tx) error {
		if pos, err := tx.Cursor(kept, scope); string(pos) != "y" || err != nil {
			t.Errorf("refreshed cursor: %q %v", pos, err)
		}
		if pos, err := tx.Cursor(cur, scope); string(pos) != "pos" || err != nil {
			t.Errorf("young cursor: %q %v", pos, err)
		}
		return nil
	})
	// Bounded rounds go on where they stopped.
	for i := range 5 {
		c := encoding.MakeCursor(uint32(time.Now().Add(-3*CursorTTL).Unix()/60), uint32(10+i))
		update(t, a, func(tx *Tx) error {
			r := encoding.CursorRecord{LastUse: 1, Scope: scope}
			return tx.set(a.keys.Cursor(c), encoding.EncodeCursorRecord(r))
		})
	}
	total := 0
	from := uint64(0)
	for range 10 {
		next, n, _, err := a.CollectCursors(context.Background(), from, 2)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if from = next; next == 0 {
			break
		}
	}
	if total != 5 {
		t.Fatalf("collected %d of 5 in rounds of 2", total)
	}
}

// TestScanCallCosts: a SCAN call is a read: one BatchGet (the key
// counters and the record of the cursor it resumes) and one Scan; only a
// call with a next page writes, the record of the cursor it hands out,
// in a transaction of its own. The last page and a scan that fits in one
// page write nothing.
func TestScanCallCosts(t *testing.T) {
	d, cost := openCostTest(t)
	update(t, d, func(tx *Tx) error {
		for i := range 25 {
			if _, err := tx.String([]byte(fmt.Sprintf("k%02d", i))).Set([]byte("v"), SetOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
	scope := encoding.CursorScope('k', 0, nil)
	var cursor uint64
	var got int
	call := func(count int) func(tx *Tx) error {
		return func(tx *Tx) error {
			page, err := tx.Keyspace().ScanCursor(cursor, scope, count, nil, 0)
			if err != nil {
				return err
			}
			got += len(page.Items)
			cursor, err = tx.SaveCursor(scope, page.Next)
			return err
		}
	}
	if c := cost(true, nil, call(100)); c != "BatchGet=1 Scan=1" || cursor != 0 || got != 25 {
		t.Errorf("one-page SCAN costs %s (cursor %d, %d keys), want BatchGet=1 Scan=1", c, cursor, got)
	}
	got = 0
	if c := cost(true, nil, call(20)); c != "Get=1 BatchGet=1 Scan=1 Prewrite=1 Commit=1" || cursor == 0 {
		t.Errorf("first SCAN page costs %s (cursor %d), want Get=1 BatchGet=1 Scan=1 Prewrite=1 Commit=1", c, cursor)
	}
	if c := cost(true, nil, call(20)); c != "BatchGet=1 Scan=1" || cursor != 0 || got != 25 {
		t.Errorf("last SCAN page costs %s (cursor %d, %d keys in all), want BatchGet=1 Scan=1", c, cursor, got)
	}
}
