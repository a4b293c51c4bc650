package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/resp"
)

// Call is one command of one client being run: the handler parses the
// arguments and either answers at once (Reply, Error) or hands the store a
// job (Read, Write) whose returned resp.Reply is sent once it committed.
type Call struct {
	s    *Engine
	c    *Client
	cmd  *Command
	name string // lower-case command name
	// Args are the command's arguments, Args[0] being its name.
	Args [][]byte

	job *db.Job
	// result is the reply, set by Reply or by the job's last run.
	result resp.Reply
	// after runs once the job succeeded, when the reply is appended: the
	// place for changes of the client's state. Later commands of the same
	// group have been handled by then, so only barrier commands (WATCH)
	// may use it.
	after  func()
	errMsg string
	start  time.Time
	// blk is set by a blocking command that may block (block.go).
	blk *blockSpec
	// nested marks a call run inside EXEC (or a script): blocking
	// commands behave as their non-blocking forms.
	nested bool
	// changes are the keys the job changed, for keyspace notifications.
	changes []db.Change
}

// Error answers with an error. msg starts with its code (ERR, WRONGTYPE...).
func (c *Call) Error(msg string) { c.errMsg = msg }

// Reply answers r at once, without a store job.
func (c *Call) Reply(r resp.Reply) { c.result = r }

// Read runs fn on a snapshot of the store and answers what fn returns.
func (c *Call) Read(fn func(tx *db.Tx) (resp.Reply, error)) { c.setJob(true, fn) }

// Write runs fn in a transaction and answers what fn returns once the
// transaction has committed. fn may run more than once (after a conflict):
// the reply of its last run is the one sent.
func (c *Call) Write(fn func(tx *db.Tx) (resp.Reply, error)) { c.setJob(false, fn) }

func (c *Call) setJob(readOnly bool, fn func(tx *db.Tx) (resp.Reply, error)) {
	c.job = &db.Job{DB: c.c.db, Keys: c.cmd.keys(c.Args), ReadOnly: readOnly, Fn: func(tx *db.Tx) error {
		n := len(tx.Changes())
		r, err := fn(tx)
		c.result = r
		c.changes = nil
		if err == nil && !readOnly {
			c.changes = tx.Changes()[n:]
		}
		return err
	}}
}

// answered reports whether the call already has its reply (or an error),
// so its handler must not run.
func (c *Call) answered() bool {
	return c.errMsg != "" || c.result != nil
}

// handle runs the command's handler; a panic becomes an error reply.
func (c *Call) handle() {
	defer func() {
		if r := recover(); r != nil {
			c.internalError(r)
		}
	}()
	c.cmd.Handler(c)
}

func (c *Call) internalError(r any) {
	slog.Error("command panicked", "cmd", c.name, "panic", r, "stack", string(debug.Stack()))
	c.job, c.result, c.after = nil, nil, nil
	c.Error(fmt.Sprintf("ERR internal error in '%s': %v", c.name, r))
}

// safeAppend appends the call's reply to b. A panic while the reply is
// built (a bug) is answered as an error instead, and nothing of the broken
// reply is sent, so the connection stays usable.
func (c *Call) safeAppend(b []byte) (out []byte) {
	n := len(b)
	defer func() {
		if r := recover(); r != nil {
			c.internalError(r)
			out = redcon.AppendError(b[:n], c.errMsg)
		}
	}()
	return c.appendReply(b)
}

// appendReply appends the call's reply (or error) to b and records the
// command's metrics.
func (c *Call) appendReply(b []byte) []byte {
	failed := true
	switch {
	case c.job != nil && c.job.Err != nil:
		b = redcon.AppendError(b, errorReply(c.job.Err))
	case c.errMsg != "":
		b = redcon.AppendError(b, c.errMsg)
	default:
		if c.after != nil {
			c.after()
		}
		if len(c.changes) > 0 {
			c.s.notifyCall(c, c.changes)
		}
		r := c.result
		if r == nil {
			r = resp.OK
		}
		b = r.Append(b, c.c.proto)
		failed = false
	}
	c.s.record(c.name, time.Since(c.start), failed)
	return b
}

// errorReply turns an error from the store into a Redis error reply.
func errorReply(err error) string {
	var u db.UserError
	if errors.As(err, &u) {
		return string(u)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "ERR timeout: " + err.Error()
	}
	return "ERR " + strings.ReplaceAll(err.Error(), "\n", " ")
}

