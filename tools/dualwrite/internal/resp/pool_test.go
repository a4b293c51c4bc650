package resp

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestPoolReusesConnections(t *testing.T) {
	s := newFakeServer(t, echoReply)
	p := NewPool(s.addr(), 4, time.Second)
	defer p.Close()
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if v, err := p.Do(ctx, []byte("PING")); err != nil || string(v.Str) != "PONG" {
			t.Fatalf("PING: %v %v", v, err)
		}
	}
	if vs, err := p.Pipeline(ctx, [][][]byte{Args("ECHO", "a"), Args("ECHO", "b")}); err != nil || string(vs[1].Str) != "b" {
		t.Fatalf("pipeline: %v %v", vs, err)
	}
	if n := s.accepts.Load(); n != 1 {
		t.Fatalf("sequential use opened %d connections, want 1", n)
	}
	if p.Addr() != s.addr() {
		t.Errorf("Addr = %s", p.Addr())
	}
}

func TestPoolEmptyPipelineDoesNotConnect(t *testing.T) {
	s := newFakeServer(t, echoReply)
	p := NewPool(s.addr(), 1, time.Second)
	defer p.Close()
	if vs, err := p.Pipeline(context.Background(), nil); vs != nil || err != nil {
		t.Fatalf("empty pipeline: %v %v", vs, err)
	}
	if n := s.accepts.Load(); n != 0 {
		t.Fatalf("empty pipeline opened %d connections", n)
	}
}

func TestPoolBoundsConnections(t *testing.T) {
	s := newFakeServer(t, echoReply)
	p := NewPool(s.addr(), 2, time.Second)
	defer p.Close()
	ctx := context.Background()
	a, err := p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two checkouts returned the same connection")
	}
	// Full: a third Get waits until the context ends.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if c, err := p.Get(short); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get on a full pool: %v %v, want deadline exceeded", c, err)
	}
	// ... or until a connection comes back, which it then gets.
	got := make(chan *Conn)
	go func() {
		c, _ := p.Get(ctx)
		got <- c
	}()
	time.Sleep(50 * time.Millisecond)
	p.Put(a)
	select {
	case c := <-got:
		if c != a {
			t.Fatal("waiting Get did not receive the returned connection")
		}
		p.Put(c)
	case <-time.After(2 * time.Second):
		t.Fatal("Get still blocked after Put")
	}
	p.Put(b)

	// Concurrent users never open more than size connections.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.Do(ctx, []byte("PING")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := s.accepts.Load(); n > 2 {
		t.Fatalf("%d connections opened, pool size is 2", n)
	}
}

func TestPoolDropsBrokenConnections(t *testing.T) {
	s := newFakeServer(t, echoReply)
	p := NewPool(s.addr(), 1, time.Second)
	defer p.Close()
	ctx := context.Background()
	if _, err := p.Do(ctx, []byte("CLOSE")); err == nil {
		t.Fatal("want an error when the server hangs up")
	}
	// The broken connection gave its slot back: the next command dials a
	// new connection instead of blocking or reusing the dead one.
	done := make(chan error, 1)
	go func() {
		_, err := p.Do(ctx, []byte("PING"))
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("PING after a broken connection: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("pool of size 1 blocked: the broken connection kept its slot")
	}
	if n := s.accepts.Load(); n != 2 {
		t.Fatalf("%d connections opened, want 2", n)
	}
}

func TestPoolDialFailureReleasesSlot(t *testing.T) {
	p := NewPool(closedAddr(t), 1, 200*time.Millisecond)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ {
		if _, err := p.Do(ctx, []byte("PING")); err == nil {
			t.Fatal("PING to a closed port succeeded")
		} else if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("attempt %d waited for a slot: a failed dial kept it", i)
		}
	}
}

func TestPoolClose(t *testing.T) {
	s := newFakeServer(t, echoReply)
	p := NewPool(s.addr(), 2, time.Second)
	ctx := context.Background()
	c, err := p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Put(c)
	p.Close()
	// The idle connection was closed ...
	if _, err := c.Do(ctx, []byte("PING")); err == nil {
		t.Fatal("idle connection still usable after Close")
	}
	// ... and its slot freed: the pool can still dial both connections.
	a, err := p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a == c || b == c {
		t.Fatal("Get returned a closed connection")
	}
	p.Put(a)
	p.Put(b)
	p.Close()
}

func TestNewPoolMinimumSize(t *testing.T) {
	s := newFakeServer(t, echoReply)
	p := NewPool(s.addr(), 0, time.Second)
	defer p.Close()
	if _, err := p.Do(context.Background(), []byte("PING")); err != nil {
		t.Fatalf("pool of size 0 is unusable: %v", err)
	}
}
