package command

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/titan-kv/titan/cmdspec"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// The CLIENT family, as Redis 7.0 has it: ID, INFO, LIST, KILL,
// GETNAME/SETNAME, NO-EVICT, REPLY, PAUSE/UNPAUSE, HELP, and TRACKING,
// CACHING, TRACKINGINFO and GETREDIR (tracking.go). CLIENT LIST and
// KILL see the clients of this titan instance (the registry in Engine);
// PAUSE pauses this instance's clients. UNBLOCK belongs with the blocking
// commands (issue 12).

// clientCommands is the CLIENT family's part of the command table.
func clientCommands() []*Command {
	return []*Command{
		cmd("client", client, barrier,
			subcommands("id", "getname", "setname", "info", "list", "kill", "no-evict", "reply",
				"pause", "unpause", "unblock", "tracking", "caching", "trackinginfo", "getredir", "help")),
	}
}

func client(c *Call) {
	sub := strings.ToLower(string(c.Args[1]))
	switch spec := c.cmd.Spec.Sub(sub); {
	case spec == nil || !slices.Contains(c.cmd.Subs, spec):
		c.Error(unknownSubcommand(c.Args))
		return
	case !spec.ArityOK(len(c.Args)):
		c.Error(fmt.Sprintf("ERR wrong number of arguments for '%s' command", spec.Name))
		return
	}
	switch sub {
	case "id":
		c.Reply(resp.Int(c.c.id))
	case "getname":
		c.c.infoMu.Lock()
		name := c.c.name
		c.c.infoMu.Unlock()
		if name == "" {
			c.Reply(resp.Null)
		} else {
			c.Reply(resp.BulkString(name))
		}
	case "setname":
		if !validClientName(c.Args[2]) {
			c.Error(errClientName)
			return
		}
		c.c.infoMu.Lock()
		c.c.name = string(c.Args[2])
		c.c.infoMu.Unlock()
		c.Reply(resp.OK)
	case "info":
		c.Reply(resp.Verbatim(c.c.info(time.Now()) + "\n"))
	case "list":
		clientListCmd(c)
	case "kill":
		clientKill(c)
	case "no-evict":
		on, ok := onOff(c, c.Args[2])
		if ok {
			c.c.infoMu.Lock()
			c.c.noEvict = on
			c.c.infoMu.Unlock()
			c.Reply(resp.OK)
		}
	case "reply":
		clientReply(c)
	case "pause":
		clientPause(c)
	case "unpause":
		c.s.pause.unpause()
		c.Reply(resp.OK)
	case "tracking":
		clientTracking(c)
	case "caching":
		clientCaching(c)
	case "trackinginfo":
		c.Reply(c.c.trackingInfo())
	case "getredir":
		c.Reply(resp.Int(c.c.getRedir()))
	case "unblock":
		clientUnblock(c)
	case "help":
		c.Reply(clientHelp)
	}
}

// onOff parses ON or OFF, answering a syntax error otherwise.
func onOff(c *Call, b []byte) (on, ok bool) {
	switch {
	case argIs(b, "ON"):
		return true, true
	case argIs(b, "OFF"):
		return false, true
	}
	c.Error(errSyntax)
	return false, false
}

// clientReply implements CLIENT REPLY ON|OFF|SKIP. OFF and SKIP are not
// answered; the flags are applied by Engine.Run to the next commands.
func clientReply(c *Call) {
	cl := c.c
	cl.infoMu.Lock()
	defer cl.infoMu.Unlock()
	switch v := c.Args[2]; {
	case argIs(v, "ON"):
		cl.replyOff, cl.skipNext = false, false
		c.silent = false
		c.Reply(resp.OK)
	case argIs(v, "OFF"):
		cl.replyOff = true
		c.silent = true
	case argIs(v, "SKIP"):
		if !cl.replyOff {
			cl.skipNext = true
		}
		c.silent = true
	default:
		c.Error(errSyntax)
	}
}

