package db

import (
	"fmt"
	"testing"
	"time"
)

// testGroup is a group of one write job of connection conn on key.
func testGroup(conn int64, key string) *group {
	return &group{jobs: []*Job{{Conn: conn}}, conn: conn, latches: []latch{{key, true}},
		done: make(chan struct{}), lead: make(chan *batch, 1)}
}

// queue adds g as submit does and returns what kick starts. b.mu is held.
func (b *batcher) queueForTest(g *group, now time.Time) []*batch {
	b.pending = append(b.pending, g)
	b.queued += len(g.jobs)
	b.active.see(g.conn, now)
	return b.kick()
}

// TestBatcherGathersActiveConnections: with nothing in flight, a lone
// connection's command starts at once (batching costs it nothing), while
// with several connections active the queue waits for a group of each
// (up to eagerStart) instead of starting a transaction for one command.
func TestBatcherGathersActiveConnections(t *testing.T) {
	b := newBatcher(nil, BatchOptions{Enabled: true, Workers: 4, MaxCommands: 256})
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()

	// One connection, again and again: every command starts at once.
	for i := range 3 {
		ready := b.queueForTest(testGroup(1, fmt.Sprint("k", i)), now)
		if len(ready) != 1 || ready[0].n != 1 {
			t.Fatalf("lone client, command %d: started %v, want a batch of 1 at once", i, ready)
		}
		b.inflight--
		b.held = map[string]int{}
	}

	// Four connections active: the first three wait, the fourth starts
	// the batch of all four.
	for c := int64(2); c <= 4; c++ {
		b.active.see(c, now)
	}
	for c := int64(1); c <= 3; c++ {
		if ready := b.queueForTest(testGroup(c, fmt.Sprint("x", c)), now); ready != nil {
			t.Fatalf("connection %d of 4 started a batch of %d alone", c, ready[0].n)
		}
	}
	if !b.waking {
		t.Fatal("no timer armed for the waiting queue")
	}
	ready := b.queueForTest(testGroup(4, "x4"), now)
	if len(ready) != 1 || ready[0].n != 4 {
		t.Fatalf("fourth connection: started %v, want one batch of 4", ready)
	}

	// The activity is forgotten after two windows: a lone connection
	// starts at once again.
	b.inflight--
	b.held = map[string]int{}
	later := now.Add(3 * activeWindow)
	if ready := b.queueForTest(testGroup(1, "y"), later); len(ready) != 1 {
		t.Fatalf("after the window: started %v, want a batch at once", ready)
	}
}
