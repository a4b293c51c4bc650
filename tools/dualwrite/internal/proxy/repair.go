package proxy

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/copier"
	"github.com/titan-kv/titan/tools/dualwrite/internal/journal"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/retry"
	"github.com/titan-kv/titan/tools/dualwrite/internal/source"
)

// repairer copies keys from Redis to titan after titan missed or diverged
// on a write, on a pool of workers. A key that fails is retried with its
// own backoff; other keys go on. Keys waiting for repair are recorded in
// the journal (when configured), so a crash of the proxy loses none.
type repairer struct {
	p       *Proxy
	max     int
	workers int
	copier  copier.Copier
	journal *journal.Journal
	// noDump: the source refused DUMP; repairs copy page by page only.
	noDump atomic.Bool

	mu      sync.Mutex
	wake    *sync.Cond
	pending map[string]*repairItem // waiting or being copied
	ready   repairHeap             // waiting, by time of next attempt
	active  int                    // being copied
	closed  bool
	// repaired holds the keys repaired since the last takeRepaired (at
	// most maxRepaired), for the cut-over to verify.
	repaired map[string]struct{}
}

// maxRepaired bounds the keys remembered for the cut-over's check.
const maxRepaired = 100000

type repairItem struct {
	key      string
	attempts int
	at       time.Time // earliest next attempt
	index    int       // in the heap; -1 while being copied
	again    bool      // scheduled again while being copied
	// fences of the key's timed-out replays: no copy starts before they
	// are settled, so a late replay can never overwrite a copy, unless
	// one stays open for the proxy's FenceTimeout.
	fences []fence
	// markDirty: the key's fences were abandoned; its next attempt marks
	// it dirty on titan before copying it.
	markDirty bool
}

// fence is a timed-out titan write of a key and when it was handed over.
type fence struct {
	*resp.FencedError
	at time.Time
}

// addFence adds a fence to it. Call it with r.mu held.
func (it *repairItem) addFence(f *resp.FencedError) {
	if f != nil {
		it.fences = append(it.fences, fence{f, time.Now()})
	}
}

// unfenced reports whether every fence of it is settled (and forgets the
// settled ones), and since when the oldest open one waits. Call it with
// r.mu held.
func (it *repairItem) unfenced() (ok bool, since time.Time) {
	open := it.fences[:0]
	for _, f := range it.fences {
		select {
		case <-f.Settled:
		default:
			open = append(open, f)
			if since.IsZero() || f.at.Before(since) {
				since = f.at
			}
		}
	}
	clear(it.fences[len(open):])
	it.fences = open
	return len(open) == 0, since
}

// abandonFences gives up on the key's open fences: their connections are
// closed, and the key is marked dirty before its copy (a late write may
// still land after it). Call it with r.mu held.
func (it *repairItem) abandonFences() {
	for _, f := range it.fences {
		f.Abandon()
	}
	clear(it.fences)
	it.fences = it.fences[:0]
	it.markDirty = true
}

// fenceWait is how often a key waiting for its fences is looked at again.
const fenceWait = 50 * time.Millisecond

type repairHeap []*repairItem

func (h repairHeap) Len() int           { return len(h) }
func (h repairHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h repairHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *repairHeap) Push(x any) {
	it := x.(*repairItem)
	it.index = len(*h)
	*h = append(*h, it)
}
func (h *repairHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	it.index = -1
	return it
}

func newRepairer(p *Proxy, max, workers int, j *journal.Journal) *repairer {
	r := &repairer{p: p, max: max, workers: workers, journal: j, pending: map[string]*repairItem{},
		repaired: map[string]struct{}{}, copier: copier.Copier{Page: 512}}
	r.wake = sync.NewCond(&r.mu)
	return r
}

// len returns the number of keys waiting for repair or being repaired.
func (r *repairer) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

// schedule queues key for repair; a key already queued is not duplicated.
func (r *repairer) schedule(key []byte, reason string) { r.scheduleFenced(key, reason, nil) }

