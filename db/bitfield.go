package db

import "math"

// BITFIELD: integers of 1 to 64 bits (unsigned: 63) at any bit offset of
// a string, as Redis 7.0's bitops.c reads, writes and overflows them.

// Bitfield overflow behaviours.
const (
	OverflowWrap = iota
	OverflowSat
	OverflowFail
)

// BitfieldOp is one GET, SET or INCRBY of a BITFIELD.
type BitfieldOp struct {
	Write    bool // SET or INCRBY
	Incr     bool // INCRBY
	Signed   bool
	Bits     uint64
	Offset   uint64
	Value    int64
	Overflow int
}

func getUnsigned(p []byte, offset, bits uint64) uint64 {
	var v uint64
	for j := uint64(0); j < bits; j++ {
		byt := offset >> 3
		bit := 7 - (offset & 7)
		var bv uint64
		if byt < uint64(len(p)) {
			bv = uint64(p[byt]>>bit) & 1
		}
		v = v<<1 | bv
		offset++
	}
	return v
}

func getSigned(p []byte, offset, bits uint64) int64 {
	v := int64(getUnsigned(p, offset, bits))
	if bits < 64 && uint64(v)&(1<<(bits-1)) != 0 {
		v |= -1 << bits
	}
	return v
}

func setUnsigned(p []byte, offset, bits, value uint64) {
	for j := uint64(0); j < bits; j++ {
		bv := (value >> (bits - 1 - j)) & 1
		byt := offset >> 3
		bit := 7 - (offset & 7)
		p[byt] &^= 1 << bit
		p[byt] |= byte(bv << bit)
		offset++
	}
}

func unsignedOverflow(value uint64, incr int64, bits uint64, ow int) (uint64, bool) {
	max := uint64(1)<<bits - 1
	if bits == 64 {
		max = math.MaxUint64
	}
	maxincr := int64(max - value)
	minincr := -int64(value)
	wrap := func() uint64 { return (value + uint64(incr)) &^ (math.MaxUint64 << bits) }
	switch {
	case value > max || (incr > 0 && incr > maxincr):
		if ow == OverflowWrap {
			return wrap(), true
		}
		return max, true
	case incr < 0 && incr < minincr:
		if ow == OverflowWrap {
			return wrap(), true
		}
		return 0, true
	}
	return 0, false
}

func signedOverflow(value, incr int64, bits uint64, ow int) (int64, bool) {
	max := int64(1)<<(bits-1) - 1
	if bits == 64 {
		max = math.MaxInt64
	}
	min := -max - 1
	maxincr := int64(uint64(max) - uint64(value))
	minincr := min - value
	wrap := func() int64 {
		msb := uint64(1) << (bits - 1)
		c := uint64(value) + uint64(incr)
		if bits < 64 {
			mask := uint64(math.MaxUint64) << bits
			if c&msb != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c)
	}
	switch {
	case value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr):
		if ow == OverflowWrap {
			return wrap(), true
		}
		return max, true
	case value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr):
		if ow == OverflowWrap {
			return wrap(), true
		}
		return min, true
	}
	return 0, false
}

// Bitfield runs ops in order and returns one result per op (nil where
// an overflow under FAIL stopped a write). When any op writes, the string
// is created or zero-padded up to the furthest bit written first, as
// Redis does, even if every write then fails.
func (s String) Bitfield(ops []BitfieldOp) ([]*int64, error) {
	m, cur, err := s.value()
	if err != nil {
		return nil, err
	}
	var highest uint64
	writes := false
	for _, op := range ops {
		if op.Write {
			writes = true
			highest = max(highest, op.Offset+op.Bits-1)
		}
	}
	v := cur
	if writes {
		if int64(highest>>3)+1 > MaxStringLen {
			return nil, ErrStringTooBig
		}
		v = grown(cur, int64(highest>>3)+1)
	}
	out := make([]*int64, len(ops))
	for i, op := range ops {
		var r int64
		switch {
		case !op.Write && op.Signed:
			r = getSigned(v, op.Offset, op.Bits)
		case !op.Write:
			r = int64(getUnsigned(v, op.Offset, op.Bits))
		case op.Signed:
			old := getSigned(v, op.Offset, op.Bits)
			var nv int64
			var over bool
			if op.Incr {
				w, o := signedOverflow(old, op.Value, op.Bits, op.Overflow)
				nv, over = old+op.Value, o
				if o {
					nv = w
				}
				r = nv
			} else {
				nv = op.Value
				w, o := signedOverflow(nv, 0, op.Bits, op.Overflow)
				if o {
					nv = w
				}
				over, r = o, old
			}
			if over && op.Overflow == OverflowFail {
				continue
			}
			setUnsigned(v, op.Offset, op.Bits, uint64(nv))
		default:
			old := getUnsigned(v, op.Offset, op.Bits)
			var nv uint64
			var over bool
			if op.Incr {
				nv = old + uint64(op.Value)
				w, o := unsignedOverflow(old, op.Value, op.Bits, op.Overflow)
				if o {
					nv = w
				}
				over, r = o, int64(nv)
			} else {
				nv = uint64(op.Value)
				w, o := unsignedOverflow(nv, 0, op.Bits, op.Overflow)
				if o {
					nv = w
				}
				over, r = o, int64(old)
			}
			if over && op.Overflow == OverflowFail {
				continue
			}
			setUnsigned(v, op.Offset, op.Bits, nv)
		}
		out[i] = &r
	}
	if writes {
		return out, s.update(m, v, encRaw)
	}
	return out, nil
}
