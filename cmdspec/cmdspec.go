// Package cmdspec is titan's one source of Redis command knowledge: what
// redis-server 7.0 answers to COMMAND INFO and COMMAND DOCS for every
// command and subcommand (arity, flags, ACL categories, tips, key specs,
// summary, arguments...), and the key extraction Redis derives from the
// key specs.
//
// The data is redis70.json, generated from a running redis-server 7.0 and
// committed. Regenerate it with
//
//	go run ./tools/cmdgen
//
// (it starts a redis-server of its own, or reads the one given by -addr).
//
// The package is a leaf: it imports nothing of titan, so the server
// (package command) and the dual-write proxy share it.
package cmdspec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

//go:embed redis70.json
var redis70 []byte

// Command is one Redis command or subcommand as redis-server 7.0
// describes it. Subcommands are named "container|sub", as in COMMAND INFO.
type Command struct {
	// Name is the lower-case name ("get", "client|list").
	Name string `json:"name"`
	// Arity is N for exactly N arguments (the name included), -N for at
	// least N. A subcommand counts the container's name and its own.
	Arity int `json:"arity"`
	// Flags are the command flags ("write", "readonly", "fast"...).
	Flags []string `json:"flags,omitempty"`
	// FirstKey, LastKey and Step are COMMAND INFO's legacy key range.
	FirstKey int `json:"first,omitempty"`
	LastKey  int `json:"last,omitempty"`
	Step     int `json:"step,omitempty"`
	// ACLCategories are the ACL categories, without '@'.
	ACLCategories []string `json:"acl,omitempty"`
	// Tips are the command tips ("nondeterministic_output"...).
	Tips []string `json:"tips,omitempty"`
	// KeySpecs locate the key arguments.
	KeySpecs []KeySpec `json:"key_specs,omitempty"`
	// Subcommands of a container command (CLIENT, CONFIG...), by name.
	Subcommands []*Command `json:"subcommands,omitempty"`
	// Docs is what COMMAND DOCS says.
	Docs Docs `json:"docs"`

	parent *Command
}

// KeySpec is one key specification of a command (Redis 7 key specs).
type KeySpec struct {
	// Notes explains an unusual spec.
	Notes string `json:"notes,omitempty"`
	// Flags are the key flags: RO, RW, OW, RM, access, update, insert,
	// delete, not_key, incomplete, variable_flags.
	Flags []string `json:"flags"`
	// BeginSearch says where the search for keys starts.
	BeginSearch BeginSearch `json:"begin_search"`
	// FindKeys says which arguments from there are keys.
	FindKeys FindKeys `json:"find_keys"`
}

// BeginSearch is the begin_search part of a key spec.
type BeginSearch struct {
	// Type is "index", "keyword" or "unknown".
	Type string `json:"type"`
	// Index is the argument the keys start at (type index).
	Index int `json:"index,omitempty"`
	// Keyword is searched for from StartFrom (type keyword); a negative
	// StartFrom counts from the end and searches backwards.
	Keyword   string `json:"keyword,omitempty"`
	StartFrom int    `json:"startfrom,omitempty"`
}

// FindKeys is the find_keys part of a key spec.
type FindKeys struct {
	// Type is "range", "keynum" or "unknown".
	Type string `json:"type"`
	// LastKey (range) is the last key relative to the first one; negative
	// counts from the end of the arguments. Limit, when LastKey is -1,
	// takes only 1/Limit of the remaining arguments.
	LastKey int `json:"lastkey,omitempty"`
	Limit   int `json:"limit,omitempty"`
	// KeyNumIdx (keynum) is the numkeys argument relative to the first
	// one, FirstKey the first key relative to it.
	KeyNumIdx int `json:"keynumidx,omitempty"`
	FirstKey  int `json:"firstkey,omitempty"`
	// KeyStep is the distance between two keys (both types).
	KeyStep int `json:"keystep,omitempty"`
}

