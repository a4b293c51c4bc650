// Package acl is titan's access control rules engine, after Redis 7.0's
// ACL: users with passwords, command and category rules, key patterns
// (~, %R~, %W~), channel patterns (&) and selectors ("(...)"), parsed
// from and described as ACL SETUSER rules, and the check run before every
// command. It holds no state of its own: users are stored in the store by
// package db and cached by package command.
package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/titan-kv/titan/cmdspec"
	"github.com/titan-kv/titan/glob"
)

// Key permissions.
const (
	Read  = 1 << iota // %R~
	Write             // %W~
)

// KeyPattern is one key pattern and what it allows.
type KeyPattern struct {
	Pattern string
	Perm    int // Read|Write
}

// Selector is one set of command, key and channel permissions: a user's
// root permissions, or one of its selectors (a "(...)" rule). A command
// is allowed when the root or any selector allows it whole (the command,
// its keys and its channels).
type Selector struct {
	// cmdRules are the command rules since the last reset of the command
	// set ("+@all" or "-@all" first), as ACL GETUSER describes them.
	cmdRules []string
	allowed  map[string]bool // command or "command|sub" -> allowed
	allCmds  bool            // +@all: commands not in allowed are allowed
	Keys     []KeyPattern
	Channels []string
}

// User is one ACL user.
type User struct {
	Name    string
	Enabled bool
	NoPass  bool
	// Passwords are SHA-256 hashes, hex, in the order they were added.
	Passwords []string
	// Selector is the root permissions.
	Selector
	// Selectors are the further selectors, in the order they were added.
	Selectors []*Selector
}

// newSelector returns a selector that allows nothing.
func newSelector() Selector {
	return Selector{cmdRules: []string{"-@all"}, allowed: map[string]bool{}}
}

// NewUser returns a user as ACL SETUSER creates it: off, no password, no
// commands, no keys, no channels.
func NewUser(name string) *User {
	return &User{Name: name, Selector: newSelector()}
}

// Default returns the default user: on, every command, key and channel,
// with requirepass as its password (none: nopass).
func Default(requirepass string) *User {
	u := NewUser("default")
	rules := []string{"on", "~*", "&*", "+@all"}
	if requirepass == "" {
		rules = append(rules, "nopass")
	} else {
		rules = append(rules, ">"+requirepass)
	}
	if err := u.Apply(rules); err != nil {
		panic(err) // the rules above are valid
	}
	return u
}

// Clone returns a deep copy of u.
func (u *User) Clone() *User {
	c := *u
	c.Passwords = slices.Clone(u.Passwords)
	c.Selector = u.Selector.clone()
	c.Selectors = make([]*Selector, len(u.Selectors))
	for i, s := range u.Selectors {
		sc := s.clone()
		c.Selectors[i] = &sc
	}
	return &c
}

func (s *Selector) clone() Selector {
	c := *s
	c.cmdRules = slices.Clone(s.cmdRules)
	c.Keys = slices.Clone(s.Keys)
	c.Channels = slices.Clone(s.Channels)
	c.allowed = maps.Clone(s.allowed)
	return c
}

// HashPassword is the hash ACL rules store for a password.
func HashPassword(pw string) string {
	h := sha256.Sum256([]byte(pw))
	return hex.EncodeToString(h[:])
}

// CheckPassword reports whether pass opens u: u is on and has nopass or
// one of its passwords is pass.
func (u *User) CheckPassword(pass []byte) bool {
	if !u.Enabled {
		return false
	}
	if u.NoPass {
		return true
	}
	h := HashPassword(string(pass))
	ok := false
	for _, p := range u.Passwords {
		if subtle.ConstantTimeCompare([]byte(p), []byte(h)) == 1 {
			ok = true
		}
	}
	return ok
}

// Apply applies ACL SETUSER rules in order. A selector may come split in
// several rules, from the one starting with "(" to the one ending with
// ")", as ACL SETUSER's arguments and ACL file lines split it. On error, u
// may be partly changed: apply to a Clone and keep it only on success.
func (u *User) Apply(rules []string) error {
	rules, err := mergeSelectors(rules)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if err := u.apply(r); err != nil {
			return fmt.Errorf("Error in ACL SETUSER modifier '%s': %w", r, err)
		}
	}
	return nil
}

// errSyntax is Redis's text for an unknown rule.
var errSyntax = ruleError("Syntax error")

type ruleError string

func (e ruleError) Error() string { return string(e) }

// UnmatchedError is the error for a selector whose ")" never comes; the
// text names the rule it starts at, as Redis's does.
type UnmatchedError string

func (e UnmatchedError) Error() string {
	return "Unmatched parenthesis in acl selector starting at '" + string(e) + "'."
}

// mergeSelectors joins the rules of a selector split over several rules
// into one rule "(...)".
func mergeSelectors(rules []string) ([]string, error) {
	var out []string
	open := -1
	for i, r := range rules {
		if open < 0 && strings.HasPrefix(r, "(") && !strings.HasSuffix(r, ")") {
			open = i
			continue
		}
		if open >= 0 {
			if strings.HasSuffix(r, ")") {
				out = append(out, strings.Join(rules[open:i+1], " "))
				open = -1
			}
			continue
		}
		out = append(out, r)
	}
	if open >= 0 {
		return nil, UnmatchedError(rules[open])
	}
	return out, nil
}

