package resp

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Pool is a bounded pool of connections to one server address. It is safe
// for concurrent use.
type Pool struct {
	addr    string
	timeout time.Duration
	idle    chan *Conn
	slots   chan struct{}

	// late holds the fenced pipelines whose caller stopped waiting and
	// whose replies are still being read (see PipelineFenced).
	mu   sync.Mutex
	late map[*fencedCall]struct{}
}

// fencedCall is a pipeline of PipelineFenced.
type fencedCall struct {
	c    *Conn
	done bool // every reply read or the connection failed; c is back in the pool
	// settled is closed once vs and err are set.
	settled chan struct{}
	vs      []Value
	err     error
}

// NewPool returns a pool of at most size connections to addr; timeout bounds
// dials and round trips.
func NewPool(addr string, size int, timeout time.Duration) *Pool {
	if size < 1 {
		size = 1
	}
	return &Pool{
		addr:    addr,
		timeout: timeout,
		idle:    make(chan *Conn, size),
		slots:   make(chan struct{}, size),
	}
}

// Addr returns the server address of the pool.
func (p *Pool) Addr() string { return p.addr }

// Get checks out a connection, dialing a new one when none is idle and the
// pool is below its size.
func (p *Pool) Get(ctx context.Context) (*Conn, error) {
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	select {
	case c := <-p.idle:
		return c, nil
	case p.slots <- struct{}{}:
		c, err := Dial(ctx, p.addr, p.timeout)
		if err != nil {
			<-p.slots
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("pool %s: %w", p.addr, ctx.Err())
	}
}

// Put returns c to the pool, closing it if it is broken.
func (p *Pool) Put(c *Conn) {
	if c.Broken() {
		c.Close()
		<-p.slots
		return
	}
	select {
	case p.idle <- c:
	default:
		c.Close()
		<-p.slots
	}
}

// Do runs one command on a pooled connection.
func (p *Pool) Do(ctx context.Context, args ...[]byte) (Value, error) {
	c, err := p.Get(ctx)
	if err != nil {
		return Value{}, err
	}
	v, err := c.Do(ctx, args...)
	p.Put(c)
	return v, err
}

// Pipeline runs cmds on one pooled connection in a single round trip.
func (p *Pool) Pipeline(ctx context.Context, cmds [][][]byte) ([]Value, error) {
	if len(cmds) == 0 {
		return nil, nil
	}
	c, err := p.Get(ctx)
	if err != nil {
		return nil, err
	}
	vs, err := c.Pipeline(ctx, cmds)
	p.Put(c)
	return vs, err
}

// FencedError is the error of PipelineFenced when ctx ended before the
// replies came: the commands were sent and the server may still run them.
// Settled is closed once it no longer can (every reply arrived, or the
// connection failed).
type FencedError struct {
	Err     error
	Settled <-chan struct{}
	abandon func()
}

func (e *FencedError) Error() string { return e.Err.Error() }
func (e *FencedError) Unwrap() error { return e.Err }

// Abandon stops reading the replies: it closes the connection (if its
// reader is still at work), which closes Settled soon after. The server
// may still run what it received: the caller gives up knowing when.
func (e *FencedError) Abandon() {
	if e.abandon != nil {
		e.abandon()
	}
}

// PipelineFenced runs cmds like Pipeline, except when ctx ends first: it
// then returns a *FencedError at once, and the connection is not closed
// (closing it would not stop the server from running what it already
// received) but kept reading the replies in the background, with no time
// limit, so that a caller knows when a late command can no longer land
// (FencedError.Settled). TCP keepalive ends the wait on a dead host.
func (p *Pool) PipelineFenced(ctx context.Context, cmds [][][]byte) ([]Value, error) {
	if len(cmds) == 0 {
		return nil, nil
	}
	if p.timeout > 0 { // as Pipeline: the pool's timeout bounds the wait too
		limit := time.Now().Add(p.timeout * time.Duration(1+len(cmds)/1000))
		if d, ok := ctx.Deadline(); !ok || d.After(limit) { // no second timer when ctx ends first
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, limit)
			defer cancel()
		}
	}
	c, err := p.Get(ctx)
	if err != nil {
		return nil, err // nothing sent
	}
	call := &fencedCall{c: c, settled: make(chan struct{})}
	go p.readFenced(call, cmds)
	select {
	case <-call.settled:
		return call.vs, call.err
	case <-ctx.Done():
	}
	p.mu.Lock()
	if !call.done {
		if p.late == nil {
			p.late = map[*fencedCall]struct{}{}
		}
		p.late[call] = struct{}{}
	}
	p.mu.Unlock()
	return nil, &FencedError{Err: fmt.Errorf("pool %s: %w", p.addr, ctx.Err()), Settled: call.settled,
		abandon: func() { p.abandon(call) }}
}

// readFenced runs call's pipeline on its connection, with no time limit,
// and closes call.settled once its result is set.
func (p *Pool) readFenced(call *fencedCall, cmds [][][]byte) {
	c := call.c
	vs, err := c.pipeline(context.Background(), false, cmds)
	p.mu.Lock()
	call.done = true
	delete(p.late, call)
	p.mu.Unlock()
	p.Put(c)
	call.vs, call.err = vs, err
	close(call.settled)
}

// abandon closes the connection of call if its replies are still being
// read; the reader then fails, and the connection leaves the pool.
func (p *Pool) abandon(call *fencedCall) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !call.done {
		_ = call.c.nc.Close()
		delete(p.late, call)
	}
}

// AbandonFenced stops reading the replies of every fenced pipeline whose
// caller stopped waiting (see FencedError.Abandon) and returns how many
// there were.
func (p *Pool) AbandonFenced() int {
	p.mu.Lock()
	calls := make([]*fencedCall, 0, len(p.late))
	for call := range p.late {
		calls = append(calls, call)
	}
	p.mu.Unlock()
	for _, call := range calls {
		p.abandon(call)
	}
	return len(calls)
}

// Close closes idle connections and those of fenced pipelines whose
// caller stopped waiting (AbandonFenced). Connections checked out are
// closed when they are returned after Close only if the pool is full.
func (p *Pool) Close() {
	p.AbandonFenced()
	for {
		select {
		case c := <-p.idle:
			c.Close()
			<-p.slots
		default:
			return
		}
	}
}
