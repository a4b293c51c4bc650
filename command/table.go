package command

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/glob"
)

// Command flags.
const (
	// flagWrite marks commands that may change data.
	flagWrite = 1 << iota
	// flagReadOnly marks commands that only read data.
	flagReadOnly
	// flagNoAuth commands run before AUTH.
	flagNoAuth
	// flagNoQueue commands run at once inside MULTI instead of queueing.
	flagNoQueue
	// flagBarrier commands run after every earlier command of the same
	// pipeline has replied, because they read or change connection state.
	flagBarrier
	// flagAdmin marks server and connection commands.
	flagAdmin
	// flagFast marks O(1) and O(log N) commands, for COMMAND INFO.
	flagFast
)

// Command is one entry of the command table.
type Command struct {
	Name string
	// Arity is Redis's: N exactly N arguments (name included), -N at least N.
	Arity int
	Flags int
	// FirstKey, LastKey and Step locate the key arguments, as in COMMAND
	// INFO: LastKey -1 is the last argument, -2 the one before.
	FirstKey, LastKey, Step int
	Handler                 func(*Call)
}

func (c *Command) arityOK(n int) bool {
	if c.Arity >= 0 {
		return n == c.Arity
	}
	return n >= -c.Arity
}

// keys returns the key arguments of args.
func (c *Command) keys(args [][]byte) [][]byte {
	if c.FirstKey <= 0 || c.FirstKey >= len(args) {
		return nil
	}
	last := c.LastKey
	if last < 0 {
		last = len(args) + last
	}
	last = min(last, len(args)-1)
	step := max(c.Step, 1)
	var keys [][]byte
	for i := c.FirstKey; i <= last; i += step {
		keys = append(keys, args[i])
	}
	return keys
}

// buildTable assembles the command table from each command group.
func buildTable() map[string]*Command {
	t := make(map[string]*Command)
	for _, group := range [][]*Command{
		connectionCommands(),
		serverCommands(),
		keyCommands(),
		stringCommands(),
		multiCommands(),
		hashCommands(),
		listCommands(),
		setCommands(),
		zsetCommands(),
	} {
		for _, c := range group {
			t[c.Name] = c
		}
	}
	t["command"] = &Command{Name: "command", Arity: -1, Flags: flagAdmin | flagNoAuth, Handler: commandCmd(t)}
	return t
}

func (c *Command) flagNames() []string {
	var f []string
	if c.Flags&flagWrite != 0 {
		f = append(f, "write")
	}
	if c.Flags&flagReadOnly != 0 {
		f = append(f, "readonly")
	}
	if c.Flags&flagAdmin != 0 {
		f = append(f, "admin")
	}
	if c.Flags&flagNoAuth != 0 {
		f = append(f, "no_auth")
	}
	if c.Flags&flagFast != 0 {
		f = append(f, "fast")
	}
	return f
}

func writeCommandInfo(w *redcon.Writer, c *Command) {
	w.WriteArray(10)
	w.WriteBulkString(c.Name)
	w.WriteInt(c.Arity)
	flags := c.flagNames()
	w.WriteArray(len(flags))
	for _, f := range flags {
		w.WriteString(f)
	}
	w.WriteInt(c.FirstKey)
	w.WriteInt(c.LastKey)
	w.WriteInt(c.Step)
	w.WriteArray(0) // ACL categories
	w.WriteArray(0) // tips
	w.WriteArray(0) // key specs
	w.WriteArray(0) // subcommands
}

