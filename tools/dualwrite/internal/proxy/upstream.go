package proxy

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"sync"
	"sync/atomic"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/cmdtable"
	"github.com/titan-kv/titan/tools/dualwrite/internal/metrics"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
)

// breaker skips titan for a cooldown after consecutive failures so a dead
// titan costs clients nothing while Redis serves reads.
type breaker struct {
	threshold int64
	cooldown  time.Duration
	failures  atomic.Int64
	openUntil atomic.Int64 // unix nanos
}

func (b *breaker) allow() bool { return time.Now().UnixNano() >= b.openUntil.Load() }

func (b *breaker) record(err error) {
	if err == nil {
		b.failures.Store(0)
		return
	}
	if b.failures.Add(1) >= b.threshold {
		b.openUntil.Store(time.Now().Add(b.cooldown).UnixNano())
		b.failures.Store(0)
	}
}

// sideMetrics are a side's command counters and latency histogram,
// looked up once (WithLabelValues hashes its labels on every call).
type sideMetrics struct {
	ok, errorReply, failed prometheus.Counter
	latency                prometheus.Observer
}

func newSideMetrics(m *metrics.Metrics, side string) *sideMetrics {
	return &sideMetrics{
		ok:         m.Commands.WithLabelValues(side, "ok"),
		errorReply: m.Commands.WithLabelValues(side, "error_reply"),
		failed:     m.Commands.WithLabelValues(side, "failed"),
		latency:    m.Latency.WithLabelValues(side),
	}
}

func (p *Proxy) observe(side string, start time.Time, v resp.Value, err error) {
	sm := p.redisM
	if side == metrics.SideTitan {
		sm = p.titanM
	}
	switch {
	case err != nil:
		sm.failed.Inc()
	case v.IsError():
		sm.errorReply.Inc()
	default:
		sm.ok.Inc()
	}
	sm.latency.Observe(time.Since(start).Seconds())
}

// doTitan sends a command to titan (unsharded: the whole command).
func (p *Proxy) doTitan(ctx context.Context, args [][]byte) (resp.Value, error) {
	start := time.Now()
	v, err := p.titan.Do(ctx, args...)
	p.breaker.record(err)
	p.observe(metrics.SideTitan, start, v, err)
	return v, err
}

// doSource runs a command on the source, splitting multi-key commands
// across shards and merging the replies as twemproxy does.
func (p *Proxy) doSource(ctx context.Context, spec *cmdtable.Spec, args, keys [][]byte) (resp.Value, error) {
	start := time.Now()
	v, err := p.doSourceSplit(ctx, spec, args, keys)
	p.observe(metrics.SideRedis, start, v, err)
	return v, err
}

func (p *Proxy) doSourceSplit(ctx context.Context, spec *cmdtable.Spec, args, keys [][]byte) (resp.Value, error) {
	if len(keys) == 0 {
		return p.src.Do(ctx, 0, args)
	}
	g0 := p.src.Group(keys[0])
	split := false
	if spec.Multi == cmdtable.MGet || spec.Multi == cmdtable.SumInt || spec.Multi == cmdtable.MSet {
		for _, k := range keys[1:] {
			if p.src.Group(k) != g0 {
				split = true
				break
			}
		}
	}
	if !split {
		return p.src.Do(ctx, g0, args)
	}

	// Build one sub-command per group, remembering each key's position.
	type part struct {
		group int
		args  [][]byte
		pos   []int
	}
	var parts []*part
	byGroup := map[int]*part{}
	step := 1
	if spec.Multi == cmdtable.MSet {
		step = 2
	}
	for i, k := range keys {
		g := p.src.Group(k)
		pt := byGroup[g]
		if pt == nil {
			pt = &part{group: g, args: [][]byte{args[0]}}
			byGroup[g] = pt
			parts = append(parts, pt)
		}
		pt.args = append(pt.args, args[1+i*step:1+i*step+step]...)
		pt.pos = append(pt.pos, i)
	}
	replies := make([]resp.Value, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, pt := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i], errs[i] = p.src.Do(ctx, pt.group, pt.args)
		}()
	}
	wg.Wait()
	for i := range parts {
		if errs[i] != nil {
			return resp.Value{}, errs[i]
		}
		if replies[i].IsError() {
			return replies[i], nil
		}
	}
	switch spec.Multi {
	case cmdtable.MGet:
		out := make([]resp.Value, len(keys))
		for i, pt := range parts {
			if len(replies[i].Elems) != len(pt.pos) {
				return resp.Err("ERR dualwrite: shard returned a malformed MGET reply"), nil
			}
			for j, pos := range pt.pos {
				out[pos] = replies[i].Elems[j]
			}
		}
		return resp.Arr(out), nil
	case cmdtable.SumInt:
		var n int64
		for _, r := range replies {
			n += r.Int
		}
		return resp.Int(n), nil
	default:
		return resp.OK(), nil
	}
}
