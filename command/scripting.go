package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
	"github.com/titan-kv/titan/scripting"
)

// scriptingCommands is the table of EVAL*, SCRIPT, FUNCTION and FCALL*.
func scriptingCommands() []*Command {
	return []*Command{
		cmd("eval", evalCmd(false, false)),
		cmd("evalsha", evalCmd(true, false)),
		cmd("eval_ro", evalCmd(false, true)),
		cmd("evalsha_ro", evalCmd(true, true)),
		cmd("script", scriptCmd, subcommands("load", "exists", "flush", "kill", "help")),
	}
}

// scripts is the engine's scripting state: the Lua runtime, the cache of
// compiled scripts, and the scripts running now (for SCRIPT KILL).
type scripts struct {
	rt        *scripting.Runtime
	busyAfter time.Duration
	// nRunning counts the running scripts, so that commands check BUSY
	// only while one runs.
	nRunning atomic.Int32

	mu sync.Mutex
	// compiled caches compiled bodies by SHA1, whether stored or not.
	compiled map[string]*scripting.Script
	// stored are the scripts known to be in the store at generation gen.
	stored map[string]bool
	gen    uint64
	// running are the scripts running on this instance, by client id.
	running map[int64]*runningScript
	// libs are the function libraries (functions.go).
	libs *libraries
}

type runningScript struct {
	db    uint16
	keys  [][]byte
	run   *scripting.Run
	wrote *atomic.Bool
	fn    string // function name, "" for a script
	args  [][]byte
	start time.Time
}

// maxCompiled bounds the compiled scripts kept in memory; past it the
// cache starts over (the store still has every script).
const maxCompiled = 10_000

func newScripts(cfg LuaConfig) *scripts {
	if cfg.BusyReplyThreshold <= 0 {
		cfg.BusyReplyThreshold = 5 * time.Second
	}
	return &scripts{
		busyAfter: cfg.BusyReplyThreshold,
		rt:        scripting.New(scripting.Limits{MaxMemory: cfg.MaxMemory}),
		compiled:  map[string]*scripting.Script{},
		stored:    map[string]bool{},
		running:   map[int64]*runningScript{},
	}
}

// sc returns the engine's scripting state, made on first use.
func (s *Engine) sc() *scripts {
	s.scriptsOnce.Do(func() { s.scripting = newScripts(s.cfg.Lua) })
	return s.scripting
}

// compile returns the compiled body, from the cache if it is there.
func (ss *scripts) compile(body []byte) (*scripting.Script, error) {
	sha := scripting.SHA1(body)
	ss.mu.Lock()
	sc := ss.compiled[sha]
	ss.mu.Unlock()
	if sc != nil {
		return sc, nil
	}
	sc, err := scripting.Compile(body)
	if err != nil {
		return nil, err
	}
	ss.mu.Lock()
	if len(ss.compiled) >= maxCompiled {
		ss.compiled = map[string]*scripting.Script{}
	}
	ss.compiled[sha] = sc
	ss.mu.Unlock()
	return sc, nil
}

// sync reads the scripts generation in tx and forgets what the cache
// knew of the store if it changed (a SCRIPT FLUSH anywhere).
func (ss *scripts) sync(tx *db.Tx) (uint64, error) {
	gen, err := tx.Scripts().Generation()
	if err != nil {
		return 0, err
	}
	ss.mu.Lock()
	if gen != ss.gen {
		ss.gen = gen
		ss.stored = map[string]bool{}
	}
	ss.mu.Unlock()
	return gen, nil
}

func (ss *scripts) isStored(gen uint64, sha string) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.gen == gen && ss.stored[sha]
}

func (ss *scripts) markStored(gen uint64, sha string) {
	ss.mu.Lock()
	if ss.gen == gen {
		ss.stored[sha] = true
	}
	ss.mu.Unlock()
}

// lookup returns script sha as tx sees the store, nil if it is not there.
func (ss *scripts) lookup(tx *db.Tx, sha string) (*scripting.Script, error) {
	gen, err := ss.sync(tx)
	if err != nil {
		return nil, err
	}
	if ss.isStored(gen, sha) {
		ss.mu.Lock()
		sc := ss.compiled[sha]
		ss.mu.Unlock()
		if sc != nil {
			return sc, nil
		}
	}
	body, err := tx.Scripts().Get(sha)
	if err != nil || body == nil {
		return nil, err
	}
	sc, err := ss.compile(body)
	if err != nil {
		return nil, db.UserError(err.Error())
	}
	ss.markStored(gen, sha)
	return sc, nil
}

// store makes sure sc is in the store (EVAL and SCRIPT LOAD cache what
// they run, for EVALSHA on any instance).
func (ss *scripts) store(tx *db.Tx, sc *scripting.Script, body []byte) error {
	gen, err := ss.sync(tx)
	if err != nil {
		return err
	}
	if ss.isStored(gen, sc.SHA) {
		return nil
	}
	old, err := tx.Scripts().Get(sc.SHA)
	if err != nil {
		return err
	}
	if old == nil {
		if err := tx.Scripts().Put(sc.SHA, body); err != nil {
			return err
		}
	}
	ss.markStored(gen, sc.SHA)
	return nil
}

