package command

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/titan-kv/titan/resp"
)

// syncBuffer is a socket stand-in.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func waitOutput(t *testing.T, b *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for b.String() != want {
		if time.Now().After(deadline) {
			t.Fatalf("output %q, want %q", b.String(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPush: pushes are written at once while the connection is idle, and
// after the replies of the pipeline being run while it is busy; past the
// output limit the client is disconnected.
func TestPush(t *testing.T) {
	e := newTestEngine(t)
	e.cfg.PubSubLimit = OutputLimit{Hard: 100}
	closed := make(chan struct{})
	cl, err := e.Connect("test:1", "test:2", func() { close(closed) })
	if err != nil {
		t.Fatal(err)
	}
	var sock syncBuffer
	cl.SetConn(&sock)
	msg := resp.Push{resp.BulkString("message"), resp.BulkString("c"), resp.BulkString("m")}
	const wire = "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n"
	if !cl.Push(msg) {
		t.Fatal("push refused")
	}
	waitOutput(t, &sock, wire)

	out := e.Run(cl, [][][]byte{{[]byte("PING")}}, nil)
	// Run leaves the client busy until Flush: a push waits for the reply.
	cl.Push(msg)
	time.Sleep(10 * time.Millisecond)
	if sock.String() != wire {
		t.Fatalf("a push was written while the connection was busy: %q", sock.String())
	}
	if err := cl.Flush(out); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, &sock, wire+"+PONG\r\n"+wire)

	e.Run(cl, [][][]byte{{[]byte("PING")}}, nil) // busy: pushes pile up
	for cl.Push(resp.BulkString(strings.Repeat("x", 30))) {
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the client over its output limit was not disconnected")
	}
	if !cl.Killed() {
		t.Fatal("client not marked killed")
	}
}
