package command

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/resp"
)

// scriptHost runs the commands a script calls (redis.call, redis.pcall)
// through the command table, inside the script's transaction: each
// command's job runs in a staging scope of its own, as inside EXEC.
type scriptHost struct {
	s  *Engine
	cl *Client // the script's own client: SELECT inside a script stays there
	// caller is the client running the script (ACL LOG's client-info).
	caller *Client
	tx     *db.Tx
	// readOnly refuses write commands (EVAL_RO, FCALL_RO, no-writes).
	readOnly bool
	// wrote is set once a write command succeeded (SCRIPT KILL refuses);
	// SCRIPT KILL reads it from another connection.
	wrote atomic.Bool
}

func (s *Engine) scriptHost(cl *Client, tx *db.Tx) *scriptHost {
	cl.infoMu.Lock()
	user := cl.user // the script runs with its caller's ACL user
	cl.infoMu.Unlock()
	sc := &Client{id: cl.id, addr: cl.addr, laddr: cl.laddr, created: cl.created, authed: true, db: cl.db, name: cl.name, user: user}
	sc.closeConn = func() {}
	return &scriptHost{s: s, cl: sc, caller: cl, tx: tx}
}

// Errors of commands called from scripts, as Redis 7.0 words them.
const (
	errScriptUnknown  = "-ERR Unknown Redis command called from script\r\n"
	errScriptArity    = "-ERR Wrong number of args calling Redis command from script\r\n"
	errScriptDenied   = "-ERR This Redis command is not allowed from script\r\n"
	errScriptReadOnly = "-ERR Write commands are not allowed from read-only scripts.\r\n"
)

// notInScripts are commands Redis allows in scripts that titan does not:
// they run in transactions of their own, which would break the script's
// atomicity.
var notInScripts = map[string]bool{"flushdb": true, "flushall": true}

// Call implements scripting.Host.
func (h *scriptHost) Call(args [][]byte, p resp.Proto) ([]byte, error) {
	name := strings.ToLower(string(args[0]))
	cmd := h.s.table[name]
	switch {
	case cmd == nil:
		return []byte(errScriptUnknown), nil
	case !cmd.arityOK(len(args)):
		return []byte(errScriptArity), nil
	}
	spec := cmd.Spec.For(args)
	if spec == nil {
		spec = cmd.Spec
	}
	switch {
	case spec.Has("noscript") || notInScripts[name]:
		return []byte(errScriptDenied), nil
	case h.readOnly && spec.Has("write"):
		return []byte(errScriptReadOnly), nil
	}
	if why := h.s.scriptDenial(h.caller, h.s.userOf(h.cl), cmd, args); why != "" {
		return []byte("-ERR The user executing the script " + why + "\r\n"), nil
	}
	h.cl.proto = p
	sub := &Call{s: h.s, c: h.cl, cmd: cmd, name: name, Args: args, start: time.Now()}
	sub.handle()
	if sub.job != nil {
		if err := h.tx.Select(sub.job.DB); err != nil {
			return nil, err
		}
		err := h.tx.Sub(sub.job.Fn)
		if err != nil && !db.IsUserError(err) {
			return nil, err
		}
		sub.job.Err = err
		if err == nil && !sub.job.ReadOnly {
			h.wrote.Store(true)
		}
	}
	return sub.safeAppend(nil), nil
}

// Known implements scripting.Host.
func (h *scriptHost) Known(name []byte) bool { return h.s.table[strings.ToLower(string(name))] != nil }
