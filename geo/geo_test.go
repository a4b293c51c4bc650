package geo

import (
	"math"
	"testing"
)

func TestEncodeDecode(t *testing.T) {
	// Palermo, as redis-server 7.0 stores and returns it.
	s, ok := Encode(13.361389, 38.115556)
	if !ok || s != 3479099956230698 {
		t.Fatalf("score %d %v", s, ok)
	}
	long, lat := Decode(float64(s))
	if long != 13.361389338970184 || lat != 38.1155563954963 {
		t.Fatalf("decoded %v %v", long, lat)
	}
	if h := String(float64(s)); h != "sqc8b49rny0" {
		t.Fatalf("geohash %s", h)
	}
	if _, ok := Encode(180.1, 0); ok {
		t.Fatal("out of range encoded")
	}
}

// TestPreciseFunctions checks sin, cos and asin against values glibc
// returns (printed with %a by a C program) and against Go's math.
func TestPreciseFunctions(t *testing.T) {
	for _, c := range []struct{ x, sin, cos, asin float64 }{
		// Go's math.Cos(0.7) and math.Asin of the other two are an ulp off.
		{0x1.6666666666666p-1, 0x1.49d6e694619b8p-1, 0x1.87996529f9d93p-1, 0x1.8d00e692afd95p-1},
		{0x1.f9adbb8f8da72p-4, 0x1.f8652319542a5p-4, 0x1.fc1a65bb19248p-1, 0x1.faf8dad84027dp-4},
		{0x1.43a2714d82e74p-10, 0x1.43a26bea3a773p-10, 0x1.ffffe66dcb26bp-1, 0x1.43a276b0cb9c3p-10},
	} {
		if s := preciseSin(c.x); s != c.sin {
			t.Errorf("sin(%x) = %x, want %x", c.x, s, c.sin)
		}
		if s := preciseCos(c.x); s != c.cos {
			t.Errorf("cos(%x) = %x, want %x", c.x, s, c.cos)
		}
		if s := preciseAsin(c.x); s != c.asin {
			t.Errorf("asin(%x) = %x, want %x", c.x, s, c.asin)
		}
	}
	for x := -1.5; x < 1.5; x += 0.001 {
		if d := math.Abs(preciseSin(x) - math.Sin(x)); d > 1e-15 {
			t.Errorf("sin(%v) off by %v", x, d)
		}
		if d := math.Abs(preciseCos(x) - math.Cos(x)); d > 1e-15 {
			t.Errorf("cos(%v) off by %v", x, d)
		}
		if x > 0 && x < 0.99 {
			if d := math.Abs(preciseAsin(x) - math.Asin(x)); d > 1e-15 {
				t.Errorf("asin(%v) off by %v", x, d)
			}
		}
	}
}

func BenchmarkDistance(b *testing.B) {
	for range b.N {
		Distance(13.36, 38.11, 15.08, 37.50)
	}
}
