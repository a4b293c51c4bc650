package command

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/big"
	"time"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
	"github.com/titan-kv/titan/wait"
)

// Blocking commands (BLPOP, BZPOPMIN...). A blocking command first
// registers its client in the instance's wait registry (package wait) on
// its keys, then tries its non-blocking form once in a store transaction.
// When that finds nothing, the client is blocked: Run stops there and the
// connection goroutine waits in Wait. Every commit that leaves a list or a
// sorted set at a key — on this instance (db.OnCommit) or on another (the
// bus) — wakes the first waiter of the key, which tries again in a
// transaction of its own: the pop happens in the transaction that decides
// who gets the element, so an element is given exactly once, and a client
// that left (disconnected, killed, timed out) never takes one. A waiter
// that leaves wakes the next one.

// unblockReason is why a blocked client is unblocked from outside.
type unblockReason int

const (
	unblockTimeout unblockReason = iota + 1 // CLIENT UNBLOCK ... TIMEOUT
	unblockError                            // CLIENT UNBLOCK ... ERROR
	unblockGone                             // the connection closed or was killed
)

// blockSpec is what a blocking command's handler asks for.
type blockSpec struct {
	keys    [][]byte
	timeout time.Duration // 0: forever
	// timedOut is the reply when the timeout passes.
	timedOut resp.Reply
	// group is the consumer group of a blocking XREADGROUP: its waiters
	// take turns (wait.Registry.WaitGroup).
	group string
	// deadline is when the timeout passes (zero: never), set when the
	// client blocks; retrying is set once a wake-up tries again. A retry
	// that starts after the deadline (the batch it joined was queued or
	// ran into conflicts) answers the timeout and takes nothing.
	deadline time.Time
	retrying bool
	// ready, when set, is a read on a snapshot telling whether a woken
	// retry may find something: a retry that would find nothing then
	// waits on without its write transaction (for XREADGROUP, without
	// queueing for the stream's lock). more tells that there is more
	// than the retry takes: the next waiter of its group is woken at
	// once, so that the readers of a backlog share the stream's next
	// turn instead of taking one each (wait.Waiter.PassOn).
	ready func(tx *db.Tx) (ok, more bool, err error)
}

// expired reports whether a retry started after the deadline.
func (b *blockSpec) expired() bool {
	return b.retrying && !b.deadline.IsZero() && !time.Now().Before(b.deadline)
}

// blocked is the state of a blocked client.
type blocked struct {
	call     *Call
	w        *wait.Waiter
	deadline time.Time // zero: forever
	since    time.Time
	rest     [][][]byte // the rest of the pipeline, run after the reply
	reason   chan unblockReason
}

// block turns the call into a blocking command on keys: try is the
// non-blocking form over the keys it is given, a write job answering nil
// when every key is empty. Inside MULTI (and scripts) try runs once and nil
// answers empty; otherwise the client waits up to timeout (0: forever) and
// then answers timedOut. want is the type the client waits for ("list",
// "zset"; empty: any): as in Redis, a woken client is served only from a
// key of that type, so a retry passes over keys that now hold another
// type (a WRONGTYPE error is only the first try's answer).
func (c *Call) block(keys [][]byte, want string, timeout time.Duration, empty, timedOut resp.Reply, try func(tx *db.Tx, keys [][]byte) (resp.Reply, error)) {
	if c.nested || c.s.waiters == nil {
		c.Write(func(tx *db.Tx) (resp.Reply, error) {
			r, err := try(tx, keys)
			if r == nil && err == nil {
				r = empty
			}
			return r, err
		})
		return
	}
	spec := &blockSpec{keys: keys, timeout: timeout, timedOut: timedOut}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		if spec.expired() {
			return timedOut, nil
		}
		if !spec.retrying || want == "" {
			return try(tx, keys)
		}
		ks, err := keysOfType(tx, keys, want)
		if err != nil || len(ks) == 0 {
			return nil, err
		}
		return try(tx, ks)
	})
	c.blk = spec
}

