package proxy

import (
	"context"
	"errors"
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

// fencedTitan is titan as the repair copies write to it: a write that
// timed out returns its error only once it can no longer land (or stop
// ends), so a copy that failed can never overwrite the key's next copy.
type fencedTitan struct {
	p    *Proxy
	stop context.Context
}

// Pipeline implements copier.Pipeliner.
func (f fencedTitan) Pipeline(ctx context.Context, cmds [][][]byte) ([]resp.Value, error) {
	vs, err := f.p.titan.PipelineFenced(ctx, cmds)
	if fe := (*resp.FencedError)(nil); errors.As(err, &fe) {
		f.p.orphaned(fe.Settled)
		select {
		case <-fe.Settled:
		case <-f.stop.Done():
		}
	}
	return vs, err
}
