package command

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/titan-kv/titan/acl"
	"github.com/titan-kv/titan/cmdspec"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// ACL users are stored in the store (db.ACLUsers) and shared by every
// instance. Each engine caches them and reloads them when the stored
// version changes: at once after its own ACL SETUSER/DELUSER, and within
// aclRefresh after another instance's. The rules engine is package acl;
// the check is one call in Engine.prepare.

// aclRefresh is how often an engine looks for ACL changes made by other
// instances (one small read).
const aclRefresh = 500 * time.Millisecond

// aclLogMax bounds the ACL LOG entries kept (Redis's acllog-max-len).
const aclLogMax = 128

type aclState struct {
	mu      sync.RWMutex
	users   map[string]*acl.User // stored users; default added when not stored
	version uint64
	loaded  bool
	log     []*aclLogEntry // newest first
	stop    chan struct{}
	once    sync.Once
}

type aclLogEntry struct {
	count           int
	reason, context string
	object, user    string
	created         time.Time
	clientInfo      string
}

// aclUser returns the user named name, nil when there is none.
func (s *Engine) aclUser(name string) *acl.User {
	s.acl.mu.RLock()
	loaded := s.acl.loaded
	u := s.acl.users[name]
	s.acl.mu.RUnlock()
	if !loaded {
		if err := s.aclReload(context.Background()); err != nil {
			slog.Warn("acl: loading users", "err", err)
		}
		s.acl.mu.RLock()
		u = s.acl.users[name]
		s.acl.mu.RUnlock()
	}
	if u == nil && name == "default" {
		return acl.Default(s.RequirePass())
	}
	return u
}

// aclReload reads every stored user.
func (s *Engine) aclReload(ctx context.Context) error {
	stored, version, err := s.db.ACLUsers(ctx)
	if err != nil {
		return err
	}
	users := make(map[string]*acl.User, len(stored)+1)
	for name, rules := range stored {
		u, err := acl.Parse(name, rules)
		if err != nil {
			slog.Error("acl: stored user does not parse; ignored", "user", name, "err", err)
			continue
		}
		users[name] = u
	}
	if users["default"] == nil {
		users["default"] = acl.Default(s.RequirePass())
	}
	s.acl.mu.Lock()
	s.acl.users, s.acl.version, s.acl.loaded = users, version, true
	s.acl.mu.Unlock()
	s.dropRemovedUsers(users)
	return nil
}

// dropRemovedUsers disconnects clients authenticated as users that no
// longer exist or are disabled, as Redis does.
func (s *Engine) dropRemovedUsers(users map[string]*acl.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		c.infoMu.Lock()
		name := c.user
		c.infoMu.Unlock()
		if u := users[name]; name != "" && (u == nil || !u.Enabled) {
			c.killed.Store(true)
			c.closeConn()
		}
	}
}

