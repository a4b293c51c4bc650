package encoding

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// HyperLogLog values, byte for byte as Redis 7.0's hyperloglog.c lays
// them out in a string: a 16-byte header ("HYLL", encoding, 3 unused
// bytes, the cached cardinality in 8 little-endian bytes whose top bit
// marks it stale), then either 16384 6-bit registers (dense) or a run
// length encoding of them (sparse: ZERO, XZERO and VAL opcodes).
const (
	hllP             = 14
	hllQ             = 64 - hllP
	HLLRegisters     = 1 << hllP
	hllPMask         = HLLRegisters - 1
	hllBits          = 6
	hllRegisterMax   = 1<<hllBits - 1
	hllHdrSize       = 16
	hllDenseSize     = hllHdrSize + (HLLRegisters*hllBits+7)/8
	hllDense         = 0
	hllSparse        = 1
	hllSparseValMax  = 32
	hllSparseValLen  = 4
	hllSparseZeroMax = 64
	hllXZeroMax      = 16384
	hllAlphaInf      = 0.721347520444481703680
	// HLLSparseMaxBytes is Redis's hll-sparse-max-bytes default: a sparse
	// value that would grow past it turns dense.
	HLLSparseMaxBytes = 3000
)

// ErrHLLCorrupt is a HyperLogLog value whose registers do not decode.
var ErrHLLCorrupt = errors.New("corrupted HyperLogLog")

// NewHLL returns an empty sparse HyperLogLog, as PFADD creates it.
func NewHLL() []byte {
	v := make([]byte, hllHdrSize, hllHdrSize+2*((HLLRegisters+hllXZeroMax-1)/hllXZeroMax))
	copy(v, "HYLL")
	v[4] = hllSparse
	for aux := HLLRegisters; aux > 0; {
		x := min(aux, hllXZeroMax)
		v = append(v, byte((x-1)>>8)|0x40, byte((x-1)&0xff))
		aux -= x
	}
	return v
}

// HLLValid reports whether a string value is a HyperLogLog Redis accepts
// (its header, and the exact length of a dense one).
func HLLValid(v []byte) bool {
	if len(v) < hllHdrSize || string(v[:4]) != "HYLL" || v[4] > hllSparse {
		return false
	}
	return v[4] != hllDense || len(v) == hllDenseSize
}

// HLLIsSparse reports whether a valid HyperLogLog is sparse.
func HLLIsSparse(v []byte) bool { return v[4] == hllSparse }

// HLLInvalidate marks the cached cardinality stale.
func HLLInvalidate(v []byte) { v[15] |= 0x80 }

// HLLCached returns the cached cardinality, if it is not stale.
func HLLCached(v []byte) (uint64, bool) {
	if v[15]&0x80 != 0 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(v[8:16]), true
}

// HLLSetCached stores a freshly computed cardinality.
func HLLSetCached(v []byte, card uint64) { binary.LittleEndian.PutUint64(v[8:16], card) }

func sparseIsZero(b byte) bool  { return b&0xc0 == 0 }
func sparseIsXZero(b byte) bool { return b&0xc0 == 0x40 }
func sparseIsVal(b byte) bool   { return b&0x80 != 0 }
func sparseZeroLen(b byte) int  { return int(b&0x3f) + 1 }
func sparseXZeroLen(b, c byte) int {
	return (int(b&0x3f)<<8 | int(c)) + 1
}
func sparseValValue(b byte) int { return int(b>>2&0x1f) + 1 }
func sparseValLen(b byte) int   { return int(b&0x3) + 1 }
func sparseVal(val, n int) byte { return byte((val-1)<<2|(n-1)) | 0x80 }

func denseGet(regs []byte, i int) uint8 {
	byt := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	b0 := uint(regs[byt])
	var b1 uint
	if byt+1 < len(regs) {
		b1 = uint(regs[byt+1])
	}
	return uint8((b0>>fb | b1<<(8-fb)) & hllRegisterMax)
}

func denseSet(regs []byte, i int, val uint8) {
	byt := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	v := uint(val)
	regs[byt] &^= byte(hllRegisterMax << fb)
	regs[byt] |= byte(v << fb)
	if byt+1 < len(regs) {
		regs[byt+1] &^= byte(hllRegisterMax >> (8 - fb))
		regs[byt+1] |= byte(v >> (8 - fb))
	}
}

