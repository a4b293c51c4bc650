package encoding

import (
	"reflect"
	"testing"
)

func TestDBMap(t *testing.T) {
	var id *DBMap
	if id.Physical(3) != 3 || id.Logical(3) != 3 || id.SwappedAt(3) != 0 {
		t.Fatal("nil map is not the identity")
	}
	m := id.Swap(1, 4).Swap(4, 0)
	// 1 -> 4, 4 -> 1, then 4 (phys 1) <-> 0 (phys 0): 0 -> 1, 4 -> 0.
	for l, want := range map[uint16]uint16{0: 1, 1: 4, 2: 2, 3: 3, 4: 0, 9: 9} {
		if got := m.Physical(l); got != want {
			t.Errorf("Physical(%d) = %d, want %d", l, got, want)
		}
		if got := m.Logical(want); got != l {
			t.Errorf("Logical(%d) = %d, want %d", want, got, l)
		}
	}
	if m.Epoch != 2 || m.SwappedAt(1) != 1 || m.SwappedAt(0) != 2 || m.SwappedAt(4) != 2 || m.SwappedAt(2) != 0 {
		t.Errorf("epochs %+v", m)
	}
	back, err := DecodeDBMap(EncodeDBMap(m))
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	if empty, err := DecodeDBMap(nil); err != nil || empty.Epoch != 0 || empty.Physical(7) != 7 {
		t.Fatalf("absent mapping: %+v, %v", empty, err)
	}
	for _, bad := range [][]byte{{1}, append(EncodeDBMap(m), 0)} {
		if _, err := DecodeDBMap(bad); err == nil {
			t.Errorf("DecodeDBMap(%x) accepted", bad)
		}
	}
}
