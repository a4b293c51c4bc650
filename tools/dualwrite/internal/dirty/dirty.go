// Package dirty implements the protocol that keeps a backfill from
// overwriting newer data written through the proxy.
//
// While a backfill (sync, or verify --fix) runs it keeps its own field in
// the hash FlagKey on the target, holding the time (Unix ms) until which it
// is alive; it renews it every FlagTTL/6 and removes only its own field
// when it ends, so concurrent backfills never end each other's protection.
// Every proxy polls the hash; while any field is alive, a proxy adds each
// key it writes to the set SetKey on the target, after titan applied the
// write. The backfill copies keys by overwriting, and after its scan it
// drains SetKey: it moves a batch of keys to a processing set of its own,
// copies them again from Redis, and only then removes them from the
// processing set, so a crash in the middle loses no mark (the next drain
// takes the processing sets of dead owners back first). A write that raced
// with any copy of a key is applied to both sides before its mark appears,
// and the mark appears after the copy's read, so the key is copied again
// after that write: the final copy of every key reflects all writes to it.
package dirty

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/copier"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
)

// Reserved keys on the target.
const (
	SetKey  = copier.ReservedPrefix + "dirty"
	FlagKey = copier.ReservedPrefix + "backfill"
	// processingPrefix + owner is the set of keys an owner is copying.
	processingPrefix = copier.ReservedPrefix + "dirty-processing:"
)

// Timing of the protocol.
const (
	// PollInterval is how often proxies re-read FlagKey.
	PollInterval = time.Second
	// FlagTTL bounds how long a crashed backfill keeps proxies marking.
	FlagTTL = 60 * time.Second
	// Settle is how long a backfill waits after raising or before
	// lowering the flag: longer than PollInterval plus a proxy's titan
	// round trip, so every proxy has seen the change.
	Settle = 3 * time.Second
)

// MarkCmd returns the command that records keys as dirty.
func MarkCmd(keys [][]byte) [][]byte {
	return append([][]byte{[]byte("SADD"), []byte(SetKey)}, keys...)
}

func do(ctx context.Context, titan *resp.Pool, what string, args ...[]byte) (resp.Value, error) {
	v, err := titan.Do(ctx, args...)
	if err != nil {
		return v, fmt.Errorf("%s: %w", what, err)
	}
	if v.IsError() {
		return v, fmt.Errorf("%s: %s", what, v.Str)
	}
	return v, nil
}

// Active reports whether any backfill is alive according to the fields of
// FlagKey.
func Active(ctx context.Context, titan *resp.Pool) (bool, error) {
	owners, err := owners(ctx, titan)
	if err != nil {
		return false, err
	}
	now := time.Now().UnixMilli()
	for _, until := range owners {
		if until > now {
			return true, nil
		}
	}
	return false, nil
}

// owners returns each owner's alive-until time.
func owners(ctx context.Context, titan *resp.Pool) (map[string]int64, error) {
	v, err := do(ctx, titan, "read backfill flag", resp.Args("HGETALL", FlagKey)...)
	if err != nil {
		return nil, err
	}
	return ownerTimes(v), nil
}

// ownerTimes parses the reply of HGETALL FlagKey.
func ownerTimes(v resp.Value) map[string]int64 {
	out := map[string]int64{}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		n, _ := strconv.ParseInt(string(v.Elems[i+1].Str), 10, 64)
		out[string(v.Elems[i].Str)] = n
	}
	return out
}

