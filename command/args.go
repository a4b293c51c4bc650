package command

import (
	"strings"

	"github.com/titan-kv/titan/parse"
)

// Argument errors with Redis's texts.
const (
	errNotInteger = "ERR value is not an integer or out of range"
	errNotFloat   = "ERR value is not a valid float"
	errSyntax     = "ERR syntax error"
)

// parseInt is parse.Int.
// Deprecated: the families not yet converted still call it; use parse.Int.
func parseInt(b []byte) (int64, bool) { return parse.Int(b) }

// parseFloat is parse.Float.
// Deprecated: use parse.Float.
func parseFloat(b []byte) (float64, bool) { return parse.Float(b) }

// argIs reports whether b equals word, ignoring case.
func argIs(b []byte, word string) bool { return strings.EqualFold(string(b), word) }
