package encoding

import (
	"bytes"
	"testing"
)

// FuzzHLLNeverPanics feeds arbitrary register bytes behind a valid header
// (as SET can store them) to every HyperLogLog operation: they may fail
// with ErrHLLCorrupt but never panic or loop.
func FuzzHLLNeverPanics(f *testing.F) {
	f.Add([]byte{1}, []byte{0x7f, 0xff}, []byte("a"))
	f.Add([]byte{1}, []byte{0x80, 0x40}, []byte("b"))
	f.Add([]byte{0}, bytes.Repeat([]byte{0xff}, 12288), []byte("c"))
	f.Fuzz(func(t *testing.T, enc, regs, elem []byte) {
		if len(enc) == 0 {
			return
		}
		v := append([]byte("HYLL"), enc[0]&1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80)
		v = append(v, regs...)
		if !HLLValid(v) {
			return
		}
		_, _ = HLLCount(v)
		var max [HLLRegisters]uint8
		_ = HLLMergeInto(&max, v)
		_ = HLLDecodeSparse(v)
		if d, err := HLLToDense(bytes.Clone(v)); err == nil && len(d) != hllDenseSize {
			t.Fatalf("dense of %d bytes", len(d))
		}
		if nv, _, err := HLLAdd(bytes.Clone(v), elem); err == nil {
			if !HLLValid(nv) {
				t.Fatalf("PFADD made an invalid value")
			}
			_, _ = HLLCount(nv)
		}
		_, _ = HLLSetRegisters(bytes.Clone(v), &max, enc[0]&2 != 0)
	})
}

func TestHLLSelfTest(t *testing.T) {
	if err := HLLSelfTest(); err != nil {
		t.Fatal(err)
	}
}

func TestHLLNewIsSparseAndEmpty(t *testing.T) {
	v := NewHLL()
	if !HLLValid(v) || !HLLIsSparse(v) || len(v) != 18 {
		t.Fatalf("new HLL %x", v)
	}
	if n, err := HLLCount(v); err != nil || n != 0 {
		t.Fatalf("count %d %v", n, err)
	}
}
