package encoding

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Streams. A stream object holds, under its object id, five kinds of sub
// keys:
//
//	'e' <id 16B>                                   -> EncodeStreamEntry(fields)
//	'g' <group name>                               -> EncodeStreamGroup(group)
//	'p' <group seq 8B> <id 16B>                    -> EncodeStreamPending(nack)
//	'c' <group seq 8B> <consumer name>             -> EncodeStreamConsumer(consumer)
//	'i' <group seq 8B> <len 4B> <consumer> <id 16B> -> placeholder
//
// Entries are ordered by ID (ms, seq, both big-endian), so XRANGE is one
// range scan and XADD one put. A group's PEL ('p'), its consumers ('c')
// and each consumer's own PEL index ('i') sit under the group's sequence
// number, taken from the stream metadata when the group is created: a
// destroyed group's keys form one prefix per kind, handed to the collector,
// and a group created again under the same name never sees them. The
// stream's length, last, first and max-deleted IDs and entries-added
// counter are in the metadata (Meta.Stream).
const (
	streamEntryTag    = 'e'
	streamGroupTag    = 'g'
	streamPendingTag  = 'p'
	streamConsumerTag = 'c'
	streamConsIdxTag  = 'i'

	// StreamIDLen is the length of an encoded stream ID.
	StreamIDLen = 16
)

// StreamID is a stream entry ID, <ms>-<seq>.
type StreamID struct {
	Ms, Seq uint64
}

// MaxStreamID is the largest ID, 18446744073709551615-18446744073709551615.
var MaxStreamID = StreamID{math.MaxUint64, math.MaxUint64}

// Compare returns -1, 0 or 1 as id is smaller than, equal to or greater
// than o.
func (id StreamID) Compare(o StreamID) int {
	switch {
	case id.Ms < o.Ms:
		return -1
	case id.Ms > o.Ms:
		return 1
	case id.Seq < o.Seq:
		return -1
	case id.Seq > o.Seq:
		return 1
	}
	return 0
}

// Less reports id < o.
func (id StreamID) Less(o StreamID) bool { return id.Compare(o) < 0 }

// IsZero reports id == 0-0.
func (id StreamID) IsZero() bool { return id.Ms == 0 && id.Seq == 0 }

// Next returns the ID right after id; ok is false for MaxStreamID.
func (id StreamID) Next() (StreamID, bool) {
	switch {
	case id.Seq < math.MaxUint64:
		return StreamID{id.Ms, id.Seq + 1}, true
	case id.Ms < math.MaxUint64:
		return StreamID{id.Ms + 1, 0}, true
	}
	return id, false
}

// Prev returns the ID right before id; ok is false for 0-0.
func (id StreamID) Prev() (StreamID, bool) {
	switch {
	case id.Seq > 0:
		return StreamID{id.Ms, id.Seq - 1}, true
	case id.Ms > 0:
		return StreamID{id.Ms - 1, math.MaxUint64}, true
	}
	return id, false
}

// String renders the ID as Redis does.
func (id StreamID) String() string {
	return fmt.Sprintf("%d-%d", id.Ms, id.Seq)
}

// AppendID appends the 16-byte form of id.
func AppendID(b []byte, id StreamID) []byte {
	b = binary.BigEndian.AppendUint64(b, id.Ms)
	return binary.BigEndian.AppendUint64(b, id.Seq)
}

// DecodeID reads a 16-byte ID.
func DecodeID(b []byte) (StreamID, error) {
	if len(b) != StreamIDLen {
		return StreamID{}, fmt.Errorf("stream id of %d bytes: %w", len(b), ErrMalformed)
	}
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}, nil
}

// StreamMeta is what the metadata of a stream holds besides the length
// (Meta.Count): Redis's last_id, first_id, max_deleted_entry_id and
// entries_added, and the next group sequence number.
type StreamMeta struct {
	LastID       StreamID
	FirstID      StreamID
	MaxDeletedID StreamID
	EntriesAdded int64
	GroupSeq     uint64
}

const streamMetaExtra = 3*StreamIDLen + 8 + 8

func appendStreamMeta(b []byte, s *StreamMeta) []byte {
	b = AppendID(b, s.LastID)
	b = AppendID(b, s.FirstID)
	b = AppendID(b, s.MaxDeletedID)
	b = binary.BigEndian.AppendUint64(b, uint64(s.EntriesAdded))
	return binary.BigEndian.AppendUint64(b, s.GroupSeq)
}

func decodeStreamMeta(b []byte) StreamMeta {
	id := func(o int) StreamID {
		return StreamID{binary.BigEndian.Uint64(b[o:]), binary.BigEndian.Uint64(b[o+8:])}
	}
	return StreamMeta{
		LastID:       id(0),
		FirstID:      id(16),
		MaxDeletedID: id(32),
		EntriesAdded: int64(binary.BigEndian.Uint64(b[48:])),
		GroupSeq:     binary.BigEndian.Uint64(b[56:]),
	}
}

