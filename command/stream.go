package command

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/redcon"
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// Streams: XADD, XRANGE, XREAD, the consumer groups and XINFO. The type
// logic is in db/stream.go and db/stream_group.go.

// streamCommands is the table of the stream commands.
func streamCommands() []*Command {
	return []*Command{
		cmd("xadd", xadd),
		cmd("xlen", xlen),
		cmd("xrange", xrange(false)),
		cmd("xrevrange", xrange(true)),
		cmd("xdel", xdel),
		cmd("xtrim", xtrim),
		cmd("xsetid", xsetid),
		cmd("xread", xread(false)),
		cmd("xreadgroup", xread(true)),
		cmd("xgroup", xgroup, subcommands("create", "setid", "destroy", "createconsumer", "delconsumer", "help")),
		cmd("xack", xack),
		cmd("xpending", xpending),
		cmd("xclaim", xclaim),
		cmd("xautoclaim", xautoclaim),
		cmd("xinfo", xinfo, subcommands("stream", "groups", "consumers", "help")),
	}
}

const (
	errInvalidID  = "ERR Invalid stream ID specified as stream command argument"
	errStreamType = "WRONGTYPE Operation against a key holding the wrong kind of value"
)

// parseULL is Redis's string2ull: string2ll for non-negative numbers, else
// strtoull over the whole string.
func parseULL(b []byte) (uint64, bool) {
	if n, ok := parse.Int(b); ok {
		return uint64(n), n >= 0
	}
	s := string(b)
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if t == "" || t[0] < '0' || t[0] > '9' {
		return 0, false
	}
	v, err := strconv.ParseUint(t, 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseStreamID is Redis's streamGenericParseIDOrReply: "-" and "+"
// (unless strict), <ms> (seq missingSeq), <ms>-<seq>, and with seqAuto
// <ms>-* (auto set).
func parseStreamID(b []byte, missingSeq uint64, strict, seqAuto bool) (id db.StreamID, auto bool, ok bool) {
	if len(b) > 127 {
		return id, false, false
	}
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if strict {
			return id, false, false
		}
		if b[0] == '-' {
			return db.StreamID{}, false, true
		}
		return encoding.MaxStreamID, false, true
	}
	msPart, seqPart, dash := bytes.Cut(b, []byte("-"))
	ms, ok := parseULL(msPart)
	if !ok {
		return id, false, false
	}
	if !dash {
		return db.StreamID{Ms: ms, Seq: missingSeq}, false, true
	}
	if seqAuto && len(seqPart) == 1 && seqPart[0] == '*' {
		return db.StreamID{Ms: ms}, true, true
	}
	seq, ok := parseULL(seqPart)
	if !ok {
		return id, false, false
	}
	return db.StreamID{Ms: ms, Seq: seq}, false, true
}

// strictID parses a strict ID (no "-" or "+"), answering the error.
func (c *Call) strictID(b []byte) (db.StreamID, bool) {
	id, _, ok := parseStreamID(b, 0, true, false)
	if !ok {
		c.Error(errInvalidID)
	}
	return id, ok
}

// appendID appends the ID as Redis writes it.
func appendID(b []byte, id db.StreamID) []byte {
	b = strconv.AppendUint(b, id.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, id.Seq, 10)
}

func idReply(id db.StreamID) resp.Reply { return resp.Bulk(appendID(nil, id)) }

// entriesReply is a list of entries: [[id, [field, value...]]...], a
// missing entry's fields as a null array.
type entriesReply []db.StreamEntry

// Append implements resp.Reply.
func (es entriesReply) Append(b []byte, p resp.Proto) []byte {
	b = redcon.AppendArray(b, len(es))
	var id []byte
	for _, e := range es {
		b = redcon.AppendArray(b, 2)
		id = appendID(id[:0], e.ID)
		b = redcon.AppendBulk(b, id)
		if e.Fields == nil {
			b = resp.NullArray.Append(b, p)
			continue
		}
		b = resp.Bulks(e.Fields).Append(b, p)
	}
	return b
}

// streamsReply is XREAD's reply: for each served stream its key and
// entries, a map in RESP3 and an array of pairs in RESP2; the null array
// when nothing was served.
type streamsReply struct {
	keys    [][]byte
	entries []entriesReply
}

// Append implements resp.Reply.
func (r streamsReply) Append(b []byte, p resp.Proto) []byte {
	if len(r.keys) == 0 {
		return resp.NullArray.Append(b, p)
	}
	if p < resp.RESP3 {
		b = redcon.AppendArray(b, len(r.keys))
	} else {
		b = resp.AppendMapHeader(b, p, len(r.keys))
	}
	for i, k := range r.keys {
		if p < resp.RESP3 {
			b = redcon.AppendArray(b, 2)
		}
		b = redcon.AppendBulk(b, k)
		b = r.entries[i].Append(b, p)
	}
	return b
}

// --- XADD, XTRIM ---

// parseTrim reads XADD's and XTRIM's options from c.Args[i:]. For XADD it
// stops at the ID and returns its position; it answers errors itself.
func parseTrim(c *Call, i int, xadd bool) (trim *db.TrimSpec, a db.XAddArgs, next int, ok bool) {
	limitGiven := false
	var limit int64
	idGiven := false
	for ; i < len(c.Args); i++ {
		more := len(c.Args) - 1 - i
		opt := c.Args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			a.ID.Auto = true
			idGiven = true
		case argIs(opt, "maxlen") && more > 0, argIs(opt, "minid") && more > 0:
			if trim != nil {
				c.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
				return nil, a, 0, false
			}
			trim = &db.TrimSpec{MinID: argIs(opt, "minid")}
			if nx := c.Args[i+1]; more >= 2 && len(nx) == 1 && (nx[0] == '~' || nx[0] == '=') {
				trim.Approx = nx[0] == '~'
				i++
			}
			if trim.MinID {
				id, ok := c.strictID(c.Args[i+1])
				if !ok {
					return nil, a, 0, false
				}
				trim.Threshold = id
			} else {
				n, ok := parse.Int(c.Args[i+1])
				if !ok {
					c.Error(errNotInteger)
					return nil, a, 0, false
				}
				if n < 0 {
					c.Error("ERR The MAXLEN argument must be >= 0.")
					return nil, a, 0, false
				}
				trim.MaxLen = n
			}
			i++
			continue
		case argIs(opt, "limit") && more > 0:
			n, ok := parse.Int(c.Args[i+1])
			if !ok {
				c.Error(errNotInteger)
				return nil, a, 0, false
			}
			if n < 0 {
				c.Error("ERR The LIMIT argument must be >= 0.")
				return nil, a, 0, false
			}
			limit, limitGiven = n, true
			i++
			continue
		case xadd && argIs(opt, "nomkstream"):
			a.NoMkStream = true
			continue
		case xadd:
			id, auto, ok := parseStreamID(opt, 0, true, true)
			if !ok {
				c.Error(errInvalidID)
				return nil, a, 0, false
			}
			a.ID = db.IDSpec{ID: id, SeqAuto: auto}
			idGiven = true
		default:
			c.Error(errSyntax)
			return nil, a, 0, false
		}
		break
	}
	if limit != 0 && trim == nil {
		c.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
		return nil, a, 0, false
	}
	if !xadd && trim == nil {
		c.Error("ERR syntax error, XTRIM must be called with a trimming strategy")
		return nil, a, 0, false
	}
	if trim != nil {
		switch {
		case limitGiven && !trim.Approx:
			c.Error("ERR syntax error, LIMIT cannot be used without the special ~ option")
			return nil, a, 0, false
		case limitGiven:
			trim.Limit = limit
		case trim.Approx:
			trim.Limit = 100 * 100
		}
	}
	if !idGiven {
		i = len(c.Args)
	}
	return trim, a, i + 1, true
}

