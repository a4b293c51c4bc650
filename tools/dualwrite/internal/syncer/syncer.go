// Package syncer backfills titan from the sharded Redis source: it SCANs
// every shard, copies each key with its TTL, checkpoints per-shard cursors
// so an interrupted run resumes, and finally re-copies the keys the proxy
// wrote during the backfill (see package dirty for the guarantee).
package syncer

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/titan-kv/titan/tools/dualwrite/internal/checkpoint"
	"github.com/titan-kv/titan/tools/dualwrite/internal/copier"
	"github.com/titan-kv/titan/tools/dualwrite/internal/dirty"
	"github.com/titan-kv/titan/tools/dualwrite/internal/keyscan"
	"github.com/titan-kv/titan/tools/dualwrite/internal/metrics"
	"github.com/titan-kv/titan/tools/dualwrite/internal/progress"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/retry"
	"github.com/titan-kv/titan/tools/dualwrite/internal/source"
)

// Options configures a backfill.
type Options struct {
	Source     source.Source
	Titan      *resp.Pool
	TitanAddr  string
	Workers    int     // concurrent copy workers (see keyscan.Config)
	Rate       float64 // keys per second; 0 means unlimited
	Batch      int     // SCAN COUNT (see keyscan.Config)
	Page       int     // elements per page for large collections
	Checkpoint string  // file; "" disables resuming
	Metrics    *metrics.Metrics
	Logger     *slog.Logger
	// Progress output (stderr) and whether it is a terminal.
	Progress io.Writer
	TTY      bool
	// Settle overrides dirty.Settle (tests).
	Settle time.Duration
	// DrainRounds bounds the re-copy rounds of the dirty set (default 10).
	DrainRounds int
	// ProgressInterval is the log interval when not on a terminal.
	ProgressInterval time.Duration
}

// Stats summarizes a run.
type Stats struct {
	Scanned  int64 // keys returned by SCAN in this run
	Copied   int64 // keys written to titan in this run
	Recopied int64 // dirty keys copied again
	Resumed  bool  // the run continued from a checkpoint
	// LeftDirty counts keys still dirty after the last drain round.
	LeftDirty int64
	Elapsed   time.Duration
}

