package db

import (
	"bytes"
	"fmt"
	"math"

	"github.com/titan-kv/titan/encoding"
)

// Streams (layout in encoding/stream.go). Entries are keyed by ID under
// the stream's object; the metadata holds the length (Count) and Redis's
// last, first and max-deleted IDs and entries-added counter, so XADD is
// one metadata read, one entry put and one metadata put. Unlike the other
// collections, an empty stream is kept. This file holds the entries
// (XADD, XRANGE, XDEL, XTRIM, XSETID, XREAD); stream_group.go holds the
// consumer groups.

// StreamID is a stream entry ID.
type StreamID = encoding.StreamID

// StreamEntry is one entry as the stream commands reply it; Fields is nil
// for an entry that no longer exists (a PEL entry whose entry was deleted).
type StreamEntry struct {
	ID     StreamID
	Fields [][]byte
}

// Stream errors with Redis's texts.
var (
	ErrStreamIDTooSmall  = UserError("ERR The ID specified in XADD is equal or smaller than the target stream top item")
	ErrStreamIDZero      = UserError("ERR The ID specified in XADD must be greater than 0-0")
	ErrStreamExhausted   = UserError("ERR The stream has exhausted the last possible ID, unable to add more items")
	ErrSetIDSmall        = UserError("ERR The ID specified in XSETID is smaller than the target stream top item")
	ErrSetIDAddedSmall   = UserError("ERR The entries_added specified in XSETID is smaller than the target stream length")
	ErrSetIDBelowDeleted = UserError("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id")
)

// streamNodeEntries is Redis's stream-node-max-entries: approximate
// trimming (~) removes whole nodes of this many entries, as Redis does
// with streams whose entries fit its nodes.
const streamNodeEntries = 100

// Stream is the stream stored at one key, as one transaction sees it.
type Stream struct {
	tx  *Tx
	key []byte
}

// Stream returns the view of the stream at key in the current database.
func (tx *Tx) Stream(key []byte) Stream { return Stream{tx: tx, key: key} }

func (s Stream) meta() (*encoding.Meta, error) {
	return s.tx.typedMeta(s.key, encoding.TypeStream)
}

// newStream returns a fresh empty stream.
func (s Stream) newStream() *encoding.Meta {
	m := s.tx.newObject(encoding.TypeStream)
	return m
}

func (s Stream) save(m *encoding.Meta) error { return s.tx.putMeta(s.key, m, m.ExpireAt) }

func (s Stream) entryKey(m *encoding.Meta, id StreamID) []byte {
	return s.tx.data(m, encoding.StreamEntryKey(id))
}

// scanLimit is a COUNT as a scan's limit: 0 (no bound) for a count <= 0
// or beyond an int32.
func scanLimit(count int64) int {
	if count > 0 && count < math.MaxInt32 {
		return int(count)
	}
	return 0
}

// scanIDs calls fn with the ID that ends each sub key prefix+<id> of m
// with start <= id <= end, and its value, in ID order (from end down with
// rev), for at most limit keys (0: all) or until fn returns false. Entries
// ('e'), a group's PEL and a consumer's PEL index are all laid out so.
func (s Stream) scanIDs(m *encoding.Meta, prefix []byte, start, end StreamID, limit int, rev bool, fn func(id StreamID, v []byte) (bool, error)) error {
	if end.Less(start) {
		return nil
	}
	from := s.tx.data(m, encoding.AppendID(bytes.Clone(prefix), start))
	to := append(s.tx.data(m, encoding.AppendID(bytes.Clone(prefix), end)), 0)
	n := 0
	return s.tx.rangeScan(from, to, limit, rev, func(k, v []byte) (bool, error) {
		id, err := encoding.TrailingID(k)
		if err != nil {
			return false, err
		}
		n++
		more, err := fn(id, v)
		return more && (limit == 0 || n < limit), err
	})
}

// collectIDs returns the IDs scanIDs visits.
func (s Stream) collectIDs(m *encoding.Meta, prefix []byte, start, end StreamID, limit int) ([]StreamID, error) {
	var ids []StreamID
	err := s.scanIDs(m, prefix, start, end, limit, false, func(id StreamID, _ []byte) (bool, error) {
		ids = append(ids, id)
		return true, nil
	})
	return ids, err
}

