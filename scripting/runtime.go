// Package scripting runs Redis Lua scripts and functions on
// github.com/yuin/gopher-lua, a Lua 5.1 interpreter in pure Go: the
// sandbox Redis 7 gives scripts (read-only globals, no os/io/loadfile),
// the redis.* API, Redis's exact conversions between Lua values and RESP
// replies, and the cjson, cmsgpack, bit and struct libraries. It knows
// nothing of the store: each redis.call goes to a Host, which runs the
// command inside the script's transaction (package command).
package scripting

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/titan-kv/titan/resp"
)

// Limits bound what one script may use.
type Limits struct {
	// CallStackSize bounds nested Lua calls (recursion).
	CallStackSize int
	// RegistryMaxSize bounds the Lua value stack, in slots.
	RegistryMaxSize int
	// MaxStringLen bounds one string built by string.rep, table.concat
	// and the libraries, in bytes.
	MaxStringLen int
	// MaxMemory bounds how much the process heap may grow while one
	// script runs, in bytes: checked every 50ms once a run passed 50ms,
	// past it the run stops with ErrMemory.
	MaxMemory int64
}

// Host runs the commands a script calls.
type Host interface {
	// Call runs one command inside the script's transaction and returns
	// its reply in protocol p (errors are error replies). A non-nil error
	// is a failure of the store: the script is abandoned and the error is
	// returned by Run, so the transaction can be retried as a whole.
	Call(args [][]byte, p resp.Proto) ([]byte, error)
	// Known reports whether the server has command name (any case), for
	// redis.acl_check_cmd.
	Known(name []byte) bool
}

// Runtime compiles and runs scripts. It is safe for concurrent use: each
// run takes a Lua state of its own from a pool.
type Runtime struct {
	limits Limits
	rand   *rand48
	pool   sync.Pool // *state
}

// New returns a Runtime with limits (zero fields take defaults).
func New(limits Limits) *Runtime {
	if limits.CallStackSize <= 0 {
		limits.CallStackSize = 200
	}
	if limits.RegistryMaxSize <= 0 {
		limits.RegistryMaxSize = 1 << 20
	}
	if limits.MaxStringLen <= 0 {
		limits.MaxStringLen = 512 << 20
	}
	if limits.MaxMemory <= 0 {
		limits.MaxMemory = 1 << 30
	}
	return &Runtime{limits: limits, rand: newRand48()}
}

// SHA1 returns the lower-case hex SHA1 of body, a script's name.
func SHA1(body []byte) string {
	h := sha1.Sum(body)
	return hex.EncodeToString(h[:])
}

// Script is a compiled script body.
type Script struct {
	// SHA is the hex SHA1 of the body.
	SHA string
	// Shebang reports a "#!lua" first line; Flags are its flags.
	Shebang bool
	Flags   []string
	proto   *lua.FunctionProto
}

// HasFlag reports whether the script's shebang has flag.
func (s *Script) HasFlag(flag string) bool { return slices.Contains(s.Flags, flag) }

// CompileError is a script that does not compile; its text is the reply.
type CompileError string

func (e CompileError) Error() string { return string(e) }

// Compile compiles body as EVAL does (chunk name "user_script").
func Compile(body []byte) (*Script, error) {
	sc := &Script{SHA: SHA1(body)}
	code := string(body)
	if strings.HasPrefix(code, "#!") {
		line, _, _ := strings.Cut(code, "\n")
		parts := strings.Split(line, " ")
		if parts[0] != "#!lua" {
			return nil, CompileError("ERR Unexpected engine in script shebang: " + parts[0])
		}
		for _, p := range parts[1:] {
			flags, ok := strings.CutPrefix(p, "flags=")
			if !ok {
				return nil, CompileError("ERR Unknown lua shebang option: " + p)
			}
			for _, f := range strings.Split(flags, ",") {
				if f == "" {
					continue
				}
				if !slices.Contains(functionFlags, f) {
					return nil, CompileError("ERR Unexpected flag in script shebang: " + f)
				}
				sc.Flags = append(sc.Flags, f)
			}
		}
		sc.Shebang = true
		// The shebang line becomes an empty line: line numbers stay.
		code = code[len(line):]
	}
	p, err := compile([]byte(code), "user_script")
	if err != nil {
		return nil, CompileError("ERR Error compiling script (new function): " + err.Error())
	}
	sc.proto = p
	return sc, nil
}