// scheduleFenced queues key for repair once fence (when not nil) is
// closed.
func (r *repairer) scheduleFenced(key []byte, reason string, fence *resp.FencedError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := string(key)
	if it, ok := r.pending[k]; ok {
		it.addFence(fence)
		if it.index < 0 {
			it.again = true
		}
		return
	}
	if len(r.pending) >= r.max {
		r.p.m.RepairsDropped.Inc()
		r.p.log.Error("repair queue full; key dropped (run verify --fix)", "key", k, "reason", reason)
		return
	}
	if err := r.journal.Append(key); err != nil {
		r.p.log.Error("journal", "key", k, "err", err)
	}
	it := &repairItem{key: k, at: time.Now()}
	it.addFence(fence)
	r.pending[k] = it
	heap.Push(&r.ready, it)
	r.p.m.RepairsQueued.Inc()
	r.p.m.RepairQueue.Set(float64(len(r.pending)))
	r.p.log.Debug("key queued for repair", "key", k, "reason", reason)
	r.wake.Broadcast()
}

// next waits for a key whose attempt is due.
func (r *repairer) next(ctx context.Context) (*repairItem, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if r.closed || ctx.Err() != nil {
			return nil, false
		}
		if len(r.ready) > 0 {
			it := r.ready[0]
			if wait := time.Until(it.at); wait <= 0 {
				heap.Pop(&r.ready)
				if ok, since := it.unfenced(); !ok {
					if time.Since(since) < r.p.cfg.FenceTimeout {
						// A timed-out replay of the key may still
						// land: look again later, without counting
						// an attempt.
						it.at = time.Now().Add(fenceWait)
						heap.Push(&r.ready, it)
						continue
					}
					// titan holds the write without answering:
					// stop waiting, mark the key dirty and copy it.
					r.p.m.FencesAbandoned.Add(float64(len(it.fences)))
					r.p.log.Warn("a timed-out titan write neither landed nor failed; key marked dirty and repaired now (run sync again or verify --fix later)",
						"key", it.key, "waited", time.Since(since).Round(time.Millisecond), "writes", len(it.fences))
					it.abandonFences()
				}
				r.active++
				return it, true
			} else {
				t := time.AfterFunc(wait, func() {
					r.mu.Lock()
					r.wake.Broadcast()
					r.mu.Unlock()
				})
				r.wake.Wait()
				t.Stop()
				continue
			}
		}
		r.wake.Wait()
	}
}

// done records the end of an attempt on it.
func (r *repairer) done(it *repairItem, again bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active--
	if again || it.again {
		r.p.log.Debug("key to be copied again", "key", it.key, "failed_or_diverged", again, "scheduled_during_copy", it.again)
		it.again = false
		if again {
			it.attempts++
		}
		it.at = time.Now().Add(repairBackoff(it.attempts))
		heap.Push(&r.ready, it)
		r.wake.Broadcast()
		return
	}
	delete(r.pending, it.key)
	r.wake.Broadcast() // for flush
	if len(r.repaired) < maxRepaired {
		r.repaired[it.key] = struct{}{}
	}
	r.p.m.RepairQueue.Set(float64(len(r.pending)))
	if len(r.pending) == 0 {
		if err := r.journal.Truncate(); err != nil {
			r.p.log.Error("journal", "err", err)
		}
		r.wake.Broadcast() // for waitIdle
	}
}

// repairBackoff is the wait before attempt n+1 of a key that failed n
// times: 100 ms doubling up to 30 s.
func repairBackoff(n int) time.Duration {
	if n == 0 {
		return 0
	}
	d := 100 * time.Millisecond << min(n-1, 9)
	return min(d, 30*time.Second)
}

// run repairs keys on the worker pool until ctx ends.
func (r *repairer) run(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() {
		r.mu.Lock()
		r.closed = true
		r.wake.Broadcast()
		r.mu.Unlock()
	})
	defer stop()
	var wg sync.WaitGroup
	for range r.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				it, ok := r.next(ctx)
				if !ok {
					return
				}
				r.done(it, r.attempt(ctx, it))
			}
		}()
	}
	wg.Wait()
}