// beforeCommand applies the CLIENT state that acts on the next command:
// a call of a client whose replies are off (CLIENT REPLY OFF) or skipped
// once (CLIENT REPLY SKIP) is silent (it runs, nothing is sent), and
// CLIENT CACHING lasts one command.
func (cl *Client) beforeCommand(call *Call) {
	cl.infoMu.Lock()
	defer cl.infoMu.Unlock()
	if cl.replyOff || cl.skipNext {
		call.silent = true
		cl.skipNext = false
	}
	cl.trackingCommand(call.name)
}

// clientHelp is Redis 7.0's CLIENT HELP, for the subcommands titan has.
var clientHelp = resp.Lines{
	"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
	"HELP",
	"    Prints this help.",
}

// SetQueryBuffer records the bytes read from the connection and not yet
// parsed, and the room left in its read buffer.
func (c *Client) SetQueryBuffer(used, free int) {
	c.qbuf.Store(int64(used))
	c.qbufFree.Store(int64(free))
}

// SetReplyBuffer records the bytes of replies being written.
func (c *Client) SetReplyBuffer(n int) { c.omem.Store(int64(n)) }

// info is the client's CLIENT LIST line, with Redis 7.0's fields. qbuf
// and qbuf-free are the read buffer's (bytes read, not yet parsed), obl
// and omem the replies being written (a pipeline's replies are written at
// once, so they are 0 between pipelines). Those titan has no counterpart
// for are 0: fd (no file descriptors are exposed), argv-mem, multi-mem,
// rbs, rbp, oll and tot-mem.
func (c *Client) info(now time.Time) string {
	c.infoMu.Lock()
	defer c.infoMu.Unlock()
	multi := -1
	if c.multi {
		multi = len(c.queued)
	}
	var flags []byte // in Redis's order
	nsub := c.subCounts()
	if nsub[0]+nsub[1]+nsub[2] > 0 {
		flags = append(flags, 'P')
	}
	if c.multi {
		flags = append(flags, 'x')
	}
	if c.blk.Load() != nil {
		flags = append(flags, 'b')
	}
	redir := int64(-1)
	if t := c.tracking; t != nil {
		flags = append(flags, 't')
		if t.brokenRedirect {
			flags = append(flags, 'R')
		}
		if t.bcast {
			flags = append(flags, 'B')
		}
		redir = t.redirect
	}
	if c.killed.Load() {
		flags = append(flags, 'A')
	}
	if c.noEvict {
		flags = append(flags, 'e')
	}
	if len(flags) == 0 {
		flags = append(flags, 'N')
	}
	cmd := c.lastCmd
	if cmd == "" {
		cmd = "NULL"
	}
	idle := (now.UnixNano() - c.lastActive.Load()) / int64(time.Second)
	omem := c.omem.Load()
	user := c.user
	if user == "" {
		user = "default"
	}
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=0 name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=%d multi=%d qbuf=%d qbuf-free=%d argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=%d oll=0 omem=%d tot-mem=0 events=r cmd=%s user=%s redir=%d resp=%d",
		c.id, c.addr, c.laddr, c.name, int64(now.Sub(c.created).Seconds()), idle, flags, c.db, nsub[0], nsub[1], nsub[2], multi,
		c.qbuf.Load(), c.qbufFree.Load(), omem, omem, cmd, user, redir, c.proto)
}

// clientType checks a CLIENT KILL/LIST TYPE argument and reports whether
// titan's clients (all of them normal) are of that type.
func clientType(c *Call, name []byte) (normal, ok bool) {
	switch strings.ToLower(string(name)) {
	case "normal":
		return true, true
	case "master", "slave", "replica", "pubsub":
		return false, true
	}
	c.Error(fmt.Sprintf("ERR Unknown client type '%s'", name))
	return false, false
}

