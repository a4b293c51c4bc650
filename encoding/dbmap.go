package encoding

import (
	"encoding/binary"
	"fmt"
)

// DBMap maps logical databases (what SELECT names) to physical numbers
// (what keys carry), for SWAPDB. The zero value, and a store without the
// mapping key, is the identity at epoch 0. Value layout: epoch (8), entry
// count n (4), then n entries of physical number (2) and the epoch of the
// last swap of that logical database (8); databases from n on map to
// themselves and were never swapped.
type DBMap struct {
	// Epoch is bumped by every swap.
	Epoch uint64
	// Phys[l] is logical database l's physical number.
	Phys []uint16
	// Swapped[l] is the epoch of the last swap of logical database l.
	Swapped []uint64
}

// Physical returns logical database l's physical number.
func (m *DBMap) Physical(l uint16) uint16 {
	if m == nil || int(l) >= len(m.Phys) {
		return l
	}
	return m.Phys[l]
}

// Logical returns the logical database whose physical number is p.
func (m *DBMap) Logical(p uint16) uint16 {
	if m == nil || int(p) >= len(m.Phys) || m.Phys[p] == p {
		return p
	}
	for l, q := range m.Phys {
		if q == p {
			return uint16(l)
		}
	}
	return p
}

// SwappedAt returns the epoch of the last swap of logical database l (0:
// never swapped).
func (m *DBMap) SwappedAt(l uint16) uint64 {
	if m == nil || int(l) >= len(m.Swapped) {
		return 0
	}
	return m.Swapped[l]
}

// Swap returns the mapping with logical databases a and b swapped, at the
// next epoch.
func (m *DBMap) Swap(a, b uint16) *DBMap {
	n := int(max(a, b)) + 1
	out := &DBMap{Phys: make([]uint16, max(n, m.len())), Swapped: make([]uint64, max(n, m.len()))}
	for l := range out.Phys {
		out.Phys[l] = m.Physical(uint16(l))
		out.Swapped[l] = m.SwappedAt(uint16(l))
	}
	if m != nil {
		out.Epoch = m.Epoch
	}
	out.Epoch++
	out.Phys[a], out.Phys[b] = out.Phys[b], out.Phys[a]
	out.Swapped[a], out.Swapped[b] = out.Epoch, out.Epoch
	return out
}

func (m *DBMap) len() int {
	if m == nil {
		return 0
	}
	return len(m.Phys)
}

// EncodeDBMap returns m's stored value.
func EncodeDBMap(m *DBMap) []byte {
	b := make([]byte, 0, 12+10*len(m.Phys))
	b = binary.BigEndian.AppendUint64(b, m.Epoch)
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Phys)))
	for l, p := range m.Phys {
		b = binary.BigEndian.AppendUint16(b, p)
		b = binary.BigEndian.AppendUint64(b, m.Swapped[l])
	}
	return b
}

// DBMapEpoch returns the epoch of a stored mapping without decoding the
// rest (0 for none, or a value too short, which DecodeDBMap refuses).
func DBMapEpoch(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// DecodeDBMap decodes a stored mapping; nil (no mapping stored) is the
// identity at epoch 0.
func DecodeDBMap(b []byte) (*DBMap, error) {
	if len(b) == 0 {
		return &DBMap{}, nil
	}
	if len(b) < 12 {
		return nil, fmt.Errorf("db map: %w", ErrMalformed)
	}
	m := &DBMap{Epoch: binary.BigEndian.Uint64(b)}
	n := int(binary.BigEndian.Uint32(b[8:]))
	b = b[12:]
	if n > 1<<16 || len(b) != 10*n {
		return nil, fmt.Errorf("db map: %w", ErrMalformed)
	}
	m.Phys, m.Swapped = make([]uint16, n), make([]uint64, n)
	for l := range n {
		m.Phys[l] = binary.BigEndian.Uint16(b[10*l:])
		m.Swapped[l] = binary.BigEndian.Uint64(b[10*l+2:])
	}
	return m, nil
}
