package encoding

import (
	"bytes"
	"testing"
)

func TestCRC64(t *testing.T) {
	// The check value of Redis's crc64 test.
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64 = %x", got)
	}
}

func TestDumpRoundTrip(t *testing.T) {
	for _, v := range []*RDBValue{
		{Type: TypeString, Str: []byte("hello")},
		{Type: TypeString, Str: []byte("-12345")},
		{Type: TypeString, Str: []byte{}},
		{Type: TypeList, Elems: [][]byte{[]byte("a"), []byte("100000"), bytes.Repeat([]byte("x"), 20000)}},
		{Type: TypeSet, Elems: [][]byte{[]byte("1"), []byte("b")}},
		{Type: TypeHash, Elems: [][]byte{[]byte("f"), []byte("v"), []byte("g"), []byte("")}},
		{Type: TypeZSet, Elems: [][]byte{[]byte("m")}, Scores: []float64{1.5}},
	} {
		p := EncodeDump(v)
		if !VerifyDump(p) {
			t.Fatalf("%v: footer rejected", v.Type)
		}
		got, err := DecodeDump(p)
		if err != nil {
			t.Fatalf("%v: %v", v.Type, err)
		}
		if !bytes.Equal(got.Str, v.Str) || len(got.Elems) != len(v.Elems) {
			t.Fatalf("%v: got %+v", v.Type, got)
		}
		for i := range v.Elems {
			if !bytes.Equal(got.Elems[i], v.Elems[i]) {
				t.Fatalf("%v: element %d %q", v.Type, i, got.Elems[i])
			}
		}
		p[0] ^= 1
		if VerifyDump(p) {
			t.Fatalf("%v: corrupted payload accepted", v.Type)
		}
	}
}

func FuzzDecodeDumpNeverPanics(f *testing.F) {
	f.Add(EncodeDump(&RDBValue{Type: TypeString, Str: []byte("x")}))
	f.Add([]byte{17, 0x0c, 0x0c, 0, 0, 0, 2, 0, 0x81, 'a', 2, 1, 1, 0xff, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 10 {
			_, _ = DecodeDump(b)
		}
	})
}
