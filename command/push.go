package command

import (
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/titan-kv/titan/resp"
)

// OutputLimit bounds what a client may have waiting to be written out of
// band (Pub/Sub messages, invalidations, MONITOR lines), as Redis's
// client-output-buffer-limit does for its pubsub class: past Hard bytes, or
// past Soft bytes for longer than SoftFor, the client is disconnected
// instead of growing the server's memory. 0 disables a bound.
type OutputLimit struct {
	Hard, Soft int64
	SoftFor    time.Duration
}

// DefaultPubSubLimit is Redis's default for pubsub clients: 32mb 8mb 60.
var DefaultPubSubLimit = OutputLimit{Hard: 32 << 20, Soft: 8 << 20, SoftFor: 60 * time.Second}

// output is a client's way out to its socket. Replies of the client's own
// commands are written by its connection goroutine (Flush); pushes from
// other goroutines (a PUBLISH, a key change, a MONITOR line) are appended
// to pending and written by a short-lived flusher goroutine, or by the
// next Flush while the connection goroutine runs commands, so a push never
// lands inside a reply and a reply that confirms a subscription always
// precedes the messages it brings. writeMu orders every write to the
// socket; mu guards the fields below it. Lock order: writeMu, then mu.
type output struct {
	conn    io.Writer
	limit   OutputLimit
	writeMu sync.Mutex

	mu       sync.Mutex
	pending  []byte
	inflight int  // bytes the flusher is writing
	busy     bool // the connection goroutine is running commands
	dead     bool // over the limit, gone, or the socket failed: pushes are dropped
	// wake wakes the push writer goroutine, started by the first push.
	wake      chan struct{}
	softSince time.Time
	// streamed is what streamed replies of the current run wrote to the
	// socket already (client-output-buffer-limit counts it); only the
	// connection's goroutine touches it.
	streamed int64
}

// SetConn gives the client the socket its replies and pushes are written
// to; the network side calls it once after Engine.Connect.
func (c *Client) SetConn(w io.Writer) { c.out.conn = w }

// setProto changes the protocol of the connection (HELLO). Pushes from
// other goroutines read it, so it changes under the output lock.
func (c *Client) setProto(p resp.Proto) {
	c.out.mu.Lock()
	c.proto = p
	c.out.mu.Unlock()
}

// Push sends r to the client out of band, in the client's protocol (a
// resp.Push is a RESP3 push, an array in RESP2), from any goroutine, even
// while the connection goroutine waits in a read or runs commands. Pushes
// of one goroutine arrive in order. It never blocks on the network: past
// the client's output limit the client is disconnected (a slow consumer)
// and Push reports false, as it does for a client already gone.
func (c *Client) Push(r resp.Reply) bool {
	o := &c.out
	o.mu.Lock()
	if o.dead || c.killed.Load() {
		o.mu.Unlock()
		return false
	}
	o.pending = r.Append(o.pending, c.proto)
	if over := c.overLimit(time.Now()); over != "" {
		o.dead = true
		o.pending = nil
		o.wakeWriter()
		o.mu.Unlock()
		slog.Warn("client closed for overcoming of output buffer limits", "client", c.id, "addr", c.addr, "limit", over)
		c.kill()
		return false
	}
	if o.conn != nil && o.wake == nil {
		o.wake = make(chan struct{}, 1)
		go c.pushWriter(o.wake)
	}
	if !o.busy {
		o.wakeWriter()
	}
	o.mu.Unlock()
	return true
}

// overLimit names the output limit the client's waiting output passed,
// or is "". Called under out.mu.
func (c *Client) overLimit(now time.Time) string {
	o := &c.out
	n := int64(len(o.pending) + o.inflight)
	l := o.limit
	if l.Hard > 0 && n > l.Hard {
		return "hard"
	}
	if l.Soft <= 0 || n <= l.Soft {
		o.softSince = time.Time{}
		return ""
	}
	if o.softSince.IsZero() {
		o.softSince = now
	}
	if now.Sub(o.softSince) > l.SoftFor {
		return "soft"
	}
	return ""
}

// pushWriter writes pending pushes whenever woken, while the connection
// goroutine is not running commands (busy), until the client is gone. It
// starts with the client's first push, so only clients that receive
// pushes have one.
func (c *Client) pushWriter(wake <-chan struct{}) {
	o := &c.out
	var buf []byte
	for range wake {
		for {
			o.writeMu.Lock()
			o.mu.Lock()
			if o.dead {
				o.mu.Unlock()
				o.writeMu.Unlock()
				return
			}
			if o.busy || len(o.pending) == 0 {
				o.mu.Unlock()
				o.writeMu.Unlock()
				break
			}
			buf, o.pending = o.pending, buf[:0]
			o.inflight = len(buf)
			o.mu.Unlock()
			_, err := o.conn.Write(buf)
			o.mu.Lock()
			o.inflight = 0
			if err != nil {
				o.dead, o.pending = true, nil
			}
			o.mu.Unlock()
			o.writeMu.Unlock()
			if err != nil {
				c.closeConn()
				return
			}
		}
	}
}

// enterRun marks the connection goroutine busy: pushes wait for its Flush.
func (c *Client) enterRun() {
	c.out.mu.Lock()
	c.out.busy = true
	c.out.mu.Unlock()
	c.out.streamed = 0
}

// Flush writes the replies of the commands just run (b), followed by the
// pushes that arrived meanwhile, to the socket, and lets pushes be written
// at once again.
func (c *Client) Flush(b []byte) error {
	o := &c.out
	o.writeMu.Lock()
	defer o.writeMu.Unlock()
	o.mu.Lock()
	if len(o.pending) > 0 {
		b = append(b, o.pending...)
		o.pending = o.pending[:0]
	}
	o.busy = false
	o.mu.Unlock()
	if len(b) == 0 || o.conn == nil {
		return nil
	}
	_, err := o.conn.Write(b)
	return err
}

// kill closes the connection on behalf of another client or the server.
func (c *Client) kill() {
	c.killed.Store(true)
	c.closeConn()
	c.unblock(unblockGone)
}

// wakeWriter wakes the push writer, if any (under mu), so that it writes
// or, once dead, ends.
func (o *output) wakeWriter() {
	if o.wake != nil {
		select {
		case o.wake <- struct{}{}:
		default:
		}
	}
}
