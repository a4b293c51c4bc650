package command

import (
	"crypto/subtle"
	"fmt"
	"sort"
	"strings"
	"time"

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

// checkPassword checks the password of user (nil for the default user) in
// constant time. Without requirepass the default user takes any password,
// as Redis's nopass default user does.
func (s *Engine) checkPassword(user, pass []byte) bool {
	if user != nil && string(user) != "default" {
		return false
	}
	return s.cfg.RequirePass == "" || subtle.ConstantTimeCompare(pass, []byte(s.cfg.RequirePass)) == 1
}

func auth(c *Call) {
	var user, pass []byte
	switch len(c.Args) {
	case 2:
		if c.s.cfg.RequirePass == "" {
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
	if !c.s.checkPassword(user, pass) {
		c.Error(errWrongPass)
		return
	}
	c.c.authed = true
	c.Reply(resp.OK)
}

// hello answers HELLO for protocol 2; RESP3 is refused as a server
// without RESP3 support does, so clients fall back to RESP2. As in Redis,
// every option is read first, then AUTH is checked, then SETNAME.
func hello(c *Call) {
	args := c.Args[1:]
	if len(args) > 0 {
		v, ok := parse.Int(args[0])
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
		if !c.s.checkPassword(user, pass) {
			c.Error(errWrongPass)
			return
		}
		c.c.authed = true
	}
	if !c.c.authed {
		c.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if name != nil {
		if !validClientName(name) {
			c.Error(errClientName)
			return
		}
		c.c.infoMu.Lock()
		c.c.name = string(name)
		c.c.infoMu.Unlock()
	}
	c.Reply(resp.Map{
		resp.BulkString("server"), resp.BulkString("redis"),
		resp.BulkString("version"), resp.BulkString(redisVersion),
		resp.BulkString("proto"), resp.Int(2),
		resp.BulkString("id"), resp.Int(c.c.id),
		resp.BulkString("mode"), resp.BulkString("standalone"),
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
			c.Reply(resp.Int(c.c.id))
		}
	case "getname":
		if arity(2) {
			c.c.infoMu.Lock()
			name := c.c.name
			c.c.infoMu.Unlock()
			if name == "" {
				c.Reply(resp.Bulk(nil))
			} else {
				c.Reply(resp.Bulk([]byte(name)))
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
		c.Reply(resp.OK)
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
		c.Reply(resp.OK)
	case "info":
		if arity(2) {
			s := c.c.info(time.Now()) + "\n"
			c.Reply(resp.Bulk([]byte(s)))
		}
	case "list":
		clientListCmd(c)
	case "kill":
		if len(c.Args) < 3 {
			arity(3)
			return
		}
		clientKill(c)
	case "no-evict", "no-touch", "reply":
		if !arity(3) {
			return
		}
		switch v := c.Args[2]; {
		case argIs(v, "ON"), sub != "reply" && argIs(v, "OFF"):
			c.Reply(resp.OK)
		case sub == "reply" && (argIs(v, "OFF") || argIs(v, "SKIP")):
			// Replies are always sent; a client that expects none would
			// read them as answers to its later commands.
			c.Error("ERR CLIENT REPLY OFF and SKIP are not supported")
		default:
			c.Error(errSyntax)
		}
	case "unblock":
		clientUnblock(c)
	case "help":
		if arity(2) {
			c.Reply(clientHelp)
		}
	default:
		c.Error(unknownSubcommand(c.Args))
	}
}

// clientHelp is Redis's CLIENT HELP, for the subcommands titan has.
var clientHelp = resp.Lines{
	"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
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
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"SETINFO <LIB-NAME|LIB-VER> <value>",
	"    Set client meta attr. Options are:",
	"    * LIB-NAME: the client lib name.",
	"    * LIB-VER: the client lib version.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"HELP",
	"    Prints this help.",
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
	c.Reply(resp.Bulk([]byte(c.s.clientList(match))))
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
		cl.kill()
	}
	return len(victims)
}

func reset(c *Call) {
	cl := c.c
	c.s.unsubscribeAll(cl)
	cl.setMulti(false)
	cl.watched = nil
	cl.infoMu.Lock()
	cl.db, cl.name = 0, ""
	cl.infoMu.Unlock()
	cl.authed = c.s.cfg.RequirePass == ""
	c.Reply(resp.Status("RESET"))
}

// clientUnblock answers CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 when the
// client was blocked and is now unblocked.
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
	c.s.mu.Lock()
	cl := c.s.clients[id]
	c.s.mu.Unlock()
	if cl != nil && cl.unblock(reason) {
		c.Reply(resp.Int(1))
		return
	}
	c.Reply(resp.Int(0))
}
