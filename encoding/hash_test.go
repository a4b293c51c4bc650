package encoding

import (
	"bytes"
	"errors"
	"math/bits"
	"testing"
)

func FuzzHashValue(f *testing.F) {
	for _, s := range []string{"", "v", "\x00", "\x00\x00", "\x00a", "hello"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		enc := EncodeHashValue(v)
		if len(enc) == 0 {
			t.Fatal("empty encoding")
		}
		got, err := DecodeHashValue(enc)
		if err != nil || !bytes.Equal(got, v) || got == nil {
			t.Fatalf("round trip of %q: %q, %v", v, got, err)
		}
		if got, err := DecodeHashValue(v); err == nil {
			if !bytes.Equal(EncodeHashValue(got), v) {
				t.Fatalf("decode of %q is not canonical", v)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("decode error %v does not wrap ErrMalformed", err)
		}
	})
}

func FuzzElemSub(f *testing.F) {
	for _, s := range []string{"", "a", "field", "\xff\xff", "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, e []byte) {
		for _, c := range []struct {
			enc    func([]byte) []byte
			dec    func([]byte) ([]byte, error)
			other  func([]byte) ([]byte, error)
			prefix []byte
		}{
			{HashFieldSub, DecodeHashFieldSub, DecodeSetMemberSub, HashFieldPrefix()},
			{SetMemberSub, DecodeSetMemberSub, DecodeHashFieldSub, SetMemberPrefix()},
		} {
			sub := c.enc(e)
			if !bytes.HasPrefix(sub, c.prefix) {
				t.Fatalf("sub %q lacks prefix %q", sub, c.prefix)
			}
			got, err := c.dec(sub)
			if err != nil || !bytes.Equal(got, e) {
				t.Fatalf("round trip of %q: %q, %v", e, got, err)
			}
			if _, err := c.other(sub); !errors.Is(err, ErrMalformed) {
				t.Fatalf("sub key of the other type decoded: %v", err)
			}
			// Arbitrary bytes decode or fail cleanly.
			if got, err := c.dec(e); err == nil {
				if !bytes.Equal(c.enc(got), e) {
					t.Fatalf("decode of %q is not canonical", e)
				}
			} else if !errors.Is(err, ErrMalformed) {
				t.Fatalf("decode error %v does not wrap ErrMalformed", err)
			}
		}
	})
}

func TestDecodeHashValueRejects(t *testing.T) {
	for _, b := range [][]byte{nil, {}, {0, 'a'}} {
		if _, err := DecodeHashValue(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeHashValue(%q) = %v, want ErrMalformed", b, err)
		}
	}
}

// TestElemMixSpreads checks that elements differing only in their last
// bytes (field1, field2, ...) are spread over the whole key space: the
// random sampling of hashes and sets relies on it.
func TestElemMixSpreads(t *testing.T) {
	const n = 4096
	var buckets [16]int
	for i := 0; i < n; i++ {
		e := []byte("field" + string(rune('0'+i%10)) + string(rune('a'+i/10%26)) + string(rune('A'+i/260)))
		buckets[ElemMix(e)>>60]++
	}
	for i, c := range buckets {
		if c < n/16/2 || c > n/16*3/2 {
			t.Errorf("bucket %d holds %d of %d elements: %v", i, c, n, buckets)
		}
	}
	// One flipped input bit changes about half of the output bits.
	a, b := ElemMix([]byte("member:1000")), ElemMix([]byte("member:1001"))
	if d := bits.OnesCount64(a ^ b); d < 16 {
		t.Errorf("neighbouring elements differ in %d bits only", d)
	}
}
