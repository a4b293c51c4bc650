package command

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/glob"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
	"github.com/titan-kv/titan/scripting"
)

// functionCommands is the table of FUNCTION, FCALL and FCALL_RO.
func functionCommands() []*Command {
	return []*Command{
		cmd("function", functionCmd, subcommands("load", "delete", "flush", "list", "dump", "restore", "stats", "kill", "help")),
		cmd("fcall", fcallCmd(false)),
		cmd("fcall_ro", fcallCmd(true)),
	}
}

// libraries is the instance's view of the function libraries in the
// store, valid for one functions generation.
type libraries struct {
	gen    uint64
	loaded bool
	libs   map[string]*scripting.Library
	fns    map[string]*scripting.Function
}

// functions returns the libraries as tx sees the store: the cached ones
// while the functions generation is unchanged, else loaded again.
func (ss *scripts) functions(tx *db.Tx) (*libraries, error) {
	gen, err := tx.Scripts().FunctionsGeneration()
	if err != nil {
		return nil, err
	}
	ss.mu.Lock()
	cur := ss.libs
	ss.mu.Unlock()
	if cur != nil && cur.loaded && cur.gen == gen {
		return cur, nil
	}
	codes, err := tx.Scripts().Libraries()
	if err != nil {
		return nil, err
	}
	l := &libraries{gen: gen, loaded: true, libs: map[string]*scripting.Library{}, fns: map[string]*scripting.Function{}}
	for name, code := range codes {
		lib, err := ss.rt.LoadLibrary(tx.Context(), string(code))
		if err != nil {
			return nil, fmt.Errorf("function library %q in the store: %w", name, err)
		}
		l.add(lib)
	}
	ss.mu.Lock()
	ss.libs = l
	ss.mu.Unlock()
	return l, nil
}

func (l *libraries) add(lib *scripting.Library) {
	l.libs[lib.Name] = lib
	for _, f := range lib.Functions {
		l.fns[strings.ToLower(f.Name)] = f
	}
}

// codes returns the code of every library, by name.
func (l *libraries) codes() map[string][]byte {
	out := make(map[string][]byte, len(l.libs))
	for n, lib := range l.libs {
		out[n] = []byte(lib.Code)
	}
	return out
}

// collide returns the error of loading lib next to l's libraries
// (replacing the one of the same name when replace is set).
func (l *libraries) collide(lib *scripting.Library, replace bool) string {
	if _, ok := l.libs[lib.Name]; ok && !replace {
		return fmt.Sprintf("ERR Library '%s' already exists", lib.Name)
	}
	for _, f := range lib.Functions {
		if old := l.fns[strings.ToLower(f.Name)]; old != nil && old.Library().Name != lib.Name {
			return fmt.Sprintf("ERR Function %s already exists", f.Name)
		}
	}
	return ""
}

// fcallCmd is FCALL and FCALL_RO.
func fcallCmd(ro bool) func(*Call) {
	return func(c *Call) {
		n, isInt := parse.Int(c.Args[2])
		switch {
		case !isInt:
			c.Error("ERR Bad number of keys provided")
			return
		case n > int64(len(c.Args)-3):
			c.Error("ERR Number of keys can't be greater than number of args")
			return
		case n < 0:
			c.Error("ERR Number of keys can't be negative")
			return
		}
		keys, args := c.Args[3:3+n], c.Args[3+n:]
		name := strings.ToLower(string(c.Args[1]))
		ss := c.s.sc()
		var fn *scripting.Function
		c.runScript(func(tx *db.Tx) (*scripting.Script, error) {
			l, err := ss.functions(tx)
			if err != nil {
				return nil, err
			}
			if fn = l.fns[name]; fn == nil {
				return nil, db.UserError("ERR Function not found")
			}
			return nil, nil
		}, func(ctx context.Context, _ *scripting.Script, e scripting.Exec, host *scriptHost) (resp.Reply, error) {
			if ro && !fn.HasFlag("no-writes") {
				return nil, errRO
			}
			host.readOnly = ro || fn.HasFlag("no-writes")
			return ss.rt.Call(ctx, fn, e)
		}, keys, args)
	}
}

