package parse

import (
	"math/big"
	"testing"
)

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
