package copier

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/titan-kv/titan/encoding"
)

// Copies from a DUMP: one command reads a whole key atomically on Redis,
// so a copier that holds off the key's writers while DUMP runs knows
// exactly which writes the copy holds (see the proxy's repairs).

// DumpCmds returns the commands reading key for SnapshotFromDump: DUMP
// and PTTL, to send in one pipeline.
func DumpCmds(key []byte) [][][]byte {
	return [][][]byte{args("DUMP", key), args("PTTL", key)}
}

// SnapshotFromDump turns the replies to DumpCmds, read at readAt, into a
// complete snapshot of key (a missing key gives TypeNone). Large values
// are kept whole in memory and written page by page by Write.
func SnapshotFromDump(key, payload []byte, missing bool, pttl int64, readAt time.Time) (*Snapshot, error) {
	s := &Snapshot{Key: key, Type: TypeNone, PTTL: -1, ReadAt: readAt}
	if missing || pttl == -2 {
		return s, nil
	}
	if pttl >= 0 {
		s.PTTL = pttl
	}
	if len(payload) < 10 || encoding.CRC64(0, payload[:len(payload)-8]) != binary.LittleEndian.Uint64(payload[len(payload)-8:]) {
		return nil, fmt.Errorf("DUMP of %q: bad checksum", key)
	}
	v, err := encoding.DecodeDump(payload)
	if err != nil {
		return nil, fmt.Errorf("DUMP of %q: %w (type not copied from a DUMP)", key, err)
	}
	switch v.Type {
	case encoding.TypeString:
		s.Type, s.Str = TypeString, v.Str
		return s, nil
	case encoding.TypeHash:
		s.Type = TypeHash
	case encoding.TypeList:
		s.Type = TypeList
	case encoding.TypeSet:
		s.Type = TypeSet
	case encoding.TypeZSet:
		s.Type = TypeZSet
		items := make([][]byte, 0, 2*len(v.Elems))
		for i, m := range v.Elems {
			items = append(items, m, formatScore(v.Scores[i]))
		}
		v.Elems = items
	default:
		return nil, fmt.Errorf("DUMP of %q: type %v not copied from a DUMP", key, v.Type)
	}
	s.Items = v.Elems
	s.Len = int64(len(v.Elems))
	return s, nil
}

// formatScore writes a score as ZADD reads it back exactly.
func formatScore(f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return []byte("+inf")
	case math.IsInf(f, -1):
		return []byte("-inf")
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64)
}

// splitPages keeps the first page of a snapshot read whole in Items and
// the rest in memory for NextPage, so Write streams it like a value read
// page by page from Redis.
func (c *Copier) splitPages(s *Snapshot) {
	step := c.page()
	if s.Type == TypeHash || s.Type == TypeZSet {
		step *= 2
	}
	if len(s.Items) <= step {
		return
	}
	s.rest, s.Items, s.Cursor = s.Items[step:], s.Items[:step], "memory"
}

// WriteSnapshots writes snapshots made by SnapshotFromDump to dst (see
// Write): small values in one transaction, large ones streamed into a
// temporary key of their own and renamed into place.
func (c *Copier) WriteSnapshots(ctx context.Context, dst Pipeliner, snaps []*Snapshot) (int, error) {
	for _, s := range snaps {
		c.splitPages(s)
	}
	return c.Write(ctx, nil, dst, snaps)
}
