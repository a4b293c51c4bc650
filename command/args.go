package command

import (
	"math"
	"strconv"
	"strings"

	"github.com/titan-kv/titan/db"
)

// Argument errors with Redis's texts.
const (
	errNotInteger = "ERR value is not an integer or out of range"
	errNotFloat   = "ERR value is not a valid float"
	errSyntax     = "ERR syntax error"
)

// parseInt parses a Redis integer argument as Redis's string2ll does: no
// sign other than a leading '-', no leading zeros, no spaces.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 || b[0] == '+' || (len(b) > 1 && b[0] == '0') ||
		(len(b) > 1 && b[0] == '-' && b[1] == '0') {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

// parseFloat parses a Redis float argument (inf and -inf allowed).
func parseFloat(b []byte) (float64, bool) { return db.ParseFloat(b) }

// argIs reports whether b equals word, ignoring case.
func argIs(b []byte, word string) bool { return strings.EqualFold(string(b), word) }

// parseTimeout-style helper: seconds or milliseconds as a positive
// integer, for EX/PX/EXAT/PXAT.
func parsePositive(b []byte) (int64, bool) {
	n, ok := parseInt(b)
	return n, ok && n > 0
}

// addMillis returns now + n*unit milliseconds, or false on overflow.
func addMillis(now, n, unit int64) (int64, bool) {
	if n > (math.MaxInt64-now)/unit {
		return 0, false
	}
	return now + n*unit, true
}