func xadd(c *Call) {
	trim, a, fieldPos, ok := parseTrim(c, 2, true)
	if !ok {
		return
	}
	n := len(c.Args) - fieldPos
	if n < 2 || n%2 == 1 {
		c.Error("ERR wrong number of arguments for 'xadd' command")
		return
	}
	if !a.ID.Auto && !a.ID.SeqAuto && a.ID.ID.IsZero() {
		c.Error("ERR The ID specified in XADD must be greater than 0-0")
		return
	}
	a.Trim = trim
	a.Fields = c.Args[fieldPos:]
	key := c.Args[1]
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		id, ok, err := tx.Stream(key).Add(a)
		if err != nil || !ok {
			return resp.Null, err
		}
		return idReply(id), nil
	})
}

func xtrim(c *Call) {
	trim, _, next, ok := parseTrim(c, 2, false)
	if !ok {
		return
	}
	_ = next
	key := c.Args[1]
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.IntOf(tx.Stream(key).Trim(*trim))
	})
}

func xlen(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.Stream(c.Args[1]).Len()) })
}

// --- XRANGE, XREVRANGE, XDEL, XSETID ---

// intervalID parses an XRANGE bound: "(" makes it exclusive (and strict).
func intervalID(b []byte, missingSeq uint64) (id db.StreamID, excl, ok bool) {
	if len(b) > 1 && b[0] == '(' {
		id, _, ok = parseStreamID(b[1:], missingSeq, true, false)
		return id, true, ok
	}
	id, _, ok = parseStreamID(b, missingSeq, false, false)
	return id, false, ok
}