// attempt copies one key and reports whether it must be copied again.
func (r *repairer) attempt(ctx context.Context, it *repairItem) (again bool) {
	if !r.p.breaker.allow() {
		// titan is down: wait for the breaker without counting an attempt.
		retry.Sleep(ctx, 100*time.Millisecond)
		return true
	}
	key := []byte(it.key)
	start := time.Now()
	if it.markDirty {
		// A write of the key may still land on titan after this copy: a
		// backfill's drain (sync run again) or verify --fix copies it
		// again later.
		mctx, cancel := context.WithTimeout(ctx, r.p.cfg.Timeout)
		err := r.p.mark(mctx, [][]byte{key})
		cancel()
		if err != nil {
			r.p.m.RepairsFailed.Inc()
			r.p.log.Warn("repair failed; will retry", "key", it.key, "attempt", it.attempts+1, "err", err)
			return true
		}
		it.markDirty = false
	}
	var err error
	var dumped bool
	if !r.noDump.Load() {
		again, dumped, err = r.copyDump(ctx, it.key)
	}
	if !dumped {
		r.p.titanQ.beginCopy(it.key, false)
		err = r.copy(ctx, key)
		again = r.p.titanQ.endCopy(it.key, err == nil)
	}
	if errors.Is(err, errFenceAbandoned) {
		it.markDirty = true // its write may land after the next copy
	}
	switch {
	case err != nil:
		r.p.m.RepairsFailed.Inc()
		r.p.log.Warn("repair failed; will retry", "key", it.key, "attempt", it.attempts+1, "err", err)
	default:
		r.p.m.RepairsDone.Inc()
		r.p.log.Debug("key repaired", "key", it.key, "took", time.Since(start))
	}
	return again
}

// copy copies key from its Redis shard to titan, with no overall time
// limit (big keys take as long as their pages need; each round trip has
// its own timeout), and records the key as dirty while a backfill runs.
func (r *repairer) copy(ctx context.Context, key []byte) error {
	src := source.GroupPipe{Source: r.p.src, Group: r.p.src.Group(key)}
	ticket := r.p.startCopy()
	_, err := r.copier.Copy(ctx, src, fencedTitan{r.p, ctx}, [][]byte{key})
	r.p.breaker.record(err)
	if err == nil && r.p.mustMark(ticket) {
		err = r.p.mark(ctx, [][]byte{key})
	}
	return err
}

// maxDumpBytes is the largest key (by Redis's MEMORY USAGE) a repair
// copies from a DUMP.
const maxDumpBytes = 64 << 20

