// Package copier reads Redis keys of the six data types (string, hash,
// list, set, sorted set, stream) together with their TTL, and writes them
// to another server so the destination key ends up equal to the source
// key. The first five are read and written with type-specific commands;
// streams with DUMP and RESTORE (stream.go).
//
// Collections are read page by page (HSCAN/SSCAN/ZSCAN/LRANGE) and written
// with multi-element HSET/RPUSH/SADD/ZADD commands of at most one page.
// Readers of the destination never observe a half-copied key: keys read
// in one page are written together in one MULTI/EXEC (DEL, then the
// elements), larger collections are assembled in a temporary key that is
// RENAMEd over the destination once complete. Expiries are written as
// absolute times (PXAT, PEXPIREAT), so a write the destination applies
// late still expires with the source key.
package copier

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
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

// TmpPrefix starts every temporary key.
const TmpPrefix = ReservedPrefix + "tmp:"

// tmpTTL bounds the life of a temporary key whose copier died: each page
// written renews it, the final RENAME replaces it with the key's own TTL.
const tmpTTL = time.Hour

// NewID returns a random copier ID (16 hex digits).
func NewID() string {
	var id [8]byte
	rand.Read(id[:])
	return hex.EncodeToString(id[:])
}

// tmpKey returns a temporary key to assemble key in, unique to this copy
// so that concurrent copiers of one key (sync, verify --fix, the proxy's
// repairs) never write into each other's: TmpPrefix, the copier's ID (if
// any), a random ID, then the key.
func (c *Copier) tmpKey(key []byte) []byte {
	tmp := []byte(TmpPrefix)
	if c.ID != "" {
		tmp = append(append(tmp, c.ID...), ':')
	}
	tmp = append(append(tmp, NewID()...), ':')
	return append(tmp, key...)
}

// DeleteTemporary deletes the temporary keys of the copier id (one that
// stopped without cleaning up) from dst and returns how many it deleted.
func DeleteTemporary(ctx context.Context, dst Pipeliner, id string) (int, error) {
	if id == "" {
		return 0, nil
	}
	deleted, cursor := 0, "0"
	for {
		vs, err := dst.Pipeline(ctx, [][][]byte{args("SCAN", cursor, "MATCH", TmpPrefix+id+":*", "COUNT", 1000)})
		if err != nil {
			return deleted, fmt.Errorf("find temporary keys: %w", err)
		}
		v := vs[0]
		if v.IsError() || len(v.Elems) != 2 {
			return deleted, fmt.Errorf("find temporary keys: unexpected reply %v", v)
		}
		if keys := elems(v.Elems[1]); len(keys) > 0 {
			if err := exec(ctx, dst, [][][]byte{append(args("DEL"), keys...)}); err != nil {
				return deleted, err
			}
			deleted += len(keys)
		}
		if cursor = string(v.Elems[0].Str); cursor == "0" {
			return deleted, nil
		}
	}
}

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
	TypeStream = "stream"
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
	Dump   []byte   // stream: DUMP payload
	// Info is a stream's XINFO STREAM FULL, read by ReadFull only.
	Info resp.Value
	// Cursor is the SCAN cursor (hash, set, zset) or the next LRANGE offset
	// (list) of the next page; "" when Items holds the whole value.
	Cursor string
	// rest holds the pages after Items of a value read whole (from a DUMP).
	rest [][]byte
}

// Complete reports whether the snapshot holds the whole value.
func (s *Snapshot) Complete() bool { return s.Cursor == "" }

