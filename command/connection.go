package command

import (
	"fmt"

	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

func ping(c *Call) {
	if c.c.proto == resp.RESP2 && c.s.subscribed(c.c) && len(c.Args) <= 2 {
		// In subscribe mode, RESP2 PING answers a two-element array.
		msg := []byte{}
		if len(c.Args) == 2 {
			msg = c.Args[1]
		}
		c.Reply(resp.Array{resp.BulkString("pong"), resp.Bulk(msg)})
		return
	}
	switch len(c.Args) {
	case 1:
		c.Reply(resp.Status("PONG"))
	case 2:
		c.Reply(resp.Bulk(c.Args[1]))
	default:
		c.Error("ERR wrong number of arguments for 'ping' command")
	}
}

func echo(c *Call) { c.Reply(resp.Bulk(c.Args[1])) }

func quit(c *Call) {
	c.c.closeAfterReply = true
	c.Reply(resp.OK)
}

func selectDB(c *Call) {
	n, ok := c.dbIndex(c.Args[1])
	if !ok {
		return
	}
	c.c.infoMu.Lock()
	c.c.db = n
	c.c.infoMu.Unlock()
	c.Reply(resp.OK)
}

// defaultOpen reports whether a new connection runs as the default user
// without AUTH: the default user is on and has nopass.
func (s *Engine) defaultOpen() bool {
	u := s.aclUser("default")
	return u != nil && u.Enabled && u.NoPass
}

func auth(c *Call) {
	var user, pass []byte
	switch len(c.Args) {
	case 2:
		if u := c.s.aclUser("default"); u == nil || u.NoPass {
			c.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
			return
		}
		pass = c.Args[1]
	case 3:
		user, pass = c.Args[1], c.Args[2]
	default:
		c.Error(errSyntax)
		return
	}
	if !c.s.Authenticate(c.c, user, pass) {
		c.Error(errWrongPass)
		return
	}
	c.Reply(resp.OK)
}

// hello implements HELLO [protover [AUTH user pass] [SETNAME name]]: it
// switches the connection to RESP2 or RESP3 and answers the server map in
// the new protocol. As in Redis, every option is read first, then AUTH is
// checked, then SETNAME, and the protocol changes only when all passed;
// inside MULTI it is queued and takes effect in EXEC.
func hello(c *Call) {
	args := c.Args[1:]
	var proto resp.Proto
	if len(args) > 0 {
		v, ok := parse.Int(args[0])
		if !ok {
			c.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < int64(resp.RESP2) || v > int64(resp.RESP3) {
			c.Error("NOPROTO unsupported protocol version")
			return
		}
		proto = resp.Proto(v)
		args = args[1:]
	}
	var user, pass, name []byte
	for i := 0; i < len(args); i++ {
		switch {
		case argIs(args[i], "AUTH") && i+2 < len(args):
			user, pass = args[i+1], args[i+2]
			i += 2
		case argIs(args[i], "SETNAME") && i+1 < len(args):
			name = args[i+1]
			i++
		default:
			c.Error(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", args[i]))
			return
		}
	}
	if user != nil {
		if !c.s.Authenticate(c.c, user, pass) {
			c.Error(errWrongPass)
			return
		}
	}
	if !c.c.authed {
		c.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if name != nil && !validClientName(name) {
		c.Error(errClientName)
		return
	}
	if proto == 0 {
		proto = c.c.proto
	}
	// The name and protocol change when the reply is written: inside
	// EXEC, the replies queued before HELLO keep the old protocol.
	c.after = func() {
		c.c.infoMu.Lock()
		if name != nil {
			c.c.name = string(name)
		}
		c.c.proto = proto
		c.c.infoMu.Unlock()
	}
	c.Reply(resp.Map{
		resp.BulkString("server"), resp.BulkString("redis"),
		resp.BulkString("version"), resp.BulkString(redisVersion),
		resp.BulkString("proto"), resp.Int(proto),
		resp.BulkString("id"), resp.Int(c.c.id),
		resp.BulkString("mode"), resp.BulkString(c.s.redisMode()),
		resp.BulkString("role"), resp.BulkString("master"),
		resp.BulkString("modules"), resp.Array{},
	})
}

const (
	errWrongPass  = "WRONGPASS invalid username-password pair or user is disabled."
	errClientName = "ERR Client names cannot contain spaces, newlines or special characters."
)

// redisVersion is the Redis version titan's semantics follow; clients use
// it to pick features.
const redisVersion = "7.0.15"

func validClientName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func reset(c *Call) {
	cl := c.c
	c.s.unsubscribeAll(cl)
	cl.setMulti(false)
	cl.watched = nil
	cl.infoMu.Lock()
	cl.db, cl.name, cl.proto, cl.user = 0, "", resp.RESP2, ""
	cl.noEvict, cl.replyOff, cl.skipNext, cl.tracking = false, false, false, nil
	c.s.track.set(cl, nil)
	cl.infoMu.Unlock()
	cl.authed = c.s.defaultOpen()
	c.silent = false // replies are back on for RESET's own
	c.Reply(resp.Status("RESET"))
}

// clientUnblock answers CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 when the
// client was blocked and is now unblocked. CLIENT IDs are unique across
// instances: the client may be another instance's (the unblocking
// connection landed elsewhere behind a load balancer).
func clientUnblock(c *Call) {
	if len(c.Args) != 3 && len(c.Args) != 4 {
		c.Error("ERR wrong number of arguments for 'client|unblock' command")
		return
	}
	id, ok := parse.Int(c.Args[2])
	if !ok {
		c.Error(errNotInteger)
		return
	}
	reason := unblockTimeout
	if len(c.Args) == 4 {
		switch {
		case argIs(c.Args[3], "TIMEOUT"):
		case argIs(c.Args[3], "ERROR"):
			reason = unblockError
		default:
			c.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	cl := c.s.clientByID(id)
	if (cl != nil && cl.unblock(reason)) || (cl == nil && c.s.unblockRemote(id, reason)) {
		c.Reply(resp.Int(1))
		return
	}
	c.Reply(resp.Int(0))
}
