package scripting

import "testing"

func TestCRC64Jones(t *testing.T) {
	// The check value of Redis's crc64 test.
	if got := crc64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64 = %x", got)
	}
}

func TestDumpRoundTrip(t *testing.T) {
	codes := []string{"#!lua name=a\nredis.register_function('f', function() return 1 end)", string(make([]byte, 20000))}
	got, err := RestoreLibraries(DumpLibraries(codes))
	if err != nil || len(got) != 2 || got[0] != codes[0] || got[1] != codes[1] {
		t.Fatalf("round trip: %v %q", err, got)
	}
	p := DumpLibraries(codes)
	p[3] ^= 1
	if _, err := RestoreLibraries(p); err != errBadPayload {
		t.Fatalf("corrupt payload: %v", err)
	}
}

func TestLZF(t *testing.T) {
	// "aaaaaaaaaa": one literal then a back reference of 8 bytes at distance 1.
	in := []byte{0x00, 'a', 0xc0, 0x00}
	out, ok := lzfDecompress(in, 9)
	if !ok || string(out) != "aaaaaaaaa" {
		t.Fatalf("lzf: %q %v", out, ok)
	}
}