// StreamEntryKey is the sub key of the entry id.
func StreamEntryKey(id StreamID) []byte {
	return AppendID([]byte{streamEntryTag}, id)
}

// StreamEntryPrefix is the sub-key prefix of every entry.
func StreamEntryPrefix() []byte { return []byte{streamEntryTag} }

// DecodeStreamEntryKey returns the ID of an entry sub key.
func DecodeStreamEntryKey(sub []byte) (StreamID, error) {
	if len(sub) != 1+StreamIDLen || sub[0] != streamEntryTag {
		return StreamID{}, fmt.Errorf("stream entry key %q: %w", sub, ErrMalformed)
	}
	return DecodeID(sub[1:])
}

// EncodeStreamEntry encodes an entry's field/value list (alternating).
func EncodeStreamEntry(fv [][]byte) []byte {
	n := binary.MaxVarintLen64
	for _, f := range fv {
		n += binary.MaxVarintLen64 + len(f)
	}
	b := make([]byte, 0, n)
	b = binary.AppendUvarint(b, uint64(len(fv)))
	for _, f := range fv {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

// DecodeStreamEntry inverts EncodeStreamEntry; the strings alias b.
func DecodeStreamEntry(b []byte) ([][]byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, fmt.Errorf("stream entry: %w", ErrMalformed)
	}
	b = b[k:]
	out := make([][]byte, 0, n)
	for range n {
		l, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < l {
			return nil, fmt.Errorf("stream entry field: %w", ErrMalformed)
		}
		out = append(out, b[k:k+int(l)])
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("stream entry: trailing bytes: %w", ErrMalformed)
	}
	return out, nil
}

// StreamGroupKey is the sub key of the group name.
func StreamGroupKey(name []byte) []byte { return append([]byte{streamGroupTag}, name...) }

// StreamGroupPrefix is the sub-key prefix of every group.
func StreamGroupPrefix() []byte { return []byte{streamGroupTag} }

// DecodeStreamGroupKey returns the group name of a group sub key.
func DecodeStreamGroupKey(sub []byte) ([]byte, error) {
	if len(sub) < 1 || sub[0] != streamGroupTag {
		return nil, fmt.Errorf("stream group key %q: %w", sub, ErrMalformed)
	}
	return sub[1:], nil
}

// StreamGroup is one consumer group: Redis's last_id and entries_read
// (-1 when unknown), its sequence number (the prefix of its other keys),
// the sizes of its PEL and of its consumer set, and PELFloor, an ID at or
// below every pending ID: scans of the PEL start there instead of at 0-0,
// so they do not walk over the versions the store keeps of the PEL
// entries acknowledged long ago.
type StreamGroup struct {
	LastID      StreamID
	EntriesRead int64
	Seq         uint64
	Pending     int64
	Consumers   int64
	PELFloor    StreamID
}

const streamGroupLen = StreamIDLen + 32

// EncodeStreamGroup encodes g.
func EncodeStreamGroup(g *StreamGroup) []byte {
	b := make([]byte, 0, streamGroupLen+StreamIDLen)
	b = AppendID(b, g.LastID)
	b = binary.BigEndian.AppendUint64(b, uint64(g.EntriesRead))
	b = binary.BigEndian.AppendUint64(b, g.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(g.Pending))
	b = binary.BigEndian.AppendUint64(b, uint64(g.Consumers))
	return AppendID(b, g.PELFloor)
}

// DecodeStreamGroup inverts EncodeStreamGroup; a record without the PEL
// floor (as first written) has it at 0-0.
func DecodeStreamGroup(b []byte) (*StreamGroup, error) {
	if len(b) != streamGroupLen && len(b) != streamGroupLen+StreamIDLen {
		return nil, fmt.Errorf("stream group of %d bytes: %w", len(b), ErrMalformed)
	}
	id, _ := DecodeID(b[:16])
	g := &StreamGroup{
		LastID:      id,
		EntriesRead: int64(binary.BigEndian.Uint64(b[16:])),
		Seq:         binary.BigEndian.Uint64(b[24:]),
		Pending:     int64(binary.BigEndian.Uint64(b[32:])),
		Consumers:   int64(binary.BigEndian.Uint64(b[40:])),
	}
	if len(b) > streamGroupLen {
		g.PELFloor, _ = DecodeID(b[streamGroupLen:])
	}
	return g, nil
}

// StreamPendingPrefix is the sub-key prefix of group seq's PEL.
func StreamPendingPrefix(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{streamPendingTag}, seq)
}

// StreamPendingKey is the PEL sub key of entry id in group seq.
func StreamPendingKey(seq uint64, id StreamID) []byte {
	return AppendID(StreamPendingPrefix(seq), id)
}

// DecodeStreamPendingKey returns the entry ID of a PEL sub key.
func DecodeStreamPendingKey(sub []byte) (StreamID, error) {
	if len(sub) != 9+StreamIDLen || sub[0] != streamPendingTag {
		return StreamID{}, fmt.Errorf("stream pending key %q: %w", sub, ErrMalformed)
	}
	return DecodeID(sub[9:])
}

