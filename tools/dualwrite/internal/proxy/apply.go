package proxy

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
)

// The applier replays the proxy's writes on the secondary side (titan while
// Redis is primary) in the background, so that clients wait for the
// primary only. Writes to one key are applied in the order the primary
// applied them: the proxy enqueues a write while it holds the key's lock
// stripe, right after the primary answered, and every key belongs to one
// applier shard whose worker applies its queue in order.
//
// A key whose write could not be applied (queue full, titan slow or down, a
// reply that differs from Redis's) is handed to the repairer, which copies
// the key from Redis. While a key is being repaired its queued writes are
// dropped and new ones are not queued: the copy reads Redis after all of
// them were applied there. A write that arrives while the copy runs may or
// may not be in it, so the key is copied once more afterwards. A copy never
// starts while one of the key's writes is being applied, so no write is
// applied twice.

// op is one write to replay.
type op struct {
	key   string
	args  [][]byte
	redis resp.Value // the primary's reply, compared with the secondary's
	seq   uint64
	// compare: replies must match (false for SPOP replayed as SREM).
	compare bool
	queued  time.Time
	// argv holds args of up to 4 arguments (no allocation of their own).
	argv [4][]byte
}

// keyState is what the applier knows of a key with queued writes or a
// repair in progress. Keys with neither have no state.
type keyState struct {
	seq         uint64 // sequence number of the key's last write
	skipThrough uint64 // writes up to this one are covered by a copy
	queued      int    // writes waiting in the shard's queue
	inflight    int    // writes being applied
	repairing   bool   // the repairer owns the key
	again       bool   // a write arrived during the copy: copy again
	// holding: the copy is a snapshot taken at a known write (a DUMP,
	// see hold), so writes arriving during the copy are kept in held and
	// replayed after it instead of forcing another copy.
	holding bool
	held    []*op
}

// maxHeld bounds the writes kept for one key during a copy; past it the
// key is copied again (as for a copy without a snapshot).
const maxHeld = 100000

// maxReplay bounds the kept writes replayed in one round trip: the
// replay must outpace the key's writers.
const maxReplay = 1024

type applyShard struct {
	mu    sync.Mutex
	cond  *sync.Cond
	keys  map[string]*keyState
	queue chan *op
	// enq and done count the writes queued and those the worker finished
	// with (in queue order), for flush.
	enq, done uint64
}

// applier owns the shards and their workers.
type applier struct {
	p      *Proxy
	name   string // the side written: titan, or redis after a cut-over
	seed   maphash.Seed
	shards []*applyShard
	// apply sends writes to the secondary in one round trip (a pipeline,
	// in order) and returns their replies.
	apply func(ctx context.Context, ops []*op) ([]resp.Value, error)
	// breaker, when set, skips the side while it is down.
	breaker *breaker
	// failed is told of a key whose write was not applied; fence, when
	// not nil, is the write that timed out and may still run on the
	// secondary (its Settled is closed once it can no longer land).
	failed func(key []byte, fence *resp.FencedError)

	applied atomic.Int64 // writes replayed, for the replay rate
	// delay observes each write's wait in the queue (looked up once).
	delay prometheus.Observer

	idle sync.Cond // signalled when a queue empties (for Drain)
	mu   sync.Mutex
	busy int // writes queued or in flight over all shards
}

func newApplier(p *Proxy, name string, shards, depth int) *applier {
	a := &applier{p: p, name: name, seed: maphash.MakeSeed(), delay: p.m.ApplyDelay.WithLabelValues(name)}
	a.idle.L = &a.mu
	for range shards {
		s := &applyShard{keys: map[string]*keyState{}, queue: make(chan *op, depth)}
		s.cond = sync.NewCond(&s.mu)
		a.shards = append(a.shards, s)
	}
	return a
}

func (a *applier) shard(key string) *applyShard {
	return a.shards[maphash.String(a.seed, key)%uint64(len(a.shards))]
}

func (s *applyShard) state(key string) *keyState {
	st := s.keys[key]
	if st == nil {
		st = &keyState{}
		s.keys[key] = st
	}
	return st
}

// forget drops the state of a key that has nothing left in flight.
func (s *applyShard) forget(key string, st *keyState) {
	if st.queued == 0 && st.inflight == 0 && !st.repairing {
		delete(s.keys, key)
	}
}

