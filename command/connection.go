package command

import (
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/redcon"
)

func connectionCommands() []*Command {
	conn := flagAdmin | flagBarrier
	return []*Command{
		{Name: "ping", Arity: -1, Flags: flagFast, Handler: ping},
		{Name: "echo", Arity: 2, Flags: flagFast, Handler: echo},
		{Name: "quit", Arity: -1, Flags: conn | flagNoAuth | flagNoQueue, Handler: quit},
		{Name: "select", Arity: 2, Flags: conn, Handler: selectDB},
		{Name: "auth", Arity: -2, Flags: conn | flagNoAuth | flagNoQueue, Handler: auth},
		{Name: "hello", Arity: -1, Flags: conn | flagNoAuth | flagNoQueue, Handler: hello},
		{Name: "client", Arity: -2, Flags: conn, Handler: client},
		{Name: "reset", Arity: 1, Flags: conn | flagNoAuth | flagNoQueue, Handler: reset},
	}
}

func ping(c *Call) {
	switch len(c.Args) {
	case 1:
		c.Status("PONG")
	case 2:
		c.Bulk(c.Args[1])
	default:
		c.Error("ERR wrong number of arguments for 'ping' command")
	}
}

func echo(c *Call) { c.Bulk(c.Args[1]) }

func quit(c *Call) {
	c.c.closeAfterReply = true
	c.OK()
}

func selectDB(c *Call) {
	n, ok := parseInt(c.Args[1])
	if !ok {
		c.Error(errNotInteger)
		return
	}
	if n < 0 || n >= int64(c.s.cfg.Databases) {
		c.Error("ERR DB index is out of range")
		return
	}
	c.c.infoMu.Lock()
	c.c.db = uint16(n)
	c.c.infoMu.Unlock()
	c.OK()
}

// checkPassword compares in constant time.
func (s *Server) checkPassword(user, pass []byte) bool {
	if user != nil && string(user) != "default" {
		return false
	}
	return subtle.ConstantTimeCompare(pass, []byte(s.cfg.RequirePass)) == 1
}

func auth(c *Call) {
	var user, pass []byte
	switch len(c.Args) {
	case 2:
		pass = c.Args[1]
	case 3:
		user, pass = c.Args[1], c.Args[2]
	default:
		c.Error(errSyntax)
		return
	}
	if c.s.cfg.RequirePass == "" && user == nil {
		c.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		return
	}
	if c.s.cfg.RequirePass == "" {
		// No password: the default user accepts any password.
		if string(user) != "default" {
			c.Error("WRONGPASS invalid username-password pair or user is disabled.")
			return
		}
		c.c.authed = true
		c.OK()
		return
	}
	if !c.s.checkPassword(user, pass) {
		c.Error("WRONGPASS invalid username-password pair or user is disabled.")
		return
	}
	c.c.authed = true
	c.OK()
}

