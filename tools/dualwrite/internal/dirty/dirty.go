// Package dirty implements the protocol that keeps a backfill from
// overwriting newer data written through the proxy.
//
// While a backfill (sync, or verify --fix) runs it keeps FlagKey set on
// the target with a short TTL. Every proxy polls the flag; while it is set,
// a proxy adds each key it writes to the set SetKey on the target, after
// both Redis and titan have applied the write. The backfill copies keys by
// overwriting, and after its scan it drains SetKey: SPOP a key, copy it
// again from Redis. A write that raced with any copy of a key is applied to
// both sides before its mark appears, and the mark appears after the
// copy's read, so the key is copied again after that write: the final copy
// of every key reflects all writes to it.
package dirty

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/copier"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
)

// Reserved keys on the target.
const (
	SetKey  = copier.ReservedPrefix + "dirty"
	FlagKey = copier.ReservedPrefix + "backfill"
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

// Poll calls set with the state of FlagKey every PollInterval until ctx
// ends. Errors leave the previous state in place.
func Poll(ctx context.Context, titan *resp.Pool, log *slog.Logger, set func(bool)) {
	t := time.NewTicker(PollInterval)
	defer t.Stop()
	for {
		c, cancel := context.WithTimeout(ctx, PollInterval)
		v, err := titan.Do(c, []byte("EXISTS"), []byte(FlagKey))
		cancel()
		if err == nil && !v.IsError() {
			set(v.Int == 1)
		} else if ctx.Err() == nil {
			log.Debug("poll backfill flag", "err", err, "reply", v.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Raise sets FlagKey (refreshing its TTL) with a description of the owner.
func Raise(ctx context.Context, titan *resp.Pool, owner string) error {
	v, err := titan.Do(ctx, []byte("SET"), []byte(FlagKey), []byte(owner), []byte("PX"), fmt.Appendf(nil, "%d", FlagTTL.Milliseconds()))
	if err != nil {
		return fmt.Errorf("raise backfill flag: %w", err)
	}
	if v.IsError() {
		return fmt.Errorf("raise backfill flag: %s", v.Str)
	}
	return nil
}

// Lower deletes FlagKey.
func Lower(ctx context.Context, titan *resp.Pool) error {
	if _, err := titan.Do(ctx, []byte("DEL"), []byte(FlagKey)); err != nil {
		return fmt.Errorf("lower backfill flag: %w", err)
	}
	return nil
}

// Pop removes and returns up to n dirty keys.
func Pop(ctx context.Context, titan *resp.Pool, n int) ([][]byte, error) {
	v, err := titan.Do(ctx, []byte("SPOP"), []byte(SetKey), fmt.Appendf(nil, "%d", n))
	if err != nil {
		return nil, fmt.Errorf("pop dirty keys: %w", err)
	}
	if v.IsError() {
		return nil, fmt.Errorf("pop dirty keys: %s", v.Str)
	}
	keys := make([][]byte, 0, len(v.Elems))
	for _, e := range v.Elems {
		keys = append(keys, e.Str)
	}
	return keys, nil
}

// Count returns the number of dirty keys.
func Count(ctx context.Context, titan *resp.Pool) (int64, error) {
	v, err := titan.Do(ctx, []byte("SCARD"), []byte(SetKey))
	if err != nil {
		return 0, fmt.Errorf("count dirty keys: %w", err)
	}
	return v.Int, nil
}