// intervalStart parses the first bound of an ID interval (XRANGE,
// XPENDING, XAUTOCLAIM): the ID itself, or the next one when exclusive;
// the error text is "" when it parsed.
func intervalStart(b []byte) (db.StreamID, string) {
	id, excl, ok := intervalID(b, 0)
	if !ok {
		return id, errInvalidID
	}
	if excl {
		if id, ok = id.Next(); !ok {
			return id, "ERR invalid start ID for the interval"
		}
	}
	return id, ""
}

// intervalEnd parses the last bound of an ID interval: the ID itself, or
// the previous one when exclusive.
func intervalEnd(b []byte) (db.StreamID, string) {
	id, excl, ok := intervalID(b, math.MaxUint64)
	if !ok {
		return id, errInvalidID
	}
	if excl {
		if id, ok = id.Prev(); !ok {
			return id, "ERR invalid end ID for the interval"
		}
	}
	return id, ""
}

func xrange(rev bool) func(*Call) {
	return func(c *Call) {
		startArg, endArg := c.Args[2], c.Args[3]
		if rev {
			startArg, endArg = endArg, startArg
		}
		start, msg := intervalStart(startArg)
		if msg != "" {
			c.Error(msg)
			return
		}
		end, msg := intervalEnd(endArg)
		if msg != "" {
			c.Error(msg)
			return
		}
		count := int64(-1)
		for j := 4; j < len(c.Args); j++ {
			if !argIs(c.Args[j], "count") || j+1 >= len(c.Args) {
				c.Error(errSyntax)
				return
			}
			n, ok := parse.Int(c.Args[j+1])
			if !ok {
				c.Error(errNotInteger)
				return
			}
			count = max(n, 0)
			j++
		}
		key := c.Args[1]
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			es, err := tx.Stream(key).Range(start, end, count, rev)
			if err == nil && count == 0 {
				if _, err = tx.Stream(key).Len(); err == nil {
					return resp.NullArray, nil
				}
			}
			return resp.Of(entriesReply(es), err)
		})
	}
}

func xdel(c *Call) {
	ids := make([]db.StreamID, 0, len(c.Args)-2)
	for _, a := range c.Args[2:] {
		id, ok := c.strictID(a)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.Stream(c.Args[1]).Del(ids)) })
}

func xsetid(c *Call) {
	id, ok := c.strictID(c.Args[2])
	if !ok {
		return
	}
	a := db.SetIDArgs{ID: id}
	for i := 3; i < len(c.Args); i += 2 {
		more := i+1 < len(c.Args)
		switch {
		case argIs(c.Args[i], "entriesadded") && more:
			n, ok := parse.Int(c.Args[i+1])
			if !ok {
				c.Error(errNotInteger)
				return
			}
			if n < 0 {
				c.Error("ERR entries_added must be positive")
				return
			}
			a.EntriesAdded, a.HasEntriesAdded = n, true
		case argIs(c.Args[i], "maxdeletedid") && more:
			md, ok := c.strictID(c.Args[i+1])
			if !ok {
				return
			}
			if id.Less(md) {
				c.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
			a.MaxDeleted, a.HasMaxDeleted = md, true
		default:
			c.Error(errSyntax)
			return
		}
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) { return resp.Of(resp.OK, tx.Stream(c.Args[1]).SetID(a)) })
}

