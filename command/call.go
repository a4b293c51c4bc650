package command

import (
	"bytes"
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
	// silent calls send no reply (CLIENT REPLY OFF and SKIP).
	silent bool
	// rejected: the call was refused before its handler ran (arity,
	// authentication), as Redis's rejected_calls counts them.
	rejected bool
	// queued: the call only answered QUEUED; it is counted when EXEC runs it.
	queued bool
	// blk is set by a blocking command that may block (block.go).
	blk *blockSpec
	// nested marks a call run inside EXEC (or a script): blocking
	// commands behave as their non-blocking forms.
	nested bool
	// changes are the keys the job changed, for keyspace notifications.
	changes []db.Change
	// trackRead: the client tracks the keys it reads (default-mode CLIENT
	// TRACKING) and the command reads, so its keys are remembered once
	// its job is made (trackReads). Set by prepare, which holds the spec
	// and the client's infoMu anyway.
	trackRead bool
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
	var stage [][]byte
	if !readOnly && !c.nested {
		stage = stageArgs(c.name, c.Args)
	}
	// String commands and XADD read only their keys' metadata
	// (prefetched; XADD's trimming scans, where a planning pass stops): a
	// planning pass would only run them twice.
	noPlan := c.cmd.Spec.Docs.Group == "string" || c.name == "xadd"
	// Stream writers of every instance write the stream's metadata: while
	// a stream is contended they queue for it in the store (db.Job.Lock).
	// XREAD writes nothing.
	lock := !readOnly && c.cmd.Spec.Docs.Group == "stream" && c.name != "xread"
	c.job = &db.Job{DB: c.c.db, Conn: c.c.id, Keys: c.cmd.keys(c.Args), ReadOnly: readOnly, NoPlan: noPlan, Stage: stage, Lock: lock, Fn: func(tx *db.Tx) error {
		n := len(tx.Changes())
		r, err := fn(tx)
		c.result = r
		c.changes = nil
		if err == nil && !readOnly {
			c.changes = tx.Changes()[n:]
			for i := range c.changes {
				c.changes[i].Origin = c.c.id
			}
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
	var errMsg string
	n := len(b)
	switch {
	case c.job != nil && c.job.Err != nil:
		errMsg = c.errorReply(c.job.Err)
		b = redcon.AppendError(b, errMsg)
	case c.errMsg != "":
		errMsg = c.errMsg
		b = redcon.AppendError(b, errMsg)
	default:
		if c.job != nil {
			c.s.db.NoteResult(nil)
		}
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
		if sr, ok := r.(streamReply); ok && !c.nested && !c.silent {
			b = c.streamOut(b, sr)
		} else {
			b = r.Append(b, c.c.proto)
		}
	}
	c.s.record(c, time.Since(c.start), errMsg)
	if !c.rejected && !c.queued {
		c.s.feedMonitors(c.c, c)
	}
	if c.silent {
		return b[:n]
	}
	return b
}

// errorReply turns the error of the call's job into a Redis error reply.
// Failures of the store are answered with a short text (db.ReplyText) and
// logged with their detail, which never reaches the client.
func (c *Call) errorReply(err error) string {
	if c.s.run.Err() != nil {
		slog.Warn("command aborted by shutdown", "cmd", c.name, "err", err)
		return ReplyAborted
	}
	c.s.db.NoteResult(err)
	return errorReply(c.name, err)
}

// errorReply is the reply text for err, an error of command name's job.
func errorReply(name string, err error) string {
	text, fault := db.ReplyText(err)
	if fault {
		slog.Warn("command failed in the store", "cmd", name, "reply", text, "err", err)
	}
	return text
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
		if !s.do(jobs) {
			// Shutting down with the store stuck: the jobs still belong
			// to the store's workers, so they are left alone and
			// answered with an error.
			for _, call := range pending {
				if call.job != nil {
					out = redcon.AppendError(out, ReplyAborted)
					s.record(call, time.Since(call.start), ReplyAborted)
				} else {
					out = call.safeAppend(out)
				}
			}
			pending = pending[:0]
			return
		}
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
		if s.pause.paused() {
			// CLIENT PAUSE: what ran before replies first, then this
			// command waits for the end of the pause.
			if _, cmd := s.lookup(args[0]); cmd != nil {
				write := cmd.writes() || (cmd.Name == "exec" && cl.queuedWrites(s))
				if s.pause.applies(write) {
					flush()
					s.pause.wait(write)
				}
			}
		}
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
		s.trackReads(call)
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
	name, cmd := s.lookup(args[0])
	call := &Call{s: s, c: cl, name: name, Args: args, start: time.Now()}
	cl.beforeCommand(call)
	cl.infoMu.Lock()
	cl.lastCmd = ""
	spec := cmd.spec(args)
	if spec != nil {
		cl.lastCmd = spec.Name
	}
	call.trackRead = s.track.active.Load() != 0 && cl.tracksReads() && readsKeys(name, spec)
	cl.infoMu.Unlock()
	if cmd == nil {
		call.name = "unknown"
		call.Error(unknownCommand(args))
		cl.failMulti()
		return call
	}
	call.cmd = cmd
	if !cmd.arityOK(len(args)) {
		call.rejected = true
		call.Error(fmt.Sprintf("ERR wrong number of arguments for '%s' command", name))
		cl.failMulti()
		return call
	}
	if sub := cmd.sub(args); sub != nil && !sub.ArityOK(len(args)) {
		call.rejected = true
		call.Error(fmt.Sprintf("ERR wrong number of arguments for '%s' command", sub.Name))
		cl.failMulti()
		return call
	}
	if !cl.authed && cmd.Flags&flagNoAuth == 0 {
		call.rejected = true
		call.Error("NOAUTH Authentication required.")
		cl.failMulti()
		return call
	}
	if msg := s.subscribeModeError(cl, cmd, args); msg != "" {
		call.Error(msg)
		cl.failMulti()
		return call
	}
	if msg := s.aclCheck(cl, cmd, args); msg != "" {
		call.Error(msg)
		cl.failMulti()
		return call
	}
	if s.busy(cl.db, cmd, args) {
		call.Error(errBusy)
		cl.failMulti()
		return call
	}
	if cl.multi && cmd.Flags&flagNoQueue == 0 {
		cl.queue(args)
		call.queued = true
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

// record counts one command: INFO's stats, commandstats, errorstats and
// latencystats, the Prometheus series, the slow log and the latency
// monitor. errMsg is the error it answered, if any.
func (s *Engine) record(c *Call, d time.Duration, errMsg string) {
	if errMsg != "" {
		s.stats.countError(errMsg)
	}
	if c.queued {
		return
	}
	if c.cmd == nil {
		// An unknown command counts as an error reply only.
		if s.m != nil {
			s.m.Commands.WithLabelValues("unknown", "error").Inc()
		}
		return
	}
	name := c.fullName()
	us := d.Microseconds()
	st := s.stats.cmd(name)
	result := "ok"
	switch {
	case c.rejected:
		st.rejected.Add(1)
		result = "rejected"
	default:
		s.stats.commands.Add(1)
		st.calls.Add(1)
		st.usec.Add(us)
		st.hist.add(us)
		if errMsg != "" {
			st.failed.Add(1)
			result = "error"
		} else if c.cmd.Spec.Has("readonly") && c.job != nil {
			s.stats.countLookups(c.name, len(c.job.Keys), c.result)
		}
		if !c.cmd.Spec.Has("skip_slowlog") {
			s.slowlog.add(c, us)
		}
		event := "command"
		if c.cmd.Spec.Has("fast") {
			event = "fast-command"
		}
		s.latency.add(event, d.Milliseconds())
	}
	if s.m != nil {
		switch {
		case result == "ok":
			p := st.series(s.m, name)
			p.ok.Inc()
			p.duration.Observe(d.Seconds())
		case c.rejected:
			s.m.Commands.WithLabelValues(name, result).Inc()
		default:
			s.m.Commands.WithLabelValues(name, result).Inc()
			st.series(s.m, name).duration.Observe(d.Seconds())
		}
	}
}

// fullName is the command's name as Redis's statistics name it: the
// subcommand of a container joined with '|' ("config|get").
func (c *Call) fullName() string {
	if sub := c.cmd.sub(c.Args); sub != nil {
		return sub.Name
	}
	return c.name
}
