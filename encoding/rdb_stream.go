package encoding

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Streams in the RDB serialization (rdb.c, t_stream.c of Redis 7.0).
//
// RDB_TYPE_STREAM_LISTPACKS_2 (19), what Redis 7.0 writes:
//
//	len(nodes), then per node: the master ID (16-byte raw string, big
//	  endian) and the node's listpack (a string)
//	length, last_id.ms, last_id.seq, first_id.ms, first_id.seq,
//	  max_deleted_entry_id.ms, .seq, entries_added      (lengths)
//	len(groups), then per group: name, last_id.ms, last_id.seq,
//	  entries_read (a length; -1 as 2^64-1),
//	  len(PEL), per entry: ID (16 raw bytes), delivery time (8 bytes LE ms),
//	  delivery count (length);
//	  len(consumers), per consumer: name, seen time (8 bytes LE ms),
//	  len(its PEL), its IDs (16 raw bytes each).
//
// Type 15 (Redis 5 and 6) lacks first_id, max_deleted_entry_id,
// entries_added and entries_read; type 21 (Redis 7.2) adds each
// consumer's active time after its seen time. Both are read; 19 is written.
//
// A node's listpack is a master entry — count, deleted, num-fields, the
// master fields, 0 — then the entries: flags, ms-diff, seq-diff, then
// either the values alone (flag SAMEFIELDS: the master's fields) or
// num-fields and field/value pairs, then lp-count. Deleted entries
// (flag DELETED) stay in the listpack and are skipped.
const (
	rdbStreamListpacks  = 15
	rdbStreamListpacks2 = 19
	rdbStreamListpacks3 = 21

	streamFlagDeleted    = 1
	streamFlagSameFields = 2

	// Redis's default stream-node-max-bytes and -entries: DUMP lays nodes
	// out as redis-server does when the entries are appended.
	rdbStreamNodeBytes   = 4096
	rdbStreamNodeEntries = 100
)

// RDBStream is a stream as DUMP serializes it.
type RDBStream struct {
	Entries      []RDBStreamEntry
	LastID       StreamID
	FirstID      StreamID
	MaxDeletedID StreamID
	EntriesAdded int64
	Groups       []RDBStreamGroup
}

// RDBStreamEntry is one entry: its ID and alternating fields and values.
type RDBStreamEntry struct {
	ID     StreamID
	Fields [][]byte
}

// RDBStreamGroup is one consumer group with its PEL (in ID order) and its
// consumers (in name order); each PEL entry names its consumer.
type RDBStreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64 // -1: unknown
	PEL         []RDBStreamNACK
	Consumers   []RDBStreamConsumer
}

// RDBStreamNACK is one pending entry of a group.
type RDBStreamNACK struct {
	ID            StreamID
	Consumer      []byte
	DeliveryTime  int64
	DeliveryCount int64
}

// RDBStreamConsumer is one consumer of a group.
type RDBStreamConsumer struct {
	Name     []byte
	SeenTime int64
}

// listpack builds a listpack.
type listpack struct{ b []byte }

func newListpack() *listpack { return &listpack{b: make([]byte, 6, 256)} }

// lpBacklenSize is the size of the back length of an entry of l bytes
// (lpEncodeBacklen).
func lpBacklenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

func (lp *listpack) backlen(l int) {
	n := lpBacklenSize(l)
	for i := n - 1; i >= 0; i-- {
		// Every byte but the first carries the continuation bit.
		c := byte(l>>(7*uint(i))) & 127
		if i < n-1 {
			c |= 128
		}
		lp.b = append(lp.b, c)
	}
}

