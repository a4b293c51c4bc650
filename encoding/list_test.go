package encoding

import (
	"bytes"
	"errors"
	"math/bits"
	"testing"
)

func FuzzListValue(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("v"))
	f.Add([]byte{0})
	f.Add([]byte("hello world"))
	f.Fuzz(func(t *testing.T, v []byte) {
		enc := EncodeListValue(v)
		if len(enc) == 0 {
			t.Fatal("empty encoding")
		}
		got, err := DecodeListValue(enc)
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("round trip of %q: %q, %v", v, got, err)
		}
		// Arbitrary bytes decode or fail cleanly.
		if got, err := DecodeListValue(v); err == nil {
			if !bytes.Equal(EncodeListValue(got), v) {
				t.Fatalf("decode of %q is not canonical", v)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("decode error %v does not wrap ErrMalformed", err)
		}
	})
}

func TestDecodeListValueRejects(t *testing.T) {
	for _, b := range [][]byte{nil, {}, {0}, []byte("x")} {
		if _, err := DecodeListValue(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeListValue(%q) = %v, want ErrMalformed", b, err)
		}
	}
}

func FuzzListOffset(f *testing.F) {
	f.Add(uint64(ListCenter), int64(1))
	f.Add(uint64(ListCenter), int64(-1))
	f.Add(uint64(0), int64(-1))
	f.Add(^uint64(0), int64(1))
	f.Fuzz(func(t *testing.T, pos uint64, i int64) {
		got, ok := ListOffset(pos, i)
		// Compare with 128-bit arithmetic done by hand: pos + i*ListGap.
		neg := i < 0
		d := uint64(i)
		if neg {
			d = uint64(-i)
		}
		hi, lo := bits.Mul64(d, ListGap)
		var want uint64
		var wantOK bool
		if neg {
			wantOK = hi == 0 && lo <= pos
			want = pos - lo
		} else {
			s := pos + lo
			wantOK = hi == 0 && s >= pos
			want = s
		}
		if i == -1<<63 {
			wantOK = false // -i overflows; the product is out of range anyway
		}
		if ok != wantOK || (ok && got != want) {
			t.Fatalf("ListOffset(%d, %d) = %d, %v; want %d, %v", pos, i, got, ok, want, wantOK)
		}
		if ok && i != 0 && (got > pos) != (i > 0) {
			t.Fatalf("ListOffset(%d, %d) = %d moves the wrong way", pos, i, got)
		}
	})
}

func TestListSubOrder(t *testing.T) {
	prev := ListSub(0)
	for _, p := range []uint64{1, ListGap, ListCenter - 1, ListCenter, ListCenter + ListGap, ^uint64(0)} {
		s := ListSub(p)
		if bytes.Compare(prev, s) >= 0 {
			t.Fatalf("ListSub(%d) does not sort after the previous position", p)
		}
		if got, err := DecodeListSub(s); err != nil || got != p {
			t.Fatalf("DecodeListSub(ListSub(%d)) = %d, %v", p, got, err)
		}
		prev = s
	}
}