// hello answers HELLO for protocol 2; RESP3 is refused as a server
// without RESP3 support does, so clients fall back to RESP2.
func hello(c *Call) {
	args := c.Args[1:]
	if len(args) > 0 {
		v, ok := parseInt(args[0])
		if !ok {
			c.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v != 2 {
			c.Error("NOPROTO unsupported protocol version")
			return
		}
		args = args[1:]
	}
	var name []byte
	for i := 0; i < len(args); i++ {
		switch {
		case argIs(args[i], "AUTH") && i+2 < len(args):
			if c.s.cfg.RequirePass != "" && !c.s.checkPassword(args[i+1], args[i+2]) {
				c.Error("WRONGPASS invalid username-password pair or user is disabled.")
				return
			}
			c.c.authed = true
			i += 2
		case argIs(args[i], "SETNAME") && i+1 < len(args):
			if !validClientName(args[i+1]) {
				c.Error("ERR Client names cannot contain spaces, newlines or special characters.")
				return
			}
			name = args[i+1]
			i++
		default:
			c.Error(fmt.Sprintf("ERR Syntax error in HELLO option '%s'", args[i]))
			return
		}
	}
	if !c.c.authed {
		c.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if name != nil {
		c.c.infoMu.Lock()
		c.c.name = string(name)
		c.c.infoMu.Unlock()
	}
	id, version := c.c.id, c.s.cfg.Version
	c.Reply(func(w *redcon.Writer) {
		w.WriteArray(14)
		w.WriteBulkString("server")
		w.WriteBulkString("redis")
		w.WriteBulkString("version")
		w.WriteBulkString(redisVersion)
		w.WriteBulkString("proto")
		w.WriteInt(2)
		w.WriteBulkString("id")
		w.WriteInt64(id)
		w.WriteBulkString("mode")
		w.WriteBulkString("standalone")
		w.WriteBulkString("role")
		w.WriteBulkString("master")
		w.WriteBulkString("modules")
		w.WriteArray(0)
		_ = version
	})
}

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

func client(c *Call) {
	sub := strings.ToLower(string(c.Args[1]))
	arity := func(n int) bool {
		if len(c.Args) != n {
			c.Error(fmt.Sprintf("ERR wrong number of arguments for 'client|%s' command", sub))
			return false
		}
		return true
	}
	switch sub {
	case "id":
		if arity(2) {
			c.Int(c.c.id)
		}
	case "getname":
		if arity(2) {
			c.c.infoMu.Lock()
			name := c.c.name
			c.c.infoMu.Unlock()
			if name == "" {
				c.Bulk(nil)
			} else {
				c.Bulk([]byte(name))
			}
		}
	case "setname":
		if !arity(3) {
			return
		}
		if !validClientName(c.Args[2]) {
			c.Error("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
		c.c.infoMu.Lock()
		c.c.name = string(c.Args[2])
		c.c.infoMu.Unlock()
		c.OK()
	case "setinfo":
		if !arity(4) {
			return
		}
		c.c.infoMu.Lock()
		defer c.c.infoMu.Unlock()
		switch {
		case argIs(c.Args[2], "LIB-NAME"):
			c.c.libName = string(c.Args[3])
		case argIs(c.Args[2], "LIB-VER"):
			c.c.libVer = string(c.Args[3])
		default:
			c.Error(fmt.Sprintf("ERR Unrecognized option '%s'", c.Args[2]))
			return
		}
		c.OK()
	case "info":
		if arity(2) {
			s := c.c.info(time.Now()) + "\n"
			c.Bulk([]byte(s))
		}
	case "list":
		c.Bulk([]byte(c.s.clientList()))
	case "kill":
		clientKill(c)
	case "no-evict", "no-touch", "reply":
		c.OK()
	case "help":
		c.Reply(func(w *redcon.Writer) {
			lines := []string{"CLIENT <subcommand> [<arg> ...]. Subcommands are:", "ID", "GETNAME", "SETNAME <name>", "SETINFO <option> <value>", "INFO", "LIST", "KILL <ip:port> | ID <id> | ADDR <ip:port>"}
			w.WriteArray(len(lines))
			for _, l := range lines {
				w.WriteString(l)
			}
		})
	default:
		c.Error(fmt.Sprintf("ERR unknown subcommand '%s'. Try CLIENT HELP.", c.Args[1]))
	}
}

func (s *Server) clientList() string {
	now := time.Now()
	s.mu.Lock()
	clients := make([]*Client, 0, len(s.clients))
	for _, cl := range s.clients {
		clients = append(clients, cl)
	}
	s.mu.Unlock()
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
		if n := c.s.killClients(func(cl *Client) bool { return cl.addr == string(args[0]) }); n == 0 {
			c.Error("ERR No such client")
		} else {
			c.OK()
		}
		return
	}
	if len(args) == 0 || len(args)%2 != 0 {
		c.Error(errSyntax)
		return
	}
	var filters []func(*Client) bool
	skipMe := true
	for i := 0; i < len(args); i += 2 {
		v := string(args[i+1])
		switch {
		case argIs(args[i], "ID"):
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				c.Error("ERR client-id should be greater than 0")
				return
			}
			filters = append(filters, func(cl *Client) bool { return cl.id == id })
		case argIs(args[i], "ADDR"):
			filters = append(filters, func(cl *Client) bool { return cl.addr == v })
		case argIs(args[i], "LADDR"):
			filters = append(filters, func(cl *Client) bool { return cl.laddr == v })
		case argIs(args[i], "SKIPME"):
			skipMe = !strings.EqualFold(v, "no")
		case argIs(args[i], "USER"), argIs(args[i], "TYPE"):
			if argIs(args[i], "USER") && v != "default" {
				filters = append(filters, func(*Client) bool { return false })
			}
		default:
			c.Error(errSyntax)
			return
		}
	}
	self := c.c
	n := c.s.killClients(func(cl *Client) bool {
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
	c.Int(int64(n))
}

// killClients closes the connections match selects and counts them.
func (s *Server) killClients(match func(*Client) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, cl := range s.clients {
		if match(cl) {
			cl.killed.Store(true)
			cl.nc.Close()
			n++
		}
	}
	return n
}

func reset(c *Call) {
	cl := c.c
	cl.multi, cl.multiFailed, cl.queued, cl.watched = false, false, nil, nil
	cl.infoMu.Lock()
	cl.db, cl.name = 0, ""
	cl.infoMu.Unlock()
	cl.authed = c.s.cfg.RequirePass == ""
	c.Status("RESET")
}
