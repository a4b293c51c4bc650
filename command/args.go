package command

import (
	"strings"

	"github.com/titan-kv/titan/parse"
)

// Argument errors with Redis's texts.
const (
	errPositive   = "ERR value is out of range, must be positive"
	errNotInteger = "ERR value is not an integer or out of range"
	errNotFloat   = "ERR value is not a valid float"
	errSyntax     = "ERR syntax error"
)

// argIs reports whether b equals word, ignoring case.
func argIs(b []byte, word string) bool { return strings.EqualFold(string(b), word) }

// intAtLeast parses b as an integer no smaller than min; otherwise it
// answers msg, as Redis answers both a malformed and an out-of-range
// count with one text.
func (c *Call) intAtLeast(b []byte, min int64, msg string) (int64, bool) {
	n, ok := parse.Int(b)
	if !ok || n < min {
		c.Error(msg)
		return 0, false
	}
	return n, true
}

// dbIndex parses a database index (SELECT, COPY ... DB); otherwise it
// answers Redis's error.
func (c *Call) dbIndex(b []byte) (uint16, bool) {
	n, ok := parse.Int(b)
	if !ok {
		c.Error(errNotInteger)
		return 0, false
	}
	if n < 0 || n >= int64(c.s.cfg.Databases) {
		c.Error("ERR DB index is out of range")
		return 0, false
	}
	return uint16(n), true
}
