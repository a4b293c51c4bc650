package command

import "strconv"

// parseCursor reads a SCAN-family cursor: an unsigned 64-bit number, as
// Redis's clients parse it. Where a cursor resumes is kept in the store
// (db.Tx.Cursor, db.Tx.SaveCursor), so any titan process can resume it.
func parseCursor(arg []byte) (uint64, bool) {
	n, err := strconv.ParseUint(string(arg), 10, 64)
	return n, err == nil
}
