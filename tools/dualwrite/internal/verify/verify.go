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
	"github.com/titan-kv/titan/tools/dualwrite/internal/metrics"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/source"
	"github.com/titan-kv/titan/tools/dualwrite/internal/syncer"
)

// Options configures a verification.
type Options struct {
	Source       source.Source
	Titan        *resp.Pool
	TTLTolerance time.Duration
	Fix          bool
	Workers      int
	Batch        int
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
	Differ  int64 // keys that still differed on the second comparison
	Fixed   int64
}

// Run compares all keys. Errors are operational failures, not differences.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Batch <= 0 {
		o.Batch = 256
	}
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
		if err := dirty.Raise(ctx, o.Titan, "verify --fix"); err != nil {
			return Result{}, err
		}
		defer dirty.Lower(context.Background(), o.Titan)
		if !sleep(ctx, o.Settle) {
			return Result{}, ctx.Err()
		}
	}
	err := v.scan(ctx)
	if err == nil && o.Fix {
		_, _, err = syncer.Drain(ctx, o.Source, o.Titan, v.cp, o.Settle, 10, o.Logger)
	}
	res := Result{Checked: v.checked.Load(), Differ: v.differ.Load(), Fixed: v.fixed.Load()}
	return res, err
}

type verifier struct {
	o  Options
	cp copier.Copier

	outMu                  sync.Mutex
	checked, differ, fixed atomic.Int64
}

type batch struct {
	shard int
	keys  [][]byte
}

func (v *verifier) scan(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan batch, v.o.Workers)
	var scanners, workers sync.WaitGroup
	for i := range v.o.Source.Shards() {
		scanners.Add(1)
		go func() {
			defer scanners.Done()
			if err := v.scanShard(ctx, i, work); err != nil {
				cancel(err)
			}
		}()
	}
	for w := 0; w < v.o.Workers; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for b := range work {
				if ctx.Err() != nil {
					continue
				}
				if err := v.check(ctx, b); err != nil {
					cancel(err)
				}
			}
		}()
	}
	scanners.Wait()
	close(work)
	workers.Wait()
	return context.Cause(ctx)
}

func (v *verifier) scanShard(ctx context.Context, shard int, work chan<- batch) error {
	cursor := "0"
	addr := v.o.Source.Shards()[shard]
	for {
		vs, err := v.o.Source.ShardPipeline(ctx, shard, [][][]byte{{[]byte("SCAN"), []byte(cursor), []byte("COUNT"), []byte(strconv.Itoa(v.o.Batch))}})
		if err != nil {
			return fmt.Errorf("scan %s: %w", addr, err)
		}
		if vs[0].IsError() || len(vs[0].Elems) != 2 {
			return fmt.Errorf("scan %s: unexpected reply %v", addr, vs[0])
		}
		var keys [][]byte
		for _, e := range vs[0].Elems[1].Elems {
			if !copier.IsReserved(e.Str) {
				keys = append(keys, e.Str)
			}
		}
		if len(keys) > 0 {
			select {
			case work <- batch{shard: shard, keys: keys}:
			case <-ctx.Done():
				return nil
			}
		}
		cursor = string(vs[0].Elems[0].Str)
		if cursor == "0" {
			return nil
		}
	}
}

// compare reads keys on both sides and returns those that differ, with
// the reason.
func (v *verifier) compare(ctx context.Context, shard int, keys [][]byte) ([][]byte, []string, error) {
	src, err := v.cp.ReadFull(ctx, shardPipeliner{v.o.Source, shard}, keys)
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

func (v *verifier) check(ctx context.Context, b batch) error {
	bad, _, err := v.compare(ctx, b.shard, b.keys)
	if err != nil {
		return err
	}
	v.checked.Add(int64(len(b.keys)))
	if v.o.Metrics != nil {
		v.o.Metrics.VerifyChecked.Add(float64(len(b.keys)))
	}
	if len(bad) == 0 {
		return nil
	}
	// Compare again after a moment: writes in flight through the proxy
	// make transient differences.
	if !sleep(ctx, v.o.Recheck) {
		return ctx.Err()
	}
	bad, why, err := v.compare(ctx, b.shard, bad)
	if err != nil {
		return err
	}
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
	if _, err := v.cp.Copy(ctx, shardPipeliner{v.o.Source, b.shard}, v.o.Titan, bad); err != nil {
		return fmt.Errorf("fix: %w", err)
	}
	v.fixed.Add(int64(len(bad)))
	if v.o.Metrics != nil {
		v.o.Metrics.VerifyFixed.Add(float64(len(bad)))
	}
	return nil
}

type shardPipeliner struct {
	src   source.Source
	shard int
}

func (s shardPipeliner) Pipeline(ctx context.Context, cmds [][][]byte) ([]resp.Value, error) {
	return s.src.ShardPipeline(ctx, s.shard, cmds)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
