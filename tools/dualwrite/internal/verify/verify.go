// Package verify compares every key of the sharded Redis source with titan
// (type, value, TTL within a tolerance), reports differences and can copy
// the source version over them.
package verify

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/copier"
	"github.com/titan-kv/titan/tools/dualwrite/internal/dirty"
	"github.com/titan-kv/titan/tools/dualwrite/internal/keyscan"
	"github.com/titan-kv/titan/tools/dualwrite/internal/metrics"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/retry"
	"github.com/titan-kv/titan/tools/dualwrite/internal/source"
	"github.com/titan-kv/titan/tools/dualwrite/internal/syncer"
)

// Options configures a verification.
type Options struct {
	Source       source.Source
	Titan        *resp.Pool
	TTLTolerance time.Duration
	Fix          bool
	Workers      int       // concurrent comparison workers (see keyscan.Config)
	Batch        int       // SCAN COUNT (see keyscan.Config)
	Out          io.Writer // one line per difference
	Metrics      *metrics.Metrics
	Logger       *slog.Logger
	// Recheck is the delay before a differing key is compared again, to
	// leave out writes that were in flight through the proxy.
	Recheck time.Duration
	// Settle overrides dirty.Settle for --fix (tests).
	Settle time.Duration
}

// Result summarizes a verification.
type Result struct {
	Checked int64
	Differ  int64 // keys that still differed after the re-checks
	Fixed   int64
	// InFlight counts keys that differed at first and matched on a
	// re-check: writes on their way to titan, not differences.
	InFlight int64
}

// Run compares all keys. Errors are operational failures, not differences.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Recheck == 0 {
		o.Recheck = 200 * time.Millisecond
	}
	if o.Settle == 0 {
		o.Settle = dirty.Settle
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	v := &verifier{o: o, cp: copier.Copier{Page: 1024}}
	if o.Fix {
		// Fixes overwrite titan keys: use the backfill protocol so proxied
		// writes racing with a fix are re-copied afterwards.
		owner := dirty.Owner("verify-fix")
		if err := dirty.Raise(ctx, o.Titan, owner); err != nil {
			return Result{}, err
		}
		defer func() {
			c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			dirty.Lower(c, o.Titan, owner)
		}()
		flagCtx, stopFlag := context.WithCancel(ctx)
		defer stopFlag()
		go func() {
			t := time.NewTicker(dirty.FlagTTL / 6)
			defer t.Stop()
			for {
				select {
				case <-flagCtx.Done():
					return
				case <-t.C:
					dirty.Raise(flagCtx, o.Titan, owner)
				}
			}
		}()
		v.owner = owner
		if _, err := dirty.AwaitProxies(ctx, o.Titan, owner, o.Settle); err != nil {
			return Result{}, err
		}
	}
	err := keyscan.Run(ctx, keyscan.Config{Source: o.Source, Workers: o.Workers, Count: o.Batch}, v.check)
	if err == nil && o.Fix {
		_, _, err = syncer.Drain(ctx, o.Source, o.Titan, v.cp, o.Settle, 10, v.owner, o.Logger)
	}
	res := Result{Checked: v.checked.Load(), Differ: v.differ.Load(), Fixed: v.fixed.Load(), InFlight: v.inFlight.Load()}
	return res, err
}

type verifier struct {
	o     Options
	cp    copier.Copier
	owner string // backfill flag field of verify --fix

	outMu                  sync.Mutex
	checked, differ, fixed atomic.Int64
	inFlight               atomic.Int64
}

// compare reads keys on both sides and returns those that differ, with
// the reason.
func (v *verifier) compare(ctx context.Context, shard int, keys [][]byte) ([][]byte, []string, error) {
	src, err := v.cp.ReadFull(ctx, source.ShardPipe{Source: v.o.Source, Shard: shard}, keys)
	if err != nil {
		return nil, nil, fmt.Errorf("read source: %w", err)
	}
	dst, err := v.cp.ReadFull(ctx, v.o.Titan, keys)
	if err != nil {
		return nil, nil, fmt.Errorf("read titan: %w", err)
	}
	var bad [][]byte
	var why []string
	for i := range keys {
		if d := copier.Diff(src[i], dst[i], v.o.TTLTolerance); d != "" {
			bad = append(bad, keys[i])
			why = append(why, d)
		}
	}
	return bad, why, nil
}

func (v *verifier) check(ctx context.Context, b keyscan.Batch) error {
	if len(b.Keys) == 0 {
		return nil
	}
	bad, _, err := v.compare(ctx, b.Shard, b.Keys)
	if err != nil {
		return err
	}
	v.checked.Add(int64(len(b.Keys)))
	if v.o.Metrics != nil {
		v.o.Metrics.VerifyChecked.Add(float64(len(b.Keys)))
	}
	if len(bad) == 0 {
		return nil
	}
	// Compare again a few times, waiting longer each time: writes in
	// flight through the proxy (replayed on titan a moment after Redis)
	// make transient differences, which are counted apart.
	first := len(bad)
	var why []string
	for i, wait := range []time.Duration{v.o.Recheck, 2 * v.o.Recheck, 5 * v.o.Recheck} {
		if !retry.Sleep(ctx, wait) {
			return ctx.Err()
		}
		if bad, why, err = v.compare(ctx, b.Shard, bad); err != nil {
			return err
		}
		if len(bad) == 0 || i == 2 {
			break
		}
	}
	v.inFlight.Add(int64(first - len(bad)))
	if len(bad) == 0 {
		return nil
	}
	v.differ.Add(int64(len(bad)))
	if v.o.Metrics != nil {
		v.o.Metrics.VerifyDifferences.Add(float64(len(bad)))
	}
	v.outMu.Lock()
	for i, k := range bad {
		fmt.Fprintf(v.o.Out, "DIFF %s: %s\n", strconv.Quote(string(k)), why[i])
	}
	v.outMu.Unlock()
	if !v.o.Fix {
		return nil
	}
	if _, err := v.cp.Copy(ctx, source.ShardPipe{Source: v.o.Source, Shard: b.Shard}, v.o.Titan, bad); err != nil {
		return fmt.Errorf("fix: %w", err)
	}
	v.fixed.Add(int64(len(bad)))
	if v.o.Metrics != nil {
		v.o.Metrics.VerifyFixed.Add(float64(len(bad)))
	}
	return nil
}
