package encoding

import (
	"bytes"
	"math"
	"testing"
)

func FuzzMetaRoundTrip(f *testing.F) {
	f.Add(byte(TypeString), false, int64(0), uint64(1), []byte("value"), int64(0), uint64(0), uint64(0))
	f.Add(byte(TypeHash), false, int64(1700000000000), uint64(42), []byte("0123456789ab"), int64(3), uint64(0), uint64(0))
	f.Add(byte(TypeList), true, int64(5), uint64(7), []byte("obj"), int64(2), uint64(ListCenter), uint64(ListCenter+ListGap))
	f.Fuzz(func(t *testing.T, typ byte, sparse bool, expire int64, version uint64, payload []byte, count int64, head, tail uint64) {
		m := Meta{Type: Type(typ%5 + 1), ExpireAt: expire, Version: version}
		if m.Type == TypeString && !sparse {
			m.Value = payload
		} else {
			// A chunked string (sparse picks it for strings) carries an
			// object and its length, as collections do.
			m.Chunked = m.Type == TypeString
			copy(m.Object[:], payload)
			m.Count = count
			if m.Type == TypeList {
				m.Head, m.Tail, m.Sparse = head, tail, sparse
			}
		}
		got, err := DecodeMeta(EncodeMeta(&m))
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == TypeString && len(m.Value) == 0 {
			m.Value = got.Value // empty and nil are the same value
		}
		if got.Type != m.Type || got.ExpireAt != m.ExpireAt || got.Version != m.Version ||
			!bytes.Equal(got.Value, m.Value) || got.Object != m.Object || got.Count != m.Count ||
			got.Head != m.Head || got.Tail != m.Tail || got.Sparse != m.Sparse || got.Chunked != m.Chunked {
			t.Fatalf("round trip: %+v -> %+v", m, got)
		}
	})
}

func FuzzDecodeMetaNeverPanics(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{2, 0, 1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMeta(b)
		if err == nil && m.Type != TypeString && !bytes.Equal(EncodeMeta(m), b) {
			t.Fatalf("decoded %x but encodes to %x", b, EncodeMeta(m))
		}
	})
}

func FuzzScoreOrder(f *testing.F) {
	f.Add(1.5, -2.0)
	f.Add(math.Inf(1), math.Inf(-1))
	f.Add(0.0, math.Copysign(0, -1))
	f.Fuzz(func(t *testing.T, a, b float64) {
		if math.IsNaN(a) || math.IsNaN(b) {
			return
		}
		ea, eb := EncodeScore(a), EncodeScore(b)
		if (a < b) != (ea < eb) || (a == b) != (ea == eb) {
			t.Fatalf("order of %v, %v not kept: %x %x", a, b, ea, eb)
		}
		if got := DecodeScore(ea); got != a {
			t.Fatalf("score %v decodes to %v", a, got)
		}
		sub := ZSetScoreSub(a, []byte("m"))
		s, m, err := DecodeZSetScoreSub(sub)
		if err != nil || s != a || string(m) != "m" {
			t.Fatalf("score sub key: %v %q %v", s, m, err)
		}
		if fv, err := DecodeFloat(EncodeFloat(a)); err != nil || fv != a {
			t.Fatalf("float %v -> %v %v", a, fv, err)
		}
	})
}

func FuzzKeys(f *testing.F) {
	f.Add("titan", uint16(0), []byte("user:1"), int64(1700000000000))
	f.Add("ns", uint16(65535), []byte{0xff, 0x00}, int64(0))
	f.Fuzz(func(t *testing.T, ns string, db uint16, key []byte, at int64) {
		k := NewKeys(ns)
		mk := k.Meta(db, key)
		if !bytes.HasPrefix(mk, k.MetaPrefix(db)) {
			t.Fatal("meta key outside its database prefix")
		}
		if uk, err := k.MetaUserKey(db, mk); err != nil || !bytes.Equal(uk, key) {
			t.Fatalf("meta user key: %q %v", uk, err)
		}
		gotAt, gotDB, gotKey, err := k.DecodeExpire(k.Expire(at, db, key))
		if err != nil || gotAt != at || gotDB != db || !bytes.Equal(gotKey, key) {
			t.Fatalf("expire entry round trip: %d %d %q %v", gotAt, gotDB, gotKey, err)
		}
		if at >= 0 && bytes.Compare(k.Expire(at, db, key), k.ExpireUntil(at+1)) >= 0 && at < math.MaxInt64 {
			t.Fatal("entry not below ExpireUntil(at+1)")
		}
		id := NewObjectID(uint64(at), uint32(db))
		gid, _, err := k.DecodeGC(k.GC(id))
		if err != nil || gid != id {
			t.Fatalf("gc entry: %v %v", gid, err)
		}
		dk := k.Data(id, key)
		if !bytes.HasPrefix(dk, k.DataPrefix(id)) || !bytes.Equal(k.DataSub(id, dk), key) {
			t.Fatal("data key round trip")
		}
		if end := PrefixEnd(mk); end != nil && bytes.Compare(mk, end) >= 0 {
			t.Fatal("PrefixEnd not above its prefix")
		}
	})
}

func TestStringChunks(t *testing.T) {
	for _, c := range []struct{ n, chunks int64 }{{0, 0}, {1, 1}, {StringChunkSize, 1}, {StringChunkSize + 1, 2}, {512 << 20, 8192}} {
		if got := StringChunks(c.n); got != c.chunks {
			t.Errorf("StringChunks(%d) = %d, want %d", c.n, got, c.chunks)
		}
	}
	for _, i := range []int64{0, 1, 8191} {
		if got, err := StringChunkIndex(StringChunkSub(i)); err != nil || got != i {
			t.Errorf("chunk %d round trip: %d, %v", i, got, err)
		}
	}
	if !bytes.Equal(StringChunkSub(1), []byte{0, 0, 0, 1}) || bytes.Compare(StringChunkSub(255), StringChunkSub(256)) >= 0 {
		t.Error("chunk sub keys out of order")
	}
	hash := EncodeMeta(&Meta{Type: TypeHash, Count: 1})
	hash[1] |= flagChunk
	if _, err := DecodeMeta(hash); err == nil {
		t.Error("a chunked hash decoded")
	}
}
