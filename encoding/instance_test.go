package encoding

import (
	"bytes"
	"testing"
)

func FuzzInstanceRoundTrip(f *testing.F) {
	f.Add(int64(1700000000000), "10.0.0.1:7000", "10.0.0.1:6379")
	f.Add(int64(0), "host:1", "")
	f.Fuzz(func(t *testing.T, until int64, addr, info string) {
		if bytes.IndexByte([]byte(addr), 0) >= 0 {
			return // addresses never hold NUL
		}
		u, a, i, err := DecodeInstance(EncodeInstance(until, addr, info))
		if err != nil || u != until || a != addr || i != info {
			t.Fatalf("round trip of %d %q %q: %d %q %q %v", until, addr, info, u, a, i, err)
		}
		if info == "" && !bytes.Equal(EncodeInstance(until, addr, ""), append(EncodeInt64(until), addr...)) {
			t.Fatal("an entry without info changed its layout")
		}
	})
}
