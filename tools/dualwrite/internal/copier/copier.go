// Package copier reads Redis keys of the five data types (string, hash,
// list, set, sorted set) together with their TTL using type-specific
// commands only (no DUMP/RESTORE), and writes them to another server so the
// destination key ends up equal to the source key.
//
// Collections are read page by page (HSCAN/SSCAN/ZSCAN/LRANGE) and written
// into a temporary key that is RENAMEd over the destination once complete,
// so readers of the destination never observe a half-copied collection.
package copier

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
)

// ReservedPrefix marks keys dualwrite itself keeps on the target (dirty
// set, backfill flag, temporary keys). They are never copied or verified.
const ReservedPrefix = "__dualwrite:"

// IsReserved reports whether key belongs to dualwrite's bookkeeping.
func IsReserved(key []byte) bool { return bytes.HasPrefix(key, []byte(ReservedPrefix)) }

// TmpKey returns the temporary key a collection is assembled in.
func TmpKey(key []byte) []byte { return append([]byte(ReservedPrefix+"tmp:"), key...) }

// Pipeliner sends several commands in one round trip.
type Pipeliner interface {
	Pipeline(ctx context.Context, cmds [][][]byte) ([]resp.Value, error)
}

// Key types as reported by TYPE.
const (
	TypeNone   = "none"
	TypeString = "string"
	TypeHash   = "hash"
	TypeList   = "list"
	TypeSet    = "set"
	TypeZSet   = "zset"
)

// Snapshot is what was read of one key: its type, TTL and (the first page
// of) its value.
type Snapshot struct {
	Key    []byte
	Type   string
	PTTL   int64 // milliseconds to live; -1 when the key has no expiry
	ReadAt time.Time
	Str    []byte   // string value
	Items  [][]byte // hash: field,value...; zset: member,score...; list, set: elements
	Len    int64    // list length (lists only)
	// Cursor is the SCAN cursor (hash, set, zset) or the next LRANGE offset
	// (list) of the next page; "" when Items holds the whole value.
	Cursor string
}

// Complete reports whether the snapshot holds the whole value.
func (s *Snapshot) Complete() bool { return s.Cursor == "" }

// Copier copies keys page by page. Page is the number of elements per
// read or write command.
type Copier struct {
	Page int
}

func (c *Copier) page() int {
	if c.Page <= 0 {
		return 512
	}
	return c.Page
}

func args(parts ...any) [][]byte {
	out := make([][]byte, 0, len(parts))
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			out = append(out, []byte(v))
		case []byte:
			out = append(out, v)
		case int:
			out = append(out, strconv.AppendInt(nil, int64(v), 10))
		case int64:
			out = append(out, strconv.AppendInt(nil, v, 10))
		default:
			panic(fmt.Sprintf("copier: unsupported arg %T", p))
		}
	}
	return out
}

func replyErr(what string, key []byte, v resp.Value) error {
	return fmt.Errorf("%s %q: %s", what, key, v.Str)
}

// Read reads type, TTL and the first page of each key in two round trips.
func (c *Copier) Read(ctx context.Context, r Pipeliner, keys [][]byte) ([]*Snapshot, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	cmds := make([][][]byte, 0, 2*len(keys))
	for _, k := range keys {
		cmds = append(cmds, args("TYPE", k), args("PTTL", k))
	}
	vs, err := r.Pipeline(ctx, cmds)
	if err != nil {
		return nil, fmt.Errorf("read type/ttl: %w", err)
	}
	now := time.Now()
	snaps := make([]*Snapshot, len(keys))
	cmds = cmds[:0]
	var which []int
	for i, k := range keys {
		t, ttl := vs[2*i], vs[2*i+1]
		if t.IsError() {
			return nil, replyErr("TYPE", k, t)
		}
		if ttl.IsError() {
			return nil, replyErr("PTTL", k, ttl)
		}
		s := &Snapshot{Key: k, Type: string(t.Str), PTTL: ttl.Int, ReadAt: now}
		if s.PTTL == -2 {
			s.Type = TypeNone
		}
		if s.PTTL < 0 {
			s.PTTL = -1
		}
		snaps[i] = s
		switch s.Type {
		case TypeNone:
			continue
		case TypeString:
			cmds = append(cmds, args("GET", k))
		case TypeList:
			cmds = append(cmds, args("LLEN", k), args("LRANGE", k, 0, c.page()-1))
		case TypeHash:
			cmds = append(cmds, args("HSCAN", k, "0", "COUNT", c.page()))
		case TypeSet:
			cmds = append(cmds, args("SSCAN", k, "0", "COUNT", c.page()))
		case TypeZSet:
			cmds = append(cmds, args("ZSCAN", k, "0", "COUNT", c.page()))
		default:
			return nil, fmt.Errorf("key %q has unsupported type %q", k, s.Type)
		}
		which = append(which, i)
	}
	if len(cmds) == 0 {
		return snaps, nil
	}
	vs, err = r.Pipeline(ctx, cmds)
	if err != nil {
		return nil, fmt.Errorf("read values: %w", err)
	}
	j := 0
	for _, i := range which {
		s := snaps[i]
		v := vs[j]
		j++
		switch s.Type {
		case TypeString:
			if v.IsError() {
				return nil, replyErr("GET", s.Key, v)
			}
			if v.IsNil() {
				s.Type = TypeNone
			}
			s.Str = v.Str
		case TypeList:
			items := vs[j]
			j++
			if v.IsError() || items.IsError() {
				// The key changed type between the two round trips: the
				// caller will see a WRONGTYPE-free retry via the dirty set
				// or verify; report it as an error for now.
				return nil, fmt.Errorf("read list %q: %s%s", s.Key, v.Str, items.Str)
			}
			s.Len = v.Int
			s.Items = elems(items)
			if v.Int == 0 {
				s.Type = TypeNone
			} else if int64(len(s.Items)) < v.Int {
				s.Cursor = strconv.Itoa(len(s.Items))
			}
		default:
			if err := s.takeScanPage(v); err != nil {
				return nil, err
			}
			if s.Cursor == "" && len(s.Items) == 0 {
				s.Type = TypeNone
			}
		}
	}
	return snaps, nil
}

