package db

import (
	"bytes"
	"fmt"
	"math"
	"sort"

	"github.com/titan-kv/titan/encoding"
)

// Stream consumer groups (layout in encoding/stream.go): a group record
// per group, its PEL keyed by entry ID, its consumers, and each consumer's
// own PEL index keyed by entry ID, so XPENDING, XCLAIM, XAUTOCLAIM and
// XACK read only what they return or change.

// Group errors with Redis's texts.
var (
	ErrBusyGroup   = UserError("BUSYGROUP Consumer Group name already exists")
	ErrXGroupNoKey = UserError("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
)

// invalidEntriesRead is Redis's SCG_INVALID_ENTRIES_READ.
const invalidEntriesRead = -1

// NoGroupError is the NOGROUP reply of the commands that name a group.
func NoGroupError(key, group []byte, suffix string) error {
	return UserError(fmt.Sprintf("NOGROUP No such key '%s' or consumer group '%s'%s", key, group, suffix))
}

// noSuchGroup is the NOGROUP reply of XGROUP and XINFO CONSUMERS.
func noSuchGroup(key, group []byte) error {
	return UserError(fmt.Sprintf("NOGROUP No such consumer group '%s' for key name '%s'", group, key))
}

// groupView is one group being read or changed by one command: its record
// and the consumers the command touched, written back by save.
type groupView struct {
	s     Stream
	m     *encoding.Meta
	name  []byte
	g     *encoding.StreamGroup
	cons  map[string]*encoding.StreamConsumer
	dirty map[string]bool
}

func (s Stream) groupKey(m *encoding.Meta, name []byte) []byte {
	return s.tx.data(m, encoding.StreamGroupKey(name))
}

// group reads group name of stream m; nil when it does not exist.
func (s Stream) group(m *encoding.Meta, name []byte) (*groupView, error) {
	raw, err := s.tx.get(s.groupKey(m, name))
	if err != nil || raw == nil {
		return nil, err
	}
	g, err := encoding.DecodeStreamGroup(raw)
	if err != nil {
		return nil, fmt.Errorf("stream %q group %q: %w", s.key, name, err)
	}
	return &groupView{s: s, m: m, name: name, g: g, cons: map[string]*encoding.StreamConsumer{}, dirty: map[string]bool{}}, nil
}

// metaGroup reads the stream and its group; NOGROUP (with suffix) when
// either is missing.
func (s Stream) metaGroup(name []byte, suffix string) (*groupView, error) {
	m, err := s.meta()
	if err != nil {
		return nil, err
	}
	var gv *groupView
	if m != nil {
		if gv, err = s.group(m, name); err != nil {
			return nil, err
		}
	}
	if gv == nil {
		return nil, NoGroupError(s.key, name, suffix)
	}
	return gv, nil
}

// namedGroup is a group and its name.
type namedGroup struct {
	name []byte
	g    *encoding.StreamGroup
}

// groups reads every group of m in name order.
func (s Stream) groups(m *encoding.Meta) ([]namedGroup, error) {
	p := s.tx.data(m, encoding.StreamGroupPrefix())
	var out []namedGroup
	err := s.tx.rangeScan(p, encoding.PrefixEnd(p), 0, false, func(k, v []byte) (bool, error) {
		name, err := encoding.DecodeStreamGroupKey(s.tx.d.keys.DataSub(m.Object, k))
		if err != nil {
			return false, err
		}
		g, err := encoding.DecodeStreamGroup(v)
		if err != nil {
			return false, err
		}
		out = append(out, namedGroup{name: bytes.Clone(name), g: g})
		return true, nil
	})
	return out, err
}

// saveQuiet stores m with a new version without reporting a change of the
// key: group changes wake no reader and must not wake the command's own
// blocked client.
func (s Stream) saveQuiet(m *encoding.Meta) error {
	m.Version = s.tx.t.StartTS()
	return s.tx.setMeta(s.tx.DB, s.key, m)
}

// save writes the group record, the touched consumers and the stream's
// metadata.
func (gv *groupView) save() error {
	tx := gv.s.tx
	if err := tx.set(gv.s.groupKey(gv.m, gv.name), encoding.EncodeStreamGroup(gv.g)); err != nil {
		return err
	}
	for name := range gv.dirty {
		c := gv.cons[name]
		k := gv.consumerKey([]byte(name))
		var err error
		if c == nil {
			err = tx.del(k)
		} else {
			err = tx.set(k, encoding.EncodeStreamConsumer(c))
		}
		if err != nil {
			return err
		}
	}
	return gv.s.saveQuiet(gv.m)
}

func (gv *groupView) consumerKey(name []byte) []byte {
	return gv.s.tx.data(gv.m, encoding.StreamConsumerKey(gv.g.Seq, name))
}

func (gv *groupView) pelKey(id StreamID) []byte {
	return gv.s.tx.data(gv.m, encoding.StreamPendingKey(gv.g.Seq, id))
}

func (gv *groupView) consPELKey(consumer []byte, id StreamID) []byte {
	return gv.s.tx.data(gv.m, encoding.StreamConsumerPELKey(gv.g.Seq, consumer, id))
}

// pelStart is where a scan of the PEL from start begins: at the PEL floor
// when start is below it.
func (gv *groupView) pelStart(start StreamID) StreamID {
	if start.Less(gv.g.PELFloor) {
		return gv.g.PELFloor
	}
	return start
}

// consumer reads a consumer; nil when missing.
func (gv *groupView) consumer(name []byte) (*encoding.StreamConsumer, error) {
	if c, ok := gv.cons[string(name)]; ok {
		return c, nil
	}
	raw, err := gv.s.tx.get(gv.consumerKey(name))
	if err != nil {
		return nil, err
	}
	var c *encoding.StreamConsumer
	if raw != nil {
		if c, err = encoding.DecodeStreamConsumer(raw); err != nil {
			return nil, err
		}
	}
	gv.cons[string(name)] = c
	return c, nil
}

// lookupConsumer returns a consumer, creating it when missing; refresh
// updates its seen time. created tells whether it was created.
func (gv *groupView) lookupConsumer(name []byte, refresh bool) (c *encoding.StreamConsumer, created bool, err error) {
	c, err = gv.consumer(name)
	if err != nil {
		return nil, false, err
	}
	if c == nil {
		c = &encoding.StreamConsumer{SeenTime: gv.s.tx.now}
		gv.cons[string(name)] = c
		gv.dirty[string(name)] = true
		gv.g.Consumers++
		return c, true, nil
	}
	if refresh {
		c.SeenTime = gv.s.tx.now
		gv.dirty[string(name)] = true
	}
	return c, false, nil
}

// pending reads the PEL entries of ids (one request); nil for the ones
// not pending.
func (gv *groupView) pending(ids []StreamID) ([]*encoding.StreamPending, error) {
	keys := make([][]byte, len(ids))
	for i, id := range ids {
		keys[i] = gv.pelKey(id)
	}
	vals, err := gv.s.tx.getMany(keys)
	if err != nil {
		return nil, err
	}
	out := make([]*encoding.StreamPending, len(ids))
	for i, raw := range vals {
		if raw == nil {
			continue
		}
		if out[i], err = encoding.DecodeStreamPending(bytes.Clone(raw)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// removePending drops the PEL entry id owned by p.Consumer.
func (gv *groupView) removePending(id StreamID, p *encoding.StreamPending) error {
	tx := gv.s.tx
	if err := tx.del(gv.pelKey(id)); err != nil {
		return err
	}
	if err := tx.del(gv.consPELKey(p.Consumer, id)); err != nil {
		return err
	}
	gv.g.Pending--
	c, err := gv.consumer(p.Consumer)
	if err != nil {
		return err
	}
	if c != nil {
		c.Pending--
		gv.dirty[string(p.Consumer)] = true
	}
	return nil
}

// putPending writes the PEL entry id for p.Consumer; prev is the entry it
// replaces (nil: a new one).
func (gv *groupView) putPending(id StreamID, p, prev *encoding.StreamPending) error {
	tx := gv.s.tx
	if prev != nil && !bytes.Equal(prev.Consumer, p.Consumer) {
		if err := gv.removePending(id, prev); err != nil {
			return err
		}
		prev = nil
	}
	if prev == nil {
		if id.Less(gv.g.PELFloor) {
			gv.g.PELFloor = id
		}
		gv.g.Pending++
		c, _, err := gv.lookupConsumer(p.Consumer, false)
		if err != nil {
			return err
		}
		c.Pending++
		gv.dirty[string(p.Consumer)] = true
		if err := tx.set(gv.consPELKey(p.Consumer, id), nil); err != nil {
			return err
		}
	}
	return tx.set(gv.pelKey(id), encoding.EncodeStreamPending(p))
}

// entries reads the entries ids (one request), nil for missing ones.
func (gv *groupView) entries(ids []StreamID) ([][]byte, error) {
	return gv.s.entryValues(gv.m, ids)
}

// --- Redis's logical read counters (lag, entries-read) ---

// hasTombstones is Redis 7.0's streamRangeHasTombstones(s, start, NULL).
func hasTombstones(st *encoding.StreamMeta, length int64, start StreamID) bool {
	if length == 0 || st.MaxDeletedID.IsZero() {
		return false
	}
	if st.MaxDeletedID.Less(st.FirstID) {
		return false
	}
	return !st.MaxDeletedID.Less(start)
}

// estimateRead is Redis 7.0's streamEstimateDistanceFromFirstEverEntry.
func estimateRead(st *encoding.StreamMeta, length int64, id StreamID) int64 {
	if st.EntriesAdded == 0 {
		return 0
	}
	if length == 0 && id.Compare(st.LastID) < 1 {
		return st.EntriesAdded
	}
	cmpLast := id.Compare(st.LastID)
	if cmpLast == 0 {
		return st.EntriesAdded
	} else if cmpLast > 0 {
		return invalidEntriesRead
	}
	cmpFirst := id.Compare(st.FirstID)
	if st.MaxDeletedID.IsZero() || st.MaxDeletedID.Less(st.FirstID) {
		if cmpFirst < 0 {
			return st.EntriesAdded - length
		} else if cmpFirst == 0 {
			return st.EntriesAdded - length + 1
		}
	}
	return invalidEntriesRead
}

// lag is Redis 7.0's consumer group lag; ok is false when it is unknown.
func lag(st *encoding.StreamMeta, length int64, g *encoding.StreamGroup) (int64, bool) {
	if st.EntriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead != invalidEntriesRead && !hasTombstones(st, length, g.LastID) {
		return st.EntriesAdded - g.EntriesRead, true
	}
	if read := estimateRead(st, length, g.LastID); read != invalidEntriesRead {
		return st.EntriesAdded - read, true
	}
	return 0, false
}

// --- XGROUP ---

// GroupID is the ID XGROUP CREATE and SETID are given: Last for $.
type GroupID struct {
	ID   StreamID
	Last bool
}

// CreateGroup creates group name starting after id (XGROUP CREATE);
// entriesRead < 0 leaves it unknown, as Redis does without ENTRIESREAD.
func (s Stream) CreateGroup(name []byte, id GroupID, mkstream bool, entriesRead int64) error {
	m, err := s.meta()
	if err != nil {
		return err
	}
	created := false
	if m == nil {
		if !mkstream {
			return ErrXGroupNoKey
		}
		m, created = s.newStream(), true
	}
	if id.Last {
		id.ID = m.Stream.LastID
	}
	if !created {
		gv, err := s.group(m, name)
		if err != nil {
			return err
		}
		if gv != nil {
			return ErrBusyGroup
		}
	}
	g := &encoding.StreamGroup{LastID: id.ID, EntriesRead: entriesRead, Seq: m.Stream.GroupSeq}
	m.Stream.GroupSeq++
	if err := s.tx.set(s.groupKey(m, name), encoding.EncodeStreamGroup(g)); err != nil {
		return err
	}
	return s.save(m)
}

// SetGroupID moves group name's last delivered ID (XGROUP SETID).
func (s Stream) SetGroupID(name []byte, id GroupID, entriesRead int64) error {
	gv, err := s.xgroupView(name)
	if err != nil {
		return err
	}
	if id.Last {
		id.ID = gv.m.Stream.LastID
	}
	gv.g.LastID = id.ID
	gv.g.EntriesRead = entriesRead
	return gv.save()
}

// XGroupCheck answers XGROUP's errors for a missing key (unless
// mkstream) or, with needGroup, a missing group, before anything else.
func (s Stream) XGroupCheck(name []byte, needGroup, mkstream bool) error {
	m, err := s.meta()
	if err != nil || (m == nil && mkstream) {
		return err
	}
	if m == nil {
		return ErrXGroupNoKey
	}
	if !needGroup {
		return nil
	}
	gv, err := s.group(m, name)
	if err == nil && gv == nil {
		err = noSuchGroup(s.key, name)
	}
	return err
}

// xgroupView reads the group for the XGROUP subcommands: ERR when the
// key is missing, NOGROUP when the group is.
func (s Stream) xgroupView(name []byte) (*groupView, error) {
	return s.requireGroup(name, ErrXGroupNoKey)
}

// requireGroup reads the group name: noKey when the key is missing,
// NOGROUP when the group is.
func (s Stream) requireGroup(name []byte, noKey error) (*groupView, error) {
	m, err := s.meta()
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, noKey
	}
	gv, err := s.group(m, name)
	if err != nil {
		return nil, err
	}
	if gv == nil {
		return nil, noSuchGroup(s.key, name)
	}
	return gv, nil
}

// DestroyGroup removes group name (XGROUP DESTROY) and reports whether it
// existed. Its PEL and consumers go to the collector: O(1) whatever their
// size.
func (s Stream) DestroyGroup(name []byte) (bool, error) {
	m, err := s.meta()
	if err != nil {
		return false, err
	}
	if m == nil {
		return false, ErrXGroupNoKey
	}
	gv, err := s.group(m, name)
	if err != nil || gv == nil {
		return false, err
	}
	if err := s.tx.del(s.groupKey(m, name)); err != nil {
		return false, err
	}
	for _, p := range encoding.StreamGroupPrefixes(gv.g.Seq) {
		if err := s.tx.set(s.tx.d.keys.GCPart(m.Object, p), encoding.EncodeInt64(s.tx.now)); err != nil {
			return false, err
		}
	}
	return true, s.saveQuiet(m)
}

// CreateConsumer creates consumer in group (XGROUP CREATECONSUMER) and
// reports whether it was new.
func (s Stream) CreateConsumer(group, consumer []byte) (bool, error) {
	gv, err := s.xgroupView(group)
	if err != nil {
		return false, err
	}
	_, created, err := gv.lookupConsumer(consumer, false)
	if err != nil || !created {
		return false, err
	}
	return true, gv.save()
}

// DelConsumer removes consumer from group with its pending entries (XGROUP
// DELCONSUMER) and returns how many it had pending.
func (s Stream) DelConsumer(group, consumer []byte) (int64, error) {
	gv, err := s.xgroupView(group)
	if err != nil {
		return 0, err
	}
	c, err := gv.consumer(consumer)
	if err != nil || c == nil {
		return 0, err
	}
	err = s.scanIDs(gv.m, encoding.StreamConsumerPELPrefix(gv.g.Seq, consumer), StreamID{}, encoding.MaxStreamID, 0, false, func(id StreamID, _ []byte) (bool, error) {
		if err := s.tx.del(gv.consPELKey(consumer, id)); err != nil {
			return false, err
		}
		gv.g.Pending--
		return true, s.tx.del(gv.pelKey(id))
	})
	if err != nil {
		return 0, err
	}
	gv.cons[string(consumer)] = nil
	gv.dirty[string(consumer)] = true
	gv.g.Consumers--
	return c.Pending, gv.save()
}

// --- XREADGROUP, XACK ---

// ReadGroupArgs are one stream's part of XREADGROUP.
type ReadGroupArgs struct {
	Group, Consumer []byte
	// New is set for ">": entries never delivered to the group;
	// otherwise the consumer's pending entries after After.
	New   bool
	After StreamID
	Count int64
	NoAck bool
}

// Undelivered reports how many entries XREADGROUP ">" of group may find:
// 0 when the stream has no ID after the group's last delivered one,
// otherwise the group's lag (Redis 7's, from the stream's counters: no
// scan), or 1 when the lag is unknown. It is 1 when the key or the group
// is missing (the read answers the error).
func (s Stream) Undelivered(group []byte) (int64, error) {
	gv, err := s.metaGroup(group, "")
	if err != nil {
		if IsUserError(err) {
			return 1, nil
		}
		return 0, err
	}
	if !gv.g.LastID.Less(gv.m.Stream.LastID) {
		return 0, nil
	}
	if n, ok := lag(&gv.m.Stream, gv.m.Count, gv.g); ok && n > 0 {
		return n, nil
	}
	return 1, nil
}

// GroupReader is one stream's consumer group as XREADGROUP reads it: the
// stream's metadata and the group record, read once per command.
type GroupReader struct{ gv *groupView }

// OpenGroup reads the stream and group name for XREADGROUP: WRONGTYPE
// for another type, NOGROUP when the key or the group is missing.
func (s Stream) OpenGroup(name []byte) (*GroupReader, error) {
	gv, err := s.metaGroup(name, " in XREADGROUP with GROUP option")
	if err != nil {
		return nil, err
	}
	return &GroupReader{gv: gv}, nil
}

// ReadGroup serves one stream of XREADGROUP (OpenGroup, then Read).
func (s Stream) ReadGroup(a ReadGroupArgs) (entries []StreamEntry, served bool, err error) {
	r, err := s.OpenGroup(a.Group)
	if err != nil {
		return nil, false, err
	}
	return r.Read(a)
}

// Read serves XREADGROUP on the group (a.Group is the one opened); served
// is false when there was nothing new to deliver (">"), so a blocking call
// may wait. Reading the same group again (a key named twice) sees what
// this read wrote.
func (r *GroupReader) Read(a ReadGroupArgs) (entries []StreamEntry, served bool, err error) {
	gv := r.gv
	if a.New {
		if entries, err = gv.deliverNew(a); err != nil || len(entries) == 0 {
			return nil, false, err
		}
	} else if entries, err = gv.history(a); err != nil {
		return nil, false, err
	}
	if _, _, err := gv.lookupConsumer(a.Consumer, true); err != nil {
		return nil, false, err
	}
	return entries, true, gv.save()
}

func (gv *groupView) deliverNew(a ReadGroupArgs) ([]StreamEntry, error) {
	start, ok := gv.g.LastID.Next()
	if !ok {
		return nil, nil
	}
	out, err := gv.s.collectEntries(gv.m, start, encoding.MaxStreamID, scanLimit(a.Count), false)
	if err != nil || len(out) == 0 {
		return nil, err
	}
	st := &gv.m.Stream
	for _, e := range out {
		if gv.g.EntriesRead != invalidEntriesRead && !hasTombstones(st, gv.m.Count, e.ID) {
			gv.g.EntriesRead++
		} else if st.EntriesAdded != 0 {
			gv.g.EntriesRead = estimateRead(st, gv.m.Count, e.ID)
		}
		gv.g.LastID = e.ID
	}
	if a.NoAck {
		return out, nil
	}
	ids := make([]StreamID, len(out))
	for i, e := range out {
		ids[i] = e.ID
	}
	prev, err := gv.pending(ids)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		p := &encoding.StreamPending{Consumer: a.Consumer, DeliveryTime: gv.s.tx.now, DeliveryCount: 1}
		if err := gv.putPending(id, p, prev[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// history serves the consumer's own pending entries after a.After.
func (gv *groupView) history(a ReadGroupArgs) ([]StreamEntry, error) {
	start, ok := a.After.Next()
	if !ok {
		return []StreamEntry{}, nil
	}
	ids, err := gv.s.collectIDs(gv.m, encoding.StreamConsumerPELPrefix(gv.g.Seq, a.Consumer), start, encoding.MaxStreamID, scanLimit(a.Count))
	if err != nil {
		return nil, err
	}
	out := make([]StreamEntry, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	vals, err := gv.entries(ids)
	if err != nil {
		return nil, err
	}
	pend, err := gv.pending(ids)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		e := StreamEntry{ID: id}
		if vals[i] != nil {
			if e.Fields, err = encoding.DecodeStreamEntry(bytes.Clone(vals[i])); err != nil {
				return nil, err
			}
			if p := pend[i]; p != nil {
				p.DeliveryTime = gv.s.tx.now
				p.DeliveryCount++
				if err := gv.s.tx.set(gv.pelKey(id), encoding.EncodeStreamPending(p)); err != nil {
					return nil, err
				}
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// Ack acknowledges ids in group (XACK) and returns how many were pending.
func (s Stream) Ack(group []byte, ids []StreamID) (int64, error) {
	m, err := s.meta()
	if err != nil || m == nil {
		return 0, err
	}
	gv, err := s.group(m, group)
	if err != nil || gv == nil {
		return 0, err
	}
	pend, err := gv.pending(ids)
	if err != nil {
		return 0, err
	}
	var n int64
	seen := map[StreamID]bool{}
	for i, p := range pend {
		if p == nil || seen[ids[i]] {
			continue
		}
		seen[ids[i]] = true
		if err := gv.removePending(ids[i], p); err != nil {
			return 0, err
		}
		n++
	}
	if n == 0 {
		return 0, nil
	}
	return n, gv.save()
}

// --- XPENDING ---

// PendingSummary is XPENDING's summary form.
type PendingSummary struct {
	Count    int64
	Min, Max StreamID
	// Consumers are the consumers with pending entries and their counts,
	// in name order.
	Consumers []ConsumerCount
}

// ConsumerCount is a consumer and its number of pending entries.
type ConsumerCount struct {
	Name  []byte
	Count int64
}

// Pending answers XPENDING's summary form.
func (s Stream) Pending(group []byte) (*PendingSummary, error) {
	gv, err := s.metaGroup(group, "")
	if err != nil {
		return nil, err
	}
	ps := &PendingSummary{Count: gv.g.Pending}
	if ps.Count == 0 {
		return ps, nil
	}
	p := encoding.StreamPendingPrefix(gv.g.Seq)
	from := s.tx.data(gv.m, encoding.AppendID(bytes.Clone(p), gv.g.PELFloor))
	lo, hi, err := s.tx.rangeEnds(from, encoding.PrefixEnd(s.tx.data(gv.m, p)))
	if err != nil || lo == nil {
		return ps, err
	}
	if ps.Min, err = encoding.TrailingID(lo); err != nil {
		return nil, err
	}
	if ps.Max, err = encoding.TrailingID(hi); err != nil {
		return nil, err
	}
	cons, err := gv.consumersInfo()
	if err != nil {
		return nil, err
	}
	for _, c := range cons {
		if c.Pending > 0 {
			ps.Consumers = append(ps.Consumers, ConsumerCount{Name: c.Name, Count: c.Pending})
		}
	}
	return ps, nil
}

// PendingEntry is one entry of XPENDING's extended form.
type PendingEntry struct {
	ID            StreamID
	Consumer      []byte
	Idle          int64
	DeliveryCount int64
}

// PendingRangeArgs are XPENDING's extended form.
type PendingRangeArgs struct {
	MinIdle    int64
	Start, End StreamID
	Count      int64
	Consumer   []byte // nil: every consumer
}

// PendingRange answers XPENDING's extended form.
func (s Stream) PendingRange(group []byte, a PendingRangeArgs) ([]PendingEntry, error) {
	gv, err := s.metaGroup(group, "")
	if err != nil {
		return nil, err
	}
	var out []PendingEntry
	if a.Count <= 0 || a.End.Less(a.Start) {
		return out, nil
	}
	if a.Consumer != nil {
		c, err := gv.consumer(a.Consumer)
		if err != nil || c == nil {
			return out, err
		}
	}
	visit := func(id StreamID, p *encoding.StreamPending) bool {
		idle := max(s.tx.now-p.DeliveryTime, 0)
		if a.MinIdle > 0 && idle < a.MinIdle {
			return true
		}
		out = append(out, PendingEntry{ID: id, Consumer: bytes.Clone(p.Consumer), Idle: idle, DeliveryCount: p.DeliveryCount})
		return int64(len(out)) < a.Count
	}
	// With IDLE, entries are skipped: the scan cannot be bounded by COUNT.
	limit := 0
	if a.MinIdle <= 0 {
		limit = scanLimit(a.Count)
	}
	if a.Consumer == nil {
		err = s.scanIDs(gv.m, encoding.StreamPendingPrefix(gv.g.Seq), gv.pelStart(a.Start), a.End, limit, false, func(id StreamID, v []byte) (bool, error) {
			pe, err := encoding.DecodeStreamPending(v)
			if err != nil {
				return false, err
			}
			return visit(id, pe), nil
		})
		return out, err
	}
	// One consumer: walk its index in pages, reading the PEL entries of
	// each page in one request.
	ids, err := s.collectIDs(gv.m, encoding.StreamConsumerPELPrefix(gv.g.Seq, a.Consumer), a.Start, a.End, limit)
	if err != nil {
		return nil, err
	}
	for start := 0; start < len(ids); start += scanBatchMax {
		page := ids[start:min(start+scanBatchMax, len(ids))]
		pend, err := gv.pending(page)
		if err != nil {
			return nil, err
		}
		for i, pe := range pend {
			if pe != nil && !visit(page[i], pe) {
				return out, nil
			}
		}
	}
	return out, nil
}

// --- XCLAIM, XAUTOCLAIM ---

// ClaimArgs are XCLAIM's arguments. DeliveryTime < 0: now.
type ClaimArgs struct {
	Consumer     []byte
	MinIdle      int64
	IDs          []StreamID
	DeliveryTime int64
	RetryCount   int64 // < 0: not given
	Force        bool
	JustID       bool
	LastID       *StreamID
}

// Claim answers XCLAIM: the claimed entries (Fields nil for an ID-only
// reply with JustID, or for an entry claimed but gone).
func (s Stream) Claim(group []byte, a ClaimArgs) ([]StreamEntry, error) {
	gv, err := s.metaGroup(group, "")
	if err != nil {
		return nil, err
	}
	if a.LastID != nil && gv.g.LastID.Less(*a.LastID) {
		gv.g.LastID = *a.LastID
	}
	now := s.tx.now
	dt := a.DeliveryTime
	if dt < 0 || dt > now {
		dt = now
	}
	vals, err := gv.entries(a.IDs)
	if err != nil {
		return nil, err
	}
	pend, err := gv.pending(a.IDs)
	if err != nil {
		return nil, err
	}
	out := []StreamEntry{}
	done := map[StreamID]bool{}
	for i, id := range a.IDs {
		p := pend[i]
		if done[id] {
			// The same ID twice: the second sees the first's claim.
			again, err := gv.pending([]StreamID{id})
			if err != nil {
				return nil, err
			}
			p = again[0]
		}
		done[id] = true
		if vals[i] == nil {
			if p != nil {
				if err := gv.removePending(id, p); err != nil {
					return nil, err
				}
				pend[i] = nil
			}
			continue
		}
		var prev *encoding.StreamPending
		if p == nil {
			if !a.Force {
				continue
			}
			p = &encoding.StreamPending{DeliveryTime: now, DeliveryCount: 1}
		} else {
			prev = &encoding.StreamPending{Consumer: p.Consumer, DeliveryTime: p.DeliveryTime, DeliveryCount: p.DeliveryCount}
			if a.MinIdle > 0 && now-p.DeliveryTime < a.MinIdle {
				continue
			}
		}
		if _, _, err := gv.lookupConsumer(a.Consumer, true); err != nil {
			return nil, err
		}
		np := &encoding.StreamPending{Consumer: a.Consumer, DeliveryTime: dt, DeliveryCount: p.DeliveryCount}
		if a.RetryCount >= 0 {
			np.DeliveryCount = a.RetryCount
		} else if !a.JustID {
			np.DeliveryCount++
		}
		if err := gv.putPending(id, np, prev); err != nil {
			return nil, err
		}
		e := StreamEntry{ID: id}
		if !a.JustID {
			if e.Fields, err = encoding.DecodeStreamEntry(bytes.Clone(vals[i])); err != nil {
				return nil, err
			}
		}
		out = append(out, e)
	}
	return out, gv.save()
}

// AutoClaimArgs are XAUTOCLAIM's arguments.
type AutoClaimArgs struct {
	Consumer []byte
	MinIdle  int64
	Start    StreamID
	Count    int64
	JustID   bool
}

// AutoClaimResult is XAUTOCLAIM's reply: where to go on (0-0: done), the
// claimed entries and the IDs dropped from the PEL because their entries
// were deleted.
type AutoClaimResult struct {
	Next    StreamID
	Claimed []StreamEntry
	Deleted []StreamID
}

// AutoClaim answers XAUTOCLAIM: it examines at most Count*10 PEL entries
// from Start.
func (s Stream) AutoClaim(group []byte, a AutoClaimArgs) (*AutoClaimResult, error) {
	gv, err := s.metaGroup(group, "")
	if err != nil {
		return nil, err
	}
	if _, _, err := gv.lookupConsumer(a.Consumer, true); err != nil {
		return nil, err
	}
	attempts := a.Count * 10
	type pe struct {
		id StreamID
		p  *encoding.StreamPending
	}
	var seen []pe
	res := &AutoClaimResult{Claimed: []StreamEntry{}, Deleted: []StreamID{}}
	// Read one more than may be examined: it is the next start.
	start := gv.pelStart(a.Start)
	err = s.scanIDs(gv.m, encoding.StreamPendingPrefix(gv.g.Seq), start, encoding.MaxStreamID, int(min(attempts+1, math.MaxInt32)), false, func(id StreamID, v []byte) (bool, error) {
		p, err := encoding.DecodeStreamPending(bytes.Clone(v))
		if err != nil {
			return false, err
		}
		seen = append(seen, pe{id, p})
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	if len(seen) > 0 && start == gv.g.PELFloor {
		// Nothing is pending between the floor and the first entry seen.
		gv.g.PELFloor = seen[0].id
	}
	ids := make([]StreamID, len(seen))
	for i, e := range seen {
		ids[i] = e.id
	}
	vals, err := gv.entries(ids)
	if err != nil {
		return nil, err
	}
	count := a.Count
	i := 0
	for ; i < len(seen) && attempts > 0 && count > 0; i++ {
		attempts--
		e := seen[i]
		if vals[i] == nil {
			if err := gv.removePending(e.id, e.p); err != nil {
				return nil, err
			}
			res.Deleted = append(res.Deleted, e.id)
			continue
		}
		if a.MinIdle > 0 && s.tx.now-e.p.DeliveryTime < a.MinIdle {
			continue
		}
		np := &encoding.StreamPending{Consumer: a.Consumer, DeliveryTime: s.tx.now, DeliveryCount: e.p.DeliveryCount}
		if !a.JustID {
			np.DeliveryCount++
		}
		if err := gv.putPending(e.id, np, e.p); err != nil {
			return nil, err
		}
		ent := StreamEntry{ID: e.id}
		if !a.JustID {
			if ent.Fields, err = encoding.DecodeStreamEntry(bytes.Clone(vals[i])); err != nil {
				return nil, err
			}
		}
		res.Claimed = append(res.Claimed, ent)
		count--
	}
	if i < len(seen) {
		res.Next = seen[i].id
	}
	return res, gv.save()
}

// --- XINFO ---

// GroupInfo is one group of XINFO GROUPS.
type GroupInfo struct {
	Name        []byte
	Consumers   int64
	Pending     int64
	LastID      StreamID
	EntriesRead int64 // < 0: unknown (null)
	Lag         int64
	LagKnown    bool
}

func groupInfo(m *encoding.Meta, ng namedGroup) GroupInfo {
	gi := GroupInfo{Name: ng.name, Consumers: ng.g.Consumers, Pending: ng.g.Pending, LastID: ng.g.LastID, EntriesRead: ng.g.EntriesRead}
	gi.Lag, gi.LagKnown = lag(&m.Stream, m.Count, ng.g)
	return gi
}

// GroupsInfo answers XINFO GROUPS.
func (s Stream) GroupsInfo() ([]GroupInfo, error) {
	m, err := s.meta()
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, ErrNoSuchKey
	}
	gs, err := s.groups(m)
	if err != nil {
		return nil, err
	}
	out := make([]GroupInfo, len(gs))
	for i, g := range gs {
		out[i] = groupInfo(m, g)
	}
	return out, nil
}

// ConsumerInfo is one consumer of XINFO CONSUMERS.
type ConsumerInfo struct {
	Name     []byte
	Pending  int64
	SeenTime int64
	Idle     int64
	// PEL is the consumer's pending entries (XINFO STREAM FULL).
	PEL []PendingEntry
}

// ConsumersInfo answers XINFO CONSUMERS.
func (s Stream) ConsumersInfo(group []byte) ([]ConsumerInfo, error) {
	gv, err := s.requireGroup(group, ErrNoSuchKey)
	if err != nil {
		return nil, err
	}
	return gv.consumersInfo()
}

func (gv *groupView) consumersInfo() ([]ConsumerInfo, error) {
	s := gv.s
	var out []ConsumerInfo
	cp := s.tx.data(gv.m, encoding.StreamConsumerPrefix(gv.g.Seq))
	err := s.tx.rangeScan(cp, encoding.PrefixEnd(cp), 0, false, func(k, v []byte) (bool, error) {
		name, err := encoding.DecodeStreamConsumerKey(s.tx.d.keys.DataSub(gv.m.Object, k))
		if err != nil {
			return false, err
		}
		c, err := encoding.DecodeStreamConsumer(v)
		if err != nil {
			return false, err
		}
		out = append(out, ConsumerInfo{Name: bytes.Clone(name), Pending: c.Pending, SeenTime: c.SeenTime, Idle: max(s.tx.now-c.SeenTime, 0)})
		return true, nil
	})
	sort.SliceStable(out, func(i, j int) bool { return bytes.Compare(out[i].Name, out[j].Name) < 0 })
	return out, err
}

// GroupFull is one group of XINFO STREAM FULL.
type GroupFull struct {
	GroupInfo
	PEL       []PendingEntry // Idle holds the delivery time
	Consumers []ConsumerInfo
}

func (s Stream) groupFull(m *encoding.Meta, ng namedGroup, count int64) (GroupFull, error) {
	gf := GroupFull{GroupInfo: groupInfo(m, ng)}
	gv := &groupView{s: s, m: m, name: ng.name, g: ng.g}
	limit := scanLimit(count)
	err := s.scanIDs(m, encoding.StreamPendingPrefix(ng.g.Seq), ng.g.PELFloor, encoding.MaxStreamID, limit, false, func(id StreamID, v []byte) (bool, error) {
		pe, err := encoding.DecodeStreamPending(bytes.Clone(v))
		if err != nil {
			return false, err
		}
		gf.PEL = append(gf.PEL, PendingEntry{ID: id, Consumer: pe.Consumer, Idle: pe.DeliveryTime, DeliveryCount: pe.DeliveryCount})
		return true, nil
	})
	if err != nil {
		return gf, err
	}
	cons, err := gv.consumersInfo()
	if err != nil {
		return gf, err
	}
	for i := range cons {
		ids, err := s.collectIDs(m, encoding.StreamConsumerPELPrefix(ng.g.Seq, cons[i].Name), StreamID{}, encoding.MaxStreamID, limit)
		if err != nil {
			return gf, err
		}
		gv.cons = map[string]*encoding.StreamConsumer{}
		pend, err := gv.pending(ids)
		if err != nil {
			return gf, err
		}
		for j, pe := range pend {
			if pe != nil {
				cons[i].PEL = append(cons[i].PEL, PendingEntry{ID: ids[j], Idle: pe.DeliveryTime, DeliveryCount: pe.DeliveryCount})
			}
		}
	}
	gf.Consumers = cons
	return gf, nil
}