// scanEntries calls fn for the entries with start <= ID <= end (from end
// down with rev), at most limit of them (0: all).
func (s Stream) scanEntries(m *encoding.Meta, start, end StreamID, limit int, rev bool, fn func(StreamEntry) (bool, error)) error {
	start, ok := visibleStart(m, start)
	if !ok {
		return nil
	}
	return s.scanIDs(m, encoding.StreamEntryPrefix(), start, end, limit, rev, func(id StreamID, v []byte) (bool, error) {
		fv, err := encoding.DecodeStreamEntry(bytes.Clone(v))
		if err != nil {
			return false, fmt.Errorf("stream %q entry %s: %w", s.key, id, err)
		}
		return fn(StreamEntry{ID: id, Fields: fv})
	})
}

// collectEntries returns the entries scanEntries visits.
func (s Stream) collectEntries(m *encoding.Meta, start, end StreamID, limit int, rev bool) ([]StreamEntry, error) {
	var out []StreamEntry
	err := s.scanEntries(m, start, end, limit, rev, func(e StreamEntry) (bool, error) {
		out = append(out, e)
		return true, nil
	})
	return out, err
}

// entryValues reads the entries ids in one request: their encoded field
// lists, nil for missing ones and for those below FirstID (trimmed, not
// collected yet).
func (s Stream) entryValues(m *encoding.Meta, ids []StreamID) ([][]byte, error) {
	keys := make([][]byte, len(ids))
	for i, id := range ids {
		keys[i] = s.entryKey(m, id)
	}
	vals, err := s.tx.getMany(keys)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		if !visible(m, id) {
			vals[i] = nil
		}
	}
	return vals, nil
}

// entrySpan is the key range of the entries with start <= ID <= end.
func (s Stream) entrySpan(m *encoding.Meta, start, end StreamID) (from, to []byte) {
	return s.entryKey(m, start), append(s.entryKey(m, end), 0)
}

// entryIDs returns the IDs of up to count visible entries with
// start <= ID <= end.
func (s Stream) entryIDs(m *encoding.Meta, start, end StreamID, count int) ([]StreamID, error) {
	start, ok := visibleStart(m, start)
	if !ok {
		return nil, nil
	}
	return s.collectIDs(m, encoding.StreamEntryPrefix(), start, end, count)
}

// IDSpec is the ID XADD is given: Auto for *, SeqAuto for <ms>-*,
// otherwise ID exactly.
type IDSpec struct {
	ID      StreamID
	Auto    bool
	SeqAuto bool
}

// TrimSpec is a MAXLEN or MINID trim: exact, or approximate (~) bounded by
// Limit entries (0: no bound).
type TrimSpec struct {
	MinID     bool
	MaxLen    int64
	Threshold StreamID
	Approx    bool
	Limit     int64
}

// XAddArgs are XADD's arguments.
type XAddArgs struct {
	NoMkStream bool
	ID         IDSpec
	Trim       *TrimSpec
	Fields     [][]byte
}

// nextID computes the ID of a new entry.
func nextID(last StreamID, spec IDSpec, now int64) (StreamID, error) {
	switch {
	case spec.Auto:
		ms := uint64(max(now, 0))
		if ms > last.Ms {
			return StreamID{Ms: ms}, nil
		}
		id, ok := last.Next()
		if !ok {
			return id, ErrStreamExhausted
		}
		return id, nil
	case spec.SeqAuto:
		switch {
		case spec.ID.Ms > last.Ms:
			return StreamID{Ms: spec.ID.Ms}, nil
		case spec.ID.Ms == last.Ms && last.Seq < math.MaxUint64:
			return StreamID{Ms: last.Ms, Seq: last.Seq + 1}, nil
		}
		return StreamID{}, ErrStreamIDTooSmall
	}
	if spec.ID.IsZero() {
		return StreamID{}, ErrStreamIDZero
	}
	if !last.Less(spec.ID) {
		return StreamID{}, ErrStreamIDTooSmall
	}
	return spec.ID, nil
}

