package parse

import (
	"bytes"
	"math/big"
	"strings"
)

// Redis computes INCRBYFLOAT and HINCRBYFLOAT in C long double, which on
// amd64 is the x87 extended format: a 64-bit mantissa and a binary exponent
// up to 16383. A big.Float of 64 bits of precision rounds the same way.
const (
	longDoublePrec   = 64
	longDoubleMaxExp = 16384  // |x| < 2^16384
	longDoubleMinExp = -16445 // the smallest denormal is 2^-16445
	maxLongDoubleLen = 5 * 1024
)

// LongDouble parses a number as Redis's string2ld (C strtold) does:
// decimal or hexadecimal notation, an optional sign, inf and infinity; no
// spaces, no NaN, nothing out of the long double range.
func LongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= maxLongDoubleLen || bytes.ContainsAny(b, "_ \t\n\r\v\f") {
		return nil, false
	}
	s := strings.ToLower(string(b))
	u := strings.TrimPrefix(strings.TrimPrefix(s, "+"), "-")
	if len(u) < len(s)-1 {
		return nil, false
	}
	if u == "inf" || u == "infinity" {
		return new(big.Float).SetInf(s[0] == '-'), true
	}
	base := 10
	if strings.HasPrefix(u, "0x") {
		base = 0 // hexadecimal mantissa, binary 'p' exponent
	} else if strings.ContainsAny(u, "pi") {
		return nil, false
	}
	f, _, err := new(big.Float).SetPrec(longDoublePrec).Parse(s, base)
	if err != nil || f.IsInf() {
		return nil, false
	}
	if exp := f.MantExp(nil); f.Sign() != 0 && (exp > longDoubleMaxExp || exp <= longDoubleMinExp-1) {
		return nil, false // overflows to inf or underflows to zero
	}
	return f, true
}

// AddLongDouble returns a+b in long double arithmetic; false when the sum
// is infinite or not a number.
func AddLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	sum := new(big.Float).SetPrec(longDoublePrec).Add(a, b)
	if sum.Sign() != 0 && sum.MantExp(nil) > longDoubleMaxExp {
		return nil, false
	}
	return sum, true
}

// FormatLongDouble renders f as Redis stores an INCRBYFLOAT result:
// printf("%.17Lf") without trailing zeros.
func FormatLongDouble(f *big.Float) string {
	s := f.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
