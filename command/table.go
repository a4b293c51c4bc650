package command

import (
	"fmt"
	"strings"

	"github.com/titan-kv/titan/cmdspec"
)

// Command flags: flagNoAuth comes from Redis's no_auth flag, the others
// are titan's own behaviour.
const (
	// flagNoAuth commands run before AUTH.
	flagNoAuth = 1 << iota
	// flagNoQueue commands run at once inside MULTI instead of queueing.
	flagNoQueue
	// flagBarrier commands run after every earlier command of the same
	// pipeline has replied, because they read or change connection state.
	flagBarrier
)

// Command is one entry of the command table: a Redis 7.0 command as
// cmdspec describes it (arity, flags, ACL categories, key specs, docs)
// and titan's handler.
type Command struct {
	// Name is the lower-case command name, as clients send it.
	Name string
	// Spec is Redis's description of the command.
	Spec *cmdspec.Command
	// Flags are the flag* bits: no_auth from Redis, the rest titan's own.
	Flags int
	// Handler parses the arguments and answers, or hands the store a job.
	Handler func(*Call)
	// Subs are the subcommands of a container (CLIENT, CONFIG...) that
	// titan implements, as COMMAND INFO and COMMAND DOCS list them.
	Subs []*cmdspec.Command
}

// option is titan-only behaviour of a command.
type option func(*Command)

// noQueue: the command runs at once inside MULTI instead of queueing.
func noQueue(c *Command) { c.Flags |= flagNoQueue }

// barrier: the command runs after every earlier command of its pipeline
// has replied.
func barrier(c *Command) { c.Flags |= flagBarrier }

// subcommands names the subcommands of a container titan implements.
func subcommands(names ...string) option {
	return func(c *Command) {
		for _, n := range names {
			s := c.Spec.Sub(n)
			if s == nil {
				panic(fmt.Sprintf("command table: Redis 7.0 has no %s|%s", c.Name, n))
			}
			c.Subs = append(c.Subs, s)
		}
	}
}

// cmd is the one constructor of the command table: everything Redis says
// of the command comes from cmdspec by name; opts add titan's behaviour.
func cmd(name string, h func(*Call), opts ...option) *Command {
	spec := cmdspec.Lookup(name)
	if spec == nil {
		panic(fmt.Sprintf("command table: Redis 7.0 has no command %q", name))
	}
	c := &Command{Name: name, Spec: spec, Handler: h}
	if spec.Has("no_auth") {
		c.Flags |= flagNoAuth
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func (c *Command) arityOK(n int) bool { return c.Spec.ArityOK(n) }

// sub returns the subcommand args call, when it is one titan implements.
func (c *Command) sub(args [][]byte) *cmdspec.Command {
	if len(c.Subs) == 0 || len(args) < 2 {
		return nil
	}
	full := c.Name + "|" + strings.ToLower(string(args[1]))
	for _, s := range c.Subs {
		if s.Name == full {
			return s
		}
	}
	return nil
}

// keys returns the key arguments of args, as Redis finds them from the
// key specs of the command (or of its subcommand, for a container).
func (c *Command) keys(args [][]byte) [][]byte {
	if spec := c.Spec.For(args); spec != nil {
		return spec.Keys(args)
	}
	return nil
}

// buildTable assembles the command table.
func buildTable() map[string]*Command {
	t := make(map[string]*Command)
	for _, c := range commands() {
		t[c.Name] = c
	}
	t["command"] = cmd("command", commandCmd(t),
		subcommands("count", "list", "info", "docs", "getkeys", "getkeysandflags", "help"))
	return t
}
