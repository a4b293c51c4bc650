package tests

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// closedWithin reports whether the server closes c within d without
// sending anything.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	var b [64]byte
	n, err := c.Read(b[:])
	if n > 0 {
		t.Fatalf("server answered %q", b[:n])
	}
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || (err != nil && strings.Contains(err.Error(), "reset"))
}

// logged waits up to 2s for text in the server's log.
func logged(ti *Titan, text string) bool {
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(ti.logs.String(), text) {
			return true
		}
	}
	return false
}

// TestClientBufferLimits: issue 18 item 3. A request over
// client-query-buffer-limit is refused at the header of the bulk that
// crosses it, before its body is sent, and the client disconnected and
// logged; replies over the normal class's output hard limit disconnect
// the client; proto-max-bulk-len refuses at the header too.
func TestClientBufferLimits(t *testing.T) {
	ti := startTitan(t, "--client-query-buffer-limit", "2097152", "--client-output-buffer-limit", "normal 1mb 0 0", "--proto-max-bulk-len", "4194304")
	ctx := context.Background()

	// The header alone of a 3 MB bulk closes the connection.
	c, err := net.Dial("tcp", ti.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3145728\r\n")); err != nil {
		t.Fatal(err)
	}
	if !closedWithin(t, c, 5*time.Second) {
		t.Fatal("connection still open after a bulk over client-query-buffer-limit was announced")
	}
	if !logged(ti, "closing client that reached max query buffer length") {
		t.Fatalf("no log line for the query buffer limit:\n%s", ti.logs.String())
	}

	// Over proto-max-bulk-len: Redis's protocol error, at the header.
	r := dialRaw(t, ti.Addr)
	r.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4194305\r\n")
	if got := r.line(); got != "-ERR Protocol error: invalid bulk length" {
		t.Fatalf("over proto-max-bulk-len: %q", got)
	}

	// Output: one 600 KB reply is fine, two in one pipeline are not.
	cl := ti.Client()
	if err := cl.Set(ctx, "v", strings.Repeat("x", 600<<10), 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := cl.Get(ctx, "v").Result(); err != nil || len(v) != 600<<10 {
		t.Fatalf("GET of 600 KB: %d, %v", len(v), err)
	}
	c2, err := net.Dial("tcp", ti.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.Write([]byte("GET v\r\nGET v\r\n")); err != nil {
		t.Fatal(err)
	}
	if !closedWithin(t, c2, 5*time.Second) {
		t.Fatal("connection still open after replies over the output buffer limit")
	}
	if !logged(ti, "output buffer limits") {
		t.Fatalf("no log line for the output buffer limit:\n%s", ti.logs.String())
	}
	// The server goes on.
	if err := cl.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}