// StreamPending is one PEL entry: who owns it, when it was last delivered
// (unix ms) and how many times.
type StreamPending struct {
	Consumer      []byte
	DeliveryTime  int64
	DeliveryCount int64
}

// EncodeStreamPending encodes p.
func EncodeStreamPending(p *StreamPending) []byte {
	b := make([]byte, 0, 16+len(p.Consumer))
	b = binary.BigEndian.AppendUint64(b, uint64(p.DeliveryTime))
	b = binary.BigEndian.AppendUint64(b, uint64(p.DeliveryCount))
	return append(b, p.Consumer...)
}

// DecodeStreamPending inverts EncodeStreamPending; Consumer aliases b.
func DecodeStreamPending(b []byte) (*StreamPending, error) {
	if len(b) < 16 {
		return nil, fmt.Errorf("stream pending of %d bytes: %w", len(b), ErrMalformed)
	}
	return &StreamPending{
		DeliveryTime:  int64(binary.BigEndian.Uint64(b)),
		DeliveryCount: int64(binary.BigEndian.Uint64(b[8:])),
		Consumer:      b[16:],
	}, nil
}

// StreamConsumerPrefix is the sub-key prefix of group seq's consumers.
func StreamConsumerPrefix(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{streamConsumerTag}, seq)
}

// StreamConsumerKey is the sub key of consumer name in group seq.
func StreamConsumerKey(seq uint64, name []byte) []byte {
	return append(StreamConsumerPrefix(seq), name...)
}

// DecodeStreamConsumerKey returns the consumer name of a consumer sub key.
func DecodeStreamConsumerKey(sub []byte) ([]byte, error) {
	if len(sub) < 9 || sub[0] != streamConsumerTag {
		return nil, fmt.Errorf("stream consumer key %q: %w", sub, ErrMalformed)
	}
	return sub[9:], nil
}

// StreamConsumer is one consumer of a group: when it was last seen (unix
// ms) and how many entries it has pending.
type StreamConsumer struct {
	SeenTime int64
	Pending  int64
}

// EncodeStreamConsumer encodes c.
func EncodeStreamConsumer(c *StreamConsumer) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(c.SeenTime))
	return binary.BigEndian.AppendUint64(b, uint64(c.Pending))
}

// DecodeStreamConsumer inverts EncodeStreamConsumer.
func DecodeStreamConsumer(b []byte) (*StreamConsumer, error) {
	if len(b) != 16 {
		return nil, fmt.Errorf("stream consumer of %d bytes: %w", len(b), ErrMalformed)
	}
	return &StreamConsumer{
		SeenTime: int64(binary.BigEndian.Uint64(b)),
		Pending:  int64(binary.BigEndian.Uint64(b[8:])),
	}, nil
}

// StreamConsumerPELPrefix is the sub-key prefix of the PEL index of one
// consumer of group seq.
func StreamConsumerPELPrefix(seq uint64, consumer []byte) []byte {
	b := binary.BigEndian.AppendUint64([]byte{streamConsIdxTag}, seq)
	b = binary.BigEndian.AppendUint32(b, uint32(len(consumer)))
	return append(b, consumer...)
}

// StreamConsumerPELKey is the consumer PEL index sub key of entry id.
func StreamConsumerPELKey(seq uint64, consumer []byte, id StreamID) []byte {
	return AppendID(StreamConsumerPELPrefix(seq, consumer), id)
}

// StreamGroupPrefixes are the sub-key prefixes of everything group seq
// holds besides its record: its PEL, consumers and consumer PEL indexes.
func StreamGroupPrefixes(seq uint64) [][]byte {
	return [][]byte{
		StreamPendingPrefix(seq),
		StreamConsumerPrefix(seq),
		binary.BigEndian.AppendUint64([]byte{streamConsIdxTag}, seq),
	}
}

// TrailingID returns the ID in the last 16 bytes of a sub key.
func TrailingID(sub []byte) (StreamID, error) {
	if len(sub) < StreamIDLen {
		return StreamID{}, fmt.Errorf("stream key %q: %w", sub, ErrMalformed)
	}
	return DecodeID(sub[len(sub)-StreamIDLen:])
}

// StreamTrimSub is the sub of the collector queue entry (Keys.GCPart) of
// a trim that left the entries with an ID below end to the collector:
// 'e' <end 16B>. Unlike a group's prefixes it is not a prefix of the keys
// to delete but the exclusive end of their range; see GCSpan.
func StreamTrimSub(end StreamID) []byte { return StreamEntryKey(end) }

// GCSpan returns the sub-key range [from, to) of the keys a collector
// queue entry with sub covers: the whole object for nil (from and to
// nil), a stream trim's entries below its end, or the keys under a
// prefix (a destroyed group).
func GCSpan(sub []byte) (from, to []byte) {
	switch {
	case len(sub) == 0:
		return nil, nil
	case len(sub) == 1+StreamIDLen && sub[0] == streamEntryTag:
		return StreamEntryPrefix(), sub
	}
	return sub, PrefixEnd(sub)
}
