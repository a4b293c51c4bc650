package encoding

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"reflect"
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

// testdata/redis70_stream.rdb is a SAVE of redis-server 7.0.15 holding a
// stream of 249 entries (250 added, one deleted) in 3 nodes with a group
// of 4 pending entries, an emptied stream with a TTL and a string.
func TestWalkRDBStreams(t *testing.T) {
	data, err := os.ReadFile("testdata/redis70_stream.rdb")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]RDBEntry{}
	if err := WalkRDB(data, func(e RDBEntry) error {
		got[string(e.Key)] = e
		v, err := DecodeDump(e.Payload)
		if err != nil || v.Type != e.Value.Type {
			t.Errorf("%s: payload does not decode: %v", e.Key, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st := got["st"].Value
	if st == nil || st.Type != TypeStream || len(st.Stream.Entries) != 249 || st.Stream.EntriesAdded != 250 {
		t.Fatalf("st: %+v", st)
	}
	if e := st.Stream.Entries[2]; e.ID != (StreamID{4, 1}) || string(e.Fields[1]) != "4" || string(e.Fields[3]) != "xxxx" {
		t.Errorf("st entry 2: %v %q", e.ID, e.Fields)
	}
	if g := st.Stream.Groups; len(g) != 1 || len(g[0].PEL) != 4 || string(g[0].PEL[3].Consumer) != "c1" || g[0].LastID != (StreamID{5, 1}) {
		t.Errorf("st groups: %+v", g)
	}
	if st.Stream.MaxDeletedID != (StreamID{3, 1}) || st.Stream.FirstID != (StreamID{1, 1}) {
		t.Errorf("st ids: %+v", st.Stream)
	}
	se := got["se"]
	if se.Value == nil || se.Value.Type != TypeStream || len(se.Value.Stream.Entries) != 0 || se.ExpireAt != 4102444800000 {
		t.Errorf("se: %+v", se)
	}
	if got["plain"].Value == nil {
		t.Error("the key after the streams was not walked")
	}
}

// TestStreamDumpEncoding checks the stream payload titan writes: what
// redis-server's stream layout holds (node limits, same-fields entries,
// integers in listpacks) decodes back to the same stream.
func TestStreamDumpEncoding(t *testing.T) {
	s := &RDBStream{LastID: StreamID{900, 0}, FirstID: StreamID{1, 0}, MaxDeletedID: StreamID{2, 5}, EntriesAdded: 1000}
	for i := 1; i <= 250; i++ {
		f := [][]byte{[]byte("f"), []byte(fmt.Sprint(i * 37)), []byte("v"), make([]byte, i%70)}
		if i%11 == 0 {
			f = [][]byte{[]byte("other"), []byte("-70000"), []byte("x"), []byte("5000000000")}
		}
		s.Entries = append(s.Entries, RDBStreamEntry{ID: StreamID{uint64(i), uint64(i % 3)}, Fields: f})
	}
	s.Groups = []RDBStreamGroup{{Name: []byte("g"), LastID: StreamID{5, 2}, EntriesRead: -1,
		PEL:       []RDBStreamNACK{{ID: StreamID{1, 1}, Consumer: []byte("a"), DeliveryTime: 1700000000000, DeliveryCount: 3}, {ID: StreamID{4, 1}, Consumer: []byte("b"), DeliveryTime: 5, DeliveryCount: 1}},
		Consumers: []RDBStreamConsumer{{Name: []byte("a"), SeenTime: 12}, {Name: []byte("b"), SeenTime: 13}, {Name: []byte("c"), SeenTime: 14}}}}
	p := EncodeDump(&RDBValue{Type: TypeStream, Stream: s})
	v, err := DecodeDump(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v.Stream, s) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", v.Stream, s)
	}
	// Every truncation is refused, never a panic.
	for n := 0; n < len(p)-10; n += 7 {
		q := append(append([]byte{}, p[:n]...), p[len(p)-10:]...)
		if _, err := DecodeDump(q); err == nil {
			t.Fatalf("payload cut at %d decoded", n)
		}
	}
}

// TestStreamDumpOlderAndNewerTypes reads a stream as Redis 5/6 (type 15:
// no first ID, max deleted ID, entries-added or entries-read) and Redis
// 7.2 (type 21: each consumer's active time) write it.
func TestStreamDumpOlderAndNewerTypes(t *testing.T) {
	entries := []RDBStreamEntry{
		{ID: StreamID{5, 0}, Fields: [][]byte{[]byte("a"), []byte("1")}},
		{ID: StreamID{6, 0}, Fields: [][]byte{[]byte("a"), []byte("2")}},
		{ID: StreamID{7, 0}, Fields: [][]byte{[]byte("b"), []byte("3")}},
	}
	encode := func(typ byte) []byte {
		w := &rdbWriter{}
		w.b = append(w.b, typ)
		w.streamNodes(entries)
		w.length(3)
		w.length(7) // last id 7-0
		w.length(0)
		if typ != rdbStreamListpacks {
			for _, v := range []uint64{5, 0, 0, 0, 3} {
				w.length(v)
			}
		}
		w.length(1) // one group
		w.str([]byte("g"))
		w.length(5) // last id 5-0
		w.length(0)
		if typ != rdbStreamListpacks {
			w.length(1)
		}
		w.length(1) // PEL: 5-0
		w.b = AppendID(w.b, StreamID{5, 0})
		w.b = binary.LittleEndian.AppendUint64(w.b, 1000)
		w.length(2)
		w.length(1) // consumer c owns 5-0
		w.str([]byte("c"))
		w.b = binary.LittleEndian.AppendUint64(w.b, 2000)
		if typ == rdbStreamListpacks3 {
			w.b = binary.LittleEndian.AppendUint64(w.b, 3000)
		}
		w.length(1)
		w.b = AppendID(w.b, StreamID{5, 0})
		w.b = binary.LittleEndian.AppendUint16(w.b, RDBVersion)
		return binary.LittleEndian.AppendUint64(w.b, CRC64(0, w.b))
	}
	for _, typ := range []byte{rdbStreamListpacks, rdbStreamListpacks2, rdbStreamListpacks3} {
		v, err := DecodeDump(encode(typ))
		if err != nil {
			t.Fatalf("type %d: %v", typ, err)
		}
		s := v.Stream
		if len(s.Entries) != 3 || s.FirstID != (StreamID{5, 0}) || s.EntriesAdded != 3 || s.LastID != (StreamID{7, 0}) {
			t.Errorf("type %d: %+v", typ, s)
		}
		g := s.Groups[0]
		// Type 15: entries-read as Redis estimates it for the first entry.
		if g.EntriesRead != 1 || len(g.PEL) != 1 || string(g.PEL[0].Consumer) != "c" || g.PEL[0].DeliveryCount != 2 ||
			g.PEL[0].DeliveryTime != 1000 || g.Consumers[0].SeenTime != 2000 {
			t.Errorf("type %d group: %+v", typ, g)
		}
	}
}
