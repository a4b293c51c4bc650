package parse

import (
	"math"
	"testing"
)

func TestFormatScore(t *testing.T) {
	for f, want := range map[float64]string{
		0.1: "0.10000000000000001", 1e20: "1e+20", 3: "3", math.Inf(1): "inf", math.Inf(-1): "-inf",
		1.5e-7: "1.4999999999999999e-07", 123456789012345678: "1.2345678901234568e+17", math.Copysign(0, -1): "-0",
		1e16: "10000000000000000", 1e17: "1e+17", 12345678.9: "12345678.9", -2.5: "-2.5", 1.1000000000000001: "1.1000000000000001",
	} {
		if got := FormatScore(f); got != want {
			t.Errorf("FormatScore(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestScore(t *testing.T) {
	ok := map[string]float64{
		"1": 1, "-2.5": -2.5, "+5": 5, ".5": .5, "5.": 5, "1e2": 100, "0x10": 16, "0x1p4": 16, "inf": math.Inf(1),
		"-inf": math.Inf(-1), "+inf": math.Inf(1), "infinity": math.Inf(1), "-Infinity": math.Inf(-1), "InF": math.Inf(1),
		"1e-310": 1e-310, "0": 0, "-0": 0, "0e0": 0, "0x0": 0,
	}
	for s, want := range ok {
		got, valid := Score([]byte(s))
		if !valid || got != want {
			t.Errorf("Score(%q) = %v, %v; want %v", s, got, valid, want)
		}
	}
	for _, s := range []string{"", " 1", "1 ", "x", "nan", "NaN", "1e", "1e400", "-1e400", "1e-400", "inf1", "1_0", "0x", "--1", "1.2.3", "e5", "."} {
		if got, valid := Score([]byte(s)); valid {
			t.Errorf("Score(%q) = %v, want invalid", s, got)
		}
	}
}

func TestParseScoreRange(t *testing.T) {
	for _, c := range []struct {
		min, max string
		want     ScoreRange
	}{
		{"1", "2", ScoreRange{Min: 1, Max: 2}},
		{"(1", "(2", ScoreRange{Min: 1, Max: 2, MinEx: true, MaxEx: true}},
		{"-inf", "+inf", ScoreRange{Min: math.Inf(-1), Max: math.Inf(1)}},
		{"", "(", ScoreRange{MaxEx: true}},
		{" 1", "0x10", ScoreRange{Min: 1, Max: 16}},
		{"1e400", "-1e400", ScoreRange{Min: math.Inf(1), Max: math.Inf(-1)}},
		{"(1e-400", "1e2", ScoreRange{MinEx: true, Max: 100}},
	} {
		got, err := ParseScoreRange([]byte(c.min), []byte(c.max))
		if err != nil || got != c.want {
			t.Errorf("ParseScoreRange(%q, %q) = %+v, %v; want %+v", c.min, c.max, got, err, c.want)
		}
	}
	for _, c := range [][2]string{{"x", "1"}, {"1", "nan"}, {"(nan", "1"}, {"1 ", "2"}, {"((1", "2"}, {"1", "[2"}} {
		if _, err := ParseScoreRange([]byte(c[0]), []byte(c[1])); err != ErrMinMaxFloat {
			t.Errorf("ParseScoreRange(%q, %q): %v, want %v", c[0], c[1], err, ErrMinMaxFloat)
		}
	}
	for _, c := range [][2]string{{"a", "+"}, {"[a", "+a"}, {"-a", "+"}, {"", "+"}, {"[a", "b"}} {
		if _, err := ParseLexRange([]byte(c[0]), []byte(c[1])); err != ErrLexRange {
			t.Errorf("ParseLexRange(%q, %q): %v, want %v", c[0], c[1], err, ErrLexRange)
		}
	}
	r, err := ParseLexRange([]byte("(a"), []byte("["))
	if err != nil || string(r.Min.Value) != "a" || !r.Min.Ex || len(r.Max.Value) != 0 || r.Max.Ex || r.Max.Inf != 0 {
		t.Errorf("ParseLexRange((a, [) = %+v, %v", r, err)
	}
}

func TestScoreRangePredicates(t *testing.T) {
	for _, c := range []struct {
		min, max string
		empty    bool
		in, out  []float64
	}{
		{"1", "2", false, []float64{1, 1.5, 2}, []float64{0.5, 2.5}},
		{"(1", "(2", false, []float64{1.5}, []float64{1, 2}},
		{"1", "1", false, []float64{1}, []float64{0, 2}},
		{"(1", "1", true, nil, []float64{1}},
		{"2", "1", true, nil, []float64{1, 1.5, 2}},
		{"-inf", "+inf", false, []float64{math.Inf(-1), 0, math.Inf(1)}, nil},
	} {
		r, err := ParseScoreRange([]byte(c.min), []byte(c.max))
		if err != nil {
			t.Fatalf("ParseScoreRange(%q, %q): %v", c.min, c.max, err)
		}
		if r.Empty() != c.empty {
			t.Errorf("[%s, %s].Empty() = %v, want %v", c.min, c.max, r.Empty(), c.empty)
		}
		for _, f := range c.in {
			if !r.Contains(f) {
				t.Errorf("[%s, %s].Contains(%v) = false", c.min, c.max, f)
			}
		}
		for _, f := range c.out {
			if r.Contains(f) {
				t.Errorf("[%s, %s].Contains(%v) = true", c.min, c.max, f)
			}
		}
	}
}

func TestLexRangePredicates(t *testing.T) {
	for _, c := range []struct {
		min, max string
		empty    bool
		in, out  []string
	}{
		{"-", "+", false, []string{"", "a", "zzz"}, nil},
		{"[b", "[d", false, []string{"b", "c", "d"}, []string{"a", "e", "dd"}},
		{"(b", "(d", false, []string{"bb", "c"}, []string{"b", "d"}},
		{"[b", "(b", true, nil, []string{"b"}},
		{"[d", "[b", true, nil, []string{"c"}},
		{"+", "-", true, nil, []string{"a"}},
		{"+", "+", true, nil, []string{"a"}},
		{"-", "[a", false, []string{"", "a"}, []string{"b"}},
	} {
		r, err := ParseLexRange([]byte(c.min), []byte(c.max))
		if err != nil {
			t.Fatalf("ParseLexRange(%q, %q): %v", c.min, c.max, err)
		}
		if r.Empty() != c.empty {
			t.Errorf("%s %s: Empty() = %v, want %v", c.min, c.max, r.Empty(), c.empty)
		}
		for _, m := range c.in {
			if !r.GteMin([]byte(m)) || !r.LteMax([]byte(m)) {
				t.Errorf("%s %s: %q not in range", c.min, c.max, m)
			}
		}
		for _, m := range c.out {
			if !r.Empty() && r.GteMin([]byte(m)) && r.LteMax([]byte(m)) {
				t.Errorf("%s %s: %q in range", c.min, c.max, m)
			}
		}
	}
}