func elems(v resp.Value) [][]byte {
	out := make([][]byte, len(v.Elems))
	for i, e := range v.Elems {
		out[i] = e.Str
	}
	return out
}

// takeScanPage stores one HSCAN/SSCAN/ZSCAN reply.
func (s *Snapshot) takeScanPage(v resp.Value) error {
	if v.IsError() || len(v.Elems) != 2 {
		return fmt.Errorf("scan %s %q: unexpected reply %v", s.Type, s.Key, v)
	}
	s.Items = elems(v.Elems[1])
	s.Cursor = string(v.Elems[0].Str)
	if s.Cursor == "0" {
		s.Cursor = ""
	}
	return nil
}

// NextPage replaces s.Items with the next page of the value.
func (c *Copier) NextPage(ctx context.Context, r Pipeliner, s *Snapshot) error {
	var cmd [][]byte
	switch s.Type {
	case TypeList:
		off, _ := strconv.Atoi(s.Cursor)
		cmd = args("LRANGE", s.Key, off, off+c.page()-1)
	case TypeHash:
		cmd = args("HSCAN", s.Key, s.Cursor, "COUNT", c.page())
	case TypeSet:
		cmd = args("SSCAN", s.Key, s.Cursor, "COUNT", c.page())
	case TypeZSet:
		cmd = args("ZSCAN", s.Key, s.Cursor, "COUNT", c.page())
	default:
		return fmt.Errorf("next page of %s %q", s.Type, s.Key)
	}
	vs, err := r.Pipeline(ctx, [][][]byte{cmd})
	if err != nil {
		return fmt.Errorf("read page of %q: %w", s.Key, err)
	}
	if s.Type != TypeList {
		return s.takeScanPage(vs[0])
	}
	if vs[0].IsError() {
		return replyErr("LRANGE", s.Key, vs[0])
	}
	s.Items = elems(vs[0])
	off, _ := strconv.Atoi(s.Cursor)
	off += len(s.Items)
	if len(s.Items) == 0 || int64(off) >= s.Len {
		s.Cursor = ""
	} else {
		s.Cursor = strconv.Itoa(off)
	}
	return nil
}

// ReadFull reads keys completely (all pages), for comparisons.
func (c *Copier) ReadFull(ctx context.Context, r Pipeliner, keys [][]byte) ([]*Snapshot, error) {
	snaps, err := c.Read(ctx, r, keys)
	if err != nil {
		return nil, err
	}
	for _, s := range snaps {
		all := s.Items
		for !s.Complete() {
			if err := c.NextPage(ctx, r, s); err != nil {
				return nil, err
			}
			all = append(all, s.Items...)
		}
		s.Items = all
	}
	return snaps, nil
}

// remainingTTL is the TTL to set on the destination, accounting for the
// time since the source was read. ok is false when the key has expired.
func (s *Snapshot) remainingTTL(now time.Time) (ms int64, ok bool) {
	if s.PTTL < 0 {
		return -1, true
	}
	ms = s.PTTL - now.Sub(s.ReadAt).Milliseconds()
	return ms, ms > 0
}