const errNoScript = "NOSCRIPT No matching script. Please use EVAL."

// errRO refuses a script or function that may write in EVAL_RO, EVALSHA_RO
// or FCALL_RO.
var errRO = db.UserError("ERR Can not execute a script with write flag using *_ro command.")

// numKeys splits EVAL's and FCALL's arguments after the script: numkeys,
// the keys, the arguments.
func (c *Call) numKeys() (keys, args [][]byte, ok bool) {
	n, isInt := parse.Int(c.Args[2])
	switch {
	case !isInt:
		c.Error(errNotInteger)
	case n > int64(len(c.Args)-3):
		c.Error("ERR Number of keys can't be greater than number of args")
	case n < 0:
		c.Error("ERR Number of keys can't be negative")
	default:
		return c.Args[3 : 3+n], c.Args[3+n:], true
	}
	return nil, nil, false
}

// evalCmd is EVAL, EVALSHA, EVAL_RO and EVALSHA_RO.
func evalCmd(bySHA, readOnly bool) func(*Call) {
	return func(c *Call) {
		keys, args, ok := c.numKeys()
		if !ok {
			return
		}
		ss := c.s.sc()
		var sc *scripting.Script
		var body []byte
		sha := strings.ToLower(string(c.Args[1]))
		if !bySHA {
			body = c.Args[1]
			var err error
			if sc, err = ss.compile(body); err != nil {
				c.Error(err.Error())
				return
			}
		} else if len(sha) != 40 {
			c.Error(errNoScript)
			return
		}
		c.runScript(func(tx *db.Tx) (*scripting.Script, error) {
			if !bySHA {
				return sc, ss.store(tx, sc, body)
			}
			found, err := ss.lookup(tx, sha)
			if err == nil && found == nil {
				err = db.UserError(errNoScript)
			}
			return found, err
		}, func(ctx context.Context, sc *scripting.Script, e scripting.Exec, host *scriptHost) (resp.Reply, error) {
			if readOnly && sc.Shebang && !sc.HasFlag("no-writes") {
				return nil, errRO
			}
			host.readOnly = readOnly || sc.HasFlag("no-writes")
			return ss.rt.Eval(ctx, sc, e)
		}, keys, args)
	}
}

// runScript hands the store the job of one script run: find the script
// (which may read or write the store), then run it with redis.call going
// through the command table inside the same transaction. The job may run
// again after a conflict; only the reply of its last run is sent.
func (c *Call) runScript(find func(*db.Tx) (*scripting.Script, error),
	run func(context.Context, *scripting.Script, scripting.Exec, *scriptHost) (resp.Reply, error), keys, args [][]byte) {
	cl := c.c
	fname := ""
	if c.name == "fcall" || c.name == "fcall_ro" {
		fname = string(c.Args[1])
	}
	c.job = &db.Job{DB: cl.db, Conn: cl.id, Keys: keys, NoPlan: true, Fn: func(tx *db.Tx) error {
		sc, err := find(tx)
		if err != nil {
			return err
		}
		host := c.s.scriptHost(cl, tx)
		start := time.Now()
		// The script stops before its transaction's deadline, so that a
		// runaway fails alone and the jobs sharing its batch still commit.
		ctx, cancel := tx.Context(), context.CancelFunc(func() {})
		if dl, ok := ctx.Deadline(); ok {
			ctx, cancel = context.WithDeadline(ctx, start.Add(time.Until(dl)*4/5))
		}
		defer cancel()
		r, err := run(ctx, sc, scripting.Exec{Keys: keys, Args: args, Host: host,
			Started: func(run *scripting.Run) {
				c.s.sc().started(cl.id, &runningScript{db: cl.db, keys: keys, run: run, wrote: &host.wrote, fn: fname, args: c.Args})
			}}, host)
		c.s.sc().finished(cl.id)
		c.s.recordScript(time.Since(start), r, err)
		switch {
		case errors.Is(err, scripting.ErrMemory):
			return db.UserError("ERR " + err.Error())
		case errors.Is(err, context.DeadlineExceeded) && tx.Context().Err() == nil:
			return db.UserError("ERR script stopped: it ran too close to txn.command-timeout; its writes are discarded")
		}
		if err != nil {
			return err
		}
		c.result = r
		return nil
	}}
}

func (ss *scripts) started(id int64, r *runningScript) {
	r.start = time.Now()
	ss.mu.Lock()
	if ss.running[id] == nil {
		ss.nRunning.Add(1)
	}
	ss.running[id] = r
	ss.mu.Unlock()
}