// clientListCmd implements CLIENT LIST [TYPE type | ID id ...].
func clientListCmd(c *Call) {
	args := c.Args[2:]
	match := func(*Client) bool { return true }
	switch {
	case len(args) == 0:
	case len(args) == 2 && argIs(args[0], "TYPE"):
		normal, ok := clientType(c, args[1])
		if !ok {
			return
		}
		match = func(*Client) bool { return normal }
	case len(args) >= 2 && argIs(args[0], "ID"):
		ids := map[int64]bool{}
		for _, a := range args[1:] {
			id, ok := parse.Int(a)
			if !ok {
				c.Error("ERR Invalid client ID")
				return
			}
			ids[id] = true
		}
		match = func(cl *Client) bool { return ids[cl.id] }
	default:
		c.Error(errSyntax)
		return
	}
	c.Reply(resp.Verbatim(c.s.clientList(match)))
}

// clientList renders the clients match selects, oldest first.
func (s *Engine) clientList(match func(*Client) bool) string {
	now := time.Now()
	s.mu.Lock()
	clients := make([]*Client, 0, len(s.clients))
	for _, cl := range s.clients {
		if match(cl) {
			clients = append(clients, cl)
		}
	}
	s.mu.Unlock()
	sort.Slice(clients, func(i, j int) bool { return clients[i].id < clients[j].id })
	var b strings.Builder
	for _, cl := range clients {
		b.WriteString(cl.info(now))
		b.WriteByte('\n')
	}
	return b.String()
}

func clientKill(c *Call) {
	args := c.Args[2:]
	if len(args) == 1 {
		if n := c.s.killClients(c.c, func(cl *Client) bool { return cl.addr == string(args[0]) }); n == 0 {
			c.Error("ERR No such client")
		} else {
			c.Reply(resp.OK)
		}
		return
	}
	if len(args)%2 != 0 {
		c.Error(errSyntax)
		return
	}
	var filters []func(*Client) bool
	skipMe := true
	for i := 0; i < len(args); i += 2 {
		v := string(args[i+1])
		switch {
		case argIs(args[i], "ID"):
			id, ok := c.intAtLeast(args[i+1], 1, "ERR client-id should be greater than 0")
			if !ok {
				return
			}
			filters = append(filters, func(cl *Client) bool { return cl.id == id })
		case argIs(args[i], "ADDR"):
			filters = append(filters, func(cl *Client) bool { return cl.addr == v })
		case argIs(args[i], "LADDR"):
			filters = append(filters, func(cl *Client) bool { return cl.laddr == v })
		case argIs(args[i], "SKIPME") && argIs(args[i+1], "YES"):
			skipMe = true
		case argIs(args[i], "SKIPME") && argIs(args[i+1], "NO"):
			skipMe = false
		case argIs(args[i], "USER"):
			if v != "default" {
				c.Error(fmt.Sprintf("ERR No such user '%s'", v))
				return
			}
		case argIs(args[i], "TYPE"):
			normal, ok := clientType(c, args[i+1])
			if !ok {
				return
			}
			filters = append(filters, func(*Client) bool { return normal })
		default:
			c.Error(errSyntax)
			return
		}
	}
	self := c.c
	n := c.s.killClients(self, func(cl *Client) bool {
		if skipMe && cl == self {
			return false
		}
		for _, f := range filters {
			if !f(cl) {
				return false
			}
		}
		return true
	})
	c.Reply(resp.Int(int64(n)))
}

// killClients closes the connections match selects and counts them. The
// calling client, self, is closed only after its reply is written.
func (s *Engine) killClients(self *Client, match func(*Client) bool) int {
	s.mu.Lock()
	var victims []*Client
	for _, cl := range s.clients {
		if match(cl) {
			victims = append(victims, cl)
		}
	}
	s.mu.Unlock()
	for _, cl := range victims {
		if cl == self {
			cl.closeAfterReply = true
			continue
		}
		cl.killed.Store(true)
		cl.closeConn()
	}
	return len(victims)
}