// commandCmd implements COMMAND, COMMAND COUNT/INFO/DOCS/LIST/GETKEYS.
func commandCmd(t map[string]*Command) func(*Call) {
	names := func() []string {
		n := make([]string, 0, len(t))
		for k := range t {
			n = append(n, k)
		}
		sort.Strings(n)
		return n
	}
	return func(c *Call) {
		if len(c.Args) == 1 {
			c.legacyReply(func(w *redcon.Writer) {
				all := names()
				w.WriteArray(len(all))
				for _, n := range all {
					writeCommandInfo(w, t[n])
				}
			})
			return
		}
		sub := strings.ToLower(string(c.Args[1]))
		if want, ok := map[string]int{"count": 2, "help": 2, "getkeys": 4}[sub]; ok &&
			(len(c.Args) < want || (sub != "getkeys" && len(c.Args) != want)) {
			c.Error(fmt.Sprintf("ERR wrong number of arguments for 'command|%s' command", sub))
			return
		}
		switch sub {
		case "count":
			c.Int(int64(len(t)))
		case "list":
			// FILTERBY MODULE and ACLCAT select nothing: titan has no
			// modules and no ACL categories.
			match := func(string) bool { return true }
			switch {
			case len(c.Args) == 2:
			case len(c.Args) == 5 && argIs(c.Args[2], "FILTERBY") && argIs(c.Args[3], "PATTERN"):
				pat := c.Args[4]
				match = func(n string) bool { return glob.Match(pat, []byte(n), true) }
			case len(c.Args) == 5 && argIs(c.Args[2], "FILTERBY") && (argIs(c.Args[3], "MODULE") || argIs(c.Args[3], "ACLCAT")):
				match = func(string) bool { return false }
			default:
				c.Error(errSyntax)
				return
			}
			c.legacyReply(func(w *redcon.Writer) {
				var list []string
				for _, n := range names() {
					if match(n) {
						list = append(list, n)
					}
				}
				w.WriteArray(len(list))
				for _, n := range list {
					w.WriteBulkString(n)
				}
			})
		case "info":
			want := c.Args[2:]
			if len(want) == 0 {
				for _, n := range names() {
					want = append(want, []byte(n))
				}
			}
			c.legacyReply(func(w *redcon.Writer) {
				w.WriteArray(len(want))
				for _, n := range want {
					if cmd := t[strings.ToLower(string(n))]; cmd != nil {
						writeCommandInfo(w, cmd)
					} else {
						w.WriteNull()
					}
				}
			})
		case "docs":
			want := c.Args[2:]
			c.legacyReply(func(w *redcon.Writer) {
				var found []*Command
				for _, n := range want {
					if cmd := t[strings.ToLower(string(n))]; cmd != nil {
						found = append(found, cmd)
					}
				}
				if len(want) == 0 {
					for _, n := range names() {
						found = append(found, t[n])
					}
				}
				w.WriteArray(len(found) * 2)
				for _, cmd := range found {
					w.WriteBulkString(cmd.Name)
					w.WriteArray(4)
					w.WriteBulkString("summary")
					w.WriteBulkString(cmd.Name + " command")
					w.WriteBulkString("group")
					w.WriteBulkString("generic")
				}
			})
		case "getkeys":
			cmd := t[strings.ToLower(string(c.Args[2]))]
			if cmd == nil {
				c.Error("ERR Invalid command specified")
				return
			}
			if cmd.FirstKey <= 0 {
				c.Error("ERR The command has no key arguments")
				return
			}
			if !cmd.arityOK(len(c.Args) - 2) {
				c.Error("ERR Invalid number of arguments specified for command")
				return
			}
			keys := cmd.keys(c.Args[2:])
			c.legacyReply(func(w *redcon.Writer) { writeBulks(w, keys) })
		case "help":
			c.legacyReply(func(w *redcon.Writer) {
				lines := []string{
					"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
					"(no subcommand)",
					"    Return details about all Redis commands.",
					"COUNT",
					"    Return the total number of commands in this Redis server.",
					"LIST",
					"    Return a list of all commands in this Redis server.",
					"INFO [<command-name> ...]",
					"    Return details about multiple Redis commands.",
					"    If no command names are given, documentation details for all",
					"    commands are returned.",
					"DOCS [<command-name> ...]",
					"    Return documentation details about multiple Redis commands.",
					"    If no command names are given, documentation details for all",
					"    commands are returned.",
					"GETKEYS <full-command>",
					"    Return the keys from a full Redis command.",
					"HELP",
					"    Prints this help.",
				}
				w.WriteArray(len(lines))
				for _, l := range lines {
					w.WriteString(l)
				}
			})
		default:
			c.Error(unknownSubcommand(c.Args))
		}
	}
}
