package db

import "github.com/titan-kv/titan/encoding"

// DUMP and RESTORE of streams: the whole stream with its groups, PELs and
// consumers, as Redis 7.0 serializes it (encoding/rdb_stream.go).

// dump reads the stream whole for DUMP.
func (s Stream) dump() (*encoding.RDBStream, error) {
	in, err := s.Info(true, 0)
	if err != nil {
		return nil, err
	}
	out := &encoding.RDBStream{
		LastID:       in.LastID,
		FirstID:      in.FirstID,
		MaxDeletedID: in.MaxDeletedID,
		EntriesAdded: in.EntriesAdded,
		Entries:      make([]encoding.RDBStreamEntry, len(in.Entries)),
	}
	for i, e := range in.Entries {
		out.Entries[i] = encoding.RDBStreamEntry{ID: e.ID, Fields: e.Fields}
	}
	for _, g := range in.Full {
		rg := encoding.RDBStreamGroup{Name: g.Name, LastID: g.LastID, EntriesRead: g.EntriesRead}
		for _, p := range g.PEL {
			rg.PEL = append(rg.PEL, encoding.RDBStreamNACK{ID: p.ID, Consumer: p.Consumer, DeliveryTime: p.Idle, DeliveryCount: p.DeliveryCount})
		}
		for _, c := range g.Consumers {
			rg.Consumers = append(rg.Consumers, encoding.RDBStreamConsumer{Name: c.Name, SeenTime: c.SeenTime})
		}
		out.Groups = append(out.Groups, rg)
	}
	return out, nil
}

// restore writes v as a new stream at the key, which the caller emptied.
func (s Stream) restore(v *encoding.RDBStream) error {
	if err := checkRestoreStream(v); err != nil {
		return err
	}
	m := s.newStream()
	for _, e := range v.Entries {
		if err := s.tx.set(s.entryKey(m, e.ID), encoding.EncodeStreamEntry(e.Fields)); err != nil {
			return err
		}
	}
	m.Count = int64(len(v.Entries))
	m.Stream = encoding.StreamMeta{LastID: v.LastID, FirstID: v.FirstID, MaxDeletedID: v.MaxDeletedID, EntriesAdded: v.EntriesAdded}
	if m.Count > 0 {
		// titan's invariant: FirstID is the first entry (Redis's too).
		m.Stream.FirstID = v.Entries[0].ID
	}
	for _, g := range v.Groups {
		seq := m.Stream.GroupSeq
		m.Stream.GroupSeq++
		rec := &encoding.StreamGroup{LastID: g.LastID, EntriesRead: g.EntriesRead, Seq: seq, Pending: int64(len(g.PEL)), Consumers: int64(len(g.Consumers))}
		if rec.EntriesRead < 0 {
			rec.EntriesRead = invalidEntriesRead
		}
		if err := s.tx.set(s.groupKey(m, g.Name), encoding.EncodeStreamGroup(rec)); err != nil {
			return err
		}
		owned := make(map[string]int64, len(g.Consumers))
		for _, p := range g.PEL {
			owned[string(p.Consumer)]++
			pe := &encoding.StreamPending{Consumer: p.Consumer, DeliveryTime: p.DeliveryTime, DeliveryCount: p.DeliveryCount}
			if err := s.tx.set(s.tx.data(m, encoding.StreamPendingKey(seq, p.ID)), encoding.EncodeStreamPending(pe)); err != nil {
				return err
			}
			if err := s.tx.set(s.tx.data(m, encoding.StreamConsumerPELKey(seq, p.Consumer, p.ID)), nil); err != nil {
				return err
			}
		}
		for _, c := range g.Consumers {
			sc := &encoding.StreamConsumer{SeenTime: c.SeenTime, Pending: owned[string(c.Name)]}
			if err := s.tx.set(s.tx.data(m, encoding.StreamConsumerKey(seq, c.Name)), encoding.EncodeStreamConsumer(sc)); err != nil {
				return err
			}
		}
	}
	return s.save(m)
}

// checkRestoreStream refuses what Redis's RESTORE refuses, or titan
// cannot hold: a group or consumer named twice, a pending entry whose
// consumer is not listed.
func checkRestoreStream(v *encoding.RDBStream) error {
	if v == nil {
		return ErrBadDumpData
	}
	groups := map[string]bool{}
	for _, g := range v.Groups {
		if groups[string(g.Name)] {
			return ErrBadDumpData
		}
		groups[string(g.Name)] = true
		cons := map[string]bool{}
		for _, c := range g.Consumers {
			if cons[string(c.Name)] {
				return ErrBadDumpData
			}
			cons[string(c.Name)] = true
		}
		for _, p := range g.PEL {
			if !cons[string(p.Consumer)] {
				return ErrBadDumpData
			}
		}
	}
	return nil
}