func (ss *scripts) finished(id int64) {
	ss.mu.Lock()
	if ss.running[id] != nil {
		ss.nRunning.Add(-1)
		delete(ss.running, id)
	}
	ss.mu.Unlock()
}

// errBusy is Redis's answer to commands while a script runs too long.
const errBusy = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."

// busy reports whether a command on keys of database dbIndex must answer
// BUSY: a script of this instance declaring one of the keys has run past
// busy-reply-threshold. Other instances and other keys go on: titan does
// not stop the world for a script, only what the script holds.
func (s *Engine) busy(dbIndex uint16, cmd *Command, args [][]byte) bool {
	ss := s.sc()
	if ss.nRunning.Load() == 0 {
		return false
	}
	spec := cmd.Spec.For(args)
	if spec == nil || spec.Has("allow_busy") {
		return false
	}
	keys := spec.Keys(args)
	if len(keys) == 0 {
		return false
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, r := range ss.running {
		if r.db != dbIndex || time.Since(r.start) < ss.busyAfter {
			continue
		}
		for _, k := range keys {
			for _, rk := range r.keys {
				if bytes.Equal(k, rk) {
					return true
				}
			}
		}
	}
	return false
}

// kill stops the running read-only scripts (functions, for FUNCTION
// KILL) of this instance.
func (ss *scripts) kill(functions bool) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	killed, other, unkillable := false, false, false
	for _, r := range ss.running {
		switch {
		case (r.fn != "") != functions:
			other = true
		case r.wrote.Load():
			unkillable = true
		default:
			r.run.Kill()
			killed = true
		}
	}
	switch {
	case killed:
		return ""
	case unkillable:
		return "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	case other && functions:
		return "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	case other:
		return "BUSY Redis is busy running a function. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	}
	return "NOTBUSY No scripts in execution right now."
}

// recordScript counts one script run in the metrics.
func (s *Engine) recordScript(d time.Duration, r resp.Reply, err error) {
	if s.m == nil {
		return
	}
	result := "ok"
	if err != nil || scripting.IsError(r) {
		result = "error"
	}
	s.m.ScriptRuns.WithLabelValues(result).Inc()
	s.m.ScriptDuration.Observe(d.Seconds())
}

var scriptHelp = resp.Lines{
	"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DEBUG (YES|SYNC|NO)",
	"    Set the debug mode for subsequent scripts executed.",
	"EXISTS <sha1> [<sha1> ...]",
	"    Return information about the existence of the scripts in the script cache.",
	"FLUSH [ASYNC|SYNC]",
	"    Flush the Lua scripts cache. Very dangerous on replicas.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the scripts cache.",
	"    * SYNC: Synchronously flush the scripts cache.",
	"KILL",
	"    Kill the currently executing Lua script.",
	"LOAD <script>",
	"    Load a script into the scripts cache without executing it.",
	"HELP",
	"    Prints this help.",
}

// scriptCmd is SCRIPT LOAD, EXISTS, FLUSH, KILL and HELP.
func scriptCmd(c *Call) {
	sub := strings.ToLower(string(c.Args[1]))
	ss := c.s.sc()
	wrongArgs := func() { c.Error(fmt.Sprintf("ERR wrong number of arguments for 'script|%s' command", sub)) }
	switch sub {
	case "help":
		if len(c.Args) != 2 {
			wrongArgs()
			return
		}
		c.Reply(scriptHelp)
	case "load":
		if len(c.Args) != 3 {
			wrongArgs()
			return
		}
		body := c.Args[2]
		sc, err := ss.compile(body)
		if err != nil {
			c.Error(err.Error())
			return
		}
		c.Write(func(tx *db.Tx) (resp.Reply, error) {
			return resp.BulkString(sc.SHA), ss.store(tx, sc, body)
		})
	case "exists":
		if len(c.Args) < 3 {
			wrongArgs()
			return
		}
		shas := c.Args[2:]
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			out := make(resp.Ints, len(shas))
			for i, s := range shas {
				sc, err := ss.lookup(tx, strings.ToLower(string(s)))
				if err != nil && !db.IsUserError(err) {
					return nil, err
				}
				if sc != nil {
					out[i] = 1
				}
			}
			return out, nil
		})
	case "flush":
		if len(c.Args) > 3 || (len(c.Args) == 3 && !argIs(c.Args[2], "sync") && !argIs(c.Args[2], "async")) {
			c.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
			return
		}
		c.Write(func(tx *db.Tx) (resp.Reply, error) {
			if err := tx.Scripts().Flush(); err != nil {
				return nil, err
			}
			ss.mu.Lock()
			ss.compiled = map[string]*scripting.Script{}
			ss.mu.Unlock()
			return resp.OK, nil
		})
	case "kill":
		if len(c.Args) != 2 {
			wrongArgs()
			return
		}
		if msg := ss.kill(false); msg != "" {
			c.Error(msg)
			return
		}
		c.Reply(resp.OK)
	default:
		c.Error(unknownSubcommand(c.Args))
	}
}
