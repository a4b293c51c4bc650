package db

import (
	"fmt"
	"math"

	"github.com/titan-kv/titan/encoding"
)

// Trimming (XTRIM, XADD with MAXLEN/MINID). The entries of a stream that
// a command may see are those from its FirstID on (none when its length
// is 0): every entry below FirstID is deleted, or waits for the
// collector. A trim that removes at most directTrimMax entries deletes
// them in the command's transaction; a bigger one only moves FirstID (and
// the length) and queues the range [old FirstID, new FirstID) for the
// collector (encoding.StreamTrimSub), so its writes are O(1) whatever it
// removes. Finding where the cut falls reads min(removed, kept) keys.

// directTrimMax is the largest trim whose entries are deleted at once.
const directTrimMax = 256

// visible reports whether entry id of m may be seen (it may still be in
// the store below FirstID, waiting for the collector).
func visible(m *encoding.Meta, id StreamID) bool {
	return m.Count > 0 && !id.Less(m.Stream.FirstID)
}

// visibleStart raises start to the first visible ID; ok is false when
// the stream has no entry.
func visibleStart(m *encoding.Meta, start StreamID) (StreamID, bool) {
	if m.Count == 0 {
		return start, false
	}
	if start.Less(m.Stream.FirstID) {
		return m.Stream.FirstID, true
	}
	return start, true
}

// trim removes the entries spec cuts from the head of m; the caller saves
// m. It returns how many it removed.
func (s Stream) trim(m *encoding.Meta, spec TrimSpec) (int64, error) {
	if m.Count == 0 {
		return 0, nil
	}
	var n int64
	if spec.MinID {
		if !m.Stream.FirstID.Less(spec.Threshold) {
			return 0, nil
		}
		below, err := s.countBelow(m, spec.Threshold)
		if err != nil {
			return 0, err
		}
		n = below
		if spec.Approx {
			n = approxTrim(m.Count, spec, below)
		}
	} else {
		if n = m.Count - spec.MaxLen; n <= 0 {
			return 0, nil
		}
		if spec.Approx {
			n = approxTrim(m.Count, spec, m.Count)
		}
	}
	if n <= 0 {
		return 0, nil
	}
	if n <= directTrimMax {
		return n, s.trimNow(m, n)
	}
	return n, s.trimLater(m, n)
}

// trimNow deletes the first n entries; one scan reads them and the new
// first entry.
func (s Stream) trimNow(m *encoding.Meta, n int64) error {
	ids, err := s.entryIDs(m, StreamID{}, encoding.MaxStreamID, int(n)+1)
	if err != nil {
		return err
	}
	cut := min(len(ids), int(n))
	for _, id := range ids[:cut] {
		if err := s.tx.del(s.entryKey(m, id)); err != nil {
			return err
		}
	}
	m.Count -= int64(cut)
	m.Stream.FirstID = StreamID{} // 0-0 when none is left, as Redis records it
	if len(ids) > cut {
		m.Stream.FirstID = ids[cut]
	}
	return nil
}

// trimLater hides the first n entries and hands them to the collector.
func (s Stream) trimLater(m *encoding.Meta, n int64) error {
	from := m.Stream.FirstID
	var end StreamID
	if n < m.Count {
		cut, err := s.nthEntry(m, n)
		if err != nil {
			return err
		}
		end = cut
		m.Stream.FirstID = cut
	} else {
		// Everything goes: the range ends after the last ID (an entry at
		// the largest ID is deleted here, the range being exclusive).
		next, ok := m.Stream.LastID.Next()
		if !ok {
			if err := s.tx.del(s.entryKey(m, m.Stream.LastID)); err != nil {
				return err
			}
			next = m.Stream.LastID
		}
		end = next
		m.Stream.FirstID = StreamID{}
	}
	m.Count -= n
	// The collector starts at the old first entry: what is below it was
	// deleted or queued before, and its tombstones need no second walk.
	v := encoding.EncodeInt64(s.tx.now)
	if prev, ok := from.Prev(); ok {
		v = append(v, s.entryKey(m, prev)...)
	}
	return s.tx.set(s.tx.d.keys.GCPart(m.Object, encoding.StreamTrimSub(end)), v)
}

// countBelow counts the entries with an ID below id, reading about
// min(below, the others) keys.
func (s Stream) countBelow(m *encoding.Meta, id StreamID) (int64, error) {
	start := s.entryKey(m, m.Stream.FirstID)
	end := encoding.PrefixEnd(s.tx.data(m, encoding.StreamEntryPrefix()))
	return s.tx.countRange(start, end, start, s.entryKey(m, id), m.Count)
}

// nthEntry returns the ID of the entry n entries after the first
// (0 < n < length), reading from the nearer end.
func (s Stream) nthEntry(m *encoding.Meta, n int64) (StreamID, error) {
	rev, want := false, n+1
	if n > m.Count-n {
		rev, want = true, m.Count-n
	}
	from, to := s.entrySpan(m, m.Stream.FirstID, encoding.MaxStreamID)
	var id StreamID
	var got int64
	err := s.tx.rangeScan(from, to, int(min(want, math.MaxInt32)), rev, func(k, _ []byte) (bool, error) {
		got++
		if got < want {
			return true, nil
		}
		var err error
		id, err = encoding.DecodeStreamEntryKey(s.tx.d.keys.DataSub(m.Object, k))
		return false, err
	})
	if err == nil && got < want {
		err = fmt.Errorf("stream %q: %d entries found, length %d: %w", s.key, got, m.Count, encoding.ErrMalformed)
	}
	return id, err
}

// objectSpans returns the key ranges holding m's data (COPY, MEMORY
// USAGE): the whole object, but for a stream without the entries below
// its FirstID, which wait for the collector.
func (tx *Tx) objectSpans(m *encoding.Meta) [][2][]byte {
	p := tx.d.keys.DataPrefix(m.Object)
	end := encoding.PrefixEnd(p)
	if m.Type != encoding.TypeStream {
		return [][2][]byte{{p, end}}
	}
	entries := tx.data(m, encoding.StreamEntryPrefix())
	hiddenEnd := encoding.PrefixEnd(entries)
	if m.Count > 0 {
		hiddenEnd = tx.data(m, encoding.StreamEntryKey(m.Stream.FirstID))
	}
	return [][2][]byte{{p, entries}, {hiddenEnd, end}}
}
