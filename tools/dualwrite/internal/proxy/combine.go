package proxy

import (
	"context"
	"sync"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
)

// combiner merges the batches that the applier's shard workers send at
// the same time into one pipeline (group commit): while a pipeline is in
// flight, the batches arriving queue, and when it returns the next sender
// takes all of them. A batch therefore waits for company only while
// another replay pipeline to titan is in flight, never for a fixed time (a
// fixed linger capped a hot key's replays, which go one batch at a time,
// at one batch per linger). Titan then runs a few large transactions
// instead of one per write, each paying its fixed costs (timestamp,
// prewrite, commit), and the proxy pays one write and one read system
// call per pipeline instead of per write; on a shared machine that CPU is
// what clients of the proxy would wait for. A shard worker still waits
// for its own batch's replies before sending the next, so each key's
// writes keep their order.
type combiner struct {
	send    func(ctx context.Context, ops []*op) ([]resp.Value, error)
	timeout time.Duration // per maxBatch writes of a pipeline

	mu      sync.Mutex
	queue   []*combined
	sending int
}

// maxSending bounds the combined pipelines in flight. One: the batches
// arriving while it is in flight go together in the next. A slow
// pipeline holds the others up to the replay timeout (then their keys are
// repaired, as for any replay that timed out).
const maxSending = 1

// maxCombined bounds the writes of one combined pipeline.
const maxCombined = 2048

type combined struct {
	ops  []*op
	vs   []resp.Value
	err  error
	done chan struct{}
}

// do sends ops, possibly together with other callers' batches, and
// returns their replies.
func (c *combiner) do(ctx context.Context, ops []*op) ([]resp.Value, error) {
	c.mu.Lock()
	if c.sending < maxSending && len(c.queue) == 0 {
		// Nothing to wait for or to take along: send at once, within
		// ctx (no batch of its own, no timer of its own).
		c.sending++
		c.mu.Unlock()
		vs, err := c.send(ctx, ops)
		c.handOn()
		return vs, err
	}
	me := &combined{ops: ops, done: make(chan struct{})}
	c.queue = append(c.queue, me)
	if c.sending < maxSending {
		c.sending++
		c.mu.Unlock()
		c.sendUntil(me)
	} else {
		c.mu.Unlock()
	}
	select {
	case <-me.done:
		return me.vs, me.err
	case <-ctx.Done():
	}
	// Out of time: a batch still queued is withdrawn (never sent, so the
	// repair of its keys cannot be overtaken by it); one being sent is
	// waited for (its pipeline has its own timeout).
	c.mu.Lock()
	for i, q := range c.queue {
		if q == me {
			c.queue = append(c.queue[:i:i], c.queue[i+1:]...)
			c.mu.Unlock()
			return nil, ctx.Err()
		}
	}
	c.mu.Unlock()
	<-me.done
	return me.vs, me.err
}

// handOn ends a send: batches that queued meanwhile go on in a new
// sender (this caller does not send for the others), else the slot is
// free.
func (c *combiner) handOn() {
	c.mu.Lock()
	if len(c.queue) > 0 {
		c.mu.Unlock()
		go c.sendUntil(nil)
		return
	}
	c.sending--
	c.mu.Unlock()
}

// sendUntil sends queued batches, oldest first, until me is sent (nil:
// until the queue is empty); batches still queued then go on in a new
// sender, so no caller sends for the others for long.
func (c *combiner) sendUntil(me *combined) {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 || (me != nil && isClosed(me.done)) {
			c.mu.Unlock()
			c.handOn()
			return
		}
		var group []*combined
		n := 0
		for len(c.queue) > 0 && (n == 0 || n+len(c.queue[0].ops) <= maxCombined) {
			n += len(c.queue[0].ops)
			group = append(group, c.queue[0])
			c.queue = c.queue[1:]
		}
		c.mu.Unlock()
		c.sendGroup(group, n)
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// sendGroup sends the batches of group (n writes) in one pipeline and
// hands each its replies.
func (c *combiner) sendGroup(group []*combined, n int) {
	all := group[0].ops
	if len(group) > 1 {
		all = make([]*op, 0, n)
		for _, g := range group {
			all = append(all, g.ops...)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout*time.Duration(1+(n-1)/maxBatch))
	vs, err := c.send(ctx, all)
	cancel()
	for _, g := range group {
		if err != nil {
			g.err = err
		} else {
			g.vs, vs = vs[:len(g.ops)], vs[len(g.ops):]
		}
		close(g.done)
	}
}
