package db

import (
	"math/big"

	"github.com/titan-kv/titan/parse"
)

// The hash family (db/hash.go, command/hash.go and db/hash_test.go) still
// calls these until the branches are merged: they are package parse's
// functions under their old names. Delete this file once they call package
// parse directly.

// parseInt is parse.Int with ErrNotInteger.
// Deprecated: use parse.Int.
func parseInt(b []byte) (int64, error) {
	n, ok := parse.Int(b)
	if !ok {
		return 0, ErrNotInteger
	}
	return n, nil
}

// ParseLongDouble is parse.LongDouble.
// Deprecated: use parse.LongDouble.
func ParseLongDouble(b []byte) (*big.Float, bool) { return parse.LongDouble(b) }

// AddLongDouble is parse.AddLongDouble.
// Deprecated: use parse.AddLongDouble.
func AddLongDouble(a, b *big.Float) (*big.Float, bool) { return parse.AddLongDouble(a, b) }

// FormatLongDouble is parse.FormatLongDouble.
// Deprecated: use parse.FormatLongDouble.
func FormatLongDouble(f *big.Float) string { return parse.FormatLongDouble(f) }