var functionHelp = resp.Lines{
	"FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"LOAD [REPLACE] <FUNCTION CODE>",
	"    Create a new library with the given library name and code.",
	"DELETE <LIBRARY NAME>",
	"    Delete the given library.",
	"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
	"    Return general information on all the libraries:",
	"    * Library name",
	"    * The engine used to run the Library",
	"    * Library description",
	"    * Functions list",
	"    * Library code (if WITHCODE is given)",
	"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
	"STATS",
	"    Return information about the current function running:",
	"    * Function name",
	"    * Command used to run the function",
	"    * Duration in MS that the function is running",
	"    If no function is running, return nil",
	"    In addition, returns a list of available engines.",
	"KILL",
	"    Kill the current running function.",
	"FLUSH [ASYNC|SYNC]",
	"    Delete all the libraries.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the libraries.",
	"    * SYNC: Synchronously flush the libraries.",
	"DUMP",
	"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
	"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
	"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
	"    control how to handle existing libraries (default APPEND):",
	"    * FLUSH: delete all existing libraries.",
	"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
	"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
	"      libraries with the new libraries (notice that even on this option there is a chance of failure",
	"      in case of functions name collision with another library).",
	"HELP",
	"    Prints this help.",
}

// functionCmd is FUNCTION and its subcommands.
func functionCmd(c *Call) {
	sub := strings.ToLower(string(c.Args[1]))
	ss := c.s.sc()
	arity := map[string]int{"delete": 3, "dump": 2, "flush": -2, "help": 2, "kill": 2, "list": -2, "load": -3, "restore": -3, "stats": 2}
	a, known := arity[sub]
	if !known {
		c.Error(unknownSubcommand(c.Args))
		return
	}
	if (a > 0 && len(c.Args) != a) || (a < 0 && len(c.Args) < -a) {
		c.Error(fmt.Sprintf("ERR wrong number of arguments for 'function|%s' command", sub))
		return
	}
	switch sub {
	case "help":
		c.Reply(functionHelp)
	case "kill":
		if msg := ss.kill(true); msg != "" {
			c.Error(msg)
			return
		}
		c.Reply(resp.OK)
	case "stats":
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			l, err := ss.functions(tx)
			if err != nil {
				return nil, err
			}
			return resp.Map{
				resp.BulkString("running_script"), ss.runningStats(),
				resp.BulkString("engines"), resp.Map{resp.BulkString("LUA"), resp.Map{
					resp.BulkString("libraries_count"), resp.Int(len(l.libs)),
					resp.BulkString("functions_count"), resp.Int(len(l.fns)),
				}},
			}, nil
		})
	case "load":
		replace := false
		codeArg := c.Args[2]
		if len(c.Args) == 4 {
			if !argIs(c.Args[2], "replace") {
				c.Error("ERR Unknown option given: " + string(c.Args[2]))
				return
			}
			replace, codeArg = true, c.Args[3]
		} else if len(c.Args) > 4 {
			c.Error("ERR Unknown option given: " + string(c.Args[3]))
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		lib, err := ss.rt.LoadLibrary(ctx, string(codeArg))
		cancel()
		if err != nil {
			c.Error(err.Error())
			return
		}
		c.Write(func(tx *db.Tx) (resp.Reply, error) {
			l, err := ss.functions(tx)
			if err != nil {
				return nil, err
			}
			if msg := l.collide(lib, replace); msg != "" {
				return nil, db.UserError(msg)
			}
			codes := l.codes()
			codes[lib.Name] = []byte(lib.Code)
			return resp.BulkString(lib.Name), tx.Scripts().SetLibraries(codes)
		})
	case "delete":
		name := string(c.Args[2])
		c.Write(func(tx *db.Tx) (resp.Reply, error) {
			l, err := ss.functions(tx)
			if err != nil {
				return nil, err
			}
			if l.libs[name] == nil {
				return nil, db.UserError("ERR Library not found")
			}
			codes := l.codes()
			delete(codes, name)
			return resp.OK, tx.Scripts().SetLibraries(codes)
		})
	case "flush":
		if len(c.Args) > 3 || (len(c.Args) == 3 && !argIs(c.Args[2], "sync") && !argIs(c.Args[2], "async")) {
			c.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
			return
		}
		c.Write(func(tx *db.Tx) (resp.Reply, error) {
			return resp.OK, tx.Scripts().SetLibraries(nil)
		})
	case "list":
		functionList(c, ss)
	case "dump":
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			l, err := ss.functions(tx)
			if err != nil {
				return nil, err
			}
			var codes []string
			for _, n := range slices.Sorted(maps.Keys(l.libs)) {
				codes = append(codes, l.libs[n].Code)
			}
			return resp.Bulk(encoding.EncodeFunctions(codes)), nil
		})
	case "restore":
		functionRestore(c, ss)
	}
}