// keysOfType returns the keys that hold type want, in order.
func keysOfType(tx *db.Tx, keys [][]byte, want string) ([][]byte, error) {
	out := make([][]byte, 0, len(keys))
	for _, k := range keys {
		t, err := tx.Key(k).Type()
		if err != nil {
			return nil, err
		}
		if t == want {
			out = append(out, k)
		}
	}
	return out, nil
}

// startBlock registers the call's client as a waiter and tries the call
// once; it reports whether the client is now blocked (nothing to take).
func (s *Engine) startBlock(cl *Client, call *Call, rest [][][]byte) bool {
	w := s.waiters.WaitGroup(cl.db, call.blk.keys, call.blk.group)
	s.db.Do(context.Background(), call.job)
	if call.job.Err != nil || call.result != nil {
		w.Done()
		return false
	}
	b := &blocked{call: call, w: w, since: time.Now(), reason: make(chan unblockReason, 1)}
	if call.blk.timeout > 0 {
		b.deadline = b.since.Add(call.blk.timeout)
		call.blk.deadline = b.deadline
	}
	for _, args := range rest {
		q := make([][]byte, len(args))
		for i, a := range args {
			q[i] = bytes.Clone(a)
		}
		b.rest = append(b.rest, q)
	}
	cl.blk.Store(b)
	s.blockedClients.Add(1)
	if s.m != nil {
		s.m.BlockedClients.Inc()
	}
	return true
}

// Blocked reports whether the client waits in a blocking command; the
// network side then calls Wait.
func (c *Client) Blocked() bool { return c.blk.Load() != nil }

// unblock unblocks the client from another goroutine; false when it was
// not blocked.
func (c *Client) unblock(r unblockReason) bool {
	b := c.blk.Load()
	if b == nil {
		return false
	}
	select {
	case b.reason <- r:
	default:
	}
	return true
}

// endBlock ends the client's blocked state, if any.
func (s *Engine) endBlock(cl *Client) {
	b := cl.blk.Swap(nil)
	if b == nil {
		return
	}
	b.w.Done()
	s.blockedClients.Add(-1)
	if s.m != nil {
		s.m.BlockedClients.Dec()
	}
}

// UnblockAll makes every blocked client leave without a reply and without
// taking anything (shutdown).
func (s *Engine) UnblockAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cl := range s.clients {
		cl.unblock(unblockGone)
	}
}

// Wait waits while the client is blocked: until a wake-up serves it, its
// timeout passes, CLIENT UNBLOCK or CLIENT KILL, or gone is closed (the
// network side saw the connection close). It then appends the blocked
// command's reply and the replies of the rest of its pipeline (which may
// block again: the client is then still Blocked) to out. A client that is
// gone gets nothing, and nothing is taken for it.
func (s *Engine) Wait(cl *Client, gone <-chan struct{}, out []byte) []byte {
	b := cl.blk.Load()
	if b == nil {
		return out
	}
	call := b.call
	var timeout <-chan time.Time
	if !b.deadline.IsZero() {
		t := time.NewTimer(time.Until(b.deadline))
		defer t.Stop()
		timeout = t.C
	}
	left := false
	for done := false; !done; {
		select {
		case <-b.w.C():
			select {
			case <-gone:
				left = true
				done = true
				continue
			default:
			}
			if cl.killed.Load() {
				left, done = true, true
				continue
			}
			if !b.deadline.IsZero() && !time.Now().Before(b.deadline) {
				// The timeout passed while an earlier retry ran: answer
				// it rather than try again.
				call.job, call.result, done = nil, call.blk.timedOut, true
				continue
			}
			ok, more := s.mayServe(cl, call)
			if more {
				b.w.PassOn()
			}
			if !ok {
				continue
			}
			woke := time.Now()
			call.blk.retrying = true
			call.job.Err, call.result = nil, nil
			s.db.Do(context.Background(), call.job)
			if err := call.job.Err; err != nil && call.blk.expired() && !db.IsUserError(err) && !errors.Is(err, db.ErrUndetermined) {
				// The retry failed (a busy store) after the deadline:
				// nothing was taken, the timeout is the answer.
				call.job.Err, call.result = nil, call.blk.timedOut
			}
			done = call.job.Err != nil || call.result != nil
			if done && s.m != nil {
				s.m.BlockedWakes.Inc()
				s.m.WakeLatency.Observe(time.Since(woke).Seconds())
			}
		case <-timeout:
			call.job, call.result, done = nil, call.blk.timedOut, true
		case r := <-b.reason:
			switch r {
			case unblockTimeout:
				call.job, call.result = nil, call.blk.timedOut
			case unblockError:
				call.job, call.result = nil, nil
				call.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
			case unblockGone:
				left = true
			}
			done = true
		case <-gone:
			left, done = true, true
		}
	}
	s.endBlock(cl)
	if left {
		return out
	}
	cl.enterRun()
	out = call.safeAppend(out)
	if len(b.rest) > 0 {
		out = s.Run(cl, b.rest, out)
	}
	return out
}

