package parse

// StrtodPrefix is what C's strtod returns for b: the value of the longest
// prefix that is a number, 0 when none is (DEBUG SLEEP reads its argument
// so).
func StrtodPrefix(b []byte) float64 {
	f, _, _ := strtod(b)
	return f
}