// copyDump copies key from a DUMP taken while the key's writers are held
// off (its lock stripe, one Redis round trip), so the copy holds exactly
// the writes before it; the writes arriving while it is written to titan
// are kept and replayed after it (applier.hold). A key written without
// pause therefore converges, however long its copy takes. dumped is false
// when the key cannot be copied this way (a type DUMP does not serve, or
// a source refusing DUMP): the caller copies it page by page.
func (r *repairer) copyDump(ctx context.Context, key string) (again, dumped bool, err error) {
	q, k := r.p.titanQ, []byte(key)
	src := source.GroupPipe{Source: r.p.src, Group: r.p.src.Group(k)}
	// DUMP serializes the key inside Redis, blocking it: huge keys are
	// copied page by page instead (MEMORY USAGE estimates in O(1)).
	mctx, mcancel := context.WithTimeout(ctx, r.p.cfg.Timeout)
	mem, err := src.Pipeline(mctx, [][][]byte{{[]byte("MEMORY"), []byte("USAGE"), k}})
	mcancel()
	if err == nil && mem[0].Kind == resp.Integer && mem[0].Int > maxDumpBytes {
		r.p.log.Debug("key too big to copy from a DUMP", "key", key, "bytes", mem[0].Int)
		return false, false, nil
	}
	ticket := r.p.startCopy()
	q.beginCopy(key, true)
	rctx, cancel := context.WithTimeout(ctx, r.p.cfg.Timeout)
	unlock := r.p.lockKeys([][]byte{k})
	vs, err := src.Pipeline(rctx, copier.DumpCmds(k))
	if err == nil {
		q.hold(key)
	}
	readAt := time.Now()
	unlock()
	cancel()
	if err != nil {
		return q.endCopy(key, false), true, fmt.Errorf("dump: %w", err)
	}
	if vs[0].IsError() || vs[1].IsError() {
		q.endCopy(key, false)
		if !r.noDump.Swap(true) {
			r.p.log.Warn("the source refuses DUMP; repairs copy keys page by page (a key written without pause may not converge)", "key", key, "reply", vs[0].String())
		}
		return false, false, nil
	}
	snap, err := copier.SnapshotFromDump(k, vs[0].Str, vs[0].IsNil(), vs[1].Int, readAt)
	if err != nil {
		q.endCopy(key, false)
		r.p.log.Debug("key not copied from a DUMP", "key", key, "err", err)
		return false, false, nil
	}
	_, err = r.copier.WriteSnapshots(ctx, fencedTitan{r.p, ctx}, []*copier.Snapshot{snap})
	r.p.breaker.record(err)
	if err == nil && r.p.mustMark(ticket) {
		err = r.p.mark(ctx, [][]byte{k})
	}
	if err != nil {
		return q.endCopy(key, false), true, err
	}
	return q.replayHeld(ctx, key), true, nil
}

// wakeWhenDone makes the end of ctx wake the waiters of r.wake, so that a
// wait loop checking ctx.Err() returns; call the result to stop it.
func (r *repairer) wakeWhenDone(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() {
		r.mu.Lock()
		r.wake.Broadcast()
		r.mu.Unlock()
	})
}

// flush waits until every key waiting for repair or being copied at the
// call has been repaired (its copy and its mark are on titan), or ctx
// ends. A copy running at the call must end before a backfill's drain
// counts its marks; a key still waiting would be repaired correctly later,
// but titan only matches Redis once it is.
func (r *repairer) flush(ctx context.Context) error {
	defer r.wakeWhenDone(ctx)()
	r.mu.Lock()
	defer r.mu.Unlock()
	waiting := make([]*repairItem, 0, len(r.pending))
	for _, it := range r.pending {
		waiting = append(waiting, it)
	}
	for len(waiting) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		left := waiting[:0]
		for _, it := range waiting {
			if r.pending[it.key] == it {
				left = append(left, it)
			}
		}
		if waiting = left; len(waiting) > 0 {
			r.wake.Wait()
		}
	}
	return nil
}

// waitIdle waits until no key is waiting for repair, or ctx ends.
func (r *repairer) waitIdle(ctx context.Context) error {
	defer r.wakeWhenDone(ctx)()
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.pending) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.wake.Wait()
	}
	return nil
}

// takeRepaired returns the keys repaired since the last call, and those
// still waiting.
func (r *repairer) takeRepaired() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([][]byte, 0, len(r.repaired)+len(r.pending))
	for k := range r.repaired {
		keys = append(keys, []byte(k))
	}
	for k := range r.pending {
		if _, ok := r.repaired[k]; !ok {
			keys = append(keys, []byte(k))
		}
	}
	r.repaired = map[string]struct{}{}
	return keys
}

// fencedKeys returns the keys waiting for repair whose timed-out titan
// writes may still land (open fences, or abandoned ones not yet marked).
func (r *repairer) fencedKeys() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var keys [][]byte
	for k, it := range r.pending {
		if ok, _ := it.unfenced(); it.markDirty || !ok {
			keys = append(keys, []byte(k))
		}
	}
	return keys
}

// has reports whether any of keys waits for repair.
func (r *repairer) has(keys [][]byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		if _, ok := r.pending[string(k)]; ok {
			return true
		}
	}
	return false
}
