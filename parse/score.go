package parse

import (
	"bytes"
	"errors"
	"math"
	"strconv"
)

// Scores and lexicographic bounds of the sorted set commands, parsed and
// formatted as Redis 7.0 does.

// Errors of score and lex range arguments, with Redis's texts.
var (
	ErrMinMaxFloat = errors.New("ERR min or max is not a float")
	ErrLexRange    = errors.New("ERR min or max not valid string range item")
)

// FormatScore renders a score as Redis 7.0 replies with it: %.17g, "inf"
// and "-inf". A negative zero is "-0"; stored scores never are one
// (normScore), as in Redis, but computed ones (ZUNION, ZINCRBY) can be.
func FormatScore(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

// strtod parses the longest prefix of s that C's strtod accepts (leading
// white space, a sign, decimal or hexadecimal digits with an exponent,
// inf, infinity, nan) and returns its value and length; n is 0 when no
// number starts s. rangeErr reports an overflow or an underflow to zero.
func strtod(s []byte) (f float64, n int, rangeErr bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	signEnd := i
	lower := func(j int) byte {
		if j < len(s) && s[j] >= 'A' && s[j] <= 'Z' {
			return s[j] + 'a' - 'A'
		}
		if j < len(s) {
			return s[j]
		}
		return 0
	}
	hasWord := func(j int, w string) bool {
		for k := 0; k < len(w); k++ {
			if lower(j+k) != w[k] {
				return false
			}
		}
		return true
	}
	neg := signEnd > start && s[start] == '-'
	switch {
	case hasWord(i, "infinity"):
		return math.Inf(infSign(neg)), i + 8, false
	case hasWord(i, "inf"):
		return math.Inf(infSign(neg)), i + 3, false
	case hasWord(i, "nan"):
		return math.NaN(), i + 3, false
	}
	digits := func(j int, hex bool) int {
		for j < len(s) && (isCDigit(s[j]) || (hex && isCHexLetter(s[j]))) {
			j++
		}
		return j
	}
	hex := lower(i) == '0' && lower(i+1) == 'x' && i+2 < len(s) &&
		(isCDigit(s[i+2]) || isCHexLetter(s[i+2]) || (s[i+2] == '.' && i+3 < len(s) && (isCDigit(s[i+3]) || isCHexLetter(s[i+3]))))
	j := i
	if hex {
		j += 2
	}
	intEnd := digits(j, hex)
	mant := intEnd - j
	end := intEnd
	if end < len(s) && s[end] == '.' {
		fracEnd := digits(end+1, hex)
		mant += fracEnd - end - 1
		end = fracEnd
	}
	if mant == 0 {
		return 0, 0, false
	}
	exp := byte('e')
	if hex {
		exp = 'p'
	}
	if lower(end) == exp {
		k := end + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if e := digits(k, false); e > k {
			end = e
		}
	}
	num := string(s[start:end])
	if hex && lower(end-1) != 'p' && !bytes.ContainsAny(s[intEnd:end], "pP") {
		num += "p0"
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			return 0, 0, false
		}
		return f, end, true
	}
	if f == 0 && hasNonZeroDigit(s[j:end], hex) {
		return f, end, true // underflow
	}
	return f, end, false
}

// infSign is the sign argument of math.Inf for a number negated or not.
func infSign(neg bool) int {
	if neg {
		return -1
	}
	return 1
}

// isCSpace, isCDigit and isCHexLetter classify bytes as C's isspace,
// isdigit and isxdigit (letters only) do.
func isCSpace(c byte) bool     { return c == ' ' || (c >= '\t' && c <= '\r') }
func isCDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isCHexLetter(c byte) bool { return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }

// hasNonZeroDigit reports whether the mantissa of a number is not zero.
func hasNonZeroDigit(num []byte, hex bool) bool {
	for _, c := range num {
		switch {
		case c == 'e' || c == 'E' || (hex && (c == 'p' || c == 'P')):
			return false
		case c >= '1' && c <= '9', hex && isCHexLetter(c):
			return true
		}
	}
	return false
}