// Copier copies keys page by page. Page is the number of elements per
// read or write command.
type Copier struct {
	Page int
	// ID, when set, is part of every temporary key's name (see
	// DeleteTemporary). Only hex digits and dashes.
	ID string
	// Progress, when set, is called after each page of a large collection
	// is written with the key and the number of elements in the page.
	Progress func(key []byte, elements int)
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
		case TypeStream:
			cmds = append(cmds, args("DUMP", k))
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
		case TypeStream:
			if err := s.takeDump(v); err != nil {
				return nil, err
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
	if s.rest != nil {
		s.Items, s.rest, s.Cursor = s.rest, nil, ""
		c.splitPages(s)
		return nil
	}
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
	if err := c.readStreamInfo(ctx, r, snaps); err != nil {
		return nil, err
	}
	return snaps, nil
}

// expireAt is the absolute expiry (Unix milliseconds) to set on the
// destination: the source's PTTL counted from the moment it was read, so a
// write that reaches the destination late, or is retried, still expires
// when the source key does. It is 0 for keys without a TTL.
func (s *Snapshot) expireAt() int64 {
	if s.PTTL < 0 {
		return 0
	}
	return s.ReadAt.UnixMilli() + s.PTTL
}

// expired reports whether the key's TTL ran out by now.
func (s *Snapshot) expired(now time.Time) bool {
	at := s.expireAt()
	return at != 0 && at <= now.UnixMilli()
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
//
// Keys read completely are written in one MULTI/EXEC: strings with SET,
// collections with DEL plus multi-element HSET/RPUSH/SADD/ZADD, TTLs as
// absolute PXAT/PEXPIREAT. Readers of dst see each key either as before
// or as copied, and the destination runs the whole batch as one
// transaction. Larger collections are streamed (see writeBig).
func (c *Copier) Write(ctx context.Context, src, dst Pipeliner, snaps []*Snapshot) (int, error) {
	var cmds [][][]byte
	var big []*Snapshot
	written := 0
	now := time.Now()
	for _, s := range snaps {
		if s.Type == TypeNone || s.expired(now) {
			cmds = append(cmds, args("DEL", s.Key))
			continue
		}
		if !s.Complete() {
			big = append(big, s)
			continue
		}
		written++
		at := s.expireAt()
		if s.Type == TypeStream {
			cmds = append(cmds, s.restoreCmd(s.Key))
			continue
		}
		if s.Type == TypeString {
			if at > 0 {
				cmds = append(cmds, args("SET", s.Key, s.Str, "PXAT", at))
			} else {
				cmds = append(cmds, args("SET", s.Key, s.Str))
			}
			continue
		}
		cmds = append(cmds, args("DEL", s.Key))
		cmds = c.writeItemsCmds(cmds, s.Type, s.Key, s.Items)
		if at > 0 {
			cmds = append(cmds, args("PEXPIREAT", s.Key, at))
		}
	}
	if err := execAtomic(ctx, dst, cmds); err != nil {
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

// writeBig streams a large collection into a temporary key of its own page
// by page, sets its expiry there and renames it into place (RENAME keeps
// the TTL), so readers never see a partial value or the value without its
// TTL. The temporary key expires by itself if the copy is abandoned.
// Progress, when set, is told of every page written.
func (c *Copier) writeBig(ctx context.Context, src, dst Pipeliner, s *Snapshot) (_ bool, err error) {
	tmp := c.tmpKey(s.Key)
	defer func() {
		if err != nil {
			// Best effort: the TTL removes it otherwise.
			exec(context.WithoutCancel(ctx), dst, [][][]byte{args("DEL", tmp)})
		}
	}()
	var cmds [][][]byte
	for {
		cmds = c.writeItemsCmds(cmds, s.Type, tmp, s.Items)
		cmds = append(cmds, args("PEXPIRE", tmp, tmpTTL.Milliseconds()))
		if err := exec(ctx, dst, cmds); err != nil {
			return false, err
		}
		if c.Progress != nil {
			n := len(s.Items)
			if s.Type == TypeHash || s.Type == TypeZSet {
				n /= 2 // field, value or member, score
			}
			c.Progress(s.Key, n)
		}
		cmds = cmds[:0]
		if s.Complete() {
			break
		}
		if err := c.NextPage(ctx, src, s); err != nil {
			return false, err
		}
	}
	if s.expired(time.Now()) {
		return false, exec(ctx, dst, [][][]byte{args("DEL", tmp), args("DEL", s.Key)})
	}
	if at := s.expireAt(); at > 0 {
		cmds = append(cmds, args("PEXPIREAT", tmp, at))
	} else {
		cmds = append(cmds, args("PERSIST", tmp))
	}
	cmds = append(cmds, args("RENAME", tmp, s.Key))
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
			return cmdErr(cmds[i], v)
		}
	}
	return nil
}

// execAtomic runs cmds as one MULTI/EXEC transaction (a single command
// needs none) and turns the first error, whether reported when queueing
// or by EXEC, into an error.
func execAtomic(ctx context.Context, p Pipeliner, cmds [][][]byte) error {
	if len(cmds) <= 1 {
		return exec(ctx, p, cmds)
	}
	tx := make([][][]byte, 0, len(cmds)+2)
	tx = append(tx, args("MULTI"))
	tx = append(tx, cmds...)
	tx = append(tx, args("EXEC"))
	vs, err := p.Pipeline(ctx, tx)
	if err != nil {
		return fmt.Errorf("write target: %w", err)
	}
	// Queueing errors (unknown command, arity) come first and make EXEC
	// fail as a whole; report the command that caused them.
	for i, v := range vs[:len(vs)-1] {
		if v.IsError() {
			return cmdErr(tx[i], v)
		}
	}
	res := vs[len(vs)-1]
	if res.IsError() || res.Kind != resp.Array || res.Null || len(res.Elems) != len(cmds) {
		return fmt.Errorf("write target: EXEC: unexpected reply %v", res)
	}
	for i, v := range res.Elems {
		if v.IsError() {
			return cmdErr(cmds[i], v)
		}
	}
	return nil
}

func cmdErr(cmd [][]byte, v resp.Value) error {
	if len(cmd) < 2 {
		return fmt.Errorf("write target: %s: %s", cmd[0], v.Str)
	}
	return fmt.Errorf("write target: %s %q: %s", cmd[0], cmd[1], v.Str)
}
