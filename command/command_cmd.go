package command

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/cmdspec"
	"github.com/titan-kv/titan/glob"
	"github.com/titan-kv/titan/resp"
)

// infoReply is a COMMAND INFO entry listing subs, or a null for a nil spec.
type infoReply struct {
	spec *cmdspec.Command
	subs []*cmdspec.Command
}

// Append implements resp.Reply.
func (r infoReply) Append(b []byte, p resp.Proto) []byte {
	if r.spec == nil {
		return resp.Null.Append(b, p)
	}
	return cmdspec.AppendInfo(b, r.spec, r.subs, p >= resp.RESP3)
}

// docsReply is COMMAND DOCS's reply: a map of command names to their docs.
type docsReply []infoReply

// Append implements resp.Reply.
func (d docsReply) Append(b []byte, p resp.Proto) []byte {
	b = resp.AppendMapHeader(b, p, len(d))
	for _, r := range d {
		b = redcon.AppendBulkString(b, r.spec.Name)
		b = cmdspec.AppendDocs(b, r.spec, r.subs, p >= resp.RESP3)
	}
	return b
}

// keysAndFlags is COMMAND GETKEYSANDFLAGS's reply: each key and its flags.
type keysAndFlags struct {
	args [][]byte
	refs []cmdspec.KeyRef
}

// Append implements resp.Reply.
func (k keysAndFlags) Append(b []byte, p resp.Proto) []byte {
	b = redcon.AppendArray(b, len(k.refs))
	for _, r := range k.refs {
		b = redcon.AppendArray(b, 2)
		b = redcon.AppendBulk(b, k.args[r.Pos])
		b = resp.AppendSetHeader(b, p, len(r.Flags))
		for _, f := range r.Flags {
			b = redcon.AppendString(b, f)
		}
	}
	return b
}

// commandHelpLines is COMMAND HELP's text, as Redis 7.0 answers it.
var commandHelpLines = resp.Lines{
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
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
	"HELP",
	"    Prints this help.",
}

// commandCmd implements COMMAND and its subcommands over the table t,
// answering as redis-server 7.0 does for the commands titan has.
func commandCmd(t map[string]*Command) func(*Call) {
	return func(c *Call) {
		if len(c.Args) == 1 {
			c.Reply(allInfo(t))
			return
		}
		sub := c.cmd.Spec.Sub(string(c.Args[1]))
		if sub == nil {
			c.Error(unknownSubcommand(c.Args))
			return
		}
		if !sub.ArityOK(len(c.Args)) {
			c.Error(fmt.Sprintf("ERR wrong number of arguments for '%s' command", sub.Name))
			return
		}
		switch strings.TrimPrefix(sub.Name, "command|") {
		case "count":
			c.Reply(resp.Int(int64(len(t))))
		case "list":
			commandList(c, t)
		case "info":
			if len(c.Args) == 2 {
				c.Reply(allInfo(t))
				return
			}
			var a resp.Array
			for _, n := range c.Args[2:] {
				spec, subs := lookupImplemented(t, string(n))
				a = append(a, infoReply{spec, subs})
			}
			c.Reply(a)
		case "docs":
			var d docsReply
			if len(c.Args) == 2 {
				for _, n := range sortedNames(t) {
					d = append(d, infoReply{t[n].Spec, t[n].Subs})
				}
			}
			for _, n := range c.Args[2:] {
				if spec, subs := lookupImplemented(t, string(n)); spec != nil {
					d = append(d, infoReply{spec, subs})
				}
			}
			c.Reply(d)
		case "getkeys", "getkeysandflags":
			getKeys(c, sub.Name == "command|getkeysandflags")
		case "help":
			c.Reply(commandHelpLines)
		}
	}
}

func sortedNames(t map[string]*Command) []string {
	names := make([]string, 0, len(t))
	for n := range t {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func allInfo(t map[string]*Command) resp.Array {
	var a resp.Array
	for _, n := range sortedNames(t) {
		a = append(a, infoReply{t[n].Spec, t[n].Subs})
	}
	return a
}

// lookupImplemented finds a command or "container|sub" subcommand titan
// implements, with the subcommands it lists; nil if titan has none.
func lookupImplemented(t map[string]*Command, name string) (*cmdspec.Command, []*cmdspec.Command) {
	name = strings.ToLower(name)
	base, _, isSub := strings.Cut(name, "|")
	cmd := t[base]
	if cmd == nil {
		return nil, nil
	}
	if !isSub {
		return cmd.Spec, cmd.Subs
	}
	for _, s := range cmd.Subs {
		if s.Name == name {
			return s, nil
		}
	}
	return nil, nil
}

// commandList is COMMAND LIST [FILTERBY MODULE name|ACLCAT cat|PATTERN p]:
// titan's commands and, as Redis lists them, the subcommands of its
// containers ("client|list").
func commandList(c *Call, t map[string]*Command) {
	match := func(*cmdspec.Command) bool { return true }
	switch {
	case len(c.Args) == 2:
	case len(c.Args) == 5 && argIs(c.Args[2], "FILTERBY") && argIs(c.Args[3], "MODULE"):
		match = func(*cmdspec.Command) bool { return false } // titan has no modules
	case len(c.Args) == 5 && argIs(c.Args[2], "FILTERBY") && argIs(c.Args[3], "ACLCAT"):
		cat := strings.ToLower(string(c.Args[4]))
		match = func(s *cmdspec.Command) bool { return s.InCategory(cat) }
	case len(c.Args) == 5 && argIs(c.Args[2], "FILTERBY") && argIs(c.Args[3], "PATTERN"):
		pat := c.Args[4]
		match = func(s *cmdspec.Command) bool { return glob.Match(pat, []byte(s.Name), true) }
	default:
		c.Error(errSyntax)
		return
	}
	// Like Redis, the list names the subcommands of containers too
	// ("client|list"), and filters match them by their full names.
	var list resp.Strings
	for _, n := range sortedNames(t) {
		if match(t[n].Spec) {
			list = append(list, n)
		}
		for _, sub := range t[n].Subs {
			if match(sub) {
				list = append(list, sub.Name)
			}
		}
	}
	c.Reply(list)
}

// getKeys is COMMAND GETKEYS and GETKEYSANDFLAGS <full command>. It
// knows every Redis 7.0 command, not only those titan runs.
func getKeys(c *Call, withFlags bool) {
	args := c.Args[2:]
	spec := cmdspec.Resolve(args)
	switch {
	case spec == nil:
		c.Error("ERR Invalid command specified")
		return
	case !spec.HasKeys():
		c.Error("ERR The command has no key arguments")
		return
	case !spec.ArityOK(len(args)):
		c.Error("ERR Invalid number of arguments specified for command")
		return
	}
	refs := spec.KeyRefs(args)
	switch {
	case len(refs) == 0 && !spec.Has("no_mandatory_keys"):
		c.Error("ERR Invalid arguments specified for command")
	case withFlags:
		c.Reply(keysAndFlags{args, refs})
	default:
		c.Reply(resp.Bulks(cmdspec.Pick(args, refs)))
	}
}
