package resp

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeServer accepts connections on 127.0.0.1 and answers every command
// with reply(cmd) written raw; a nil reply closes the connection.
type fakeServer struct {
	ln      net.Listener
	reply   func(cmd []string) []byte
	accepts atomic.Int64
	wg      sync.WaitGroup
}

func newFakeServer(t *testing.T, reply func(cmd []string) []byte) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{ln: ln, reply: reply}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepts.Add(1)
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer nc.Close()
				br := bufio.NewReader(nc)
				for {
					v, err := ReadValue(br)
					if err != nil {
						return
					}
					var cmd []string
					for _, e := range v.Elems {
						cmd = append(cmd, string(e.Str))
					}
					out := s.reply(cmd)
					if out == nil {
						return
					}
					if _, err := nc.Write(out); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *fakeServer) addr() string { return s.ln.Addr().String() }

// dial connects to the fake server; the test closes the connection.
func (s *fakeServer) dial(t *testing.T, timeout time.Duration) *Conn {
	t.Helper()
	c, err := Dial(context.Background(), s.addr(), timeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedAddr returns an address on 127.0.0.1 nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// echoReply answers ECHO x with x, PING with PONG, FAIL with an error
// reply, SLEEP with a delay, CLOSE by hanging up.
func echoReply(cmd []string) []byte {
	switch strings.ToUpper(cmd[0]) {
	case "PING":
		return []byte("+PONG\r\n")
	case "ECHO":
		return Bulk([]byte(cmd[1])).Append(nil)
	case "FAIL":
		return []byte("-ERR asked to fail\r\n")
	case "SLEEP":
		time.Sleep(300 * time.Millisecond)
		return []byte("+SLEPT\r\n")
	case "CLOSE":
		return nil
	}
	return []byte("-ERR unknown\r\n")
}

func TestConnDoAndPipeline(t *testing.T) {
	s := newFakeServer(t, echoReply)
	ctx := context.Background()
	c := s.dial(t, time.Second)
	if v, err := c.Do(ctx, []byte("PING")); err != nil || string(v.Str) != "PONG" {
		t.Fatalf("PING: %v %v", v, err)
	}
	// An error reply is a value, not a transport error, and leaves the
	// connection usable.
	if v, err := c.Do(ctx, []byte("FAIL")); err != nil || !v.IsError() || string(v.Str) != "ERR asked to fail" {
		t.Fatalf("FAIL: %v %v", v, err)
	}
	if c.Broken() {
		t.Fatal("error reply broke the connection")
	}
	// Replies come back in command order, binary-safe.
	var cmds [][][]byte
	for _, a := range []string{"a", "", "x\r\ny", strings.Repeat("z", 70000)} {
		cmds = append(cmds, Args("ECHO", a))
	}
	cmds = append(cmds, Args("FAIL"))
	vs, err := c.Pipeline(ctx, cmds)
	if err != nil || len(vs) != len(cmds) {
		t.Fatalf("pipeline: %d replies, %v", len(vs), err)
	}
	for i := 0; i < 4; i++ {
		if string(vs[i].Str) != string(cmds[i][1]) {
			t.Errorf("reply %d = %.20q, want %.20q", i, vs[i].Str, cmds[i][1])
		}
	}
	if !vs[4].IsError() {
		t.Errorf("last reply %v, want an error", vs[4])
	}
}

func TestConnBrokenAfterTransportError(t *testing.T) {
	s := newFakeServer(t, echoReply)
	ctx := context.Background()
	c := s.dial(t, time.Second)
	if _, err := c.Do(ctx, []byte("CLOSE")); err == nil {
		t.Fatal("server hung up, want an error")
	}
	if !c.Broken() {
		t.Fatal("connection not marked broken after a read error")
	}
	if _, err := c.Do(ctx, []byte("PING")); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("reuse of a broken connection: %v", err)
	}
}

func TestConnTimeouts(t *testing.T) {
	s := newFakeServer(t, echoReply)
	ctx := context.Background()

	// The connection's own timeout.
	// (The reply takes 300ms: an answer instead of an error means the
	// deadline did not apply.)
	c := s.dial(t, 100*time.Millisecond)
	_, err := c.Do(ctx, []byte("SLEEP"))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("SLEEP with 100ms timeout: %v, want a timeout", err)
	}
	if !c.Broken() {
		t.Error("a timed out connection has a reply in flight and must not be reused")
	}

	// A context deadline shorter than the connection timeout wins.
	c2 := s.dial(t, 10*time.Second)
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := c2.Do(cctx, []byte("SLEEP")); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("SLEEP with a 100ms context: %v, want a timeout", err)
	}

	// A connection without any limit waits.
	c3 := s.dial(t, 0)
	if v, err := c3.Do(ctx, []byte("SLEEP")); err != nil || string(v.Str) != "SLEPT" {
		t.Fatalf("SLEEP without timeout: %v %v", v, err)
	}
}

func TestDialFailure(t *testing.T) {
	addr := closedAddr(t)
	if _, err := Dial(context.Background(), addr, time.Second); err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("dial to a closed port: %v", err)
	}
}