func (u *User) apply(r string) error {
	lr := strings.ToLower(r)
	switch {
	case lr == "on":
		u.Enabled = true
	case lr == "off":
		u.Enabled = false
	case lr == "nopass":
		u.NoPass, u.Passwords = true, nil
	case lr == "resetpass":
		u.NoPass, u.Passwords = false, nil
	case lr == "clearselectors":
		u.Selectors = nil
	case lr == "reset":
		*u = *NewUser(u.Name)
	case len(r) >= 2 && r[0] == '(' && r[len(r)-1] == ')':
		s := newSelector()
		for _, sr := range strings.Fields(r[1 : len(r)-1]) {
			if err := s.apply(sr); err != nil {
				return err
			}
		}
		u.Selectors = append(u.Selectors, &s)
	case strings.HasPrefix(r, ">"):
		u.addPassword(HashPassword(r[1:]))
	case strings.HasPrefix(r, "#"):
		h := strings.ToLower(r[1:])
		if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
			return ruleError("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
		}
		u.addPassword(h)
	case strings.HasPrefix(r, "<"):
		return u.removePassword(HashPassword(r[1:]))
	case strings.HasPrefix(r, "!"):
		return u.removePassword(strings.ToLower(r[1:]))
	default:
		return u.Selector.apply(r)
	}
	return nil
}

// apply applies one permission rule to s.
func (s *Selector) apply(r string) error {
	u := s
	lr := strings.ToLower(r)
	switch {
	case lr == "allkeys":
		u.Keys = []KeyPattern{{"*", Read | Write}}
	case lr == "resetkeys":
		u.Keys = nil
	case lr == "allchannels":
		u.Channels = []string{"*"}
	case lr == "resetchannels":
		u.Channels = nil
	case lr == "allcommands":
		u.setAll(true)
	case lr == "nocommands":
		u.setAll(false)
	case strings.HasPrefix(r, "~"):
		u.addKey(r[1:], Read|Write)
	case strings.HasPrefix(lr, "%"):
		i := strings.IndexByte(r, '~')
		if i < 2 {
			return errSyntax
		}
		perm := 0
		for _, c := range strings.ToUpper(r[1:i]) {
			switch c {
			case 'R':
				perm |= Read
			case 'W':
				perm |= Write
			default:
				return errSyntax
			}
		}
		u.addKey(r[i+1:], perm)
	case strings.HasPrefix(r, "&"):
		if !slices.Contains(u.Channels, "*") {
			if r[1:] == "*" {
				u.Channels = []string{"*"}
			} else if !slices.Contains(u.Channels, r[1:]) {
				u.Channels = append(u.Channels, r[1:])
			}
		}
	case strings.HasPrefix(r, "+@"), strings.HasPrefix(r, "-@"):
		return u.category(lr[2:], r[0] == '+')
	case strings.HasPrefix(r, "+"), strings.HasPrefix(r, "-"):
		return u.command(lr[1:], r[0] == '+')
	default:
		return errSyntax
	}
	return nil
}

func (u *User) addPassword(h string) {
	u.NoPass = false
	if !slices.Contains(u.Passwords, h) {
		u.Passwords = append(u.Passwords, h)
	}
}

func (u *User) removePassword(h string) error {
	i := slices.Index(u.Passwords, h)
	if i < 0 {
		return ruleError("no such password")
	}
	u.Passwords = slices.Delete(u.Passwords, i, i+1)
	return nil
}

func (u *Selector) addKey(pattern string, perm int) {
	if slices.ContainsFunc(u.Keys, func(k KeyPattern) bool { return k.Pattern == "*" && k.Perm == Read|Write }) {
		return
	}
	if pattern == "*" && perm == Read|Write {
		u.Keys = []KeyPattern{{"*", Read | Write}}
		return
	}
	for i, k := range u.Keys {
		if k.Pattern == pattern {
			u.Keys[i].Perm |= perm
			return
		}
	}
	u.Keys = append(u.Keys, KeyPattern{pattern, perm})
}

func (u *Selector) setAll(on bool) {
	u.allCmds, u.allowed = on, map[string]bool{}
	if on {
		u.cmdRules = []string{"+@all"}
	} else {
		u.cmdRules = []string{"-@all"}
	}
}

func (u *Selector) category(cat string, allow bool) error {
	if cat == "all" {
		u.setAll(allow)
		return nil
	}
	if !slices.Contains(Categories(), cat) {
		return ruleError("Unknown command or category name in ACL")
	}
	for _, c := range cmdspec.All() {
		if c.Parent() != nil {
			continue
		}
		if c.InCategory(cat) {
			u.allowed[c.Name] = allow
			for _, s := range c.Subcommands {
				delete(u.allowed, s.Name)
			}
		}
	}
	u.rule(map[bool]string{true: "+@", false: "-@"}[allow] + cat)
	return nil
}