// enqueue queues a write of one key. It must be called in the key's
// primary order (under the proxy's key lock). It reports false when the
// write was not queued and the key must be repaired instead.
func (a *applier) enqueue(o *op) bool {
	s := a.shard(o.key)
	s.mu.Lock()
	st := s.state(o.key)
	st.seq++
	o.seq = st.seq
	if st.repairing {
		if st.holding && len(st.held) < maxHeld {
			st.held = append(st.held, o)
		} else {
			st.holding, st.held, st.again = false, nil, true
		}
		s.mu.Unlock()
		return true
	}
	select {
	case s.queue <- o:
		st.queued++
		s.enq++
		s.mu.Unlock()
		a.mu.Lock()
		a.busy++
		a.mu.Unlock()
		return true
	default:
		s.forget(o.key, st)
		s.mu.Unlock()
		return false
	}
}

// run applies each shard's queue until ctx ends.
func (a *applier) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, s := range a.shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.work(ctx, s)
		}()
	}
	wg.Wait()
}

// maxBatch bounds the writes of one shard replayed in one round trip.
const maxBatch = 128

// work replays a shard's queue: whatever is queued (up to maxBatch) goes
// in one pipeline, so a hot key costs one round trip per batch, not per
// write.
func (a *applier) work(ctx context.Context, s *applyShard) {
	batch := make([]*op, 0, maxBatch)
	todo := make([]*op, 0, maxBatch) // nothing keeps it after applyBatch
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			a.abandon(s)
			return
		case o := <-s.queue:
			batch = append(batch, o)
		}
	more:
		for len(batch) < maxBatch {
			select {
			case o := <-s.queue:
				batch = append(batch, o)
			default:
				break more
			}
		}
		todo = todo[:0]
		s.mu.Lock()
		for _, o := range batch {
			st := s.keys[o.key]
			st.queued--
			if st.repairing || o.seq <= st.skipThrough {
				continue // a copy covers it
			}
			st.inflight++
			todo = append(todo, o)
		}
		s.mu.Unlock()
		failed := a.applyBatch(ctx, todo)
		// Handed over while still in flight, so that a copy of the key
		// (which waits for inflight to drop) sees the fence.
		for k, fence := range failed {
			a.failed([]byte(k), fence)
		}
		s.mu.Lock()
		for _, o := range todo {
			s.keys[o.key].inflight--
		}
		s.done += uint64(len(batch))
		s.cond.Broadcast()
		for _, o := range batch {
			if st := s.keys[o.key]; st != nil {
				s.forget(o.key, st)
			}
		}
		s.mu.Unlock()
		a.mu.Lock()
		a.busy -= len(batch)
		if a.busy == 0 {
			a.idle.Broadcast()
		}
		a.mu.Unlock()
	}
}

// abandon hands the keys of writes still queued when the proxy stops to
// failed (the repairer's journal), so that the next proxy repairs them.
func (a *applier) abandon(s *applyShard) {
	for {
		select {
		case o := <-s.queue:
			a.failed([]byte(o.key), nil)
		default:
			return
		}
	}
}

// applyBatch applies ops in one round trip and returns the keys the
// secondary does not follow the primary on afterwards, each with the fence
// of its writes when they timed out (nil otherwise).
func (a *applier) applyBatch(ctx context.Context, ops []*op) map[string]*resp.FencedError {
	if len(ops) == 0 {
		return nil
	}
	p := a.p
	now := time.Now()
	for _, o := range ops {
		a.delay.Observe(now.Sub(o.queued).Seconds())
	}
	if a.breaker != nil && !a.breaker.allow() {
		p.m.Commands.WithLabelValues(a.name, "skipped").Add(float64(len(ops)))
		failed := make(map[string]*resp.FencedError, len(ops))
		for _, o := range ops {
			failed[o.key] = nil
		}
		return failed
	}
	a.applied.Add(int64(len(ops)))
	// A long replay (replayHeld) gets the timeout once per batch's worth.
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout*time.Duration(1+(len(ops)-1)/maxBatch))
	defer cancel()
	vs, err := a.apply(ctx, ops)
	if err != nil {
		p.log.Warn("writes not applied", "side", a.name, "writes", len(ops), "first_key", ops[0].key, "err", err)
		var fence *resp.FencedError
		_ = errors.As(err, &fence)
		failed := make(map[string]*resp.FencedError, len(ops))
		for _, o := range ops {
			failed[o.key] = fence
		}
		return failed
	}
	var differ map[string]*resp.FencedError // most batches have none: no map
	for i, o := range ops {
		if v := vs[i]; o.compare && !resp.Equal(o.redis, v) {
			p.m.Mismatches.WithLabelValues("write_reply").Inc()
			p.log.Info("write replies differ", "side", a.name, "key", o.key, "cmd", string(o.args[0]),
				"primary", o.redis.String(), "secondary", v.String())
			if differ == nil {
				differ = map[string]*resp.FencedError{}
			}
			differ[o.key] = nil
		}
	}
	return differ
}

