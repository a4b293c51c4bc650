package encoding

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Sub-key tags inside a sorted set object: members map to scores, and the
// score index orders (score, member) pairs.
const (
	zsetMemberTag = 'm'
	zsetScoreTag  = 's'
)

// ZSetMemberSub is the sub key holding member's score.
func ZSetMemberSub(member []byte) []byte {
	return append([]byte{zsetMemberTag}, member...)
}

// ZSetMemberPrefix is the sub-key prefix of every member entry.
func ZSetMemberPrefix() []byte { return []byte{zsetMemberTag} }

// ZSetScorePrefix is the sub-key prefix of the score index.
func ZSetScorePrefix() []byte { return []byte{zsetScoreTag} }

// ZSetScoreSub is the score-index sub key of (score, member).
func ZSetScoreSub(score float64, member []byte) []byte {
	b := make([]byte, 0, 9+len(member))
	b = append(b, zsetScoreTag)
	b = binary.BigEndian.AppendUint64(b, EncodeScore(score))
	return append(b, member...)
}

// ZSetScoreBound is the score-index sub key that sorts before every member
// with the given score.
func ZSetScoreBound(score float64) []byte {
	return binary.BigEndian.AppendUint64([]byte{zsetScoreTag}, EncodeScore(score))
}

// DecodeZSetScoreSub splits a score-index sub key.
func DecodeZSetScoreSub(sub []byte) (float64, []byte, error) {
	if len(sub) < 9 || sub[0] != zsetScoreTag {
		return 0, nil, fmt.Errorf("zset score key %q: %w", sub, ErrMalformed)
	}
	return DecodeScore(binary.BigEndian.Uint64(sub[1:])), sub[9:], nil
}

// EncodeScore maps a float64 onto a uint64 whose unsigned order is the
// float order (-inf < ... < -0 == 0 < ... < +inf). NaN is never stored.
func EncodeScore(f float64) uint64 {
	if f == 0 {
		f = 0 // fold -0 into +0
	}
	u := math.Float64bits(f)
	if u&(1<<63) != 0 {
		return ^u
	}
	return u | 1<<63
}

// DecodeScore inverts EncodeScore.
func DecodeScore(u uint64) float64 {
	if u&(1<<63) != 0 {
		return math.Float64frombits(u &^ (1 << 63))
	}
	return math.Float64frombits(^u)
}

// EncodeFloat encodes a score value (the value of a member entry).
func EncodeFloat(f float64) []byte {
	return binary.BigEndian.AppendUint64(nil, math.Float64bits(f))
}

// DecodeFloat inverts EncodeFloat.
func DecodeFloat(b []byte) (float64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("float of %d bytes: %w", len(b), ErrMalformed)
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
}

// ListGap is the distance between positions of elements pushed at either
// end of a list; inserts in the middle take positions inside a gap.
const ListGap = 1 << 24

// ListCenter is the position of the first element pushed to an empty list.
const ListCenter = 1 << 63

// ListSub is the sub key of the list element at position pos.
func ListSub(pos uint64) []byte { return binary.BigEndian.AppendUint64(nil, pos) }

// DecodeListSub returns the position of a list element sub key.
func DecodeListSub(sub []byte) (uint64, error) {
	if len(sub) != 8 {
		return 0, fmt.Errorf("list position of %d bytes: %w", len(sub), ErrMalformed)
	}
	return binary.BigEndian.Uint64(sub), nil
}

// EncodeInt64 encodes a signed integer (leases, counters).
func EncodeInt64(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

// DecodeInt64 inverts EncodeInt64.
func DecodeInt64(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("int64 of %d bytes: %w", len(b), ErrMalformed)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}
