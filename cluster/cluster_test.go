package cluster

import "testing"

// Slots of keys as redis-server 7.0 answers CLUSTER KEYSLOT (the
// end-to-end test compares a longer table with a running redis-server).
func TestKeySlot(t *testing.T) {
	for key, want := range map[string]int{
		"":              0,
		"foo":           12182,
		"{user1000}a":   3443,
		"{user1000}b":   3443,
		"user1000":      3443,
		"{}foo":         KeySlot([]byte("{}foo")),
		"foo{}{bar}":    KeySlot([]byte("foo{}{bar}")),
		"foo{{bar}}":    KeySlot([]byte("{bar")),
		"foo{bar}{zap}": KeySlot([]byte("bar")),
	} {
		if got := KeySlot([]byte(key)); got != want {
			t.Errorf("KeySlot(%q) = %d, want %d", key, got, want)
		}
	}
	// An empty tag hashes the whole key.
	if KeySlot([]byte("{}foo")) != int(crc16([]byte("{}foo"))&(Slots-1)) {
		t.Error("empty hash tag")
	}
}

func TestMap(t *testing.T) {
	addrs := []string{"10.0.0.3:6379", "10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.1:6379", "bad"}
	a := Map("10.0.0.2:6379", addrs)
	b := Map("10.0.0.1:6379", []string{"10.0.0.2:6379", "10.0.0.3:6379"})
	if len(a) != 3 || len(b) != 3 {
		t.Fatalf("nodes: %d %d", len(a), len(b))
	}
	next := 0
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Start != b[i].Start || a[i].End != b[i].End {
			t.Fatalf("instances disagree: %+v / %+v", a[i], b[i])
		}
		if a[i].Start != next || a[i].End < a[i].Start || len(a[i].ID) != 40 || a[i].Epoch != i+1 {
			t.Fatalf("node %d: %+v", i, a[i])
		}
		if a[i].Myself != (a[i].Addr == "10.0.0.2:6379") {
			t.Fatalf("myself: %+v", a[i])
		}
		next = a[i].End + 1
	}
	if next != Slots {
		t.Fatalf("slots end at %d", next)
	}
	if one := Map("h:1", nil); len(one) != 1 || one[0].Start != 0 || one[0].End != Slots-1 || !one[0].Myself {
		t.Fatalf("alone: %+v", one)
	}
	if NodeID("a:1") == ShardID("a:1") || NodeID("a:1") != NodeID("a:1") {
		t.Fatal("ids")
	}
}
