package glob

import (
	"bytes"
	"strings"
	"testing"
)

// matchCases were checked against Redis 7's stringmatchlen.
var matchCases = []struct {
	pattern, s string
	nocase     bool
	want       bool
}{
	// Literals, '?' and '*'.
	{"", "", false, true},
	{"", "a", false, false},
	{"a", "", false, false},
	{"hello", "hello", false, true},
	{"hello", "hell", false, false},
	{"hello", "Hello", false, false},
	{"hello", "HeLLo", true, true},
	{"h?llo", "hello", false, true},
	{"h?llo", "hllo", false, false},
	{"h?llo", "heello", false, false},
	{"?", "", false, false},
	{"*", "", false, false}, // the loop stops when the string is empty
	{"*", "anything", false, true},
	{"**", "", false, false},
	{"a*", "a", false, true},
	{"a**b", "ab", false, true},
	{"a***", "a", false, true},
	{"h*llo", "hllo", false, true},
	{"h*llo", "heeeello", false, true},
	{"h*llo", "hello!", false, false},
	{"*llo", "hello", false, true},
	{"*o*", "foo", false, true},
	{"k*", "key", false, true},
	{"*[^x]", "ab", false, true},
	{"*[^x]", "ax", false, false},
	{"*[^x]", "", false, false},
	{"a*b*c", "aXbYc", false, true},
	{"a*b*c", "aXcYb", false, false},
	// Classes.
	{"k[ab]*", "ka", false, true},
	{"k[ab]*", "kbxyz", false, true},
	{"k[ab]*", "kc", false, false},
	{"h[ae]llo", "hello", false, true},
	{"h[ae]llo", "hillo", false, false},
	{"h[^e]llo", "hallo", false, true},
	{"h[^e]llo", "hello", false, false},
	{"h[a-b]llo", "hbllo", false, true},
	{"h[a-b]llo", "hcllo", false, false},
	{"[a-c]*", "b1", false, true},
	{"[a-c]*", "d1", false, false},
	{"[c-a]*", "b1", false, true},
	{"[c-a]*", "d1", false, false},
	{"[A-C]", "b", false, false},
	{"[A-C]", "b", true, true},
	{"[a-c]", "B", true, true},
	{"[ab]", "A", true, true},
	{"[]", "]", false, false},
	{"[]]", "]", false, false},
	{"[a-]", "]", false, true},  // ']' ends the range a-]; the class is unterminated
	{"[a-]", "-", false, false}, // '-' is outside a..']'
	{"[-a]", "-", false, true},
	{"[a-]x]", "bx", false, false},
	{"[^]", "x", false, true},
	// Escapes.
	{`h\*llo`, "h*llo", false, true},
	{`h\*llo`, "hello", false, false},
	{`\?`, "?", false, true},
	{`\?`, "a", false, false},
	{`\\`, `\`, false, true},
	{`a\`, `a\`, false, true},
	{`a\`, "a", false, false},
	{`\`, `\`, false, true},
	{`[\]]`, "]", false, true},
	{`[\]a]`, "a", false, true},
	{`[\^]`, "^", false, true},
	{`[\-a]`, "-", false, true},
	{`[\a-c]`, "b", false, false}, // "\a" is one member, then "-c]" ...
	{`[\A]`, "a", true, false},    // an escaped byte in a class compares exactly
	{`[\A]`, "A", true, true},
	{`\A`, "a", true, true},
	{`[\`, `\`, false, true},
	// Unterminated classes run to the end of the pattern.
	{"[", "", false, false},
	{"[", "[", false, false},
	{"[ab", "a", false, true},
	{"[ab", "b", false, true},
	{"[ab", "ab", false, false},
	{"[^", "x", false, true},
	{"[^", "", false, false},
	{"a[", "a", false, false},
	{"x[a-", "xa", false, true},
	// Signed char ranges: 0x80..0xff are below 0x00.
	{"[a-\xff]", "b", false, false},
	{"[a-\xff]", "\xff", false, true},
	{"[a-\xff]", "\x00", false, true},
	{"[\x80-\x7f]", "a", false, true},
	{"[\x80-\x7f]", "\xfe", false, true},
	{"[\x00-\x7f]", "\x80", false, false},
	// Recursion limit: what follows the 1001st star matches nothing.
	{strings.Repeat("*a", 1000), strings.Repeat("a", 1000), false, true},
	{strings.Repeat("*a", 1001), strings.Repeat("a", 1001), false, false},
	{strings.Repeat("a*", 1001), strings.Repeat("a", 1001), false, true},
	{strings.Repeat("a*", 1001) + "b", strings.Repeat("a", 1001) + "b", false, false},
	{strings.Repeat("a*", 1000) + "b", strings.Repeat("a", 1000) + "b", false, true},
}

func TestMatch(t *testing.T) {
	for _, c := range matchCases {
		if got := Match([]byte(c.pattern), []byte(c.s), c.nocase); got != c.want {
			t.Errorf("Match(%q, %q, nocase=%v) = %v, want %v", short(c.pattern), short(c.s), c.nocase, got, c.want)
		}
	}
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// TestMatchPathological checks that patterns which take exponential time
// without Redis's skipLongerMatches fail fast.
func TestMatchPathological(t *testing.T) {
	s := []byte(strings.Repeat("a", 50000))
	for _, p := range []string{
		strings.Repeat("a*", 30) + "b",
		strings.Repeat("*a", 30) + "b",
		strings.Repeat("*?", 30) + "b",
		strings.Repeat("a*", 5000) + "b",
	} {
		if Match([]byte(p), s, false) {
			t.Errorf("Match(%q) = true", short(p))
		}
	}
}

func TestPrefix(t *testing.T) {
	for _, c := range []struct{ pattern, want string }{
		{"", ""},
		{"*", ""},
		{"abc", "abc"},
		{"abc*", "abc"},
		{"ab?c", "ab"},
		{"ab[c]", "ab"},
		{`h\*llo*`, "h*llo"},
		{`a\\b?`, `a\b`},
		{`ab\`, `ab\`},
	} {
		if got := Prefix([]byte(c.pattern)); string(got) != c.want {
			t.Errorf("Prefix(%q) = %q, want %q", c.pattern, got, c.want)
		}
	}
}

// naive is stringmatchlen without skipLongerMatches and without the
// nesting limit: the optimisation must not change any answer of a pattern
// with few stars.
func naive(pat, str []byte, nocase bool) bool {
	p, s := 0, 0
	for p < len(pat) && s < len(str) {
		switch pat[p] {
		case '*':
			for p+1 < len(pat) && pat[p+1] == '*' {
				p++
			}
			if p == len(pat)-1 {
				return true
			}
			for ; s < len(str); s++ {
				if naive(pat[p+1:], str[s:], nocase) {
					return true
				}
			}
			return false
		case '[':
			var ok bool
			if p, ok = matchClass(pat, p+1, str[s], nocase); !ok {
				return false
			}
		case '?':
		case '\\':
			if p+1 < len(pat) {
				p++
			}
			fallthrough
		default:
			if !equal(pat[p], str[s], nocase) {
				return false
			}
		}
		p++
		s++
		if s == len(str) {
			for p < len(pat) && pat[p] == '*' {
				p++
			}
		}
	}
	return p == len(pat) && s == len(str)
}

// escape returns a pattern that matches exactly s.
func escape(s []byte) []byte {
	var p []byte
	for _, c := range s {
		p = append(p, '\\', c)
	}
	return p
}

func FuzzMatch(f *testing.F) {
	for _, c := range matchCases {
		if len(c.pattern) < 100 {
			f.Add([]byte(c.pattern), []byte(c.s), c.nocase)
		}
	}
	f.Fuzz(func(t *testing.T, pattern, s []byte, nocase bool) {
		got := Match(pattern, s, nocase)
		if !bytes.ContainsAny(pattern, `*?[\`) && !nocase && got != bytes.Equal(pattern, s) {
			t.Fatalf("literal Match(%q, %q) = %v", pattern, s, got)
		}
		if !Match(escape(s), s, nocase) {
			t.Fatalf("escaped pattern does not match %q", s)
		}
		if Match([]byte("*"), s, nocase) != (len(s) > 0) {
			t.Fatalf("* and %q", s)
		}
		if got && !nocase && !bytes.HasPrefix(s, Prefix(pattern)) {
			t.Fatalf("Match(%q, %q) but %q lacks prefix %q", pattern, s, s, Prefix(pattern))
		}
		if bytes.Count(pattern, []byte("*")) <= 4 && len(s) <= 64 {
			if want := naive(pattern, s, nocase); got != want {
				t.Fatalf("Match(%q, %q, %v) = %v, without skipping longer matches %v", pattern, s, nocase, got, want)
			}
		}
	})
}