// Add appends an entry (XADD) and returns its ID; ok is false when the
// key is missing and NoMkStream is set.
func (s Stream) Add(a XAddArgs) (id StreamID, ok bool, err error) {
	m, err := s.meta()
	if err != nil {
		return id, false, err
	}
	if m == nil {
		if a.NoMkStream {
			return id, false, nil
		}
		m = s.newStream()
	}
	if m.Stream.LastID == encoding.MaxStreamID {
		return id, false, ErrStreamExhausted
	}
	if id, err = nextID(m.Stream.LastID, a.ID, s.tx.now); err != nil {
		return id, false, err
	}
	if err := s.tx.set(s.entryKey(m, id), encoding.EncodeStreamEntry(a.Fields)); err != nil {
		return id, false, err
	}
	m.Count++
	m.Stream.EntriesAdded++
	m.Stream.LastID = id
	if m.Count == 1 {
		m.Stream.FirstID = id
	}
	if a.Trim != nil {
		if _, err := s.trim(m, *a.Trim); err != nil {
			return id, false, err
		}
	}
	return id, true, s.save(m)
}

// Len returns the number of entries.
func (s Stream) Len() (int64, error) {
	m, err := s.meta()
	if err != nil || m == nil {
		return 0, err
	}
	return m.Count, nil
}

// Range returns up to count entries (count < 0: all) with start <= ID <=
// end, from end down with rev (XRANGE, XREVRANGE).
func (s Stream) Range(start, end StreamID, count int64, rev bool) ([]StreamEntry, error) {
	m, err := s.meta()
	if err != nil || m == nil || count == 0 {
		return nil, err
	}
	return s.collectEntries(m, start, end, scanLimit(count), rev)
}

// Del deletes the entries ids (XDEL) and returns how many existed.
func (s Stream) Del(ids []StreamID) (int64, error) {
	m, err := s.meta()
	if err != nil || m == nil {
		return 0, err
	}
	vals, err := s.entryValues(m, ids)
	if err != nil {
		return 0, err
	}
	var n int64
	firstGone := false
	seen := make(map[StreamID]bool, len(ids))
	for i, id := range ids {
		if vals[i] == nil || seen[id] {
			continue
		}
		seen[id] = true
		if err := s.tx.del(s.entryKey(m, id)); err != nil {
			return 0, err
		}
		n++
		if id == m.Stream.FirstID {
			firstGone = true
		}
		if m.Stream.MaxDeletedID.Less(id) {
			m.Stream.MaxDeletedID = id
		}
	}
	if n == 0 {
		return 0, nil
	}
	m.Count -= n
	if firstGone {
		ids, err := s.collectIDs(m, encoding.StreamEntryPrefix(), m.Stream.FirstID, encoding.MaxStreamID, 1)
		if err != nil {
			return 0, err
		}
		m.Stream.FirstID = StreamID{}
		if len(ids) > 0 {
			m.Stream.FirstID = ids[0]
		}
	}
	return n, s.save(m)
}

// Trim trims the stream (XTRIM) and returns how many entries it removed.
func (s Stream) Trim(spec TrimSpec) (int64, error) {
	m, err := s.meta()
	if err != nil || m == nil {
		return 0, err
	}
	n, err := s.trim(m, spec)
	if err != nil || n == 0 {
		return 0, err
	}
	return n, s.save(m)
}

// approxTrim is how many entries an approximate trim removes from a
// stream of length entries, of which the first below are under a MINID
// threshold: Redis removes whole nodes only, and titan counts nodes of
// streamNodeEntries entries from the first, as Redis lays out a stream
// its entries were appended to.
func approxTrim(length int64, spec TrimSpec, below int64) int64 {
	var removed int64
	for removed < length {
		size := min(int64(streamNodeEntries), length-removed)
		if spec.Limit > 0 && removed+size > spec.Limit {
			break
		}
		if spec.MinID && removed+size > below || !spec.MinID && length-removed-size < spec.MaxLen {
			break
		}
		removed += size
	}
	return removed
}

