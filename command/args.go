package command

import (
	"strings"
)

// Argument errors with Redis's texts.
const (
	errNotInteger = "ERR value is not an integer or out of range"
	errNotFloat   = "ERR value is not a valid float"
	errSyntax     = "ERR syntax error"
)

// argIs reports whether b equals word, ignoring case.
func argIs(b []byte, word string) bool { return strings.EqualFold(string(b), word) }
