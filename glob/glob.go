// Package glob matches strings against Redis's glob-style patterns, the
// patterns of KEYS, SCAN MATCH, HSCAN/SSCAN/ZSCAN MATCH, COMMAND LIST
// FILTERBY PATTERN and CONFIG GET.
//
// Match reproduces Redis 7's stringmatchlen (src/util.c) byte for byte,
// quirks included, so that titan selects exactly the strings redis-server
// selects:
//
//   - '*' matches any run of bytes (consecutive stars count as one); '?'
//     matches any one byte; any other byte matches itself.
//   - The empty string matches only the empty pattern, not even "*". (Redis
//     lists an empty key for KEYS * and SCAN MATCH * only because it does
//     not call the matcher for the pattern "*".)
//   - '[abc]' matches one of the listed bytes, '[^abc]' one byte not
//     listed, '[a-z]' a byte in a range; a reversed range '[z-a]' is the
//     same as '[a-z]'. Ranges compare bytes as C's signed char, so a range
//     with one end at or above 0x80 does not span what it would unsigned.
//     A '-' is a range only between two bytes: in "[a-]" the ']' is the end
//     of the range, and the class goes on after it.
//   - '\x' matches x, inside and outside brackets. A backslash that ends
//     the pattern matches a backslash.
//   - An unterminated '[' runs to the end of the pattern: "[ab" matches
//     "a" and "b", and "[^" matches any one byte.
//   - With nocase, bytes compare after ASCII lower-casing, except an
//     escaped byte inside brackets, which Redis compares exactly.
//   - Recursion on '*' stops at a nesting of 1000 and answers "no match"
//     there: what follows the 1001st star of a pattern (consecutive stars
//     counting as one) matches nothing, unless it is a final '*' or only
//     stars meet the end of the string. And once the rest of a pattern
//     after a star matched no suffix of the string, no earlier star retries
//     with a longer match, so patterns such as "*a*a*a*...b" fail in time
//     proportional to the string's length times the stars, not exponential.
package glob

// maxNesting is the deepest '*' recursion Redis follows before giving up
// with "no match".
const maxNesting = 1000

// Match reports whether s matches pattern as Redis's stringmatchlen does,
// comparing ASCII letters case-insensitively when nocase is set.
func Match(pattern, s []byte, nocase bool) bool {
	skipLonger := false
	return match(pattern, s, nocase, &skipLonger, 0)
}

// match is stringmatchlen_impl. skipLonger is shared by every level of
// one Match call: it is set when the pattern after a star matched no
// suffix of the string, which no longer match of an earlier star can
// change. The C code reads a NUL just past the end of the pattern; here
// the index checks against len(pat) stand for that NUL.
func match(pat, str []byte, nocase bool, skipLonger *bool, nesting int) bool {
	if nesting > maxNesting {
		return false
	}
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
				if match(pat[p+1:], str[s:], nocase, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
			}
			*skipLonger = true
			return false
		case '?':
			s++
		case '[':
			var ok bool
			if p, ok = matchClass(pat, p+1, str[s], nocase); !ok {
				return false
			}
			s++
		case '\\':
			if len(pat)-p >= 2 {
				p++
			}
			if !equal(pat[p], str[s], nocase) {
				return false
			}
			s++
		default:
			if !equal(pat[p], str[s], nocase) {
				return false
			}
			s++
		}
		p++
		if s == len(str) {
			for p < len(pat) && pat[p] == '*' {
				p++
			}
		}
	}
	return p == len(pat) && s == len(str)
}

// matchClass matches byte c against the class that starts at pat[p], just
// after its '['. It returns the index of the class's closing ']' (the
// last byte of the pattern when the class is unterminated) and whether c
// is selected.
func matchClass(pat []byte, p int, c byte, nocase bool) (int, bool) {
	not := p < len(pat) && pat[p] == '^'
	if not {
		p++
	}
	found := false
	for ; ; p++ {
		switch {
		case p < len(pat) && pat[p] == '\\' && len(pat)-p >= 2:
			// Redis compares an escaped byte exactly, even with nocase.
			p++
			if pat[p] == c {
				found = true
			}
		case p < len(pat) && pat[p] == ']':
			return p, found != not
		case p >= len(pat):
			return p - 1, found != not
		case len(pat)-p >= 3 && pat[p+1] == '-':
			// C's char is signed: the ends and c compare as int8.
			lo, hi, x := int(int8(pat[p])), int(int8(pat[p+2])), int(int8(c))
			if lo > hi {
				lo, hi = hi, lo
			}
			if nocase {
				lo, hi, x = lower(lo), lower(hi), lower(x)
			}
			p += 2
			if x >= lo && x <= hi {
				found = true
			}
		case equal(pat[p], c, nocase):
			found = true
		}
	}
}

// equal compares two bytes, ASCII case-insensitively when nocase is set.
func equal(a, b byte, nocase bool) bool {
	if nocase {
		return lower(int(a)) == lower(int(b))
	}
	return a == b
}

// lower is glibc's tolower in the "C" locale, which Redis runs in, for
// an int that holds a byte as char or as unsigned char: ASCII capitals
// become small letters, and a negative char other than -1 (EOF) becomes
// its unsigned value, which matters only in nocase ranges.
func lower(c int) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return c + 'a' - 'A'
	case c >= -128 && c < -1:
		return c + 256
	}
	return c
}

// Prefix returns the literal prefix of pattern: the bytes every string
// that matches pattern case-sensitively starts with. KEYS uses it to
// narrow the range of keys it scans. Escaped bytes are taken literally;
// the prefix stops at the first '*', '?' or '['.
func Prefix(pattern []byte) []byte {
	var out []byte
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*', '?', '[':
			return out
		case '\\':
			if i+1 < len(pattern) {
				i++
			}
			out = append(out, pattern[i])
		default:
			out = append(out, c)
		}
	}
	return out
}