func functionRestore(c *Call, ss *scripts) {
	policy := "append"
	if len(c.Args) == 4 {
		policy = strings.ToLower(string(c.Args[3]))
		if policy != "append" && policy != "replace" && policy != "flush" {
			c.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	} else if len(c.Args) > 4 {
		c.Error("ERR wrong number of arguments for 'function|restore' command")
		return
	}
	codes, err := encoding.DecodeFunctions(c.Args[2])
	switch {
	case errors.Is(err, encoding.ErrBadDump):
		c.Error("ERR DUMP payload version or checksum are wrong")
		return
	case errors.Is(err, encoding.ErrNotFunction):
		c.Error("ERR given type is not a function")
		return
	case err != nil:
		c.Error("ERR Failed loading library payload")
		return
	}
	var libs []*scripting.Library
	for _, code := range codes {
		lib, err := ss.rt.LoadLibrary(context.Background(), code)
		if err != nil {
			c.Error(err.Error())
			return
		}
		libs = append(libs, lib)
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		l, err := ss.functions(tx)
		if err != nil {
			return nil, err
		}
		next := &libraries{libs: map[string]*scripting.Library{}, fns: map[string]*scripting.Function{}}
		if policy != "flush" {
			for _, lib := range l.libs {
				next.add(lib)
			}
		}
		for _, lib := range libs {
			if old := next.libs[lib.Name]; old != nil {
				if policy == "append" {
					return nil, db.UserError(fmt.Sprintf("ERR Library %s already exists", lib.Name))
				}
				for _, f := range old.Functions {
					delete(next.fns, strings.ToLower(f.Name))
				}
			}
			if msg := next.collide(lib, true); msg != "" {
				return nil, db.UserError(msg)
			}
			next.add(lib)
		}
		return resp.OK, tx.Scripts().SetLibraries(next.codes())
	})
}

func functionList(c *Call, ss *scripts) {
	var pattern []byte
	withCode := false
	for i := 2; i < len(c.Args); i++ {
		switch {
		case argIs(c.Args[i], "withcode") && !withCode:
			withCode = true
		case argIs(c.Args[i], "libraryname") && pattern == nil:
			if i+1 >= len(c.Args) {
				c.Error("ERR library name argument was not given")
				return
			}
			i++
			pattern = c.Args[i]
		default:
			c.Error("ERR Unknown argument " + string(c.Args[i]))
			return
		}
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		l, err := ss.functions(tx)
		if err != nil {
			return nil, err
		}
		out := resp.Array{}
		for _, name := range slices.Sorted(maps.Keys(l.libs)) {
			if pattern != nil && !glob.Match(pattern, []byte(name), false) {
				continue
			}
			lib := l.libs[name]
			fns := resp.Array{}
			for _, f := range lib.Functions {
				var desc resp.Reply = resp.Null
				if f.Description != nil {
					desc = resp.BulkString(*f.Description)
				}
				flags := resp.Set{}
				for _, fl := range f.Flags {
					flags = append(flags, resp.Status(fl))
				}
				fns = append(fns, resp.Map{
					resp.BulkString("name"), resp.BulkString(f.Name),
					resp.BulkString("description"), desc,
					resp.BulkString("flags"), flags,
				})
			}
			m := resp.Map{
				resp.BulkString("library_name"), resp.BulkString(lib.Name),
				resp.BulkString("engine"), resp.BulkString("LUA"),
				resp.BulkString("functions"), fns,
			}
			if withCode {
				m = append(m, resp.BulkString("library_code"), resp.BulkString(lib.Code))
			}
			out = append(out, m)
		}
		return out, nil
	})
}

// runningStats is FUNCTION STATS's running_script: the function running
// on this instance, if any.
func (ss *scripts) runningStats() resp.Reply {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, r := range ss.running {
		if r.fn == "" {
			continue
		}
		return resp.Map{
			resp.BulkString("name"), resp.BulkString(r.fn),
			resp.BulkString("command"), resp.Bulks(r.args),
			resp.BulkString("duration_ms"), resp.Int(time.Since(r.start).Milliseconds()),
		}
	}
	return resp.Null
}