// Run backfills titan. It returns ctx.Err() (with the checkpoint saved)
// when interrupted.
func Run(ctx context.Context, o Options) (Stats, error) {
	if o.Settle == 0 {
		o.Settle = dirty.Settle
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	r := &run{o: o, log: o.Logger, start: time.Now()}
	r.cp = copier.Copier{Page: o.Page, ID: copier.NewID(), Progress: func(_ []byte, n int) { r.elements.Add(int64(n)) }}
	return r.run(ctx)
}

type run struct {
	o     Options
	owner string // this run's backfill flag field
	log   *slog.Logger
	cp    copier.Copier
	start time.Time

	mu    sync.Mutex
	state *checkpoint.State
	track []*shardTrack

	scanned, copied, recopied atomic.Int64
	elements                  atomic.Int64 // of large collections, page by page
	total                     atomic.Int64
	limiter                   *rate.Limiter
}

func (r *run) run(ctx context.Context) (Stats, error) {
	shards := r.o.Source.Shards()
	var stats Stats
	state := checkpoint.New(r.o.TitanAddr, shards)
	if r.o.Checkpoint != "" {
		prev, err := checkpoint.Load(r.o.Checkpoint)
		if err != nil {
			return stats, err
		}
		if prev != nil {
			if err := prev.Matches(r.o.TitanAddr, shards); err != nil {
				return stats, fmt.Errorf("%s: %w (delete it to start over)", r.o.Checkpoint, err)
			}
			if prev.Drained {
				r.log.Info("checkpoint says the backfill already finished; delete it to copy again", "checkpoint", r.o.Checkpoint)
				return Stats{Resumed: true}, nil
			}
			state, stats.Resumed = prev, true
			r.log.Info("resuming backfill from checkpoint", "checkpoint", r.o.Checkpoint)
			// The IDs stay in the checkpoint until this run finishes:
			// a killed run's last writes can still be landing on titan
			// (sent before the kill, queued there), so the sweep runs
			// again at the end (sweepEarlier).
			r.sweepEarlier(ctx, prev.CopierIDs)
		}
	}
	state.CopierIDs = append(state.CopierIDs, r.cp.ID)
	r.state = state
	if err := r.save(); err != nil { // record the copier ID before copying
		return stats, err
	}
	var base int64 // keys copied by earlier, interrupted runs
	for i := range state.Shards {
		r.track = append(r.track, &shardTrack{cursor: state.Shards[i].Cursor, done: state.Shards[i].Done, pending: map[int]string{}, completed: map[int]bool{}})
		base += state.Shards[i].Copied
		if r.o.Metrics != nil {
			r.o.Metrics.BackfillShardCopied.WithLabelValues(shards[i]).Set(float64(state.Shards[i].Copied))
		}
	}
	if r.o.Metrics != nil {
		r.o.Metrics.BackfillCopied.Add(float64(base)) // true across resumes
	}
	if r.o.Rate > 0 {
		r.limiter = newLimiter(r.o.Rate)
	}

	// Raise the backfill flag so proxies start marking written keys, keep
	// it alive, and give every proxy time to notice before reading.
	owner := dirty.Owner("sync")
	r.owner = owner
	if err := dirty.Raise(ctx, r.o.Titan, owner); err != nil {
		return stats, err
	}
	flagCtx, stopFlag := context.WithCancel(context.Background())
	defer stopFlag()
	go r.keepFlag(flagCtx, owner)
	if n, err := dirty.AwaitProxies(ctx, r.o.Titan, owner, r.o.Settle); err != nil {
		return stats, err
	} else if n > 0 {
		r.log.Info("proxies see the backfill flag", "proxies", n)
	}

	r.estimate(ctx)
	progCtx, stopProg := context.WithCancel(ctx)
	var progWG sync.WaitGroup
	if r.o.Progress != nil {
		progWG.Add(1)
		go func() {
			defer progWG.Done()
			progress.Report(progCtx, r.o.Progress, r.o.TTY, r.o.ProgressInterval, "backfill", r.log, func() progress.Snapshot {
				return progress.Snapshot{Done: r.copied.Load() + base, Total: r.total.Load(), Elements: r.elements.Load()}
			})
		}()
	}
	err := r.scanAll(ctx)
	if serr := r.save(); serr != nil && err == nil {
		err = serr // a resumed run must know the scan is complete
	}
	var left int64
	if err == nil {
		r.log.Info("scan complete; re-copying keys written during the backfill", "copied", r.copied.Load()+base)
		left, err = r.drain(ctx)
	}
	stopProg()
	progWG.Wait()
	stats.LeftDirty = left
	if err == nil && left > 0 {
		// Keep the checkpoint open: running sync again only drains.
		r.log.Warn("keys kept being written during the final drain and stay dirty; run sync again (it only drains) once writes to them calm down, or verify --fix", "keys", left)
		stopFlag()
		r.lower()
	} else if err == nil {
		stopFlag()
		r.lower()
		r.mu.Lock()
		earlier := slices.DeleteFunc(slices.Clone(r.state.CopierIDs), func(id string) bool { return id == r.cp.ID })
		r.mu.Unlock()
		left := r.sweepEarlier(ctx, earlier)
		r.mu.Lock()
		r.state.CopierIDs = append(left, r.cp.ID)
		r.state.Drained = true
		r.mu.Unlock()
	}
	if serr := r.save(); serr != nil && err == nil {
		err = serr
	}
	stats.Scanned, stats.Copied, stats.Recopied = r.scanned.Load(), r.copied.Load(), r.recopied.Load()
	stats.Elapsed = time.Since(r.start)
	return stats, err
}

// sweepEarlier deletes the temporary keys of earlier, interrupted runs
// (copier IDs ids) and returns the IDs whose keys could not be deleted.
func (r *run) sweepEarlier(ctx context.Context, ids []string) (failed []string) {
	for _, id := range ids {
		if n, err := copier.DeleteTemporary(ctx, r.o.Titan, id); err != nil {
			failed = append(failed, id) // the next run tries again
			r.log.Warn("could not delete the temporary keys of an interrupted run", "copier", id, "err", err)
		} else if n > 0 {
			r.log.Info("deleted temporary keys left by an interrupted run", "copier", id, "keys", n)
		}
	}
	return failed
}

// lower removes this run's backfill flag, quickly: a stopping run must not
// hang on an unreachable titan (the flag expires by itself).
func (r *run) lower() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := dirty.Lower(ctx, r.o.Titan, r.owner); err != nil {
		r.log.Warn("could not lower backfill flag; it expires by itself", "err", err)
	}
}

func (r *run) keepFlag(ctx context.Context, owner string) {
	every(ctx, dirty.FlagTTL/6, func() {
		if err := dirty.Raise(ctx, r.o.Titan, owner); err != nil && ctx.Err() == nil {
			r.log.Warn("refresh backfill flag", "err", err)
		}
	})
}