// --- XREAD, XREADGROUP ---

// xreadArgs are XREAD's and XREADGROUP's parsed arguments.
type xreadArgs struct {
	count           int64
	block           bool
	timeout         time.Duration
	group, consumer []byte
	noack           bool
	keys            [][]byte
	ids             [][]byte
}

func parseXRead(c *Call, group bool) (a xreadArgs, ok bool) {
	name := "xread"
	symbol := '$'
	if group {
		name, symbol = "xreadgroup", '>'
	}
	streamsAt := 0
	for i := 1; i < len(c.Args); i++ {
		more := len(c.Args) - 1 - i
		o := c.Args[i]
		switch {
		case argIs(o, "block") && more > 0:
			i++
			n, ok := parse.Int(c.Args[i])
			if !ok {
				c.Error("ERR timeout is not an integer or out of range")
				return a, false
			}
			if n < 0 {
				c.Error("ERR timeout is negative")
				return a, false
			}
			a.block, a.timeout = true, time.Duration(min(n, math.MaxInt64/int64(time.Millisecond)))*time.Millisecond
		case argIs(o, "count") && more > 0:
			i++
			n, ok := parse.Int(c.Args[i])
			if !ok {
				c.Error(errNotInteger)
				return a, false
			}
			a.count = max(n, 0)
		case argIs(o, "streams") && more > 0:
			streamsAt = i + 1
			n := len(c.Args) - streamsAt
			if n%2 != 0 {
				c.Error(fmt.Sprintf("ERR Unbalanced %s list of streams: for each stream key an ID or '%c' must be specified.", strings.ToUpper(name), symbol))
				return a, false
			}
			a.keys = c.Args[streamsAt : streamsAt+n/2]
			a.ids = c.Args[streamsAt+n/2:]
			i = len(c.Args)
		case argIs(o, "group") && more >= 2:
			if !group {
				c.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return a, false
			}
			a.group, a.consumer = c.Args[i+1], c.Args[i+2]
			i += 2
		case argIs(o, "noack"):
			if !group {
				c.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return a, false
			}
			a.noack = true
		default:
			c.Error(errSyntax)
			return a, false
		}
	}
	if streamsAt == 0 {
		c.Error(errSyntax)
		return a, false
	}
	if group && a.group == nil {
		c.Error("ERR Missing GROUP option for XREADGROUP")
		return a, false
	}
	return a, true
}

// The errors of a blocked XREADGROUP whose stream or group went away
// while it waited (deleted, overwritten, renamed, expired, flushed,
// swapped out; XGROUP DESTROY), Redis's texts.
var (
	errStreamGone = db.UserError("UNBLOCKED the stream key no longer exists")
	errGroupGone  = db.UserError("NOGROUP the consumer group this client was blocked on no longer exists")
)

// streamIDArg is one stream's ID argument of XREAD(GROUP), resolved.
type streamIDArg struct {
	id       db.StreamID
	last     bool // "$"
	new      bool // ">"
	resolved bool
}

