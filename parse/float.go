package parse

import (
	"math"
	"strconv"
	"strings"
)

// Float parses b as a double exactly as Redis's string2d (C strtod over the
// whole argument) does: decimal or hexadecimal notation, an optional sign,
// inf and infinity in any case; no spaces, no NaN, nothing that overflows
// to infinity or underflows to zero.
func Float(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	s := string(b)
	if strings.ContainsAny(s, "_ \t\n\v\f\r") {
		return 0, false // Go allows digit separators, strtod no spaces in b
	}
	u := strings.ToLower(strings.TrimLeft(s, "+-"))
	hex := strings.HasPrefix(u, "0x")
	if hex && !strings.Contains(u, "p") {
		s += "p0" // strtod's hexadecimal exponent is optional, Go's is not
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// A syntax error, or a value out of range (ErrRange is only
		// reported for an overflow to infinity).
		return 0, false
	}
	if math.IsNaN(f) || (f == 0 && nonZeroMantissa(u, hex)) {
		return 0, false // strtod reports ERANGE for an underflow to zero
	}
	return f, true
}

// nonZeroMantissa reports whether the mantissa of the unsigned, lower-case
// number u has a non-zero digit.
func nonZeroMantissa(u string, hex bool) bool {
	digits, exp := u, "e"
	if hex {
		digits, exp = u[2:], "p"
	}
	if i := strings.Index(digits, exp); i >= 0 {
		digits = digits[:i]
	}
	return strings.ContainsFunc(digits, func(r rune) bool {
		return (r >= '1' && r <= '9') || (hex && r >= 'a' && r <= 'f')
	})
}
