package proxy

import (
	"context"
	"sync"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/copier"
	"github.com/titan-kv/titan/tools/dualwrite/internal/retry"
	"github.com/titan-kv/titan/tools/dualwrite/internal/source"
)

// repairer copies keys from the source to titan after titan missed or
// diverged on a write. A repair holds the key's lock stripe, so no proxied
// write to the key interleaves with the copy.
type repairer struct {
	p      *Proxy
	max    int
	copier copier.Copier

	mu      sync.Mutex
	pending map[string]struct{}
	order   []string
	wake    chan struct{}
}

func newRepairer(p *Proxy, max int) *repairer {
	return &repairer{p: p, max: max, pending: map[string]struct{}{}, wake: make(chan struct{}, 1), copier: copier.Copier{Page: 512}}
}

func (r *repairer) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

// enqueue queues keys for repair; keys already queued are not duplicated.
func (r *repairer) enqueue(keys ...[]byte) {
	r.mu.Lock()
	for _, k := range keys {
		s := string(k)
		if _, ok := r.pending[s]; ok {
			continue
		}
		if len(r.pending) >= r.max {
			r.p.m.RepairsDropped.Inc()
			continue
		}
		r.pending[s] = struct{}{}
		r.order = append(r.order, s)
		r.p.m.RepairsQueued.Inc()
	}
	r.p.m.RepairQueue.Set(float64(len(r.pending)))
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *repairer) next() (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.order) == 0 {
		return "", false
	}
	k := r.order[0]
	r.order = r.order[1:]
	delete(r.pending, k)
	r.p.m.RepairQueue.Set(float64(len(r.pending)))
	return k, true
}

// breakerPoll is how often the repair worker looks again at a breaker
// that skips titan.
const breakerPoll = 100 * time.Millisecond

// run repairs queued keys until ctx ends, backing off while titan or the
// source is unreachable.
func (r *repairer) run(ctx context.Context) {
	backoff := retry.Backoff{Initial: 100 * time.Millisecond, Max: 5 * time.Second}
	for {
		key, ok := r.next()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-r.wake:
				continue
			}
		}
		if !r.p.breaker.allow() {
			// titan is down: keep the key and wait for the breaker.
			r.enqueue([]byte(key))
			if !retry.Sleep(ctx, breakerPoll) {
				return
			}
			continue
		}
		if err := r.repair(ctx, []byte(key)); err != nil {
			r.p.m.RepairsFailed.Inc()
			r.p.log.Debug("repair failed; will retry", "key", key, "err", err)
			r.enqueue([]byte(key))
			if !backoff.Wait(ctx) {
				return
			}
			continue
		}
		backoff.Reset()
		r.p.m.RepairsDone.Inc()
	}
}

func (r *repairer) repair(ctx context.Context, key []byte) error {
	unlock := r.p.lockKeys([][]byte{key})
	defer unlock()
	ctx, cancel := context.WithTimeout(ctx, 2*r.p.cfg.Timeout)
	defer cancel()
	src := source.GroupPipe{Source: r.p.src, Group: r.p.src.Group(key)}
	_, err := r.copier.Copy(ctx, src, r.p.titan, [][]byte{key})
	r.p.breaker.record(err)
	return err
}
