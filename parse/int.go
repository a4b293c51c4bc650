package parse

import "math"

// maxIntLen is the longest integer Redis's string2ll accepts: 20 bytes,
// "-9223372036854775808".
const maxIntLen = 20

// Int parses b as a signed 64-bit integer exactly as Redis's string2ll
// does: an optional '-' (never '+'), no leading zeros ("0" itself is
// fine, "-0" and "01" are not), no spaces, nothing out of the int64 range.
func Int(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > maxIntLen {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true // -(1<<63) wraps to math.MinInt64
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}