// pauseState is CLIENT PAUSE of one instance: until end, the commands of
// every client (all, or writes only) wait.
type pauseState struct {
	// endNano is end in Unix nanoseconds, for paused's lock-free check
	// on every command.
	endNano atomic.Int64

	mu  sync.Mutex
	end time.Time
	all bool
	// changed is closed and replaced whenever the pause changes, to wake
	// the waiting clients.
	changed chan struct{}
}

// clientPause implements CLIENT PAUSE timeout [WRITE|ALL]: as in Redis, a
// new pause extends the end and widens the mode of a running one.
func clientPause(c *Call) {
	all := true
	if len(c.Args) == 4 {
		switch {
		case argIs(c.Args[3], "WRITE"):
			all = false
		case argIs(c.Args[3], "ALL"):
		default:
			c.Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	ms, ok := parse.Int(c.Args[2])
	switch {
	case !ok:
		c.Error("ERR timeout is not an integer or out of range")
		return
	case ms < 0:
		c.Error("ERR timeout is negative")
		return
	case ms > math.MaxInt64-time.Now().UnixMilli():
		c.Error("ERR timeout is out of range")
		return
	}
	c.s.pause.set(time.Now().Add(time.Duration(min(ms, math.MaxInt64/int64(time.Millisecond)))*time.Millisecond), all)
	c.Reply(resp.OK)
}

func (p *pauseState) set(end time.Time, all bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Now().After(p.end) {
		p.all = false
	}
	if end.After(p.end) {
		p.end = end
	}
	p.all = p.all || all
	p.endNano.Store(p.end.UnixNano())
	p.wake()
}

func (p *pauseState) unpause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.end, p.all = time.Time{}, false
	p.endNano.Store(0)
	p.wake()
}

func (p *pauseState) wake() {
	if p.changed != nil {
		close(p.changed)
	}
	p.changed = make(chan struct{})
}

// applies reports whether a pause is in force for a command (write tells
// whether it writes).
func (p *pauseState) applies(write bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return time.Now().Before(p.end) && (p.all || write)
}

// wait blocks while a pause applies to a command (write tells whether it
// writes), until the pause ends or is lifted.
func (p *pauseState) wait(write bool) {
	for {
		p.mu.Lock()
		left := time.Until(p.end)
		if left <= 0 || (!p.all && !write) {
			p.mu.Unlock()
			return
		}
		if p.changed == nil {
			p.changed = make(chan struct{})
		}
		changed := p.changed
		p.mu.Unlock()
		t := time.NewTimer(left)
		select {
		case <-t.C:
		case <-changed:
		}
		t.Stop()
	}
}

// writes reports whether CLIENT PAUSE WRITE holds the command back:
// Redis's write and may_replicate commands.
func (c *Command) writes() bool {
	return c.Spec.Has("write") || c.Spec.Has("may_replicate")
}

// queuedWrites reports whether the MULTI queue holds a command that
// writes (EXEC waits out CLIENT PAUSE WRITE then).
func (cl *Client) queuedWrites(s *Engine) bool {
	cl.infoMu.Lock()
	defer cl.infoMu.Unlock()
	for _, args := range cl.queued {
		if cmd := s.table[strings.ToLower(string(args[0]))]; cmd != nil && cmd.writes() {
			return true
		}
	}
	return false
}

// spec is what Redis knows of the command args call: the command or, of
// a container, its subcommand; nil for an unknown one (or a nil c).
func (c *Command) spec(args [][]byte) *cmdspec.Command {
	if c == nil {
		return nil
	}
	return c.Spec.For(args)
}

// paused reports whether a pause is in force, without waiting.
func (p *pauseState) paused() bool {
	end := p.endNano.Load()
	return end != 0 && time.Now().UnixNano() < end
}
