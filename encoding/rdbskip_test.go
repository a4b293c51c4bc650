package encoding

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// TestWalkRDBRaw: skipping the values finds the same keys, expiries and
// payload bytes as decoding them (streams included), and fails on the
// same broken files.
func TestWalkRDBRaw(t *testing.T) {
	stream, err := os.ReadFile("testdata/redis70_stream.rdb")
	if err != nil {
		t.Fatal(err)
	}
	if err := WalkRDBRaw(stream, func(RDBEntry) error { return nil }); err != nil {
		t.Fatalf("raw walk of a file with streams: %v", err)
	}
	data, err := os.ReadFile("testdata/redis70.rdb")
	if err != nil {
		t.Fatal(err)
	}
	var decoded, raw []RDBEntry
	if err := WalkRDB(data, func(e RDBEntry) error { decoded = append(decoded, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := WalkRDBRaw(data, func(e RDBEntry) error { raw = append(raw, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(raw) != len(decoded) || len(raw) == 0 {
		t.Fatalf("raw walk found %d keys, decoding walk %d", len(raw), len(decoded))
	}
	for i, d := range decoded {
		r := raw[i]
		if string(r.Key) != string(d.Key) || r.DB != d.DB || r.ExpireAt != d.ExpireAt || !bytes.Equal(r.Payload, d.Payload) || r.Value != nil {
			t.Errorf("%s: raw entry differs from the decoded one", d.Key)
		}
	}
	bad := append([]byte{}, data...)
	bad[len(bad)/2] ^= 0xff
	if err := WalkRDBRaw(bad, func(RDBEntry) error { return nil }); !errors.Is(err, ErrBadDump) {
		t.Errorf("corrupt file: %v", err)
	}
	for _, cut := range []int{20, len(data) / 3, len(data) / 2} {
		if err := WalkRDBRaw(data[:len(data)-cut], func(RDBEntry) error { return nil }); !errors.Is(err, ErrBadDump) {
			t.Errorf("file cut by %d bytes: %v", cut, err)
		}
	}
}

func FuzzWalkRDBRaw(f *testing.F) {
	if data, err := os.ReadFile("testdata/redis70.rdb"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		WalkRDBRaw(b, func(RDBEntry) error { return nil })
	})
}

// BenchmarkWalkRDB compares decoding every value with skipping it, on the
// test snapshot or the one named by $RDB_FILE (e.g. from redis-cli --rdb).
func BenchmarkWalkRDB(b *testing.B) {
	path := os.Getenv("RDB_FILE")
	if path == "" {
		path = "testdata/redis70.rdb"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		walk func([]byte, func(RDBEntry) error) error
	}{{"decode", WalkRDB}, {"skip", WalkRDBRaw}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for range b.N {
				if err := c.walk(data, func(RDBEntry) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCRC64Slicing: the eight-bytes-a-step CRC64 equals the byte-wise
// definition for every length and when continued over split input.
func TestCRC64Slicing(t *testing.T) {
	bytewise := func(crc uint64, b []byte) uint64 {
		for _, c := range b {
			crc ^= uint64(c)
			for range 8 {
				if crc&1 != 0 {
					crc = crc>>1 ^ 0x95AC9329AC4BC9B5
				} else {
					crc >>= 1
				}
			}
		}
		return crc
	}
	data := make([]byte, 300)
	for i := range data {
		data[i] = byte(i*131 + 7)
	}
	for n := 0; n <= len(data); n++ {
		if got, want := CRC64(0, data[:n]), bytewise(0, data[:n]); got != want {
			t.Fatalf("length %d: %x, want %x", n, got, want)
		}
		if got, want := CRC64(CRC64(0, data[:n/3]), data[n/3:n]), bytewise(0, data[:n]); got != want {
			t.Fatalf("length %d split at %d: %x, want %x", n, n/3, got, want)
		}
	}
}
