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

// TestBatcherLoneClientStartsAtOnce: with nothing in flight, the commands
// of a client alone start at once, one batch each: batching costs it no
// wait.
func TestBatcherLoneClientStartsAtOnce(t *testing.T) {
	b := newBatcher(nil, BatchOptions{Enabled: true, Workers: 4, MaxCommands: 256})
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range 5 {
		g := testGroup(1, fmt.Sprint("k", i))
		b.pending = append(b.pending, g)
		b.queued++
		b.conns.submitted(1, time.Now())
		ready := b.kick()
		if len(ready) != 1 || ready[0].n != 1 {
			t.Fatalf("command %d: started %v, want a batch of 1 at once", i, ready)
		}
		// The batch ends.
		b.inflight--
		b.held = map[string]int{}
		b.conns.answered(1)
	}
}

// TestConnsNextSoon: a queue with nothing in flight waits only when
// another connection's command is expected within gatherGap: under load
// (many connections, each every few milliseconds), not beside a client
// that takes its time, and never for connections already waiting.
func TestConnsNextSoon(t *testing.T) {
	now := time.Now()
	// submit records n submissions of conn every interval, up to now, and
	// answers them.
	submit := func(cs *conns, conn int64, interval time.Duration, n int) {
		for i := n - 1; i >= 0; i-- {
			cs.submitted(conn, now.Add(-time.Duration(i)*interval))
		}
		cs.answered(conn)
	}

	var lone conns
	submit(&lone, 1, 100*time.Microsecond, 20)
	lone.submitted(1, now) // queued again
	if lone.nextSoon(now) {
		t.Error("a client alone waits for itself")
	}

	var slow conns
	submit(&slow, 1, 100*time.Microsecond, 20)
	submit(&slow, 2, 3*time.Millisecond, 5)
	slow.submitted(1, now)
	if slow.nextSoon(now) {
		t.Error("a fast client waits for one sending a command every 3 ms")
	}

	var loaded conns
	for c := int64(1); c <= 50; c++ {
		submit(&loaded, c, 5*time.Millisecond, 5)
	}
	loaded.submitted(1, now)
	if !loaded.nextSoon(now) {
		t.Error("50 clients sending every 5 ms (one command every 100 µs): the queue does not wait")
	}
	for c := int64(2); c <= 50; c++ {
		loaded.submitted(c, now)
	}
	if loaded.nextSoon(now) {
		t.Error("every connection waits already, yet the queue waits for more")
	}
	for c := int64(1); c <= 50; c++ {
		loaded.answered(c)
	}
	if !loaded.nextSoon(now) {
		t.Error("all answered, yet no command is expected")
	}
	if later := now.Add(time.Second); loaded.nextSoon(later) {
		t.Error("connections idle for a second still count")
	}
}
