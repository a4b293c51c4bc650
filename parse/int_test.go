package parse

import (
	"math"
	"strconv"
	"testing"
)

func TestInt(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1", 1, true},
		{"-1", -1, true},
		{"123456789", 123456789, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false},
		{"18446744073709551615", 0, false},  // fits uint64, not int64
		{"18446744073709551616", 0, false},  // overflows uint64
		{"99999999999999999999", 0, false},  // 20 digits
		{"100000000000000000000", 0, false}, // 21 bytes
		{"-00000000000000000001", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"+1", 0, false},
		{"+0", 0, false},
		{"01", 0, false},
		{"00", 0, false},
		{"-0", 0, false},
		{"-01", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1a", 0, false},
		{"0x10", 0, false},
		{"1_000", 0, false},
		{"1.0", 0, false},
		{"1e3", 0, false},
		{"--1", 0, false},
		{"\x001", 0, false},
	} {
		got, ok := Int([]byte(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("Int(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestIntMatchesStrconv checks Int against strconv on the canonical
// renderings of many numbers, which both must accept.
func TestIntMatchesStrconv(t *testing.T) {
	for _, n := range []int64{0, 1, -1, 9, 10, -10, 99, 100, 1 << 31, -1 << 31, 1<<53 + 1, math.MaxInt64 - 1, math.MinInt64 + 1} {
		s := strconv.FormatInt(n, 10)
		if got, ok := Int([]byte(s)); !ok || got != n {
			t.Errorf("Int(%q) = %d, %v", s, got, ok)
		}
	}
}

func FuzzInt(f *testing.F) {
	for _, s := range []string{"0", "-1", "+1", "01", "9223372036854775808", "-9223372036854775808"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Int([]byte(s))
		// string2ll accepts exactly the canonical renderings of int64s.
		n, err := strconv.ParseInt(s, 10, 64)
		want := err == nil && strconv.FormatInt(n, 10) == s
		if ok != want || (ok && got != n) {
			t.Fatalf("Int(%q) = %d, %v; strconv says %d, %v", s, got, ok, n, want)
		}
	})
}
