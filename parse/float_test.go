package parse

import (
	"math"
	"math/big"
	"testing"
)

func TestFloat(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0", 0, true},
		{"1", 1, true},
		{"-1.5", -1.5, true},
		{"+1.5", 1.5, true},
		{".5", 0.5, true},
		{"1.", 1, true},
		{"1e3", 1000, true},
		{"1E-3", 0.001, true},
		{"-0", math.Copysign(0, -1), true},
		{"0.0e10", 0, true},
		{"01", 1, true},
		{"inf", math.Inf(1), true},
		{"+inf", math.Inf(1), true},
		{"-inf", math.Inf(-1), true},
		{"Infinity", math.Inf(1), true},
		{"-INF", math.Inf(-1), true},
		{"0x10", 16, true},
		{"0x1p-2", 0.25, true},
		{"-0X1.8P1", -3, true},
		{"1e308", 1e308, true},
		{"4.9e-324", 5e-324, true}, // denormal: strtod sets ERANGE, Redis keeps it
		{"1e400", 0, false},
		{"-1e400", 0, false},
		{"1e-400", 0, false}, // underflows to zero
		{"0x1p-1100", 0, false},
		{"nan", 0, false},
		{"-nan", 0, false},
		{"NaN", 0, false},
		{"", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1_0", 0, false},
		{"0x_1p0", 0, false},
		{"1e", 0, false},
		{".", 0, false},
		{"0x", 0, false},
		{"--1", 0, false},
		{"+-1", 0, false},
		{"infinit", 0, false},
		{"abc", 0, false},
	} {
		got, ok := Float([]byte(c.in))
		if ok != c.ok || got != c.want || math.Signbit(got) != math.Signbit(c.want) {
			t.Errorf("Float(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestLongDouble(t *testing.T) {
	for _, c := range []struct {
		in, want string // FormatLongDouble's rendering, "" when refused
	}{
		{"0", "0"},
		{"1.5", "1.5"},
		{"-0", "0"},
		{"+3", "3"},
		{"10.50", "10.5"},
		{"5.0e3", "5000"},
		{"0x10", "16"},
		{"1e-18", "0"},      // printed with 17 decimals
		{"1e-4950", "0"},    // a long double denormal
		{"1e-4952", ""},     // under the smallest denormal
		{"-1e-5000000", ""}, // underflows to zero
		{"1e5000000", ""},   // overflows
		{"1e4933", ""},      // over the largest long double
		{"0x1p16384", ""},   // 2^16384 overflows
		{"0x1p16383", "*"},  // the largest power of two; "*": any rendering
		{"1e4932", "*"},
		{"nan", ""},
		{"", ""},
		{" 1", ""},
		{"1 ", ""},
		{"1_0", ""},
		{"--1", ""},
		{"1p3", ""},
		{"i", ""},
	} {
		f, ok := LongDouble([]byte(c.in))
		if ok != (c.want != "") {
			t.Errorf("LongDouble(%q) ok = %v", c.in, ok)
			continue
		}
		if !ok {
			continue
		}
		if got := FormatLongDouble(f); c.want != "*" && got != c.want {
			t.Errorf("LongDouble(%q) = %.40s..., want %.40s...", c.in, got, c.want)
		}
	}
	for _, in := range []string{"inf", "-inf", "Infinity", "+INF"} {
		if f, ok := LongDouble([]byte(in)); !ok || !f.IsInf() {
			t.Errorf("LongDouble(%q) = %v, %v", in, f, ok)
		}
	}
}

func TestAddLongDouble(t *testing.T) {
	ld := func(s string) *big.Float {
		f, ok := LongDouble([]byte(s))
		if !ok {
			t.Fatalf("LongDouble(%q) refused", s)
		}
		return f
	}
	for _, c := range []struct{ a, b, want string }{
		{"10.5", "0.1", "10.6"},
		{"3.0e3", "200", "3200"},
		{"5.0e3", "-5000", "0"},
		// Redis's INCRBYFLOAT answers: 17 decimals of the x87 sum.
		{"0.1", "0.2", "0.3"},
		{"1", "1e-18", "1"},
		{"1", "1e-17", "1.00000000000000001"},
	} {
		sum, ok := AddLongDouble(ld(c.a), ld(c.b))
		if !ok {
			t.Errorf("%s + %s refused", c.a, c.b)
			continue
		}
		if got := FormatLongDouble(sum); got != c.want {
			t.Errorf("%s + %s = %s, want %s", c.a, c.b, got, c.want)
		}
	}
	if _, ok := AddLongDouble(ld("inf"), ld("1")); ok {
		t.Error("inf + 1 accepted")
	}
	big1 := ld("1.1e4932")
	if _, ok := AddLongDouble(big1, big1); ok {
		t.Error("overflowing sum accepted")
	}
}
