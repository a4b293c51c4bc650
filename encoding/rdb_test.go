package encoding

import (
	"bytes"
	"encoding/binary"
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
	f.Add(EncodeDump(&RDBValue{Type: TypeStream, Stream: &RDBStream{Entries: []RDBStreamEntry{{ID: StreamID{1, 1}, Fields: [][]byte{[]byte("a"), []byte("1")}}}, LastID: StreamID{1, 1}, Groups: []RDBStreamGroup{{Name: []byte("g"), PEL: []RDBStreamNACK{{ID: StreamID{1, 1}, Consumer: []byte("c")}}, Consumers: []RDBStreamConsumer{{Name: []byte("c")}}}}}}))
	f.Add([]byte{17, 0x0c, 0x0c, 0, 0, 0, 2, 0, 0x81, 'a', 2, 1, 1, 0xff, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= 10 {
			_, _ = DecodeDump(b)
		}
	})
}

// ziplist builds a ziplist of short strings and (for ints) 16-bit or
// 4-bit immediate integers, as Redis 6 wrote them.
func ziplist(entries ...any) []byte {
	var body []byte
	prev := 0
	for _, e := range entries {
		var ent []byte
		switch v := e.(type) {
		case string:
			ent = append([]byte{byte(len(v))}, v...)
		case int:
			if v >= 0 && v <= 12 {
				ent = []byte{0xf1 + byte(v)}
			} else {
				ent = []byte{0xc0, byte(v), byte(v >> 8)}
			}
		}
		ent = append([]byte{byte(prev)}, ent...)
		prev = len(ent)
		body = append(body, ent...)
	}
	zl := binary.LittleEndian.AppendUint32(nil, uint32(10+len(body)+1))
	zl = binary.LittleEndian.AppendUint32(zl, 0)
	zl = binary.LittleEndian.AppendUint16(zl, uint16(len(entries)))
	return append(append(zl, body...), 0xff)
}

// payload wraps an object in an RDB 9 footer.
func payload(obj []byte) []byte {
	p := binary.LittleEndian.AppendUint16(obj, 9)
	return binary.LittleEndian.AppendUint64(p, CRC64(0, p))
}

func blob(t byte, b []byte) []byte { return append([]byte{t, byte(len(b))}, b...) }

// TestDecodeZiplistPayloads reads the encodings of Redis 6 (RDB 9), which
// redis-server 7.0 also restores: ziplist lists, hashes and sorted sets,
// and quicklists of ziplists.
func TestDecodeZiplistPayloads(t *testing.T) {
	zl := ziplist("a", 12, -300, "hello world")
	cases := []struct {
		p      []byte
		typ    Type
		elems  string
		scores []float64
	}{
		{payload(blob(rdbListZiplist, zl)), TypeList, "a 12 -300 hello world", nil},
		{payload(blob(rdbHashZiplist, zl)), TypeHash, "a 12 -300 hello world", nil},
		{payload(blob(rdbZSetZiplist, ziplist("m", 7, "n", 300))), TypeZSet, "m n", []float64{7, 300}},
		{payload(append([]byte{rdbListQuicklist, 2}, append(blob(0, ziplist("x", 1))[1:], blob(0, zl)[1:]...)...)), TypeList, "x 1 a 12 -300 hello world", nil},
	}
	for i, c := range cases {
		if !VerifyDump(c.p) {
			t.Fatalf("case %d: footer rejected", i)
		}
		v, err := DecodeDump(c.p)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if got := string(bytes.Join(v.Elems, []byte(" "))); v.Type != c.typ || got != c.elems {
			t.Fatalf("case %d: %v %q", i, v.Type, got)
		}
		for j, s := range c.scores {
			if v.Scores[j] != s {
				t.Fatalf("case %d: scores %v", i, v.Scores)
			}
		}
	}
	if _, err := DecodeDump(payload(blob(rdbListZiplist, zl[:len(zl)-2]))); err == nil {
		t.Fatal("truncated ziplist accepted")
	}
}

func TestFunctionDumpRoundTrip(t *testing.T) {
	codes := []string{"#!lua name=a\nredis.register_function('f', function() return 1 end)", string(make([]byte, 20000))}
	p := EncodeFunctions(codes)
	got, err := DecodeFunctions(p)
	if err != nil || len(got) != 2 || got[0] != codes[0] || got[1] != codes[1] {
		t.Fatalf("round trip: %v %q", err, got)
	}
	p[3] ^= 1
	if _, err := DecodeFunctions(p); err != ErrBadDump {
		t.Fatalf("corrupt payload: %v", err)
	}
	if _, err := DecodeFunctions(EncodeDump(&RDBValue{Type: TypeString, Str: []byte("x")})); err != ErrNotFunction {
		t.Fatalf("a string's payload: %v", err)
	}
}

func TestFunctionDumpLZF(t *testing.T) {
	// A library whose code is LZF-compressed, as Redis writes long ones:
	// "aaaaaaaaa" is one literal then a back reference of 8 bytes.
	body := []byte{rdbOpcodeFunction2, 0xc3, 4, 9, 0x00, 'a', 0xc0, 0x00}
	p := binary.LittleEndian.AppendUint16(body, RDBVersion)
	p = binary.LittleEndian.AppendUint64(p, CRC64(0, p))
	got, err := DecodeFunctions(p)
	if err != nil || len(got) != 1 || got[0] != "aaaaaaaaa" {
		t.Fatalf("lzf library: %v %q", err, got)
	}
}