// int appends an integer in its smallest encoding (lpEncodeIntegerGetType).
func (lp *listpack) int(v int64) {
	start := len(lp.b)
	switch {
	case v >= 0 && v <= 127:
		lp.b = append(lp.b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & 0x1fff
		lp.b = append(lp.b, 0xc0|byte(u>>8), byte(u))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		lp.b = binary.LittleEndian.AppendUint16(append(lp.b, 0xf1), uint16(v))
	case v >= -1<<23 && v < 1<<23:
		u := uint32(v)
		lp.b = append(lp.b, 0xf2, byte(u), byte(u>>8), byte(u>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		lp.b = binary.LittleEndian.AppendUint32(append(lp.b, 0xf3), uint32(v))
	default:
		lp.b = binary.LittleEndian.AppendUint64(append(lp.b, 0xf4), uint64(v))
	}
	lp.backlen(len(lp.b) - start)
}

// str appends s, as an integer when it is one (lpAppend does the same).
func (lp *listpack) str(s []byte) {
	if v, ok := lpInt(s); ok {
		lp.int(v)
		return
	}
	start := len(lp.b)
	switch n := len(s); {
	case n < 64:
		lp.b = append(lp.b, 0x80|byte(n))
	case n < 4096:
		lp.b = append(lp.b, 0xe0|byte(n>>8), byte(n))
	default:
		lp.b = binary.LittleEndian.AppendUint32(append(lp.b, 0xf0), uint32(n))
	}
	lp.b = append(lp.b, s...)
	lp.backlen(len(lp.b) - start)
}

// lpInt is lpStringToInt64: s is the canonical decimal form of an int64.
func lpInt(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	v, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil || strconv.FormatInt(v, 10) != string(s) {
		return 0, false
	}
	return v, true
}

// finish writes the header and the end byte and returns the listpack.
func (lp *listpack) finish(count int) []byte {
	lp.b = append(lp.b, 0xff)
	binary.LittleEndian.PutUint32(lp.b, uint32(len(lp.b)))
	if count > math.MaxUint16-1 {
		count = math.MaxUint16
	}
	binary.LittleEndian.PutUint16(lp.b[4:], uint16(count))
	return lp.b
}

// streamNode is one listpack of a stream being written.
type streamNode struct {
	master StreamID
	lp     *listpack
	elems  int // listpack entries so far
	count  int // stream entries
	fields [][]byte
}

// streamNodes lays the entries out in nodes as streamAppendItem does.
func streamNodes(entries []RDBStreamEntry) []*streamNode {
	var nodes []*streamNode
	var cur *streamNode
	for _, e := range entries {
		tot := 0
		for _, f := range e.Fields {
			tot += len(f)
		}
		if cur != nil && (len(cur.lp.b)+1+tot >= rdbStreamNodeBytes || cur.count >= rdbStreamNodeEntries) {
			cur = nil
		}
		if cur == nil {
			cur = &streamNode{master: e.ID, lp: newListpack()}
			nodes = append(nodes, cur)
			n := len(e.Fields) / 2
			cur.lp.int(1) // count, set in finish
			cur.lp.int(0) // deleted
			cur.lp.int(int64(n))
			for i := 0; i < len(e.Fields); i += 2 {
				cur.lp.str(e.Fields[i])
				cur.fields = append(cur.fields, e.Fields[i])
			}
			cur.lp.int(0)
			cur.elems = 4 + n
		}
		cur.count++
		same := len(e.Fields)/2 == len(cur.fields)
		for i := 0; same && i < len(cur.fields); i++ {
			same = string(e.Fields[2*i]) == string(cur.fields[i])
		}
		flags := int64(0)
		if same {
			flags = streamFlagSameFields
		}
		cur.lp.int(flags)
		cur.lp.int(int64(e.ID.Ms - cur.master.Ms))
		cur.lp.int(int64(e.ID.Seq - cur.master.Seq))
		n := len(e.Fields) / 2
		if same {
			for i := 1; i < len(e.Fields); i += 2 {
				cur.lp.str(e.Fields[i])
			}
			cur.lp.int(int64(n + 3))
			cur.elems += n + 4
		} else {
			cur.lp.int(int64(n))
			for _, f := range e.Fields {
				cur.lp.str(f)
			}
			cur.lp.int(int64(2*n + 4))
			cur.elems += 2*n + 5
		}
	}
	return nodes
}

// writeStream writes s as RDB_TYPE_STREAM_LISTPACKS_2.
func (w *rdbWriter) writeStream(s *RDBStream) {
	w.b = append(w.b, rdbStreamListpacks2)
	w.streamNodes(s.Entries)
	w.length(uint64(len(s.Entries)))
	for _, v := range []uint64{s.LastID.Ms, s.LastID.Seq, s.FirstID.Ms, s.FirstID.Seq, s.MaxDeletedID.Ms, s.MaxDeletedID.Seq, uint64(s.EntriesAdded)} {
		w.length(v)
	}
	w.length(uint64(len(s.Groups)))
	for _, g := range s.Groups {
		w.str(g.Name)
		w.length(g.LastID.Ms)
		w.length(g.LastID.Seq)
		w.length(uint64(g.EntriesRead))
		w.length(uint64(len(g.PEL)))
		for _, p := range g.PEL {
			w.b = AppendID(w.b, p.ID)
			w.b = binary.LittleEndian.AppendUint64(w.b, uint64(p.DeliveryTime))
			w.length(uint64(p.DeliveryCount))
		}
		w.length(uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			w.str(c.Name)
			w.b = binary.LittleEndian.AppendUint64(w.b, uint64(c.SeenTime))
			var own []StreamID
			for _, p := range g.PEL {
				if string(p.Consumer) == string(c.Name) {
					own = append(own, p.ID)
				}
			}
			w.length(uint64(len(own)))
			for _, id := range own {
				w.b = AppendID(w.b, id)
			}
		}
	}
}

// streamNodes writes the node count and the nodes holding entries.
func (w *rdbWriter) streamNodes(entries []RDBStreamEntry) {
	nodes := streamNodes(entries)
	w.length(uint64(len(nodes)))
	for _, n := range nodes {
		w.length(StreamIDLen)
		w.b = AppendID(w.b, n.master)
		lp := n.lp.finish(n.elems)
		lp[6] = byte(n.count) // the master count: one byte, at most 100
		w.length(uint64(len(lp)))
		w.b = append(w.b, lp...)
	}
}

func (r *rdbReader) rawID() StreamID {
	b := r.take(StreamIDLen)
	if b == nil {
		return StreamID{}
	}
	id, _ := DecodeID(b)
	return id
}

func (r *rdbReader) msTime() int64 {
	b := r.take(8)
	if b == nil {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(b))
}

func (r *rdbReader) plainLen() uint64 {
	n, enc := r.length()
	if enc {
		r.fail()
	}
	return n
}

// readStream reads a stream of RDB type t.
func (r *rdbReader) readStream(t byte) *RDBStream {
	s := &RDBStream{}
	nodes := r.count()
	for i := 0; i < nodes && r.err == nil; i++ {
		key := r.str()
		lp := r.str()
		if r.err != nil {
			break
		}
		if len(key) != StreamIDLen {
			r.fail()
			break
		}
		master, _ := DecodeID(key)
		es, ok := streamNodeEntries(master, lp)
		if !ok {
			r.fail()
			break
		}
		for _, e := range es {
			if n := len(s.Entries); n > 0 && !s.Entries[n-1].ID.Less(e.ID) {
				r.fail()
				break
			}
			s.Entries = append(s.Entries, e)
		}
	}
	length := r.plainLen()
	s.LastID = StreamID{r.plainLen(), r.plainLen()}
	if t >= rdbStreamListpacks2 {
		s.FirstID = StreamID{r.plainLen(), r.plainLen()}
		s.MaxDeletedID = StreamID{r.plainLen(), r.plainLen()}
		s.EntriesAdded = int64(r.plainLen())
	} else {
		s.EntriesAdded = int64(length)
		if len(s.Entries) > 0 {
			s.FirstID = s.Entries[0].ID
		}
	}
	if r.err != nil || length != uint64(len(s.Entries)) {
		r.fail()
		return nil
	}
	if n := len(s.Entries); n > 0 && s.LastID.Less(s.Entries[n-1].ID) {
		r.fail()
		return nil
	}
	groups := r.count()
	for i := 0; i < groups && r.err == nil; i++ {
		g := RDBStreamGroup{Name: r.str()}
		g.LastID = StreamID{r.plainLen(), r.plainLen()}
		if t >= rdbStreamListpacks2 {
			g.EntriesRead = int64(r.plainLen())
		} else {
			g.EntriesRead = estimateEntriesRead(s, g.LastID)
		}
		pel := r.count()
		index := make(map[StreamID]int, pel)
		for j := 0; j < pel && r.err == nil; j++ {
			p := RDBStreamNACK{ID: r.rawID(), DeliveryTime: r.msTime(), DeliveryCount: int64(r.plainLen())}
			if _, dup := index[p.ID]; dup {
				r.fail()
			}
			index[p.ID] = len(g.PEL)
			g.PEL = append(g.PEL, p)
		}
		consumers := r.count()
		for j := 0; j < consumers && r.err == nil; j++ {
			c := RDBStreamConsumer{Name: r.str(), SeenTime: r.msTime()}
			if t >= rdbStreamListpacks3 {
				r.msTime() // active time: titan does not keep it
			}
			own := r.count()
			for k := 0; k < own && r.err == nil; k++ {
				at, ok := index[r.rawID()]
				if !ok || g.PEL[at].Consumer != nil {
					r.fail()
					break
				}
				g.PEL[at].Consumer = c.Name
			}
			g.Consumers = append(g.Consumers, c)
		}
		for _, p := range g.PEL {
			if p.Consumer == nil {
				// Redis's deep check: every pending entry has an owner.
				r.fail()
			}
		}
		s.Groups = append(s.Groups, g)
	}
	if r.err != nil {
		return nil
	}
	return s
}

// estimateEntriesRead is streamEstimateDistanceFromFirstEverEntry for a
// stream of RDB type 15 (no tombstones known, entries_added = length).
func estimateEntriesRead(s *RDBStream, id StreamID) int64 {
	n := int64(len(s.Entries))
	switch {
	case s.EntriesAdded == 0:
		return 0
	case n == 0 && id.Compare(s.LastID) < 1:
		return s.EntriesAdded
	case id == s.LastID:
		return s.EntriesAdded
	case s.LastID.Less(id):
		return -1
	case id.Less(s.FirstID):
		return s.EntriesAdded - n
	case id == s.FirstID:
		return s.EntriesAdded - n + 1
	}
	return -1
}

// streamNodeEntries decodes the live entries of one node's listpack.
func streamNodeEntries(master StreamID, lp []byte) ([]RDBStreamEntry, bool) {
	els, err := listpackEntries(lp)
	if err != nil || len(els) < 4 {
		return nil, false
	}
	p := 0
	next := func() (int64, bool) {
		if p >= len(els) {
			return 0, false
		}
		v, err := strconv.ParseInt(string(els[p]), 10, 64)
		p++
		return v, err == nil
	}
	count, ok1 := next()
	deleted, ok2 := next()
	nf, ok3 := next()
	if !ok1 || !ok2 || !ok3 || nf < 0 || int64(len(els)-p) < nf+1 || count < 0 || deleted < 0 {
		return nil, false
	}
	fields := els[p : p+int(nf)]
	p += int(nf)
	if z, ok := next(); !ok || z != 0 {
		return nil, false
	}
	var out []RDBStreamEntry
	var seen int64
	for p < len(els) {
		flags, ok1 := next()
		msd, ok2 := next()
		seqd, ok3 := next()
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		id := StreamID{master.Ms + uint64(msd), master.Seq + uint64(seqd)}
		var fv [][]byte
		if flags&streamFlagSameFields != 0 {
			if len(els)-p < int(nf)+1 {
				return nil, false
			}
			for i := range int(nf) {
				fv = append(fv, fields[i], els[p+i])
			}
			p += int(nf)
		} else {
			n, ok := next()
			if !ok || n < 0 || int64(len(els)-p) < 2*n+1 {
				return nil, false
			}
			fv = els[p : p+2*int(n)]
			p += 2 * int(n)
		}
		if _, ok := next(); !ok { // lp-count
			return nil, false
		}
		seen++
		if flags&streamFlagDeleted != 0 {
			continue
		}
		out = append(out, RDBStreamEntry{ID: id, Fields: fv})
	}
	if int64(len(out)) != count || seen != count+deleted {
		return nil, false
	}
	return out, true
}
