package resp

import (
	"bufio"
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// TestPipelineFenced: when ctx ends first the call returns a FencedError
// at once; Settled closes only once the server's reply came, and the
// connection is then reused, in step.
func TestPipelineFenced(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const delay = 300 * time.Millisecond
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for n := 0; ; n++ {
			if _, err := ReadValue(br); err != nil {
				return
			}
			if n == 0 {
				time.Sleep(delay)
			}
			if _, err := c.Write([]byte(":1\r\n")); err != nil {
				return
			}
		}
	}()
	p := NewPool(ln.Addr().String(), 1, 5*time.Second)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = p.PipelineFenced(ctx, [][][]byte{Args("INCR", "k")})
	var fe *FencedError
	if !errors.As(err, &fe) || time.Since(start) > delay/2 {
		t.Fatalf("got %v after %v, want a FencedError at the deadline", err, time.Since(start))
	}
	select {
	case <-fe.Settled:
		t.Fatal("settled before the server answered")
	default:
	}
	select {
	case <-fe.Settled:
		if time.Since(start) < delay*9/10 {
			t.Errorf("settled after %v, before the reply (%v)", time.Since(start), delay)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("never settled")
	}
	vs, err := p.PipelineFenced(context.Background(), [][][]byte{Args("INCR", "k"), Args("INCR", "k")})
	if err != nil || len(vs) != 2 || vs[1].Int != 1 {
		t.Fatalf("reuse after settling: %v %v", vs, err)
	}
}

// TestAbandonFenced: a server that never answers keeps a fenced
// pipeline's reader waiting until the caller abandons it (one call, or
// all of the pool's with AbandonFenced / Close); Settled then closes.
func TestAbandonFenced(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { // reads, never answers
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	p := NewPool(ln.Addr().String(), 4, 5*time.Second)
	defer p.Close()
	fenced := func() *FencedError {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := p.PipelineFenced(ctx, [][][]byte{Args("SET", "k", "v")})
		var fe *FencedError
		if !errors.As(err, &fe) {
			t.Fatalf("got %v, want a FencedError", err)
		}
		return fe
	}
	settles := func(fe *FencedError) bool {
		select {
		case <-fe.Settled:
			return true
		case <-time.After(time.Second):
			return false
		}
	}
	one, two, three := fenced(), fenced(), fenced()
	select {
	case <-one.Settled:
		t.Fatal("settled with no answer and nothing abandoned")
	case <-time.After(200 * time.Millisecond):
	}
	one.Abandon()
	if !settles(one) {
		t.Fatal("abandoned pipeline never settled")
	}
	if n := p.AbandonFenced(); n != 2 {
		t.Errorf("AbandonFenced closed %d, want the 2 left", n)
	}
	if !settles(two) || !settles(three) {
		t.Fatal("pipelines abandoned together never settled")
	}
	if n := p.AbandonFenced(); n != 0 {
		t.Errorf("AbandonFenced closed %d again", n)
	}
}