// beginCopy takes key over for a copy: later writes are not applied
// (kept for replayHeld when hold is set), and it returns once no write of
// the key is being applied.
func (a *applier) beginCopy(key string, hold bool) {
	s := a.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(key)
	st.repairing, st.again = true, false
	st.holding, st.held = hold, nil
	for st.inflight > 0 {
		s.cond.Wait()
	}
	st.skipThrough = st.seq
}

// hold starts keeping key's writes for replay; call it between beginCopy
// and the snapshot read, under the key's lock (so no write of the key
// runs): the snapshot then holds every write before, none after.
func (a *applier) hold(key string) {
	s := a.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(key)
	st.skipThrough = st.seq
	// The writes kept since beginCopy ran before the lock: the snapshot
	// has them.
	st.held = nil
}

// replayHeld applies the writes kept since the snapshot at seq, in
// order, until none is left, then hands key back (endCopy). It reports
// whether the key must be copied again: too many writes arrived, or
// titan did not apply or answered differently.
func (a *applier) replayHeld(ctx context.Context, key string) (again bool) {
	s := a.shard(key)
	for {
		s.mu.Lock()
		st := s.state(key)
		if !st.holding || st.again {
			st.holding, st.held = false, nil
			s.mu.Unlock()
			return a.endCopy(key, false)
		}
		ops := st.held
		st.held = nil
		if len(ops) == 0 {
			st.holding, st.repairing = false, false
			s.forget(key, st)
			s.mu.Unlock()
			return false
		}
		s.mu.Unlock()
		for lo := 0; lo < len(ops); lo += maxReplay {
			if failed := a.applyBatch(ctx, ops[lo:min(lo+maxReplay, len(ops))]); len(failed) > 0 {
				for k, fence := range failed {
					if fence != nil { // the next copy waits for it
						a.failed([]byte(k), fence)
					}
				}
				s.mu.Lock()
				st.holding, st.held = false, nil
				s.mu.Unlock()
				return a.endCopy(key, false)
			}
		}
	}
}

// endCopy hands key back after a copy. It reports whether the key must be
// copied again: the copy failed, or a write arrived while it ran.
func (a *applier) endCopy(key string, copied bool) (again bool) {
	s := a.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(key)
	if !copied || st.again {
		return true
	}
	st.repairing = false
	s.forget(key, st)
	return false
}

// behind reports whether any of keys has writes not yet applied on the
// secondary (queued, being applied, or waiting for a copy).
func (a *applier) behind(keys [][]byte) bool {
	for _, k := range keys {
		s := a.shard(string(k))
		s.mu.Lock()
		_, ok := s.keys[string(k)]
		s.mu.Unlock()
		if ok {
			return true
		}
	}
	return false
}

// flush waits until every write queued before the call is done with
// (applied with its mark, covered by a copy, or handed to the repairer).
func (a *applier) flush(ctx context.Context) error {
	for _, s := range a.shards {
		stop := context.AfterFunc(ctx, func() {
			s.mu.Lock()
			s.cond.Broadcast()
			s.mu.Unlock()
		})
		s.mu.Lock()
		target := s.enq
		for s.done < target && ctx.Err() == nil {
			s.cond.Wait()
		}
		s.mu.Unlock()
		stop()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// pending returns the number of writes queued or being applied.
func (a *applier) pending() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.busy
}

// drain waits until no write is queued or in flight, or ctx ends.
func (a *applier) drain(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		a.mu.Lock()
		a.idle.Broadcast()
		a.mu.Unlock()
	})
	defer stop()
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.busy > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		a.idle.Wait()
	}
	return nil
}