func xread(group bool) func(*Call) {
	return func(c *Call) {
		a, ok := parseXRead(c, group)
		if !ok {
			return
		}
		ids := make([]streamIDArg, len(a.ids))
		history := false
		for i, raw := range a.ids {
			switch {
			case len(raw) == 1 && raw[0] == '$':
				ids[i].last = true
			case len(raw) == 1 && raw[0] == '>':
				ids[i].new = true
			default:
				id, _, ok := parseStreamID(raw, 0, true, false)
				ids[i].id = id
				if !ok {
					// Reported in key order, after the type and group
					// checks of the keys before it.
					ids[i].resolved = false
				}
				history = true
			}
		}
		try := func(tx *db.Tx) (resp.Reply, error) {
			return readStreams(tx, c, a, ids, group, c.blk != nil && c.blk.retrying)
		}
		if !a.block || (group && history) {
			c.Write(func(tx *db.Tx) (resp.Reply, error) {
				r, err := try(tx)
				if r == nil && err == nil {
					r = resp.NullArray
				}
				return r, err
			})
			return
		}
		c.block(a.keys, "", a.timeout, resp.NullArray, resp.NullArray, func(tx *db.Tx, _ [][]byte) (resp.Reply, error) { return try(tx) })
		if group && c.blk != nil {
			c.blk.group = string(a.group)
			c.blk.ready = func(tx *db.Tx) (ok, more bool, err error) {
				for _, key := range a.keys {
					n, err := tx.Stream(key).Undelivered(a.group)
					if err != nil {
						return true, false, err
					}
					ok = ok || n > 0
					more = more || (a.count > 0 && n > a.count)
				}
				return ok, more, nil
			}
		}
	}
}

// readStreams is one try of XREAD or XREADGROUP: nil when no stream was
// served. "$" IDs are resolved on the first try and kept. As Redis does,
// each key is checked in order (its type, for XREADGROUP its group, then
// its ID) before any is read; each stream's metadata and group are read
// once.
//
// A retry (a blocked call woken) behaves as Redis does for a blocked
// client: XREAD passes over keys that no longer hold a stream, and
// XREADGROUP answers that its stream or group is gone.
func readStreams(tx *db.Tx, c *Call, a xreadArgs, ids []streamIDArg, group, retry bool) (resp.Reply, error) {
	var out streamsReply
	var readers []*db.GroupReader
	if group {
		readers = make([]*db.GroupReader, len(a.keys))
	}
	var skip []bool // XREAD retry: the keys that hold no stream
	if retry {
		skip = make([]bool, len(a.keys))
		for i, key := range a.keys {
			t, err := tx.Key(key).Type()
			if err != nil {
				return nil, err
			}
			switch {
			case t == "stream":
			case group:
				return nil, errStreamGone
			default:
				skip[i] = true
			}
		}
	}
	for i, key := range a.keys {
		if skip != nil && skip[i] {
			continue
		}
		st := tx.Stream(key)
		arg := &ids[i]
		if group {
			// The same key twice shares one reader, which sees its own
			// writes.
			for j := range i {
				if bytes.Equal(a.keys[j], key) {
					readers[i] = readers[j]
					break
				}
			}
			if readers[i] == nil {
				r, err := st.OpenGroup(a.group)
				if err != nil && retry && db.IsUserError(err) {
					return nil, errGroupGone
				}
				if err != nil {
					return nil, err
				}
				readers[i] = r
			}
		}
		switch {
		case arg.last:
			if group {
				return nil, db.UserError("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
			}
			if !arg.resolved {
				last, err := st.LastID()
				if err != nil {
					return nil, err
				}
				arg.id, arg.resolved = last, true
			}
		case arg.new:
			if !group {
				return nil, db.UserError("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
			}
		default:
			if !group {
				if _, err := st.Len(); err != nil {
					return nil, err
				}
			}
			if _, _, ok := parseStreamID(a.ids[i], 0, true, false); !ok {
				return nil, db.UserError(errInvalidID)
			}
		}
	}
	for i, key := range a.keys {
		if skip != nil && skip[i] {
			continue
		}
		var es []db.StreamEntry
		served := false
		var err error
		if group {
			es, served, err = readers[i].Read(db.ReadGroupArgs{
				Group: a.group, Consumer: a.consumer, New: ids[i].new, After: ids[i].id,
				Count: a.count, NoAck: a.noack,
			})
		} else {
			es, err = tx.Stream(key).After(ids[i].id, a.count)
			served = len(es) > 0
		}
		if err != nil {
			return nil, err
		}
		if served {
			out.keys = append(out.keys, key)
			out.entries = append(out.entries, entriesReply(es))
		}
	}
	if len(out.keys) == 0 {
		return nil, nil
	}
	return out, nil
}