func (u *Selector) command(name string, allow bool) error {
	spec := cmdspec.Lookup(name)
	if spec == nil {
		return ruleError("Unknown command or category name in ACL")
	}
	if spec.Parent() == nil {
		for _, s := range spec.Subcommands {
			delete(u.allowed, s.Name)
		}
	} else if !allow {
		return ruleError("Allowing first-arg of a subcommand is not supported")
	}
	u.allowed[spec.Name] = allow
	u.rule(map[bool]string{true: "+", false: "-"}[allow] + spec.Name)
	return nil
}

// rule appends a command rule to the description.
func (u *Selector) rule(r string) { u.cmdRules = append(u.cmdRules, r) }

// Categories are the ACL categories of Redis 7.0, in ACL CAT's order.
func Categories() []string {
	return []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
		"hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
		"connection", "transaction", "scripting"}
}

// Commands describes the command rules as ACL GETUSER and ACL LIST do.
func (u *Selector) Commands() string { return strings.Join(u.cmdRules, " ") }

// Unrestricted reports whether u may run every command on every key and
// channel, so that no check is needed.
func (u *User) Unrestricted() bool {
	return u.allCmds && len(u.allowed) == 0 && len(u.Keys) == 1 && u.Keys[0] == KeyPattern{"*", Read | Write} &&
		len(u.Channels) == 1 && u.Channels[0] == "*"
}

// CanRun reports whether u may run spec (a command or a subcommand).
func (u *Selector) CanRun(spec *cmdspec.Command) bool {
	if v, ok := u.allowed[spec.Name]; ok {
		return v
	}
	if p := spec.Parent(); p != nil {
		if v, ok := u.allowed[p.Name]; ok {
			return v
		}
	}
	return u.allCmds
}

// CanKey reports whether u may access key with the access a key spec's
// flags ask for (access: read; insert, delete, update: write).
func (u *Selector) CanKey(key []byte, flags []string) bool {
	need := 0
	for _, f := range flags {
		switch f {
		case "access":
			need |= Read
		case "insert", "delete", "update":
			need |= Write
		}
	}
	for _, k := range u.Keys {
		if k.Perm&need != need {
			continue
		}
		if k.Pattern == "*" || glob.Match([]byte(k.Pattern), key, false) {
			return true
		}
	}
	return false
}

// CanChannel reports whether u may use channel; literal is set for the
// patterns of PSUBSCRIBE, which must equal an allowed pattern.
func (u *Selector) CanChannel(channel []byte, literal bool) bool {
	for _, p := range u.Channels {
		if p == "*" {
			return true
		}
		if literal {
			if p == string(channel) {
				return true
			}
		} else if glob.Match([]byte(p), channel, false) {
			return true
		}
	}
	return false
}

// KeysDescription is the key patterns as ACL GETUSER shows them.
func (u *Selector) KeysDescription() string {
	parts := make([]string, len(u.Keys))
	for i, k := range u.Keys {
		switch k.Perm {
		case Read | Write:
			parts[i] = "~" + k.Pattern
		case Read:
			parts[i] = "%R~" + k.Pattern
		default:
			parts[i] = "%W~" + k.Pattern
		}
	}
	return strings.Join(parts, " ")
}

// ChannelsDescription is the channel patterns as ACL GETUSER shows them.
func (u *Selector) ChannelsDescription() string {
	parts := make([]string, len(u.Channels))
	for i, c := range u.Channels {
		parts[i] = "&" + c
	}
	return strings.Join(parts, " ")
}

// Rules describes u as one ACL LIST line without "user <name>": rules
// that, applied to a new user, give u back.
func (u *User) Rules() string {
	var b []string
	if u.Enabled {
		b = append(b, "on")
	} else {
		b = append(b, "off")
	}
	if u.NoPass {
		b = append(b, "nopass")
	}
	for _, p := range u.Passwords {
		b = append(b, "#"+p)
	}
	b = append(b, u.Selector.Describe())
	for _, s := range u.Selectors {
		b = append(b, "("+s.Describe()+")")
	}
	return strings.Join(b, " ")
}

// Describe is the selector's rules as ACL LIST shows them: keys, channels
// and commands.
func (u *Selector) Describe() string {
	var b []string
	if k := u.KeysDescription(); k != "" {
		b = append(b, k)
	}
	if slices.Contains(u.Channels, "*") {
		b = append(b, "&*")
	} else {
		// As Redis describes them: what "resetchannels" leaves, then the
		// patterns.
		b = append(b, "resetchannels")
		if c := u.ChannelsDescription(); c != "" {
			b = append(b, c)
		}
	}
	b = append(b, u.Commands())
	return strings.Join(b, " ")
}

// Parse rebuilds a user from its name and Rules.
func Parse(name, rules string) (*User, error) {
	u := NewUser(name)
	if err := u.Apply(strings.Fields(rules)); err != nil {
		return nil, err
	}
	return u, nil
}
