package copier

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
)

// Streams are the one type copied with DUMP and RESTORE: no sequence of
// stream commands recreates a consumer group exactly (its PEL's delivery
// times and counts, its consumers' seen times, entries-read, the stream's
// max deleted ID and entries-added), and RESTORE writes the whole stream
// in one command. The target must RESTORE Redis 7.0's stream payload
// (titan and redis-server 7.0 do). Verification compares XINFO STREAM
// FULL: entries, IDs, counters, groups with their PELs and consumers,
// with the delivery and seen times allowed to differ by the TTL
// tolerance (a write dual-written through the proxy stamps its own clock
// on each side).

// streamDumpVersion is the RDB version of the payloads RESTORE accepts
// on titan (Redis 7.0's).
const streamDumpVersion = encoding.RDBVersion

// takeDump stores a DUMP reply of a stream.
func (s *Snapshot) takeDump(v resp.Value) error {
	if v.IsError() {
		return replyErr("DUMP", s.Key, v)
	}
	if v.IsNil() {
		s.Type = TypeNone
		return nil
	}
	s.Dump = restampDump(v.Str)
	return nil
}

// restampDump gives a stream payload of a newer Redis (7.2 writes RDB 11)
// the RDB version titan restores: titan reads the stream encodings of
// every version, only the footer says otherwise.
func restampDump(p []byte) []byte {
	if len(p) < 10 || binary.LittleEndian.Uint16(p[len(p)-10:]) <= streamDumpVersion {
		return p
	}
	out := append([]byte{}, p[:len(p)-10]...)
	out = binary.LittleEndian.AppendUint16(out, streamDumpVersion)
	return binary.LittleEndian.AppendUint64(out, encoding.CRC64(0, out))
}

// readStreamInfo reads XINFO STREAM FULL of the stream snapshots, for
// comparisons.
func (c *Copier) readStreamInfo(ctx context.Context, r Pipeliner, snaps []*Snapshot) error {
	var cmds [][][]byte
	var which []*Snapshot
	for _, s := range snaps {
		if s.Type == TypeStream {
			cmds = append(cmds, args("XINFO", "STREAM", s.Key, "FULL", "COUNT", 0))
			which = append(which, s)
		}
	}
	if len(cmds) == 0 {
		return nil
	}
	vs, err := r.Pipeline(ctx, cmds)
	if err != nil {
		return fmt.Errorf("read streams: %w", err)
	}
	for i, s := range which {
		if vs[i].IsError() {
			return replyErr("XINFO STREAM", s.Key, vs[i])
		}
		s.Info = vs[i]
	}
	return nil
}

// restoreCmd writes a stream snapshot: RESTORE with REPLACE and the
// absolute expiry.
func (s *Snapshot) restoreCmd(key []byte) [][]byte {
	return args("RESTORE", key, s.expireAt(), s.Dump, "REPLACE", "ABSTTL")
}

// diffStream compares two XINFO STREAM FULL replies (RESP2) and
// describes the first difference.
func diffStream(a, b resp.Value, tolerance int64) string {
	return diffInfoMap("stream", a, b, tolerance)
}

// streamIgnored are XINFO fields that say how a server lays a stream out
// in memory (or, active-time, exist in Redis 7.2 only), not what it holds.
var streamIgnored = map[string]bool{"radix-tree-keys": true, "radix-tree-nodes": true, "active-time": true}

func infoMap(v resp.Value) (map[string]resp.Value, []string, bool) {
	if v.Kind != resp.Array || len(v.Elems)%2 != 0 {
		return nil, nil, false
	}
	m := make(map[string]resp.Value, len(v.Elems)/2)
	var keys []string
	for i := 0; i < len(v.Elems); i += 2 {
		k := string(v.Elems[i].Str)
		if streamIgnored[k] {
			continue
		}
		m[k] = v.Elems[i+1]
		keys = append(keys, k)
	}
	return m, keys, true
}

// diffInfoMap compares two flat maps of XINFO STREAM FULL: the stream,
// a group or a consumer.
func diffInfoMap(path string, a, b resp.Value, tol int64) string {
	ma, keys, okA := infoMap(a)
	mb, _, okB := infoMap(b)
	if !okA || !okB {
		return fmt.Sprintf("%s: unexpected reply", path)
	}
	if len(ma) != len(mb) {
		return fmt.Sprintf("%s: %d fields on source, %d on target", path, len(ma), len(mb))
	}
	for _, k := range keys {
		va, vb := ma[k], mb[k]
		p := path + " " + k
		var d string
		switch k {
		case "groups", "consumers":
			if len(va.Elems) != len(vb.Elems) {
				return fmt.Sprintf("%s: %d on source, %d on target", p, len(va.Elems), len(vb.Elems))
			}
			for i := range va.Elems {
				if d = diffInfoMap(p+"["+strconv.Itoa(i)+"]", va.Elems[i], vb.Elems[i], tol); d != "" {
					break
				}
			}
		case "pending":
			d = diffPEL(p, va, vb, tol)
		case "seen-time":
			d = diffTime(p, va, vb, tol)
		default:
			if !sameValue(va, vb) {
				d = fmt.Sprintf("%s: source %s, target %s", p, render(va), render(vb))
			}
		}
		if d != "" {
			return d
		}
	}
	return ""
}

// diffPEL compares PELs: a group's [id consumer time count] entries or a
// consumer's [id time count]; the time is the last but one.
func diffPEL(path string, a, b resp.Value, tol int64) string {
	if len(a.Elems) != len(b.Elems) {
		return fmt.Sprintf("%s: %d entries on source, %d on target", path, len(a.Elems), len(b.Elems))
	}
	for i := range a.Elems {
		ea, eb := a.Elems[i].Elems, b.Elems[i].Elems
		if len(ea) != len(eb) || len(ea) < 3 {
			return fmt.Sprintf("%s[%d]: source %s, target %s", path, i, render(a.Elems[i]), render(b.Elems[i]))
		}
		t := len(ea) - 2
		for j := range ea {
			if j == t {
				if d := diffTime(fmt.Sprintf("%s[%d] delivery time", path, i), ea[j], eb[j], tol); d != "" {
					return d
				}
			} else if !sameValue(ea[j], eb[j]) {
				return fmt.Sprintf("%s[%d]: source %s, target %s", path, i, render(a.Elems[i]), render(b.Elems[i]))
			}
		}
	}
	return ""
}

func diffTime(path string, a, b resp.Value, tol int64) string {
	if d := a.Int - b.Int; d > tol || d < -tol {
		return fmt.Sprintf("%s: source %d, target %d", path, a.Int, b.Int)
	}
	return ""
}

func sameValue(a, b resp.Value) bool {
	if a.Kind != b.Kind || a.Null != b.Null || a.Int != b.Int || !bytes.Equal(a.Str, b.Str) || len(a.Elems) != len(b.Elems) {
		return false
	}
	for i := range a.Elems {
		if !sameValue(a.Elems[i], b.Elems[i]) {
			return false
		}
	}
	return true
}

func render(v resp.Value) string {
	switch {
	case v.Null:
		return "(nil)"
	case v.Kind == resp.Integer:
		return strconv.FormatInt(v.Int, 10)
	case v.Kind == resp.Array:
		var b bytes.Buffer
		b.WriteByte('[')
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(render(e))
		}
		b.WriteByte(']')
		return short(b.Bytes())
	}
	return short(v.Str)
}
