package encoding

import (
	"bytes"
	"testing"
)

func TestCursorKeysOrderByMinute(t *testing.T) {
	k := NewKeys("ns")
	a, b := MakeCursor(100, 0xffffffff), MakeCursor(101, 1)
	if CursorMinute(a) != 100 || CursorMinute(b) != 101 {
		t.Fatalf("minutes %d %d", CursorMinute(a), CursorMinute(b))
	}
	ka, kb := k.Cursor(a), k.Cursor(b)
	if bytes.Compare(ka, kb) >= 0 || bytes.Compare(ka, k.CursorUntil(101)) >= 0 || bytes.Compare(kb, k.CursorUntil(101)) < 0 {
		t.Fatal("cursor keys do not sort by minute")
	}
	if !bytes.HasPrefix(ka, k.CursorPrefix()) {
		t.Fatal("cursor key outside its prefix")
	}
	if c, err := k.DecodeCursorKey(kb); err != nil || c != b {
		t.Fatalf("decode %d %v", c, err)
	}
	if _, err := k.DecodeCursorKey(k.Counter(0, 1)); err == nil {
		t.Fatal("decoded a counter key as a cursor")
	}
}

func FuzzCursorRecord(f *testing.F) {
	f.Add(int64(1), []byte("k\x00\x00"), []byte("pos"))
	f.Add(int64(0), []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, last int64, scope, pos []byte) {
		r, err := DecodeCursorRecord(EncodeCursorRecord(CursorRecord{LastUse: last, Scope: scope, Pos: pos}))
		if err != nil || r.LastUse != last || !bytes.Equal(r.Scope, scope) || !bytes.Equal(r.Pos, pos) {
			t.Fatalf("round trip: %+v %v", r, err)
		}
		DecodeCursorRecord(scope) // never panics
	})
}

func TestCounts(t *testing.T) {
	c := Counts{Keys: 3, Expires: -1, ExpireSum: 1 << 40}
	got, err := DecodeCounts(EncodeCounts(c))
	if err != nil || got != c {
		t.Fatalf("round trip %+v %v", got, err)
	}
	if z, err := DecodeCounts(nil); err != nil || z != (Counts{}) {
		t.Fatal("nil is not zero")
	}
	if _, err := DecodeCounts([]byte{1}); err == nil {
		t.Fatal("decoded a short counter")
	}
	m := &Meta{Type: TypeString, ExpireAt: 5500}
	if d := CountsOf(m).Sub(CountsOf(nil)); d != (Counts{1, 1, 5}) {
		t.Fatalf("counts of %+v: %+v", m, d)
	}
	if s := c.Add(c).Sub(c); s != c {
		t.Fatal("add/sub")
	}
}

// TestCounterIndexRange: the index range of databases lo..hi holds
// exactly their entries (the repair shard's included), and an entry's key
// decodes back.
func TestCounterIndexRange(t *testing.T) {
	k := NewKeys("ns")
	from, to := k.CounterIndexRange(1, 2)
	in := func(key []byte) bool { return bytes.Compare(key, from) >= 0 && bytes.Compare(key, to) < 0 }
	for _, c := range []struct {
		db    uint16
		shard uint8
		in    bool
	}{{0, CounterShards, false}, {1, 0, true}, {2, CounterShards, true}, {2, 255, true}, {3, 0, false}} {
		key := k.CounterIndex(c.db, c.shard)
		if in(key) != c.in {
			t.Errorf("db %d shard %d: in range %v, want %v", c.db, c.shard, in(key), c.in)
		}
		if in(k.Counter(c.db, c.shard)) {
			t.Errorf("db %d shard %d: the shard itself in the index range", c.db, c.shard)
		}
		db, shard, err := k.DecodeCounterIndexKey(key)
		if err != nil || db != c.db || shard != c.shard {
			t.Errorf("decode db %d shard %d: %d %d %v", c.db, c.shard, db, shard, err)
		}
	}
	if _, _, err := k.DecodeCounterIndexKey(k.Counter(1, 1)); err == nil {
		t.Error("decoded a counter shard's key as an index entry")
	}
	all, end := k.CounterIndexRange(0, 65535)
	if bytes.Compare(k.CounterIndex(0, 0), all) < 0 || bytes.Compare(k.CounterIndex(65535, 255), end) >= 0 {
		t.Error("the range of every database")
	}
}