// SetIDArgs are XSETID's arguments; EntriesAdded and MaxDeleted apply
// when their Has flag is set.
type SetIDArgs struct {
	ID              StreamID
	EntriesAdded    int64
	HasEntriesAdded bool
	MaxDeleted      StreamID
	HasMaxDeleted   bool
}

// SetID sets the stream's last ID (XSETID).
func (s Stream) SetID(a SetIDArgs) error {
	m, err := s.meta()
	if err != nil {
		return err
	}
	if m == nil {
		return ErrNoSuchKey
	}
	if a.ID.Less(m.Stream.MaxDeletedID) {
		return ErrSetIDBelowDeleted
	}
	if m.Count > 0 {
		lastEntry, err := s.lastEntryID(m)
		if err != nil {
			return err
		}
		if a.ID.Less(lastEntry) {
			return ErrSetIDSmall
		}
		if a.HasEntriesAdded && a.EntriesAdded < m.Count {
			return ErrSetIDAddedSmall
		}
	}
	m.Stream.LastID = a.ID
	if a.HasEntriesAdded {
		m.Stream.EntriesAdded = a.EntriesAdded
	}
	if a.HasMaxDeleted && !a.MaxDeleted.IsZero() {
		m.Stream.MaxDeletedID = a.MaxDeleted
	}
	return s.save(m)
}

// lastEntryID returns the ID of the last entry (0-0 when empty).
func (s Stream) lastEntryID(m *encoding.Meta) (StreamID, error) {
	var id StreamID
	err := s.scanEntries(m, StreamID{}, encoding.MaxStreamID, 1, true, func(e StreamEntry) (bool, error) {
		id = e.ID
		return false, nil
	})
	return id, err
}

// LastID returns the stream's last generated ID (what XREAD's $ stands
// for); 0-0 for a missing key.
func (s Stream) LastID() (StreamID, error) {
	m, err := s.meta()
	if err != nil || m == nil {
		return StreamID{}, err
	}
	return m.Stream.LastID, nil
}

// After returns up to count entries (count <= 0: all) with an ID greater
// than after (XREAD); nil when there are none or the key is missing.
func (s Stream) After(after StreamID, count int64) ([]StreamEntry, error) {
	start, ok := after.Next()
	if !ok {
		return nil, nil
	}
	if count <= 0 {
		count = -1
	}
	return s.Range(start, encoding.MaxStreamID, count, false)
}

// StreamInfo is XINFO STREAM's view of a stream.
type StreamInfo struct {
	Length       int64
	LastID       StreamID
	MaxDeletedID StreamID
	EntriesAdded int64
	FirstID      StreamID
	Groups       int64
	// First and Last are the first and last entries (nil when empty).
	First, Last *StreamEntry
	// Entries are the first entries (FULL).
	Entries []StreamEntry
	// Full are the groups with their PELs and consumers (FULL).
	Full []GroupFull
}

// Info reads XINFO STREAM; with full, up to count entries (0: all) and
// each group's PEL and consumers, up to count of each.
func (s Stream) Info(full bool, count int64) (*StreamInfo, error) {
	m, err := s.meta()
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, ErrNoSuchKey
	}
	in := &StreamInfo{Length: m.Count, LastID: m.Stream.LastID, MaxDeletedID: m.Stream.MaxDeletedID, EntriesAdded: m.Stream.EntriesAdded, FirstID: m.Stream.FirstID}
	groups, err := s.groups(m)
	if err != nil {
		return nil, err
	}
	in.Groups = int64(len(groups))
	if full {
		if in.Entries, err = s.Range(StreamID{}, encoding.MaxStreamID, countOrAll(count), false); err != nil {
			return nil, err
		}
		for _, g := range groups {
			gf, err := s.groupFull(m, g, count)
			if err != nil {
				return nil, err
			}
			in.Full = append(in.Full, gf)
		}
		return in, nil
	}
	for _, rev := range []bool{false, true} {
		err := s.scanEntries(m, StreamID{}, encoding.MaxStreamID, 1, rev, func(e StreamEntry) (bool, error) {
			if rev {
				in.Last = &e
			} else {
				in.First = &e
			}
			return false, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return in, nil
}

func countOrAll(count int64) int64 {
	if count <= 0 {
		return -1
	}
	return count
}