// writeItemsCmds appends commands adding items to key, at most page
// elements per command.
func (c *Copier) writeItemsCmds(cmds [][][]byte, typ string, key []byte, items [][]byte) [][][]byte {
	step := c.page()
	if typ == TypeHash || typ == TypeZSet {
		step *= 2
	}
	for lo := 0; lo < len(items); lo += step {
		hi := min(lo+step, len(items))
		chunk := items[lo:hi]
		var cmd [][]byte
		switch typ {
		case TypeHash:
			cmd = append(args("HSET", key), chunk...)
		case TypeList:
			cmd = append(args("RPUSH", key), chunk...)
		case TypeSet:
			cmd = append(args("SADD", key), chunk...)
		case TypeZSet:
			cmd = args("ZADD", key)
			for i := 0; i+1 < len(chunk); i += 2 {
				cmd = append(cmd, chunk[i+1], chunk[i]) // score, member
			}
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}

// Copy reads keys from src and makes dst hold the same values and TTLs.
// Keys missing (or expired) on src are deleted on dst. It returns the
// number of keys that exist on src and were written.
func (c *Copier) Copy(ctx context.Context, src, dst Pipeliner, keys [][]byte) (int, error) {
	snaps, err := c.Read(ctx, src, keys)
	if err != nil {
		return 0, fmt.Errorf("read source: %w", err)
	}
	return c.Write(ctx, src, dst, snaps)
}

// Write writes snapshots produced by Read to dst, fetching the remaining
// pages of large collections from src.
func (c *Copier) Write(ctx context.Context, src, dst Pipeliner, snaps []*Snapshot) (int, error) {
	var cmds [][][]byte
	var big []*Snapshot
	written := 0
	now := time.Now()
	for _, s := range snaps {
		ttl, alive := s.remainingTTL(now)
		if s.Type == TypeNone || !alive {
			cmds = append(cmds, args("DEL", s.Key))
			continue
		}
		if !s.Complete() {
			big = append(big, s)
			continue
		}
		written++
		if s.Type == TypeString {
			if ttl > 0 {
				cmds = append(cmds, args("SET", s.Key, s.Str, "PX", ttl))
			} else {
				cmds = append(cmds, args("SET", s.Key, s.Str))
			}
			continue
		}
		tmp := TmpKey(s.Key)
		cmds = append(cmds, args("DEL", tmp))
		cmds = c.writeItemsCmds(cmds, s.Type, tmp, s.Items)
		cmds = append(cmds, args("RENAME", tmp, s.Key))
		if ttl > 0 {
			cmds = append(cmds, args("PEXPIRE", s.Key, ttl))
		}
	}
	if err := exec(ctx, dst, cmds); err != nil {
		return 0, err
	}
	for _, s := range big {
		ok, err := c.writeBig(ctx, src, dst, s)
		if err != nil {
			return written, err
		}
		if ok {
			written++
		}
	}
	return written, nil
}

// writeBig streams a large collection into its temporary key page by page
// and renames it into place.
func (c *Copier) writeBig(ctx context.Context, src, dst Pipeliner, s *Snapshot) (bool, error) {
	tmp := TmpKey(s.Key)
	cmds := [][][]byte{args("DEL", tmp)}
	for {
		cmds = c.writeItemsCmds(cmds, s.Type, tmp, s.Items)
		if err := exec(ctx, dst, cmds); err != nil {
			return false, err
		}
		cmds = cmds[:0]
		if s.Complete() {
			break
		}
		if err := c.NextPage(ctx, src, s); err != nil {
			return false, err
		}
	}
	ttl, alive := s.remainingTTL(time.Now())
	if !alive {
		return false, exec(ctx, dst, [][][]byte{args("DEL", tmp), args("DEL", s.Key)})
	}
	cmds = append(cmds, args("RENAME", tmp, s.Key))
	if ttl > 0 {
		cmds = append(cmds, args("PEXPIRE", s.Key, ttl))
	}
	return true, exec(ctx, dst, cmds)
}

// exec runs cmds on p and turns the first error reply into an error.
func exec(ctx context.Context, p Pipeliner, cmds [][][]byte) error {
	if len(cmds) == 0 {
		return nil
	}
	vs, err := p.Pipeline(ctx, cmds)
	if err != nil {
		return fmt.Errorf("write target: %w", err)
	}
	for i, v := range vs {
		if v.IsError() {
			return fmt.Errorf("write target: %s %q: %s", cmds[i][0], cmds[i][1], v.Str)
		}
	}
	return nil
}
