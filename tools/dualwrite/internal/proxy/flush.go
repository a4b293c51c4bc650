package proxy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"

	"github.com/titan-kv/titan/tools/dualwrite/internal/dirty"
	"github.com/titan-kv/titan/tools/dualwrite/internal/retry"
)

// flushLimit bounds how long one poll waits for a flush; an unfinished
// flush is tried again at the next poll.
const flushLimit = dirty.PollInterval / 2

// flushRequests answers the flushes that backfills ask for (see
// dirty.AwaitFlush): once every titan write the proxy had begun is done,
// it acknowledges all of them.
func (p *Proxy) flushRequests(reqs map[string]string) []string {
	if len(reqs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), flushLimit)
	defer cancel()
	if err := p.flush(ctx); err != nil {
		p.log.Debug("flush for the backfill's drain not done yet", "err", err)
		return nil
	}
	acks := make([]string, 0, len(reqs))
	for owner, nonce := range reqs {
		acks = append(acks, dirty.FlushAck(owner, nonce))
	}
	return acks
}

// flush waits until every titan write begun before the call is over: the
// replays queued or in flight (applied with their marks, or handed to the
// repairer), the replays that timed out but may still land (fenced), and
// the keys waiting for repair or being copied. Writes begun later land after whatever the
// caller did before calling.
func (p *Proxy) flush(ctx context.Context) error {
	if err := p.titanQ.flush(ctx); err != nil {
		return err
	}
	if err := p.repair.flush(ctx); err != nil {
		return err
	}
	for p.orphans.Load() > 0 {
		if !retry.Sleep(ctx, 10*time.Millisecond) {
			return ctx.Err()
		}
	}
	return nil
}

// orphaned counts a replay that timed out until it can no longer land.
func (p *Proxy) orphaned(settled <-chan struct{}) {
	p.orphans.Add(1)
	go func() {
		<-settled
		p.orphans.Add(-1)
	}()
}

// errFenceAbandoned is the error of a titan write that timed out and was
// neither answered nor failed within the proxy's FenceTimeout (or before
// the proxy stopped): it may still land, so its key must be marked dirty.
var errFenceAbandoned = errors.New("timed-out titan write abandoned while it may still land")

// fencedTitan is titan as the repair copies write to it: a write that
// timed out returns its error only once it can no longer land, so a copy
// that failed can never overwrite the key's next copy; or, after the
// proxy's FenceTimeout or once stop ends, errFenceAbandoned.
type fencedTitan struct {
	p    *Proxy
	stop context.Context
}

// Pipeline implements copier.Pipeliner.
func (f fencedTitan) Pipeline(ctx context.Context, cmds [][][]byte) ([]resp.Value, error) {
	vs, err := f.p.titan.PipelineFenced(ctx, cmds)
	if fe := (*resp.FencedError)(nil); errors.As(err, &fe) {
		f.p.orphaned(fe.Settled)
		t := time.NewTimer(f.p.cfg.FenceTimeout)
		defer t.Stop()
		select {
		case <-fe.Settled:
		case <-f.stop.Done():
			return nil, fmt.Errorf("%w: %w", errFenceAbandoned, err)
		case <-t.C:
			fe.Abandon()
			f.p.m.FencesAbandoned.Inc()
			return nil, fmt.Errorf("%w: %w", errFenceAbandoned, err)
		}
	}
	return vs, err
}

// abandonFences runs when the proxy stops: the keys whose titan writes
// timed out and may still land are marked dirty (a later backfill's drain
// copies them again, after a repair by the next proxy from the journal
// that such a write could overwrite), and the connections still read for
// their replies are closed.
func (p *Proxy) abandonFences() {
	keys := p.repair.fencedKeys()
	if len(keys) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.Timeout)
		err := p.mark(ctx, keys)
		cancel()
		if err != nil {
			p.log.Error("keys whose timed-out titan writes may still land not marked dirty (run verify --fix after the migration's writes stop)", "keys", len(keys), "first_key", string(keys[0]), "err", err)
		} else {
			p.log.Warn("keys whose timed-out titan writes may still land marked dirty (run sync again or verify --fix)", "keys", len(keys), "first_key", string(keys[0]))
		}
	}
	if n := p.titan.AbandonFenced(); n > 0 {
		p.m.FencesAbandoned.Add(float64(n))
		p.log.Info("stopped reading replies of timed-out titan writes", "writes", n)
	}
}
