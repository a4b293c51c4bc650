package encoding

import (
	"encoding/binary"
	"fmt"
)

// StringChunkSize is the size of one chunk of a chunked string, and the
// longest string kept inside its metadata. Every chunk but the last is
// exactly this long. Keeping every stored value this small keeps each
// store request far below TiKV's raft entry limit (8MB), and keeps the
// embedded store, which copies the value of every key its seeks land on,
// fast next to big strings.
const StringChunkSize = 64 << 10

// StringChunkSub is the sub key (under the string's object id) of chunk
// i, which holds bytes [i*StringChunkSize, (i+1)*StringChunkSize) of the
// value: the chunk index, big-endian u32, so chunks sort in order.
func StringChunkSub(i int64) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(i))
}

// StringChunkIndex parses a sub key written by StringChunkSub.
func StringChunkIndex(sub []byte) (int64, error) {
	if len(sub) != 4 {
		return 0, fmt.Errorf("string chunk sub key of %d bytes: %w", len(sub), ErrMalformed)
	}
	return int64(binary.BigEndian.Uint32(sub)), nil
}

// StringChunks returns the number of chunks of a string n bytes long.
func StringChunks(n int64) int64 { return (n + StringChunkSize - 1) / StringChunkSize }