// Run runs the requests one client sent together and appends their
// replies to out. Data commands
// are collected and executed as one group of jobs, so the store sees few
// round trips; commands that read or change the connection's state are
// barriers that run after everything before them has replied.
func (s *Engine) Run(cl *Client, batch [][][]byte, out []byte) []byte {
	cl.enterRun()
	var pending []*Call
	flush := func() {
		var jobs []*db.Job
		for _, call := range pending {
			if call.job != nil {
				jobs = append(jobs, call.job)
			}
		}
		s.db.Do(context.Background(), jobs...)
		for _, call := range pending {
			out = call.safeAppend(out)
		}
		pending = pending[:0]
	}
	for i, args := range batch {
		if cl.Closing() {
			break
		}
		cl.lastActive.Store(time.Now().UnixNano())
		call := s.prepare(cl, args)
		barrier := call.cmd != nil && call.cmd.Flags&flagBarrier != 0 && call.errMsg == ""
		if barrier && len(pending) > 0 {
			flush()
		}
		if call.cmd != nil && !call.answered() {
			call.handle()
		}
		if call.blk != nil && call.job != nil {
			// A blocking command: everything before it answers first.
			flush()
			if s.startBlock(cl, call, batch[i+1:]) {
				return out
			}
			out = call.safeAppend(out)
			continue
		}
		pending = append(pending, call)
		if barrier {
			flush()
		}
	}
	flush()
	return out
}

// prepare looks the command up and applies Redis's checks in Redis's
// order: unknown command, arity, authentication, MULTI queueing. The
// handler itself has not run yet (the call is not answered) unless the command
// was answered by one of these checks.
func (s *Engine) prepare(cl *Client, args [][]byte) *Call {
	name := strings.ToLower(string(args[0]))
	call := &Call{s: s, c: cl, name: name, Args: args, start: time.Now()}
	cmd := s.table[name]
	cl.infoMu.Lock()
	cl.lastCmd = name
	cl.infoMu.Unlock()
	if cmd == nil {
		call.name = "unknown"
		call.Error(unknownCommand(args))
		cl.failMulti()
		return call
	}
	call.cmd = cmd
	if !cmd.arityOK(len(args)) {
		call.Error(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name))
		cl.failMulti()
		return call
	}
	if !cl.authed && cmd.Flags&flagNoAuth == 0 {
		call.Error("NOAUTH Authentication required.")
		cl.failMulti()
		return call
	}
	if msg := s.subscribeModeError(cl, cmd, args); msg != "" {
		call.Error(msg)
		cl.failMulti()
		return call
	}
	if cl.multi && cmd.Flags&flagNoQueue == 0 {
		cl.queue(args)
		call.Reply(resp.Status("QUEUED"))
	}
	return call
}

func (cl *Client) failMulti() {
	if cl.multi {
		cl.multiFailed = true
	}
}

// unknownCommand is Redis's error text: the arguments are quoted until
// 128 bytes of them were written, the last one cut to fit; as C strings,
// each ends at a NUL byte.
func unknownCommand(args [][]byte) string {
	cstr := func(a []byte, n int) []byte {
		if i := bytes.IndexByte(a, 0); i >= 0 {
			a = a[:i]
		}
		return a[:min(len(a), n)]
	}
	var b strings.Builder
	for _, a := range args[1:] {
		if b.Len() >= 128 {
			break
		}
		fmt.Fprintf(&b, "'%s' ", cstr(a, 128-b.Len()))
	}
	return fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", cstr(args[0], 128), b.String())
}

// record counts one executed command.
func (s *Engine) record(name string, d time.Duration, failed bool) {
	s.totalCommands.Add(1)
	v, ok := s.cmdStats.Load(name)
	if !ok {
		v, _ = s.cmdStats.LoadOrStore(name, &cmdStat{})
	}
	st := v.(*cmdStat)
	st.calls.Add(1)
	st.usec.Add(d.Microseconds())
	result := "ok"
	if failed {
		st.failed.Add(1)
		result = "error"
	}
	if s.m != nil {
		s.m.Commands.WithLabelValues(name, result).Inc()
		s.m.CommandDuration.WithLabelValues(name).Observe(d.Seconds())
	}
}