// Poll calls set with whether a backfill is active every PollInterval
// (a quarter of it while one is, so drains get their flushes quickly)
// until ctx ends, and reports each successful poll: to polled, and to the
// other backfills as proxy id's beat (see AwaitProxies). flush is given
// the flushes alive backfills ask for (owner: nonce; see AwaitFlush) and
// returns the ones done. Errors leave the previous state in place.
func Poll(ctx context.Context, titan *resp.Pool, log *slog.Logger, id string, set func(bool), polled func(), flush func(map[string]string) []string) {
	for {
		c, cancel := context.WithTimeout(ctx, PollInterval)
		active := false
		vs, err := titan.Pipeline(c, [][][]byte{resp.Args("HGETALL", FlagKey), resp.Args("HGETALL", FlushKey)})
		if err == nil {
			for _, v := range vs {
				if v.IsError() {
					err = fmt.Errorf("read backfill flag: %s", v.Str)
				}
			}
		}
		if err == nil {
			now := time.Now().UnixMilli()
			var alive []string
			for o, until := range ownerTimes(vs[0]) {
				if until > now {
					alive = append(alive, o)
				}
			}
			active = len(alive) > 0
			set(active)
			var acks []string
			if reqs := FlushRequests(vs[1]); len(reqs) > 0 && flush != nil {
				for o := range reqs {
					if !slices.Contains(alive, o) {
						delete(reqs, o)
					}
				}
				acks = flush(reqs)
			}
			if _, err = titan.Pipeline(c, BeatCmds(id, alive, acks...)); err == nil {
				polled()
			}
		}
		cancel()
		if err != nil && ctx.Err() == nil {
			log.Debug("poll backfill flag", "err", err)
		}
		wait := PollInterval
		if active {
			wait /= 4
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Owner names a backfill in FlagKey: what it is, where it runs, since when.
func Owner(what string) string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s:%d:%s", what, host, os.Getpid(), time.Now().UTC().Format("20060102T150405.000"))
}

// Raise sets (or renews) owner's field of FlagKey.
func Raise(ctx context.Context, titan *resp.Pool, owner string) error {
	until := strconv.FormatInt(time.Now().Add(FlagTTL).UnixMilli(), 10)
	if _, err := do(ctx, titan, "raise backfill flag", resp.Args("HSET", FlagKey, owner, until)...); err != nil {
		return err
	}
	_, err := do(ctx, titan, "raise backfill flag", resp.Args("PEXPIRE", FlagKey, strconv.FormatInt(FlagTTL.Milliseconds(), 10))...)
	return err
}

// Lower removes owner's field of FlagKey (and its flush request); other
// backfills stay protected.
func Lower(ctx context.Context, titan *resp.Pool, owner string) error {
	_, err := do(ctx, titan, "lower backfill flag", resp.Args("HDEL", FlagKey, owner)...)
	if err == nil {
		err = EndFlush(ctx, titan, owner)
	}
	return err
}

// Taker takes dirty keys for one owner, crash-safely.
type Taker struct {
	Titan *resp.Pool
	Owner string
}

func (t Taker) processing() []byte { return []byte(processingPrefix + t.Owner) }

// Recover puts back into SetKey the keys that owners no longer alive (or
// an earlier run of this owner) were copying when they stopped.
func (t Taker) Recover(ctx context.Context) (int64, error) {
	alive, err := owners(ctx, t.Titan)
	if err != nil {
		return 0, err
	}
	now := time.Now().UnixMilli()
	var moved int64
	cursor := "0"
	for {
		v, err := do(ctx, t.Titan, "find processing sets", resp.Args("SCAN", cursor, "MATCH", processingPrefix+"*", "COUNT", "1000")...)
		if err != nil {
			return moved, err
		}
		if len(v.Elems) != 2 {
			return moved, fmt.Errorf("find processing sets: unexpected reply %v", v)
		}
		for _, k := range v.Elems[1].Elems {
			owner := string(bytes.TrimPrefix(k.Str, []byte(processingPrefix)))
			if owner != t.Owner && alive[owner] > now {
				continue
			}
			n, err := do(ctx, t.Titan, "recover processing set", [][]byte{[]byte("SCARD"), k.Str}...)
			if err != nil {
				return moved, err
			}
			if _, err := do(ctx, t.Titan, "recover processing set", [][]byte{[]byte("SUNIONSTORE"), []byte(SetKey), []byte(SetKey), k.Str}...); err != nil {
				return moved, err
			}
			if _, err := do(ctx, t.Titan, "recover processing set", [][]byte{[]byte("DEL"), k.Str}...); err != nil {
				return moved, err
			}
			moved += n.Int
		}
		if cursor = string(v.Elems[0].Str); cursor == "0" {
			return moved, nil
		}
	}
}

// Take moves up to n dirty keys into the owner's processing set and
// returns them. Call Done once they are copied.
func (t Taker) Take(ctx context.Context, n int) ([][]byte, error) {
	v, err := do(ctx, t.Titan, "take dirty keys", resp.Args("SRANDMEMBER", SetKey, strconv.Itoa(n))...)
	if err != nil || len(v.Elems) == 0 {
		return nil, err
	}
	cmds := make([][][]byte, len(v.Elems))
	for i, e := range v.Elems {
		cmds[i] = [][]byte{[]byte("SMOVE"), []byte(SetKey), t.processing(), e.Str}
	}
	vs, err := t.Titan.Pipeline(ctx, cmds)
	if err != nil {
		return nil, fmt.Errorf("take dirty keys: %w", err)
	}
	keys := make([][]byte, 0, len(vs))
	for i, r := range vs {
		if r.Int == 1 { // another drainer may have taken it first
			keys = append(keys, v.Elems[i].Str)
		}
	}
	return keys, nil
}

// Done forgets keys taken with Take, once copied.
func (t Taker) Done(ctx context.Context, keys [][]byte) error {
	if len(keys) == 0 {
		return nil
	}
	_, err := do(ctx, t.Titan, "finish dirty keys", append([][]byte{[]byte("SREM"), t.processing()}, keys...)...)
	return err
}

// Count returns the number of dirty keys.
func Count(ctx context.Context, titan *resp.Pool) (int64, error) {
	v, err := do(ctx, titan, "count dirty keys", resp.Args("SCARD", SetKey)...)
	return v.Int, err
}
