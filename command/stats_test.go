package command

import (
	"slices"
	"testing"

	"github.com/titan-kv/titan/resp"
)

func TestHistBuckets(t *testing.T) {
	// Every value falls in a bucket whose bounds hold it, at most 12.5% wide.
	prevUpper := int64(-1)
	for i := 0; i < histBuckets-1; i++ {
		lo, hi := prevUpper+1, histUpper(i)
		if hi < lo {
			t.Fatalf("bucket %d: upper %d below lower %d", i, hi, lo)
		}
		for _, v := range []int64{lo, hi, (lo + hi) / 2} {
			if got := histIndex(v); got != i {
				t.Fatalf("histIndex(%d) = %d, want %d", v, got, i)
			}
		}
		if lo >= 8 && float64(hi-lo+1) > 0.125*float64(lo)+1 {
			t.Fatalf("bucket %d [%d, %d] too wide", i, lo, hi)
		}
		prevUpper = hi
	}
	if histIndex(1<<62) != histBuckets-1 || histIndex(-5) != 0 {
		t.Fatal("out of range values are not clamped")
	}
}

func TestHistPercentilesAndCumulative(t *testing.T) {
	var h latencyHist
	for v := int64(1); v <= 1000; v++ {
		h.add(v)
	}
	for _, c := range []struct {
		p      float64
		lo, hi int64
	}{{50, 500, 563}, {99, 990, 1023}, {100, 1000, 1023}} {
		if got := h.percentile(c.p, 1000); got < c.lo || got > c.hi {
			t.Errorf("p%v = %d, want %d..%d", c.p, got, c.lo, c.hi)
		}
	}
	bounds, counts := h.cumulative()
	// Redis's reporting levels in microseconds, from 1024·2^k ns.
	if want := []int64{2, 3, 5, 9, 17, 33, 66, 132, 264, 528, 1056}; !slices.Equal(bounds, want) {
		t.Fatalf("bounds %v, want %v", bounds, want)
	}
	if counts[len(counts)-1] != 1000 || counts[0] != 2 || !slices.IsSorted(counts) {
		t.Fatalf("counts %v", counts)
	}
}

func TestCountLookups(t *testing.T) {
	st := newStats()
	st.countLookups("get", 1, resp.Bulk(nil))
	st.countLookups("mget", 3, resp3Bulks("a", "", "c"))
	st.countLookups("exists", 3, intReply(2))
	st.countLookups("hlen", 1, intReply(0))
	if st.hits.Load() != 4 || st.misses.Load() != 4 {
		t.Fatalf("hits %d misses %d, want 4 and 4", st.hits.Load(), st.misses.Load())
	}
}

func resp3Bulks(vs ...string) resp.Bulks {
	out := make(resp.Bulks, len(vs))
	for i, v := range vs {
		if v != "" {
			out[i] = []byte(v)
		}
	}
	return out
}

func intReply(n int64) resp.Int { return resp.Int(n) }