// Score parses a score argument of ZADD, ZINCRBY and WEIGHTS as Redis
// does: the whole argument must be a number, without leading space; inf
// is allowed, NaN, overflow and underflow to zero are not.
func Score(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	f, n, rangeErr := strtod(b)
	if n != len(b) || math.IsNaN(f) || (rangeErr && (math.IsInf(f, 0) || f == 0)) {
		return 0, false
	}
	return f, true
}

// ScoreRange is a score interval of ZRANGEBYSCORE and friends.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// parseScoreBound parses one end of a score range: its value, whether it
// is exclusive ("(") and whether it is valid.
func parseScoreBound(b []byte) (float64, bool, bool) {
	ex := len(b) > 0 && b[0] == '('
	if ex {
		b = b[1:]
	}
	f, n, _ := strtod(b)
	// strtod of "" is 0 and consumes nothing: Redis accepts it.
	if n != len(b) && !(n == 0 && len(bytes.TrimLeft(b, " \t\n\v\f\r")) == 0) {
		return 0, false, false
	}
	if math.IsNaN(f) {
		return 0, false, false
	}
	return f, ex, true
}

// ParseScoreRange parses min and max as ZRANGEBYSCORE does ("(" makes a
// bound exclusive).
func ParseScoreRange(min, max []byte) (ScoreRange, error) {
	var r ScoreRange
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = parseScoreBound(min)
	r.Max, r.MaxEx, ok2 = parseScoreBound(max)
	if !ok1 || !ok2 {
		return r, ErrMinMaxFloat
	}
	return r, nil
}

// Empty reports whether no score is in r.
func (r ScoreRange) Empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

// Contains reports whether f is in r.
func (r ScoreRange) Contains(f float64) bool {
	gte := f > r.Min || (f == r.Min && !r.MinEx)
	lte := f < r.Max || (f == r.Max && !r.MaxEx)
	return gte && lte
}

// LexBound is one end of a lexicographic range: Inf is -1 for "-", +1 for
// "+", 0 for a member (inclusive with "[", exclusive with "(").
type LexBound struct {
	Inf   int
	Value []byte
	Ex    bool
}

// LexRange is a member interval of ZRANGEBYLEX and friends.
type LexRange struct{ Min, Max LexBound }

// parseLexBound parses one end of a lex range ("-", "+", "(member" or
// "[member").
func parseLexBound(b []byte) (LexBound, bool) {
	if len(b) == 0 {
		return LexBound{}, false
	}
	switch b[0] {
	case '+':
		return LexBound{Inf: 1, Ex: true}, len(b) == 1
	case '-':
		return LexBound{Inf: -1, Ex: true}, len(b) == 1
	case '(':
		return LexBound{Value: b[1:], Ex: true}, true
	case '[':
		return LexBound{Value: b[1:]}, true
	}
	return LexBound{}, false
}

// ParseLexRange parses min and max as ZRANGEBYLEX does.
func ParseLexRange(min, max []byte) (LexRange, error) {
	lo, ok1 := parseLexBound(min)
	hi, ok2 := parseLexBound(max)
	if !ok1 || !ok2 {
		return LexRange{}, ErrLexRange
	}
	return LexRange{Min: lo, Max: hi}, nil
}

// cmpLex compares a member with a bound value, the sentinels being below
// or above every member.
func cmpLex(member []byte, b LexBound) int {
	if b.Inf != 0 {
		return -b.Inf
	}
	return bytes.Compare(member, b.Value)
}

// Empty reports whether no member is in r.
func (r LexRange) Empty() bool {
	var c int
	switch {
	case r.Min.Inf != 0 || r.Max.Inf != 0:
		if r.Min.Inf == r.Max.Inf {
			c = 0
		} else if r.Min.Inf == 1 || r.Max.Inf == -1 {
			c = 1
		} else {
			c = -1
		}
	default:
		c = bytes.Compare(r.Min.Value, r.Max.Value)
	}
	return c > 0 || (c == 0 && (r.Min.Ex || r.Max.Ex))
}

// GteMin reports whether member is at or above r's lower end.
func (r LexRange) GteMin(member []byte) bool {
	c := cmpLex(member, r.Min)
	return c > 0 || (c == 0 && !r.Min.Ex)
}

// LteMax reports whether member is at or below r's upper end.
func (r LexRange) LteMax(member []byte) bool {
	c := cmpLex(member, r.Max)
	return c < 0 || (c == 0 && !r.Max.Ex)
}
