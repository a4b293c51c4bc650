package command

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/titan-kv/titan/resp"
)

// monitors are the clients that ran MONITOR on this instance. Feeding them
// costs one atomic load per command while nobody monitors.
type monitors struct {
	n       atomic.Int64
	mu      sync.Mutex
	clients map[*Client]struct{}
}

func monitorCommands() []*Command {
	return []*Command{cmd("monitor", monitor, barrier)}
}

// monitor makes the client a monitor: from now on it receives every
// command this instance runs, as Redis writes them (MONITOR sees one
// instance, not the others behind a balancer).
func monitor(c *Call) {
	m := &c.s.monitors
	m.mu.Lock()
	if m.clients == nil {
		m.clients = map[*Client]struct{}{}
	}
	if _, ok := m.clients[c.c]; !ok {
		m.clients[c.c] = struct{}{}
		m.n.Add(1)
	}
	m.mu.Unlock()
	c.Reply(resp.OK)
}

// dropMonitor forgets a disconnected client.
func (s *Engine) dropMonitor(cl *Client) {
	m := &s.monitors
	if m.n.Load() == 0 {
		return
	}
	m.mu.Lock()
	if _, ok := m.clients[cl]; ok {
		delete(m.clients, cl)
		m.n.Add(-1)
	}
	m.mu.Unlock()
}

// feedMonitors sends a command that ran to every monitor, as Redis does
// after running it (the commands of a transaction at EXEC, before EXEC), in
// Redis's format: +<unix time with µs> [<db> <addr>] "arg" "arg"... Admin
// commands are not shown; AUTH's and HELLO's passwords are redacted. The
// commands a script runs are not shown (Redis shows them as [db lua]).
func (s *Engine) feedMonitors(cl *Client, call *Call) {
	if s.monitors.n.Load() == 0 || call.cmd == nil {
		return
	}
	if spec := call.cmd.spec(call.Args); spec == nil || spec.Has("admin") {
		return
	}
	now := time.Now()
	line := make([]byte, 0, 64)
	line = strconv.AppendInt(line, now.Unix(), 10)
	line = fmt.Appendf(line, ".%06d [%d %s]", now.Nanosecond()/1000, cl.db, cl.addr)
	redactFrom := len(call.Args)
	switch call.name {
	case "auth":
		redactFrom = 1
	case "hello":
		for i := 2; i < len(call.Args); i++ {
			if argIs(call.Args[i], "AUTH") {
				redactFrom = i + 1
				break
			}
		}
	}
	for i, a := range call.Args {
		line = append(line, ' ')
		if i >= redactFrom {
			a = []byte("(redacted)")
		}
		line = appendRepr(line, a)
	}
	msg := resp.Status(line)
	s.monitors.mu.Lock()
	for m := range s.monitors.clients {
		m.Push(msg)
	}
	s.monitors.mu.Unlock()
}

// appendRepr quotes a as Redis's sdscatrepr does.
func appendRepr(b, a []byte) []byte {
	b = append(b, '"')
	for _, c := range a {
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c >= 0x20 && c < 0x7f {
				b = append(b, c)
			} else {
				b = fmt.Appendf(b, "\\x%02x", c)
			}
		}
	}
	return append(b, '"')
}