// aclWatch reloads the users whenever another instance changed them.
func (s *Engine) aclWatch() {
	t := time.NewTicker(aclRefresh)
	defer t.Stop()
	for {
		select {
		case <-s.acl.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		v, err := s.db.ACLVersion(ctx)
		s.acl.mu.RLock()
		changed := err == nil && v != s.acl.version
		s.acl.mu.RUnlock()
		if changed {
			if err := s.aclReload(ctx); err != nil {
				slog.Warn("acl: reloading users", "err", err)
			}
		}
		cancel()
	}
}

// Authenticate checks user (nil: default) and pass and, when they match,
// makes cl that user. It is AUTH's and HELLO AUTH's check.
func (s *Engine) Authenticate(cl *Client, user, pass []byte) bool {
	name := "default"
	if user != nil {
		name = string(user)
	}
	u := s.aclUser(name)
	if u == nil || !u.CheckPassword(pass) {
		s.aclLog(cl, "auth", "AUTH", name)
		return false
	}
	cl.infoMu.Lock()
	cl.user = name
	cl.infoMu.Unlock()
	cl.authed = true
	return true
}

// userOf returns the user cl runs as.
func (s *Engine) userOf(cl *Client) *acl.User {
	cl.infoMu.Lock()
	name := cl.user
	cl.infoMu.Unlock()
	if name == "" {
		name = "default"
	}
	return s.aclUser(name)
}

// aclCheck returns the NOPERM error for cl running args (nil when
// allowed), with Redis's texts, and logs denials for ACL LOG.
func (s *Engine) aclCheck(cl *Client, cmd *Command, args [][]byte) string {
	if cmd.Flags&flagNoAuth != 0 {
		return ""
	}
	u := s.userOf(cl)
	reason, object := aclDenied(u, cmd.Spec, args)
	if reason == "" {
		return ""
	}
	if u != nil {
		s.aclLog(cl, reason, object, u.Name)
	}
	switch reason {
	case "command":
		return "NOPERM this user has no permissions to run the '" + object + "' command"
	case "key":
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	default:
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
}

// aclDenied returns why u may not run args of spec ("command", "key",
// "channel", or "" when it may) and the denied object. The command is
// allowed when u's root permissions or one of its selectors allow it;
// otherwise the reason is Redis's pick among the selectors' denials: a
// channel before a key before the command, the later argument first.
// A missing user (deleted while connected) may run nothing.
func aclDenied(u *acl.User, spec *cmdspec.Command, args [][]byte) (reason, object string) {
	if u == nil {
		return "command", spec.Name
	}
	if u.Unrestricted() {
		return "", ""
	}
	best, bestPos := 0, -1
	for i := -1; i < len(u.Selectors); i++ {
		s := &u.Selector // the root permissions, then each selector
		if i >= 0 {
			s = u.Selectors[i]
		}
		r, obj, pos := selectorDenied(s, spec, args)
		if r == "" {
			return "", ""
		}
		if rank := denialRank(r); rank > best || (rank == best && pos > bestPos) {
			reason, object, best, bestPos = r, obj, rank, pos
		}
	}
	return reason, object
}

// denialRank orders denial reasons as Redis reports them: a channel
// before a key before the command.
func denialRank(reason string) int {
	switch reason {
	case "channel":
		return 3
	case "key":
		return 2
	}
	return 1
}

// selectorDenied is aclDenied for one selector; pos is the denied
// argument's position (0 for the command).
func selectorDenied(u *acl.Selector, spec *cmdspec.Command, args [][]byte) (reason, object string, pos int) {
	sub := spec.For(args)
	if sub == nil {
		sub = spec
	}
	if !u.CanRun(sub) {
		return "command", sub.Name, 0
	}
	for _, r := range sub.KeyRefs(args) {
		if !u.CanKey(args[r.Pos], r.Flags) {
			return "key", string(args[r.Pos]), r.Pos
		}
	}
	var channels [][]byte
	literal := false
	switch sub.Name {
	case "publish", "spublish":
		if len(args) > 1 {
			channels = args[1:2]
		}
	case "subscribe", "ssubscribe":
		channels = args[1:]
	case "psubscribe":
		channels, literal = args[1:], true
	}
	for i, ch := range channels {
		if !u.CanChannel(ch, literal) {
			return "channel", string(ch), 1 + i
		}
	}
	return "", "", 0
}

// aclLog records a denial; repeated ones within a minute are counted in
// the same entry, as Redis does.
func (s *Engine) aclLog(cl *Client, reason, object, user string) {
	ctx := "toplevel"
	if cl.multi {
		ctx = "multi"
	}
	s.aclLogIn(cl, ctx, reason, object, user)
}

// aclLogIn is aclLog in an explicit context (toplevel, multi, lua).
func (s *Engine) aclLogIn(cl *Client, ctx, reason, object, user string) {
	info := cl.info(time.Now())
	s.acl.mu.Lock()
	defer s.acl.mu.Unlock()
	for _, e := range s.acl.log {
		if e.reason == reason && e.object == object && e.user == user && e.context == ctx && time.Since(e.created) < time.Minute {
			e.count++
			e.created, e.clientInfo = time.Now(), info
			return
		}
	}
	s.acl.log = append([]*aclLogEntry{{count: 1, reason: reason, context: ctx, object: object, user: user, created: time.Now(), clientInfo: info}}, s.acl.log...)
	if len(s.acl.log) > aclLogMax {
		s.acl.log = s.acl.log[:aclLogMax]
	}
}

func aclCommands() []*Command {
	return []*Command{
		cmd("acl", aclCmd, barrier, subcommands("setuser", "getuser", "deluser", "list", "users", "whoami", "cat", "log", "genpass", "dryrun", "load", "save", "help")),
	}
}

func aclCmd(c *Call) {
	sub := strings.ToLower(string(c.Args[1]))
	switch sub {
	case "setuser":
		aclSetUser(c)
	case "deluser":
		aclDelUser(c)
	case "getuser":
		aclGetUser(c)
	case "list", "users":
		if err := c.s.aclReload(context.Background()); err != nil {
			c.Error(c.errorReply(err))
			return
		}
		names := c.s.aclNames()
		out := make([][]byte, len(names))
		for i, n := range names {
			if sub == "users" {
				out[i] = []byte(n)
			} else {
				out[i] = []byte("user " + n + " " + c.s.aclUser(n).Rules())
			}
		}
		c.Reply(resp.Bulks(out))
	case "whoami":
		c.Reply(resp.Bulk([]byte(c.s.userOf(c.c).Name)))
	case "cat":
		aclCat(c)
	case "log":
		aclLogCmd(c)
	case "genpass":
		bits := int64(256)
		if len(c.Args) > 2 {
			n, ok := parse.Int(c.Args[2])
			if !ok || n <= 0 || n > 4096 {
				c.Error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
				return
			}
			bits = n
		}
		b := make([]byte, (bits+7)/8)
		rand.Read(b)
		c.Reply(resp.Bulk([]byte(hex.EncodeToString(b)[:(bits+3)/4])))
	case "dryrun":
		aclDryRun(c)
	case "load":
		aclLoad(c)
	case "save":
		aclSave(c)
	case "help":
		c.Reply(resp.Lines(aclHelp))
	}
}

func aclSetUser(c *Call) {
	name := string(c.Args[2])
	rules := make([]string, 0, len(c.Args)-3)
	for _, a := range c.Args[3:] {
		rules = append(rules, string(a))
	}
	if err := c.s.aclReload(context.Background()); err != nil {
		c.Error(c.errorReply(err))
		return
	}
	u := c.s.aclUser(name)
	if u == nil {
		u = acl.NewUser(name)
	} else {
		u = u.Clone()
	}
	if strings.ContainsAny(name, " \t\r\n") {
		c.Error("ERR Usernames can't contain spaces or null characters")
		return
	}
	if err := u.Apply(rules); err != nil {
		c.Error("ERR " + err.Error())
		return
	}
	if err := c.s.aclStore(map[string]*acl.User{name: u}, nil); err != nil {
		c.Error(c.errorReply(err))
		return
	}
	c.Reply(resp.OK)
}

// aclNames returns the names of the users, sorted.
func (s *Engine) aclNames() []string {
	s.acl.mu.RLock()
	names := make([]string, 0, len(s.acl.users))
	for n := range s.acl.users {
		names = append(names, n)
	}
	s.acl.mu.RUnlock()
	sort.Strings(names)
	return names
}

// aclStore writes users and deletes the users named in del, in one
// transaction, and reloads the cache.
func (s *Engine) aclStore(users map[string]*acl.User, del []string) error {
	put := make(map[string]string, len(users))
	for name, u := range users {
		put[name] = u.Rules()
	}
	if _, err := s.db.ACLUpdate(context.Background(), put, del); err != nil {
		return err
	}
	return s.aclReload(context.Background())
}

func aclDelUser(c *Call) {
	if err := c.s.aclReload(context.Background()); err != nil {
		c.Error(c.errorReply(err))
		return
	}
	var del []string
	for _, a := range c.Args[2:] {
		name := string(a)
		if name == "default" {
			c.Error("ERR The 'default' user cannot be removed")
			return
		}
		c.s.acl.mu.RLock()
		_, ok := c.s.acl.users[name]
		c.s.acl.mu.RUnlock()
		if ok && !slices.Contains(del, name) {
			del = append(del, name)
		}
	}
	if len(del) > 0 {
		if _, err := c.s.db.ACLUpdate(context.Background(), nil, del); err != nil {
			c.Error(c.errorReply(err))
			return
		}
		if err := c.s.aclReload(context.Background()); err != nil {
			c.Error(c.errorReply(err))
			return
		}
	}
	c.Reply(resp.Int(len(del)))
}

func aclGetUser(c *Call) {
	if err := c.s.aclReload(context.Background()); err != nil {
		c.Error(c.errorReply(err))
		return
	}
	u := c.s.aclUser(string(c.Args[2]))
	if u == nil {
		c.Reply(resp.Null)
		return
	}
	flags := [][]byte{[]byte("off")}
	if u.Enabled {
		flags[0] = []byte("on")
	}
	if u.NoPass {
		flags = append(flags, []byte("nopass"))
	}
	pw := make([][]byte, len(u.Passwords))
	for i, p := range u.Passwords {
		pw[i] = []byte(p)
	}
	selectors := resp.Array{}
	for _, s := range u.Selectors {
		selectors = append(selectors, resp.Map{
			resp.BulkString("commands"), resp.Bulk([]byte(s.Commands())),
			resp.BulkString("keys"), resp.Bulk([]byte(s.KeysDescription())),
			resp.BulkString("channels"), resp.Bulk([]byte(s.ChannelsDescription())),
		})
	}
	c.Reply(resp.Map{
		resp.BulkString("flags"), resp.BulkSet(flags),
		resp.BulkString("passwords"), resp.Bulks(pw),
		resp.BulkString("commands"), resp.Bulk([]byte(u.Commands())),
		resp.BulkString("keys"), resp.Bulk([]byte(u.KeysDescription())),
		resp.BulkString("channels"), resp.Bulk([]byte(u.ChannelsDescription())),
		resp.BulkString("selectors"), selectors,
	})
}

func aclCat(c *Call) {
	if len(c.Args) == 2 {
		cats := acl.Categories()
		out := make([][]byte, len(cats))
		for i, cat := range cats {
			out[i] = []byte(cat)
		}
		c.Reply(resp.Bulks(out))
		return
	}
	if len(c.Args) > 3 {
		c.Error(errSyntax)
		return
	}
	cat := strings.ToLower(string(c.Args[2]))
	if !slices.Contains(acl.Categories(), cat) {
		c.Error(fmt.Sprintf("ERR Unknown category '%s'", c.Args[2]))
		return
	}
	var out [][]byte
	for _, spec := range cmdspec.All() {
		if spec.InCategory(cat) {
			out = append(out, []byte(spec.Name))
		}
	}
	c.Reply(resp.Bulks(out))
}

func aclLogCmd(c *Call) {
	count := int64(10)
	if len(c.Args) == 3 {
		if argIs(c.Args[2], "RESET") {
			c.s.acl.mu.Lock()
			c.s.acl.log = nil
			c.s.acl.mu.Unlock()
			c.Reply(resp.OK)
			return
		}
		n, ok := parse.Int(c.Args[2])
		if !ok || n < 0 {
			c.Error("ERR value is out of range, must be positive")
			return
		}
		count = n
	} else if len(c.Args) > 3 {
		c.Error(errSyntax)
		return
	}
	c.s.acl.mu.RLock()
	defer c.s.acl.mu.RUnlock()
	var out resp.Array
	for i, e := range c.s.acl.log {
		if int64(i) >= count {
			break
		}
		age := float64(time.Since(e.created).Milliseconds()) / 1000
		out = append(out, resp.Map{
			resp.BulkString("count"), resp.Int(e.count),
			resp.BulkString("reason"), resp.Bulk([]byte(e.reason)),
			resp.BulkString("context"), resp.Bulk([]byte(e.context)),
			resp.BulkString("object"), resp.Bulk([]byte(e.object)),
			resp.BulkString("username"), resp.Bulk([]byte(e.user)),
			resp.BulkString("age-seconds"), resp.Double(age),
			resp.BulkString("client-info"), resp.Bulk([]byte(e.clientInfo)),
		})
	}
	c.Reply(out)
}

func aclDryRun(c *Call) {
	if err := c.s.aclReload(context.Background()); err != nil {
		c.Error(c.errorReply(err))
		return
	}
	u := c.s.aclUser(string(c.Args[2]))
	if u == nil {
		c.Error(fmt.Sprintf("ERR User '%s' not found", c.Args[2]))
		return
	}
	args := c.Args[3:]
	spec := cmdspec.Lookup(string(args[0]))
	if spec == nil {
		c.Error(fmt.Sprintf("ERR Command '%s' not found", args[0]))
		return
	}
	if !spec.ArityOK(len(args)) {
		c.Error(fmt.Sprintf("ERR wrong number of arguments for '%s' command", spec.Name))
		return
	}
	switch reason, object := aclDenied(u, spec, args); reason {
	case "":
		c.Reply(resp.OK)
	case "command":
		c.Reply(resp.Bulk([]byte("This user has no permissions to run the '" + object + "' command")))
	case "key":
		c.Reply(resp.Bulk([]byte("This user has no permissions to access the '" + object + "' key")))
	default:
		c.Reply(resp.Bulk([]byte("This user has no permissions to access the '" + object + "' channel")))
	}
}

var aclHelp = []string{
	"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CAT [<category>]",
	"    List all commands that belong to <category>, or all command categories",
	"    when no category is specified.",
	"DELUSER <username> [<username> ...]",
	"    Delete a list of users.",
	"DRYRUN <username> <command> [<arg> ...]",
	"    Returns whether the user can execute the given command without executing the command.",
	"GETUSER <username>",
	"    Get the user's details.",
	"GENPASS [<bits>]",
	"    Generate a secure 256-bit user password. The optional `bits` argument can",
	"    be used to specify a different size.",
	"LIST",
	"    Show users details in config file format.",
	"LOAD",
	"    Reload users from the ACL file.",
	"LOG [<count> | RESET]",
	"    Show the ACL log entries.",
	"SAVE",
	"    Save the current config to the ACL file.",
	"SETUSER <username> <attribute> [<attribute> ...]",
	"    Create or modify a user with the specified attributes.",
	"USERS",
	"    List all the registered usernames.",
	"WHOAMI",
	"    Return the current connection username.",
	"HELP",
	"    Print this help.",
}
