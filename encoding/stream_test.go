package encoding

import (
	"bytes"
	"math"
	"reflect"
	"testing"
)

func TestStreamIDOrder(t *testing.T) {
	ids := []StreamID{{0, 0}, {0, 1}, {0, math.MaxUint64}, {1, 0}, {256, 3}, {math.MaxUint64, math.MaxUint64}}
	for i := 1; i < len(ids); i++ {
		a, b := StreamEntryKey(ids[i-1]), StreamEntryKey(ids[i])
		if bytes.Compare(a, b) >= 0 || !ids[i-1].Less(ids[i]) {
			t.Errorf("%v does not sort before %v", ids[i-1], ids[i])
		}
		if n, ok := ids[i-1].Next(); !ok || n.Compare(ids[i]) > 0 {
			t.Errorf("Next(%v) = %v", ids[i-1], n)
		}
		if p, ok := ids[i].Prev(); !ok || p.Compare(ids[i-1]) < 0 {
			t.Errorf("Prev(%v) = %v", ids[i], p)
		}
		got, err := DecodeStreamEntryKey(b)
		if err != nil || got != ids[i] {
			t.Errorf("decode %v: %v %v", ids[i], got, err)
		}
	}
	if _, ok := MaxStreamID.Next(); ok {
		t.Error("Next of the max ID")
	}
	if _, ok := (StreamID{}).Prev(); ok {
		t.Error("Prev of 0-0")
	}
}

func TestStreamValuesRoundTrip(t *testing.T) {
	m := &Meta{Type: TypeStream, ExpireAt: 5, Version: 7, Object: NewObjectID(9, 1), Count: 3,
		Stream: StreamMeta{LastID: StreamID{5, 1}, FirstID: StreamID{1, 1}, MaxDeletedID: StreamID{2, 0}, EntriesAdded: 9, GroupSeq: 4}}
	got, err := DecodeMeta(EncodeMeta(m))
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("meta: %+v %v", got, err)
	}
	fv := [][]byte{[]byte("f"), {}, []byte("v\x00x"), []byte("long value")}
	if got, err := DecodeStreamEntry(EncodeStreamEntry(fv)); err != nil || !reflect.DeepEqual(got, fv) {
		t.Errorf("entry: %q %v", got, err)
	}
	if _, err := DecodeStreamEntry([]byte{5, 1}); err == nil {
		t.Error("truncated entry decoded")
	}
	g := &StreamGroup{LastID: StreamID{3, 4}, EntriesRead: -1, Seq: 2, Pending: 10, Consumers: 3, PELFloor: StreamID{1, 2}}
	if got, err := DecodeStreamGroup(EncodeStreamGroup(g)); err != nil || *got != *g {
		t.Errorf("group: %+v %v", got, err)
	}
	// A record written before the PEL floor existed reads with 0-0.
	old := *g
	old.PELFloor = StreamID{}
	if got, err := DecodeStreamGroup(EncodeStreamGroup(g)[:48]); err != nil || *got != old {
		t.Errorf("group without floor: %+v %v", got, err)
	}
	p := &StreamPending{Consumer: []byte("alice"), DeliveryTime: 1234, DeliveryCount: 2}
	if got, err := DecodeStreamPending(EncodeStreamPending(p)); err != nil || !reflect.DeepEqual(got, p) {
		t.Errorf("pending: %+v %v", got, err)
	}
	c := &StreamConsumer{SeenTime: 99, Pending: 4}
	if got, err := DecodeStreamConsumer(EncodeStreamConsumer(c)); err != nil || *got != *c {
		t.Errorf("consumer: %+v %v", got, err)
	}
	id := StreamID{7, 8}
	if got, err := TrailingID(StreamConsumerPELKey(2, []byte("bob"), id)); err != nil || got != id {
		t.Errorf("consumer PEL key: %v %v", got, err)
	}
	if got, err := DecodeStreamPendingKey(StreamPendingKey(2, id)); err != nil || got != id {
		t.Errorf("PEL key: %v %v", got, err)
	}
	// A consumer whose name is a prefix of another's has a disjoint index.
	a, b := StreamConsumerPELPrefix(1, []byte("a")), StreamConsumerPELPrefix(1, []byte("ab"))
	if bytes.HasPrefix(b, a) {
		t.Errorf("PEL index of a contains that of ab")
	}
}

func TestGCPart(t *testing.T) {
	k := NewKeys("ns")
	id := NewObjectID(1, 2)
	for _, sub := range [][]byte{nil, StreamPendingPrefix(3)} {
		gid, gsub, err := k.DecodeGC(k.GCPart(id, sub))
		if err != nil || gid != id || !bytes.Equal(gsub, sub) {
			t.Errorf("GCPart %q: %v %q %v", sub, gid, gsub, err)
		}
	}
}
