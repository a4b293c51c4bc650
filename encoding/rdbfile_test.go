package encoding

import (
	"errors"
	"os"
	"testing"
)

// testdata/redis70.rdb is a SAVE of redis-server 7.0.15 holding every
// encoding it writes: small and big strings (LZF), listpack and quicklist
// lists, intset and hashtable sets, listpack and skiplist sorted sets and
// hashes, a HyperLogLog, keys with TTLs, a key in db 1 and a function
// library.
func TestWalkRDB(t *testing.T) {
	data, err := os.ReadFile("testdata/redis70.rdb")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]RDBEntry{}
	if err := WalkRDB(data, func(e RDBEntry) error {
		got[string(e.Key)] = e
		if !VerifyDump(e.Payload) {
			t.Errorf("%s: payload fails VerifyDump", e.Key)
		}
		v, err := DecodeDump(e.Payload)
		if err != nil {
			t.Errorf("%s: payload does not decode: %v", e.Key, err)
		} else if v.Type != e.Value.Type || len(v.Elems) != len(e.Value.Elems) || string(v.Str) != string(e.Value.Str) {
			t.Errorf("%s: payload decodes to another value", e.Key)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		typ   Type
		elems int
		db    int
		ttl   bool
	}{
		"s": {TypeString, 0, 0, false}, "n": {TypeString, 0, 0, false}, "big": {TypeString, 0, 0, false},
		"l": {TypeList, 3, 0, false}, "bl": {TypeList, 300, 0, false},
		"si": {TypeSet, 3, 0, false}, "ss": {TypeSet, 2, 0, false}, "bs": {TypeSet, 300, 0, false},
		"z": {TypeZSet, 2, 0, false}, "bz": {TypeZSet, 300, 0, false},
		"h": {TypeHash, 4, 0, false}, "bh": {TypeHash, 600, 0, false},
		"hll": {TypeString, 0, 0, false}, "ttl": {TypeString, 0, 0, true}, "other": {TypeString, 0, 1, true},
	}
	if len(got) != len(want) {
		t.Errorf("walked %d keys, want %d", len(got), len(want))
	}
	for k, w := range want {
		e, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s: not walked", k)
		case e.Value.Type != w.typ || len(e.Value.Elems) != w.elems || e.DB != w.db || (e.ExpireAt != 0) != w.ttl:
			t.Errorf("%s: type %v elems %d db %d expire %d, want %+v", k, e.Value.Type, len(e.Value.Elems), e.DB, e.ExpireAt, w)
		}
	}
	if s := string(got["big"].Value.Str); len(s) != 10000 || s[:4] != "abab" {
		t.Errorf("big: LZF string decoded to %d bytes", len(s))
	}
	if s := string(got["n"].Value.Str); s != "12345" {
		t.Errorf("n = %q", s)
	}

	// A flipped byte fails the checksum; a cut file is truncated.
	bad := append([]byte{}, data...)
	bad[len(bad)/2] ^= 0xff
	if err := WalkRDB(bad, func(RDBEntry) error { return nil }); !errors.Is(err, ErrBadDump) {
		t.Errorf("corrupt file: %v", err)
	}
	if err := WalkRDB(data[:len(data)-20], func(RDBEntry) error { return nil }); !errors.Is(err, ErrBadDump) {
		t.Errorf("truncated file: %v", err)
	}
	stop := errors.New("stop")
	if err := WalkRDB(data, func(RDBEntry) error { return stop }); err != stop {
		t.Errorf("fn's error not returned: %v", err)
	}
}

func FuzzWalkRDB(f *testing.F) {
	data, err := os.ReadFile("testdata/redis70.rdb")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:100])
	f.Fuzz(func(t *testing.T, b []byte) {
		WalkRDB(b, func(RDBEntry) error { return nil })
	})
}
