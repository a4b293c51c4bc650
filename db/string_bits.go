package db

import (
	"math/bits"

	"github.com/titan-kv/titan/encoding"
)

// SetBit sets the bit at offset and returns its old value.
func (s String) SetBit(offset int64, bit byte) (int64, error) {
	m, err := s.meta()
	if err != nil {
		return 0, err
	}
	idx := offset >> 3
	mask := byte(1) << (7 - uint(offset&7))
	if m != nil && m.Chunked {
		// Read and write only the byte's chunk (and padding past the end).
		cur, err := s.GetRange(idx, idx)
		if err != nil {
			return 0, err
		}
		b := byte(0)
		if len(cur) == 1 {
			b = cur[0]
		}
		old := int64(0)
		if b&mask != 0 {
			old = 1
		}
		if bit == 1 {
			b |= mask
		} else {
			b &^= mask
		}
		n := m.Count
		pos, data := idx, []byte{b}
		if idx > n {
			pos, data = n, append(make([]byte, idx-n), b)
		}
		m.Raw = true
		if err := s.tx.writeAt(m, pos, data); err != nil {
			return 0, err
		}
		return old, s.tx.putMeta(s.key, m, m.ExpireAt)
	}
	var cur []byte
	if m != nil {
		cur = m.Value
	}
	nv := grown(cur, idx+1)
	old := int64(0)
	if nv[idx]&mask != 0 {
		old = 1
	}
	if bit == 1 {
		nv[idx] |= mask
	} else {
		nv[idx] &^= mask
	}
	return old, s.update(m, nv, encRaw)
}

// GetBit returns the bit at offset.
func (s String) GetBit(offset int64) (int64, error) {
	idx := offset >> 3
	v, err := s.GetRange(idx, idx)
	if err != nil || len(v) == 0 || idx < 0 {
		return 0, err
	}
	return int64(v[0]>>(7-uint(offset&7))) & 1, nil
}

// bitRange turns BITCOUNT/BITPOS range arguments into a bit range
// [lo, hi) over a value of n bytes.
func bitRange(start, end int64, isBit bool, n int64, bothNegative bool) (lo, hi int64) {
	if isBit {
		return stringRange(start, end, n*8, bothNegative)
	}
	lo, hi = stringRange(start, end, n, bothNegative)
	return lo * 8, hi * 8
}

// BitCount counts set bits in [start, end] (bytes, or bits when isBit);
// whole is true when no range was given.
func (s String) BitCount(start, end int64, isBit, whole bool) (int64, error) {
	v, err := s.Get()
	if err != nil {
		return 0, err
	}
	if whole {
		start, end, isBit = 0, -1, false
	}
	lo, hi := bitRange(start, end, isBit, int64(len(v)), true)
	var n int64
	for i := lo; i < hi; {
		if i&7 == 0 && hi-i >= 8 {
			n += int64(bits.OnesCount8(v[i>>3]))
			i += 8
			continue
		}
		n += int64(v[i>>3]>>(7-uint(i&7))) & 1
		i++
	}
	return n, nil
}

// BitPos returns the first bit equal to bit in the range, as Redis does.
func (s String) BitPos(bit byte, start, end int64, isBit, hasStart, hasEnd bool) (int64, error) {
	m, err := s.meta()
	if err != nil {
		return 0, err
	}
	if m == nil {
		if bit == 1 {
			return -1, nil
		}
		return 0, nil
	}
	v, err := s.tx.readString(m)
	if err != nil {
		return 0, err
	}
	if !hasStart {
		start = 0
	}
	if !hasEnd {
		end = -1
	}
	lo, hi := bitRange(start, end, isBit, int64(len(v)), false)
	if lo >= hi {
		return -1, nil
	}
	for i := lo; i < hi; i++ {
		if (v[i>>3]>>(7-uint(i&7)))&1 == bit {
			return i, nil
		}
	}
	if bit == 0 && !hasEnd {
		// Looking for a clear bit past the end of the string: Redis
		// considers the bits after the value cleared.
		return hi, nil
	}
	return -1, nil
}

// BitOp computes op (AND OR XOR NOT) over the strings into dst and returns
// the length of the result.
func (ss Strings) BitOp(op string, dst []byte) (int64, error) {
	vals := make([][]byte, len(ss.keys))
	maxLen := 0
	for i, k := range ss.keys {
		v, err := ss.tx.String(k).Get()
		if err != nil {
			return 0, err
		}
		vals[i] = v
		maxLen = max(maxLen, len(v))
	}
	out := make([]byte, maxLen)
	for i := range out {
		at := func(j int) byte {
			if i < len(vals[j]) {
				return vals[j][i]
			}
			return 0
		}
		b := at(0)
		for j := 1; j < len(vals); j++ {
			switch op {
			case "AND":
				b &= at(j)
			case "OR":
				b |= at(j)
			case "XOR":
				b ^= at(j)
			}
		}
		if op == "NOT" {
			b = ^b
		}
		out[i] = b
	}
	if maxLen == 0 {
		_, err := ss.tx.Key(dst).Delete()
		return 0, err
	}
	return int64(maxLen), ss.tx.replace(dst, &encoding.Meta{Type: encoding.TypeString, Value: out, Raw: true})
}