func compile(body []byte, name string) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(string(body)), name)
	if err != nil {
		var perr *parse.Error
		if errors.As(err, &perr) && perr.Pos.Line < 0 {
			// At the end of the input: Lua names the last line.
			perr.Pos.Line = strings.Count(string(body), "\n") + 1
			perr.Token = "<eof>"
		}
		return nil, errors.New(compileMessage(name, err))
	}
	p, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, errors.New(compileMessage(name, err))
	}
	return p, nil
}

// compileMessage puts gopher-lua's syntax error in Lua's "name:line: msg"
// form where it can.
func compileMessage(name string, err error) string {
	var perr *parse.Error
	if errors.As(err, &perr) {
		return fmt.Sprintf("%s:%d: %s near '%s'", name, perr.Pos.Line, perr.Message, perr.Token)
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// ErrKilled is returned when a script was stopped by Kill.
var ErrKilled = errors.New("script killed")

// ErrMemory stops a script that made the heap grow past Limits.MaxMemory.
var ErrMemory = errors.New("script used more memory than lua.max-memory allows")

// Run is one running script (or function). Kill stops it.
type Run struct {
	cancel context.CancelCauseFunc
}

// Kill stops the run at its next instruction.
func (r *Run) Kill() { r.cancel(ErrKilled) }

// Exec describes one execution.
type Exec struct {
	// Keys and Args become KEYS and ARGV.
	Keys, Args [][]byte
	// Host runs redis.call.
	Host Host
	// Started, if set, is called with the Run once the script starts, so
	// that it can be killed.
	Started func(*Run)
}

// Eval runs a compiled script. It returns the reply (a script error is an
// error reply, as Redis sends it), or an error when the Host failed or
// ctx ended: then nothing of the run must be kept.
func (rt *Runtime) Eval(ctx context.Context, s *Script, e Exec) (resp.Reply, error) {
	st := rt.get()
	defer rt.put(st)
	fn := st.L.NewFunctionFromProto(s.proto)
	env := st.newEnv(e.Keys, e.Args)
	fn.Env = env
	return st.run(ctx, fn, s.SHA, e, nil)
}

func (rt *Runtime) get() *state {
	if st, ok := rt.pool.Get().(*state); ok {
		return st
	}
	return rt.newState()
}

// put returns a state to the pool unless a script changed what every
// script shares (with rawset or a library's metatable): then it is
// dropped, so no script sees another's changes.
func (rt *Runtime) put(st *state) {
	if st.intact() {
		rt.pool.Put(st)
		return
	}
	st.L.Close()
}

// runErr is a script's error as Redis reports it.
func runErrorReply(obj lua.LValue, name string) resp.Reply {
	t, ok := obj.(*lua.LTable)
	if !ok {
		return errorReply("ERR Error running script " + name + ", " + lua.LVAsString(obj))
	}
	msg, ok := t.RawGetString("err").(lua.LString)
	if !ok {
		// Redis 7.0 crashes here (error({}) in a script); titan answers.
		msg = "ERR unknown error"
	}
	out := "-" + string(msg)
	src, sok := t.RawGetString("source").(lua.LString)
	line, lok := t.RawGetString("line").(lua.LNumber)
	if sok && lok {
		out += fmt.Sprintf(" script: %s, on %s:%d.", name, src, int64(line))
	}
	return errorReply(out)
}