// every calls f every d until ctx ends.
func every(ctx context.Context, d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

// estimate sets the total from DBSIZE of every shard.
func (r *run) estimate(ctx context.Context) {
	var total int64
	for i := range r.o.Source.Shards() {
		vs, err := r.o.Source.ShardPipeline(ctx, i, [][][]byte{{[]byte("DBSIZE")}})
		if err == nil && !vs[0].IsError() {
			total += vs[0].Int
		}
	}
	r.total.Store(total)
	if r.o.Metrics != nil {
		r.o.Metrics.BackfillTotal.Set(float64(total))
	}
	r.log.Info("backfill starting", "shards", len(r.o.Source.Shards()), "keys_estimate", total, "workers", r.o.Workers, "rate", r.o.Rate)
}

// scanAll scans every unfinished shard and copies what it finds, saving
// the checkpoint every second.
func (r *run) scanAll(ctx context.Context) error {
	saveCtx, stopSave := context.WithCancel(context.Background())
	defer stopSave()
	go every(saveCtx, time.Second, func() {
		if err := r.save(); err != nil {
			r.log.Warn("save checkpoint", "err", err)
		}
	})
	return keyscan.Run(ctx, keyscan.Config{
		Source:  r.o.Source,
		Workers: r.o.Workers,
		Count:   r.o.Batch,
		Start: func(shard int) (string, bool) {
			tr := r.track[shard]
			tr.mu.Lock()
			defer tr.mu.Unlock()
			return tr.cursor, !tr.done
		},
		Scanned: func(b keyscan.Batch) {
			r.scanned.Add(int64(len(b.Keys)))
			if r.o.Metrics != nil {
				r.o.Metrics.BackfillScanned.Add(float64(len(b.Keys)))
			}
			r.track[b.Shard].add(b.Seq, b.Next)
		},
	}, r.copyBatch)
}

func (r *run) copyBatch(ctx context.Context, b keyscan.Batch) error {
	if len(b.Keys) > 0 {
		if r.limiter != nil {
			if err := waitKeys(ctx, r.limiter, len(b.Keys)); err != nil {
				if ctx.Err() != nil {
					return nil // interrupted; the batch stays uncommitted
				}
				return err
			}
		}
		src := source.ShardPipe{Source: r.o.Source, Shard: b.Shard}
		var n int
		err := retry.Do(ctx, 3, func() error {
			var err error
			n, err = r.cp.Copy(ctx, src, r.o.Titan, b.Keys)
			if err != nil && r.o.Metrics != nil {
				r.o.Metrics.BackfillErrors.Inc()
			}
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("copy batch from %s: %w", r.o.Source.Shards()[b.Shard], err)
		}
		r.copied.Add(int64(n))
		if r.o.Metrics != nil {
			r.o.Metrics.BackfillCopied.Add(float64(n))
		}
		r.mu.Lock()
		r.state.Shards[b.Shard].Copied += int64(n)
		shardCopied := r.state.Shards[b.Shard].Copied
		r.mu.Unlock()
		if r.o.Metrics != nil {
			r.o.Metrics.BackfillShardCopied.WithLabelValues(r.o.Source.Shards()[b.Shard]).Set(float64(shardCopied))
		}
	}
	if r.track[b.Shard].complete(b.Seq) && r.o.Metrics != nil {
		r.o.Metrics.BackfillShardDone.WithLabelValues(r.o.Source.Shards()[b.Shard]).Set(1)
	}
	return nil
}

// save writes the committed cursors to the checkpoint file.
func (r *run) save() error {
	if r.o.Checkpoint == "" {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, tr := range r.track {
		tr.mu.Lock()
		r.state.Shards[i].Cursor, r.state.Shards[i].Done = tr.cursor, tr.done
		tr.mu.Unlock()
	}
	return checkpoint.Save(r.o.Checkpoint, r.state)
}

// drain re-copies keys written through the proxy during the backfill
// until the dirty set stays empty for a settle period.
func (r *run) drain(ctx context.Context) (int64, error) {
	n, left, err := Drain(ctx, r.o.Source, r.o.Titan, r.cp, r.o.Settle, r.o.DrainRounds, r.owner, r.log)
	r.recopied.Add(n)
	if r.o.Metrics != nil {
		r.o.Metrics.BackfillRecopied.Add(float64(n))
	}
	return left, err
}

// Drain re-copies the keys written through the proxy while a backfill
// copied (the dirty set) in rounds. It first takes back the keys that
// drains which stopped midway were copying. A round takes the keys dirty at
// its start and copies each again, moving each batch through owner's
// processing set so that a crash loses no key; writes racing with those
// copies mark their keys again for the next round. Drain stops when the set
// is still empty a settle period after a round (right after it when no
// proxy is running: dirty.LiveProxies), or after maxRounds rounds;
// it returns the number of keys copied and the number left dirty (also
// when interrupted), which a later sync or verify --fix drains.
func Drain(ctx context.Context, src source.Source, titan *resp.Pool, cp copier.Copier, settle time.Duration, maxRounds int, owner string, log *slog.Logger) (copied, left int64, err error) {
	if maxRounds <= 0 {
		maxRounds = 10
	}
	t := dirty.Taker{Titan: titan, Owner: owner}
	leftNow := func() int64 {
		c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, _ := dirty.Count(c, titan)
		m, _ := t.Recover(c) // put back what this drain was copying
		return n + m
	}
	if n, err := t.Recover(ctx); err != nil {
		return 0, leftNow(), err
	} else if n > 0 {
		log.Info("took back keys an interrupted drain was copying", "keys", n)
	}
	for round := 1; ; round++ {
		n, err := dirty.Count(ctx, titan)
		if err != nil {
			return copied, leftNow(), err
		}
		log.Info("draining keys written during the backfill", "round", round, "dirty", n)
		for n > 0 {
			keys, err := t.Take(ctx, int(min(n, 512)))
			if err != nil {
				return copied, leftNow(), err
			}
			if len(keys) == 0 {
				break
			}
			n -= int64(len(keys))
			if err := CopyKeys(ctx, src, titan, cp, keys); err != nil {
				return copied, leftNow(), err
			}
			if err := t.Done(ctx, keys); err != nil {
				return copied, leftNow(), err
			}
			copied += int64(len(keys))
		}
		// Writes the proxies began before this round ends may still land
		// on titan (and mark their keys): wait until every live proxy
		// reports them done (at most the settle time, for a proxy stuck
		// on a slow titan or of an older version).
		if _, err := dirty.AwaitFlush(ctx, titan, owner, settle); err != nil {
			return copied, leftNow(), err
		}
		if left, err = dirty.Count(ctx, titan); err != nil {
			return copied, leftNow(), err
		}
		log.Info("drained keys written during the backfill", "round", round, "recopied_total", copied, "still_dirty", left)
		if left == 0 || round >= maxRounds {
			return copied, left, nil
		}
	}
}

// CopyKeys copies keys found anywhere on the source (routed by key, or
// located by probing every shard for sources that cannot route).
func CopyKeys(ctx context.Context, src source.Source, titan *resp.Pool, cp copier.Copier, keys [][]byte) error {
	groups := map[int][][]byte{}
	var order []int
	if src.Routed() {
		for _, k := range keys {
			g := src.Group(k)
			if _, ok := groups[g]; !ok {
				order = append(order, g)
			}
			groups[g] = append(groups[g], k)
		}
		for _, g := range order {
			if _, err := cp.Copy(ctx, source.GroupPipe{Source: src, Group: g}, titan, groups[g]); err != nil {
				return err
			}
		}
		return nil
	}
	// Independent shards: find the shard holding each key.
	owner := make([]int, len(keys))
	for shard := len(src.Shards()) - 1; shard >= 0; shard-- {
		var cmds [][][]byte
		for _, k := range keys {
			cmds = append(cmds, [][]byte{[]byte("EXISTS"), k})
		}
		vs, err := src.ShardPipeline(ctx, shard, cmds)
		if err != nil {
			return err
		}
		for i, v := range vs {
			if v.Int == 1 {
				owner[i] = shard
			}
		}
	}
	for i, k := range keys {
		if _, ok := groups[owner[i]]; !ok {
			order = append(order, owner[i])
		}
		groups[owner[i]] = append(groups[owner[i]], k)
	}
	for _, s := range order {
		if _, err := cp.Copy(ctx, source.ShardPipe{Source: src, Shard: s}, titan, groups[s]); err != nil {
			return err
		}
	}
	return nil
}

// shardTrack turns out-of-order batch completions into a committed cursor.
type shardTrack struct {
	mu        sync.Mutex
	cursor    string // resume point: all batches before it are copied
	done      bool
	committed int // next sequence number to commit
	pending   map[int]string
	completed map[int]bool
}

// add registers batch seq, whose SCAN returned next.
func (t *shardTrack) add(seq int, next string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending[seq] = next
}

// complete marks batch seq copied; it reports whether the shard is done.
func (t *shardTrack) complete(seq int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.completed[seq] = true
	for t.completed[t.committed] {
		t.cursor = t.pending[t.committed]
		delete(t.pending, t.committed)
		delete(t.completed, t.committed)
		t.committed++
		if t.cursor == "0" {
			t.done = true
		}
	}
	return t.done
}

// newLimiter allows rate keys per second with one second of burst.
func newLimiter(r float64) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(r), max(1, int(math.Ceil(r))))
}

// waitKeys waits until l allows n keys; a batch larger than the burst
// waits for it one burst at a time.
func waitKeys(ctx context.Context, l *rate.Limiter, n int) error {
	for n > 0 {
		k := min(n, l.Burst())
		if err := l.WaitN(ctx, k); err != nil {
			return fmt.Errorf("rate limit: %w", err)
		}
		n -= k
	}
	return nil
}