// murmurHash64A is the hash Redis feeds HyperLogLogs with (seed
// 0xadc83b19), reading 8-byte blocks little-endian.
func murmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ (uint64(len(key)) * m)
	n := len(key) - len(key)&7
	for i := 0; i < n; i += 8 {
		k := binary.LittleEndian.Uint64(key[i:])
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	tail := key[n:]
	switch len(tail) {
	case 7:
		h ^= uint64(tail[6]) << 48
		fallthrough
	case 6:
		h ^= uint64(tail[5]) << 40
		fallthrough
	case 5:
		h ^= uint64(tail[4]) << 32
		fallthrough
	case 4:
		h ^= uint64(tail[3]) << 24
		fallthrough
	case 3:
		h ^= uint64(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint64(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint64(tail[0])
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen returns the register an element falls in and the length of
// its run of zero bits plus one.
func hllPatLen(elem []byte) (int, uint8) {
	hash := murmurHash64A(elem, 0xadc83b19)
	index := int(hash & hllPMask)
	hash >>= hllP
	hash |= 1 << hllQ
	count := uint8(1)
	for bit := uint64(1); hash&bit == 0; bit <<= 1 {
		count++
	}
	return index, count
}

// HLLAdd adds an element to a valid HyperLogLog and returns the value
// (which may have been reallocated or turned dense) and whether a
// register changed. It does not touch the cached cardinality.
func HLLAdd(v []byte, elem []byte) ([]byte, bool, error) {
	index, count := hllPatLen(elem)
	return hllSet(v, index, count)
}

func hllSet(v []byte, index int, count uint8) ([]byte, bool, error) {
	if v[4] == hllDense {
		regs := v[hllHdrSize:]
		if denseGet(regs, index) < count {
			denseSet(regs, index, count)
			return v, true, nil
		}
		return v, false, nil
	}
	return sparseSet(v, index, count)
}

// HLLToDense turns a sparse HyperLogLog dense (keeping its header);
// a dense one is returned as it is.
func HLLToDense(v []byte) ([]byte, error) {
	if v[4] == hllDense {
		return v, nil
	}
	d := make([]byte, hllDenseSize)
	copy(d, v[:hllHdrSize])
	d[4] = hllDense
	regs := d[hllHdrSize:]
	idx := 0
	for p := hllHdrSize; p < len(v); {
		b := v[p]
		switch {
		case sparseIsZero(b):
			idx += sparseZeroLen(b)
			p++
		case sparseIsXZero(b):
			if p+1 >= len(v) {
				return nil, ErrHLLCorrupt
			}
			idx += sparseXZeroLen(b, v[p+1])
			p += 2
		default:
			n, val := sparseValLen(b), sparseValValue(b)
			if n+idx > HLLRegisters {
				return nil, ErrHLLCorrupt
			}
			for ; n > 0; n-- {
				denseSet(regs, idx, uint8(val))
				idx++
			}
			p++
		}
	}
	if idx != HLLRegisters {
		return nil, ErrHLLCorrupt
	}
	return d, nil
}

// sparseSet is hllSparseSet: it updates the opcode covering index in
// place, splitting it as Redis does, merges adjacent equal VAL opcodes,
// and turns the value dense when a count does not fit a VAL opcode or the
// value would pass HLLSparseMaxBytes.
func sparseSet(v []byte, index int, count uint8) ([]byte, bool, error) {
	if count > hllSparseValMax {
		return promote(v, index, count)
	}
	end := len(v)
	p, prev := hllHdrSize, -1
	first, span := 0, 0
	for p < end {
		oplen := 1
		b := v[p]
		switch {
		case sparseIsZero(b):
			span = sparseZeroLen(b)
		case sparseIsVal(b):
			span = sparseValLen(b)
		default:
			if p+1 >= end {
				return v, false, ErrHLLCorrupt
			}
			span = sparseXZeroLen(b, v[p+1])
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return v, false, ErrHLLCorrupt
	}
	b := v[p]
	isZero, isXZero, isVal := sparseIsZero(b), sparseIsXZero(b), sparseIsVal(b)
	var runlen int
	switch {
	case isZero:
		runlen = sparseZeroLen(b)
	case isXZero:
		runlen = sparseXZeroLen(b, v[p+1])
	default:
		runlen = sparseValLen(b)
	}
	updated := false
	if isVal {
		if sparseValValue(b) >= int(count) {
			return v, false, nil
		}
		if runlen == 1 {
			v[p] = sparseVal(int(count), 1)
			updated = true
		}
	}
	if !updated && isZero && runlen == 1 {
		v[p] = sparseVal(int(count), 1)
		updated = true
	}
	if !updated {
		seq := make([]byte, 0, 5)
		last := first + span - 1
		zeros := func(n int) {
			if n > hllSparseZeroMax {
				seq = append(seq, byte((n-1)>>8)|0x40, byte((n-1)&0xff))
			} else {
				seq = append(seq, byte(n-1))
			}
		}
		if isZero || isXZero {
			if index != first {
				zeros(index - first)
			}
			seq = append(seq, sparseVal(int(count), 1))
			if index != last {
				zeros(last - index)
			}
		} else {
			cur := sparseValValue(b)
			if index != first {
				seq = append(seq, sparseVal(cur, index-first))
			}
			seq = append(seq, sparseVal(int(count), 1))
			if index != last {
				seq = append(seq, sparseVal(cur, last-index))
			}
		}
		oldlen := 1
		if isXZero {
			oldlen = 2
		}
		delta := len(seq) - oldlen
		if delta > 0 && len(v)+delta > HLLSparseMaxBytes {
			return promote(v, index, count)
		}
		// In place, as Redis's memmove: the tail moves by delta.
		n := len(v)
		if delta > 0 {
			v = append(v, make([]byte, delta)...)
		}
		copy(v[p+len(seq):], v[p+oldlen:n])
		copy(v[p:], seq)
		v = v[:n+delta]
		end = len(v)
	}
	// Merge adjacent VAL opcodes of one value, scanning up to 5 opcodes
	// from the one before the change.
	p = hllHdrSize
	if prev >= 0 {
		p = prev
	}
	for scan := 5; p < end && scan > 0; scan-- {
		switch {
		case sparseIsXZero(v[p]):
			p += 2
			continue
		case sparseIsZero(v[p]):
			p++
			continue
		}
		if p+1 < end && sparseIsVal(v[p+1]) {
			v1, v2 := sparseValValue(v[p]), sparseValValue(v[p+1])
			if v1 == v2 {
				if n := sparseValLen(v[p]) + sparseValLen(v[p+1]); n <= hllSparseValLen {
					v[p+1] = sparseVal(v1, n)
					v = append(v[:p], v[p+1:]...)
					end--
					continue
				}
			}
		}
		p++
	}
	return v, true, nil
}

func promote(v []byte, index int, count uint8) ([]byte, bool, error) {
	d, err := HLLToDense(v)
	if err != nil {
		return v, false, err
	}
	denseSet(d[hllHdrSize:], index, count)
	return d, true, nil
}

// HLLMergeInto raises max[i] to every register i of a valid HyperLogLog.
func HLLMergeInto(max *[HLLRegisters]uint8, v []byte) error {
	if v[4] == hllDense {
		regs := v[hllHdrSize:]
		for i := range HLLRegisters {
			if r := denseGet(regs, i); r > max[i] {
				max[i] = r
			}
		}
		return nil
	}
	i := 0
	for p := hllHdrSize; p < len(v); {
		b := v[p]
		switch {
		case sparseIsZero(b):
			i += sparseZeroLen(b)
			p++
		case sparseIsXZero(b):
			if p+1 >= len(v) {
				return ErrHLLCorrupt
			}
			i += sparseXZeroLen(b, v[p+1])
			p += 2
		default:
			n, val := sparseValLen(b), uint8(sparseValValue(b))
			if n+i > HLLRegisters {
				return ErrHLLCorrupt
			}
			for ; n > 0; n-- {
				if val > max[i] {
					max[i] = val
				}
				i++
			}
			p++
		}
	}
	if i != HLLRegisters {
		return ErrHLLCorrupt
	}
	return nil
}

// HLLSetRegisters raises the registers of a valid HyperLogLog to max, as
// PFMERGE writes its result (turning it dense first when dense is set),
// and returns the new value.
func HLLSetRegisters(v []byte, max *[HLLRegisters]uint8, dense bool) ([]byte, error) {
	var err error
	if dense {
		if v, err = HLLToDense(v); err != nil {
			return v, err
		}
	}
	for i, r := range max {
		if r == 0 {
			continue
		}
		// Redis ignores a failure here (the input was checked).
		if nv, _, err := hllSet(v, i, r); err == nil {
			v = nv
		}
	}
	return v, nil
}

// HLLCount computes the cardinality of a valid HyperLogLog.
func HLLCount(v []byte) (uint64, error) {
	var histo [64]int
	if v[4] == hllDense {
		regs := v[hllHdrSize:]
		for i := range HLLRegisters {
			histo[denseGet(regs, i)]++
		}
		return hllEstimate(&histo), nil
	}
	idx := 0
	for p := hllHdrSize; p < len(v); {
		b := v[p]
		switch {
		case sparseIsZero(b):
			n := sparseZeroLen(b)
			idx += n
			histo[0] += n
			p++
		case sparseIsXZero(b):
			if p+1 >= len(v) {
				return 0, ErrHLLCorrupt
			}
			n := sparseXZeroLen(b, v[p+1])
			idx += n
			histo[0] += n
			p += 2
		default:
			n := sparseValLen(b)
			idx += n
			histo[sparseValValue(b)] += n
			p++
		}
	}
	if idx != HLLRegisters {
		return 0, ErrHLLCorrupt
	}
	return hllEstimate(&histo), nil
}

// HLLCountRegisters computes the cardinality of raw registers (PFCOUNT of
// several keys).
func HLLCountRegisters(max *[HLLRegisters]uint8) uint64 {
	var histo [64]int
	for _, r := range max {
		histo[r]++
	}
	return hllEstimate(&histo)
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		zp := z
		z += x * y
		y += y
		if zp == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zp := z
		y *= 0.5
		z -= (1 - x) * (1 - x) * y
		if zp == z {
			return z / 3
		}
	}
}

// hllEstimate is Otmar Ertl's estimator over the register histogram, as
// Redis computes it.
func hllEstimate(histo *[64]int) uint64 {
	m := float64(HLLRegisters)
	z := m * hllTau((m-float64(histo[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += m * hllSigma(float64(histo[0])/m)
	return uint64(math.Round(hllAlphaInf * m * m / z))
}

// HLLRegistersOf returns the 16384 registers of a valid HyperLogLog.
func HLLRegistersOf(v []byte) (*[HLLRegisters]uint8, error) {
	var r [HLLRegisters]uint8
	return &r, HLLMergeInto(&r, v)
}

// HLLDecodeSparse writes the opcodes of a sparse HyperLogLog as PFDEBUG
// DECODE does ("z:N Z:N v:V,N").
func HLLDecodeSparse(v []byte) []byte {
	var out []byte
	for p := hllHdrSize; p < len(v); {
		b := v[p]
		if len(out) > 0 {
			out = append(out, ' ')
		}
		switch {
		case sparseIsZero(b):
			out = append(out, "z:"...)
			out = strconv.AppendInt(out, int64(sparseZeroLen(b)), 10)
			p++
		case sparseIsXZero(b):
			var c byte
			if p+1 < len(v) {
				c = v[p+1]
			}
			out = strconv.AppendInt(append(out, "Z:"...), int64(sparseXZeroLen(b, c)), 10)
			p += 2
		default:
			out = strconv.AppendInt(append(out, "v:"...), int64(sparseValValue(b)), 10)
			out = strconv.AppendInt(append(out, ','), int64(sparseValLen(b)), 10)
			p++
		}
	}
	return out
}

// HLLSelfTest is PFSELFTEST: the dense register accessors round-trip
// every value, and sparse and dense HyperLogLogs fed the same elements
// agree and stay within Redis's error bound at every power of ten up to
// 100,000 elements (Redis goes to 10 million).
func HLLSelfTest() error {
	regs := make([]byte, hllDenseSize-hllHdrSize)
	var want [HLLRegisters]uint8
	seed := uint64(0x9e3779b97f4a7c15)
	for range 100 {
		for i := range want {
			seed = seed*6364136223846793005 + 1442695040888963407
			want[i] = uint8(seed>>33) & hllRegisterMax
			denseSet(regs, i, want[i])
		}
		for i := range want {
			if denseGet(regs, i) != want[i] {
				return fmt.Errorf("Register error")
			}
		}
	}
	dense, err := HLLToDense(NewHLL())
	if err != nil {
		return err
	}
	sparse := NewHLL()
	relerr := 1.04 / math.Sqrt(HLLRegisters)
	var ele [8]byte
	checkpoint := int64(1)
	for j := int64(1); j <= 100000; j++ {
		binary.LittleEndian.PutUint64(ele[:], uint64(j)^0x5bd1e995)
		idx, cnt := hllPatLen(ele[:])
		dense, _, _ = hllSet(dense, idx, cnt)
		if sparse, _, err = HLLAdd(sparse, ele[:]); err != nil {
			return err
		}
		if j != checkpoint {
			continue
		}
		if j < HLLSparseMaxBytes/2 && !HLLIsSparse(sparse) {
			return fmt.Errorf("sparse encoding not used")
		}
		dc, _ := HLLCount(dense)
		sc, err := HLLCount(sparse)
		if err != nil || dc != sc {
			return fmt.Errorf("dense/sparse disagree")
		}
		abserr := checkpoint - int64(dc)
		maxerr := int64(math.Ceil(relerr * 6 * float64(checkpoint)))
		if j == 10 {
			maxerr = 1
		}
		if abserr < 0 {
			abserr = -abserr
		}
		if abserr > maxerr {
			return fmt.Errorf("Too big error. card:%d abserr:%d", checkpoint, abserr)
		}
		checkpoint *= 10
	}
	return nil
}