// mayServe runs the blocked call's ready check, if any: ok is false when
// the retry would find nothing, more is true when it would leave some for
// the next waiter. A failing check lets the retry run (and answer the
// error).
func (s *Engine) mayServe(cl *Client, call *Call) (ok, more bool) {
	ready := call.blk.ready
	if ready == nil {
		return true, false
	}
	ok = true
	j := &db.Job{DB: cl.db, Keys: call.blk.keys, ReadOnly: true, Fn: func(tx *db.Tx) error {
		var err error
		ok, more, err = ready(tx)
		return err
	}}
	s.db.Do(context.Background(), j)
	if j.Err != nil {
		return true, false
	}
	return ok, more
}

// Recheck is the bounded fallback that catches a missed wake-up (a bus
// message lost with a peer that died or a network fault): every interval,
// one snapshot read looks at every key with waiters on this instance and
// wakes the first waiter of each list or sorted set, of a stream every
// XREAD and the first XREADGROUP of each group, and of any other key
// (missing, or of another type) the first XREADGROUP of each group, which
// answers that its stream is gone. It costs one store request per
// interval whatever the number of blocked clients (plus one transaction
// per woken stream reader), and none while nobody waits. It returns when ctx ends.
func (s *Engine) Recheck(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		keys := s.waiters.Keys()
		if len(keys) == 0 {
			continue
		}
		refs := make([]db.KeyRef, len(keys))
		for i, k := range keys {
			refs[i] = db.KeyRef{DB: k.DB, Key: []byte(k.Key)}
		}
		exist, err := s.db.Existing(ctx, refs)
		if err != nil {
			continue
		}
		for i, t := range exist {
			switch t {
			case encoding.TypeStream:
				// XREAD readers do not consume: each may be waiting
				// for something else (its ID); XREADGROUP readers take
				// turns per group.
				s.waiters.WakeReaders(refs[i].DB, refs[i].Key)
				continue
			case encoding.TypeList, encoding.TypeZSet:
				s.waiters.Wake(refs[i].DB, refs[i].Key)
			}
			// XREADGROUP readers of a key that holds no stream answer
			// that it is gone.
			s.waiters.WakeGroups(refs[i].DB, refs[i].Key)
		}
	}
}

// parseTimeout reads a blocking command's timeout in seconds as Redis 7.0
// does (a long double; 0 is forever).
func parseTimeout(c *Call, arg []byte) (time.Duration, bool) {
	f, ok := parse.LongDouble(arg)
	if !ok {
		c.Error("ERR timeout is not a float or out of range")
		return 0, false
	}
	ms := new(big.Float).Mul(f, big.NewFloat(1000))
	v, _ := ms.Float64()
	if f.IsInf() || v < 0 || v >= math.MaxInt64 {
		// Redis casts the milliseconds to a long long: anything beyond
		// its range turns negative.
		c.Error("ERR timeout is negative")
		return 0, false
	}
	v = math.Ceil(v)
	if v > float64(math.MaxInt64/int64(time.Millisecond)) {
		return 0, true // beyond what a Duration holds: forever
	}
	return time.Duration(v) * time.Millisecond, true
}