// Docs is a command's COMMAND DOCS entry (without its subcommands, which
// are the docs of Command.Subcommands).
type Docs struct {
	Summary         string      `json:"summary,omitempty"`
	Since           string      `json:"since,omitempty"`
	Group           string      `json:"group"`
	Complexity      string      `json:"complexity,omitempty"`
	DocFlags        []string    `json:"doc_flags,omitempty"`
	DeprecatedSince string      `json:"deprecated_since,omitempty"`
	ReplacedBy      string      `json:"replaced_by,omitempty"`
	History         [][2]string `json:"history,omitempty"`
	Arguments       []Arg       `json:"arguments,omitempty"`
}

// Arg is one argument in COMMAND DOCS.
type Arg struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// KeySpecIndex is the key spec of a key argument, nil for others.
	KeySpecIndex *int `json:"key_spec_index,omitempty"`
	// Token is the literal word before the argument, nil for none (MIGRATE
	// has an empty one).
	Token           *string  `json:"token,omitempty"`
	Summary         string   `json:"summary,omitempty"`
	Since           string   `json:"since,omitempty"`
	DeprecatedSince string   `json:"deprecated_since,omitempty"`
	Flags           []string `json:"flags,omitempty"`
	// Arguments of a oneof or block argument.
	Arguments []Arg `json:"arguments,omitempty"`
}

var (
	loadOnce sync.Once
	all      []*Command
	byName   map[string]*Command
)

func load() {
	cmds, err := Decode(redis70)
	if err != nil {
		panic(fmt.Sprintf("cmdspec: embedded redis70.json: %v", err))
	}
	all = cmds
	byName = make(map[string]*Command, len(cmds))
	for _, c := range cmds {
		byName[c.Name] = c
	}
}

// Decode parses a command list in the format of redis70.json and links
// subcommands to their containers.
func Decode(data []byte) ([]*Command, error) {
	var cmds []*Command
	if err := json.Unmarshal(data, &cmds); err != nil {
		return nil, fmt.Errorf("decoding command specs: %w", err)
	}
	for _, c := range cmds {
		for _, s := range c.Subcommands {
			s.parent = c
		}
	}
	return cmds, nil
}

// All returns every top-level command, sorted by name.
func All() []*Command {
	loadOnce.Do(load)
	return all
}

// Lookup returns the command of a name (any case), nil if Redis 7.0 has
// none. A subcommand is named "container|sub" ("client|list").
func Lookup(name string) *Command {
	loadOnce.Do(load)
	name = strings.ToLower(name)
	if base, sub, ok := strings.Cut(name, "|"); ok {
		if c := byName[base]; c != nil {
			return c.Sub(sub)
		}
		return nil
	}
	return byName[name]
}

// Resolve finds the command args run, as Redis's lookupCommand does: a
// container with at least two arguments resolves to its subcommand (nil
// if it has no such subcommand).
func Resolve(args [][]byte) *Command {
	if len(args) == 0 {
		return nil
	}
	return Lookup(string(args[0])).For(args)
}

// For returns what args run of c: c itself, or for a container called
// with a subcommand name, that subcommand (nil if it has none).
func (c *Command) For(args [][]byte) *Command {
	if c == nil || len(args) < 2 || len(c.Subcommands) == 0 {
		return c
	}
	return c.Sub(string(args[1]))
}

// Sub returns the subcommand of a container by its own name ("list" of
// CLIENT), any case; nil if there is none.
func (c *Command) Sub(name string) *Command {
	full := c.Name + "|" + strings.ToLower(name)
	for _, s := range c.Subcommands {
		if s.Name == full {
			return s
		}
	}
	return nil
}

// Parent returns the container of a subcommand, nil for a top-level command.
func (c *Command) Parent() *Command { return c.parent }

// Has reports whether the command has a flag ("write", "no_auth"...).
func (c *Command) Has(flag string) bool { return slices.Contains(c.Flags, flag) }

// InCategory reports whether the command is in an ACL category (without '@').
func (c *Command) InCategory(cat string) bool { return slices.Contains(c.ACLCategories, cat) }

// ArityOK reports whether n arguments (the name included) fit the arity.
func (c *Command) ArityOK(n int) bool { return MatchArity(c.Arity, n) }

// MatchArity reports whether n arguments (the name included) fit Redis's
// arity: exactly arity when it is positive, at least -arity otherwise.
func MatchArity(arity, n int) bool {
	if arity >= 0 {
		return n == arity
	}
	return n >= -arity
}
