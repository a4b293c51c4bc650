package scripting

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"log/slog"
	"math"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/titan-kv/titan/resp"
)

// state is one Lua interpreter with Redis's sandbox. A state runs one
// script at a time; the Runtime pools them.
type state struct {
	rt      *Runtime
	L       *lua.LState
	globals *lua.LTable // the real globals, behind every script's env
	envMeta *lua.LTable
	handler *lua.LFunction
	sealed  []sealedTable
	cur     *runCtx
	// libs are the function libraries loaded in this state, by name.
	libs map[string]*loadedLib
}

// runCtx is what the redis.* functions need while a script runs.
type runCtx struct {
	host    Host
	proto   resp.Proto // redis.setresp
	hostErr error
	cancel  context.CancelCauseFunc
	// register is set while a library's body runs (FUNCTION LOAD).
	register func(L *lua.LState) int
}

// sealedTable is a shared table as it was when the state was made.
type sealedTable struct {
	t    *lua.LTable
	vals map[lua.LValue]lua.LValue
}

// globalsAllowed are the base functions Redis 7.0 leaves to scripts.
var globalsAllowed = []string{"assert", "collectgarbage", "error", "getmetatable", "ipairs",
	"load", "loadstring", "next", "pairs", "pcall", "rawequal", "rawget", "rawset", "select",
	"setmetatable", "tonumber", "tostring", "type", "unpack", "xpcall", "_VERSION"}

func (rt *Runtime) newState() *state {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       rt.limits.CallStackSize,
		RegistrySize:        1024,
		RegistryMaxSize:     rt.limits.RegistryMaxSize,
		MinimizeStackMemory: true,
	})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	st := &state{rt: rt, L: L, globals: L.G.Global, libs: map[string]*loadedLib{}}
	g := st.globals
	keep := map[string]bool{"string": true, "table": true, "math": true, "coroutine": true}
	for _, n := range globalsAllowed {
		keep[n] = true
	}
	var drop []lua.LValue
	g.ForEach(func(k, _ lua.LValue) {
		if s, ok := k.(lua.LString); !ok || !keep[string(s)] {
			drop = append(drop, k)
		}
	})
	for _, k := range drop {
		g.RawSet(k, lua.LNil)
	}
	g.RawSetString("gcinfo", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNumber(0)); return 1 }))
	g.RawSetString("pcall", L.NewFunction(luaPcall))
	g.RawSetString("error", L.NewFunction(luaError))
	g.RawSetString("unpack", L.NewFunction(luaUnpack))
	math := g.RawGetString("math").(*lua.LTable)
	math.RawSetString("random", L.NewFunction(rt.rand.random))
	math.RawSetString("randomseed", L.NewFunction(rt.rand.randomseed))
	str := g.RawGetString("string").(*lua.LTable)
	str.RawSetString("rep", L.NewFunction(st.stringRep))
	tab := g.RawGetString("table").(*lua.LTable)
	g.RawSetString("redis", st.redisLib())
	g.RawSetString("bit", bitLib(L))
	g.RawSetString("cjson", st.cjsonLib())
	g.RawSetString("cmsgpack", st.cmsgpackLib())
	g.RawSetString("struct", st.structLib())

	readonly := L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	})
	st.envMeta = L.CreateTable(0, 2)
	st.envMeta.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		k := L.Get(2)
		v := g.RawGet(k)
		if v == lua.LNil {
			L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(k))
		}
		L.Push(v)
		return 1
	}))
	st.envMeta.RawSetString("__newindex", readonly)
	st.handler = L.NewFunction(errorHandler)

	// Libraries are read-only: each global table is replaced by an empty
	// proxy that reads through to it and refuses writes.
	var shared []*lua.LTable
	for _, name := range []string{"string", "table", "math", "coroutine", "redis", "bit", "cjson", "cmsgpack", "struct"} {
		real := g.RawGetString(name).(*lua.LTable)
		proxy := L.CreateTable(0, 0)
		meta := L.CreateTable(0, 2)
		meta.RawSetString("__index", real)
		meta.RawSetString("__newindex", readonly)
		L.SetMetatable(proxy, meta)
		g.RawSetString(name, proxy)
		shared = append(shared, real, proxy, meta)
	}
	shared = append(shared, g, st.envMeta, tab)
	if sm, ok := L.GetMetatable(lua.LString("")).(*lua.LTable); ok {
		shared = append(shared, sm)
	}
	for _, t := range shared {
		st.sealed = append(st.sealed, seal(t))
	}
	return st
}

func seal(t *lua.LTable) sealedTable {
	s := sealedTable{t: t, vals: map[lua.LValue]lua.LValue{}}
	t.ForEach(func(k, v lua.LValue) { s.vals[k] = v })
	return s
}

// intact reports whether every shared table is as it was made.
func (st *state) intact() bool {
	for _, s := range st.sealed {
		n := 0
		ok := true
		s.t.ForEach(func(k, v lua.LValue) {
			n++
			if ok && s.vals[k] != v {
				ok = false
			}
		})
		if !ok || n != len(s.vals) {
			return false
		}
	}
	return st.L.GetTop() == 0
}

// newEnv makes the globals one script run sees: KEYS, ARGV and _G of its
// own, everything else read through to the read-only globals.
func (st *state) newEnv(keys, args [][]byte) *lua.LTable {
	L := st.L
	env := L.CreateTable(0, 3)
	env.RawSetString("KEYS", bytesTable(L, keys))
	env.RawSetString("ARGV", bytesTable(L, args))
	env.RawSetString("_G", env)
	L.SetMetatable(env, st.envMeta)
	return env
}

func bytesTable(L *lua.LState, vs [][]byte) *lua.LTable {
	t := L.CreateTable(len(vs), 0)
	for i, v := range vs {
		t.RawSetInt(i+1, lua.LString(v))
	}
	return t
}

// errorHandler is Redis's __redis__err__handler: it turns any error into
// the table {err=..., source=..., line=...} where line is the current
// line of the innermost Lua function.
func errorHandler(L *lua.LState) int {
	obj := L.Get(1)
	t, ok := obj.(*lua.LTable)
	if !ok {
		msg := "nil"
		if obj != lua.LNil {
			msg = lua.LVAsString(obj)
		}
		t = L.CreateTable(0, 3)
		t.RawSetString("err", lua.LString("ERR "+msg))
	}
	for level := 1; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.What == "G" {
			continue
		}
		if dbg.CurrentLine >= 0 {
			t.RawSetString("source", lua.LString("@"+dbg.Source))
			t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		}
		break
	}
	L.Push(t)
	return 1
}

// run calls fn with args under ctx and converts its result.
func (st *state) run(ctx context.Context, fn *lua.LFunction, name string, e Exec, args []lua.LValue) (resp.Reply, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	rc := &runCtx{host: e.Host, proto: resp.RESP2, cancel: cancel}
	st.cur = rc
	defer func() { st.cur = nil }()
	if e.Started != nil {
		e.Started(&Run{cancel: cancel})
	}
	stopWatch := watchMemory(ctx, cancel, st.rt.limits.MaxMemory)
	defer stopWatch()
	L := st.L
	L.SetContext(ctx)
	defer L.RemoveContext()
	defer L.SetTop(0)
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	err := L.PCall(len(args), 1, st.handler)
	if rc.hostErr != nil {
		return nil, rc.hostErr
	}
	if cause := context.Cause(ctx); cause != nil {
		if !errors.Is(cause, ErrKilled) {
			return nil, cause
		}
		// Redis's text, at the line the script was stopped.
		killed := L.CreateTable(0, 3)
		killed.RawSetString("err", lua.LString("ERR Script killed by user with SCRIPT KILL..."))
		var ae *lua.ApiError
		if errors.As(err, &ae) {
			if t, ok := ae.Object.(*lua.LTable); ok {
				killed.RawSetString("source", t.RawGetString("source"))
				killed.RawSetString("line", t.RawGetString("line"))
			}
		}
		return runErrorReply(killed, name), nil
	}
	if err != nil {
		var ae *lua.ApiError
		if errors.As(err, &ae) {
			return runErrorReply(ae.Object, name), nil
		}
		return errorReply("ERR " + err.Error()), nil
	}
	return fromLua(L.Get(-1), rc.proto, 0), nil
}

// stringRep is string.rep bounded by Limits.MaxStringLen.
func (st *state) stringRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 || s == "" {
		L.Push(lua.LString(""))
		return 1
	}
	if len(s)*n/n != len(s) || len(s)*n > st.rt.limits.MaxStringLen {
		L.RaiseError("string length overflow")
	}
	L.Push(lua.LString(strings.Repeat(s, n)))
	return 1
}

// luaNumberString formats a number as Lua 5.1 does (LUA_NUMBER_FMT "%.14g").
func luaNumberString(n lua.LNumber) string {
	f := float64(n)
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

func (st *state) redisLib() *lua.LTable {
	L := st.L
	t := L.CreateTable(0, 24)
	fn := func(name string, f lua.LGFunction) { t.RawSetString(name, L.NewFunction(f)) }
	fn("call", st.redisCall(true))
	fn("pcall", st.redisCall(false))
	fn("error_reply", func(L *lua.LState) int {
		s, ok := L.Get(1).(lua.LString)
		if L.GetTop() != 1 || !ok {
			L.Push(errorTable(L, "wrong number or type of arguments"))
			return 1
		}
		msg := string(s)
		if !strings.HasPrefix(msg, "-") {
			msg = "-" + msg
		}
		L.Push(errorTable(L, msg))
		return 1
	})
	fn("status_reply", func(L *lua.LState) int {
		s, ok := L.Get(1).(lua.LString)
		if L.GetTop() != 1 || !ok {
			L.Push(errorTable(L, "wrong number or type of arguments"))
			return 1
		}
		L.Push(wrap(L, "ok", s))
		return 1
	})
	fn("sha1hex", func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.Error(errorTable(L, "wrong number of arguments"), 0)
		}
		s := ""
		switch v := L.Get(1).(type) {
		case lua.LString:
			s = string(v)
		case lua.LNumber:
			s = luaNumberString(v)
		}
		h := sha1.Sum([]byte(s))
		L.Push(lua.LString(hex.EncodeToString(h[:])))
		return 1
	})
	fn("log", func(L *lua.LState) int {
		n := L.GetTop()
		if n < 2 {
			L.Error(errorTable(L, "redis.log() requires two arguments or more."), 0)
		}
		lv, ok := L.Get(1).(lua.LNumber)
		if !ok {
			L.Error(errorTable(L, "First argument must be a number (log level)."), 0)
		}
		if lv < 0 || lv > 3 {
			L.Error(errorTable(L, "Invalid debug level."), 0)
		}
		parts := make([]string, 0, n-1)
		for i := 2; i <= n; i++ {
			parts = append(parts, lua.LVAsString(L.Get(i)))
		}
		level := []slog.Level{slog.LevelDebug, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn}[int(lv)]
		slog.Log(context.Background(), level, strings.Join(parts, " "), "source", "script")
		return 0
	})
	fn("setresp", func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.Error(errorTable(L, "redis.setresp() requires one argument."), 0)
		}
		n := L.ToInt(1)
		if n != 2 && n != 3 {
			L.Error(errorTable(L, "RESP version must be 2 or 3."), 0)
		}
		st.cur.proto = resp.Proto(n)
		return 0
	})
	fn("set_repl", func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.Error(errorTable(L, "redis.set_repl() requires two arguments."), 0)
		}
		if L.ToInt(1)&^3 != 0 {
			L.Error(errorTable(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."), 0)
		}
		return 0
	})
	fn("acl_check_cmd", func(L *lua.LState) int {
		n := L.GetTop()
		if n == 0 {
			L.Error(errorTable(L, "Please specify at least one argument for this redis lib call"), 0)
		}
		for i := 1; i <= n; i++ {
			switch L.Get(i).(type) {
			case lua.LString, lua.LNumber:
			default:
				L.Error(errorTable(L, "Lua redis lib command arguments must be strings or integers"), 0)
			}
		}
		if st.cur == nil || st.cur.host == nil || !st.cur.host.Known([]byte(lua.LVAsString(L.Get(1)))) {
			L.Error(errorTable(L, "Invalid command passed to redis.acl_check_cmd()"), 0)
		}
		// A host that knows ACL users answers for the script's user.
		allowed := true
		if ac, ok := st.cur.host.(interface{ ACLAllows(args [][]byte) bool }); ok {
			args := make([][]byte, n)
			for i := range args {
				args[i] = []byte(lua.LVAsString(L.Get(i + 1)))
			}
			allowed = ac.ACLAllows(args)
		}
		L.Push(lua.LBool(allowed))
		return 1
	})
	fn("replicate_commands", func(L *lua.LState) int { L.Push(lua.LTrue); return 1 })
	fn("breakpoint", func(L *lua.LState) int { L.Push(lua.LFalse); return 1 })
	fn("debug", func(L *lua.LState) int { return 0 })
	for k, v := range map[string]int{"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3,
		"LOG_DEBUG": 0, "LOG_VERBOSE": 1, "LOG_NOTICE": 2, "LOG_WARNING": 3, "REDIS_VERSION_NUM": 0x07000f} {
		t.RawSetString(k, lua.LNumber(v))
	}
	t.RawSetString("REDIS_VERSION", lua.LString("7.0.15"))
	t.RawSetString("register_function", L.NewFunction(func(L *lua.LState) int {
		if st.cur == nil || st.cur.register == nil {
			L.Error(errorTable(L, "redis.register_function can only be called on FUNCTION LOAD command"), 0)
		}
		return st.cur.register(L)
	}))
	return t
}

// redisCall is redis.call (raise) and redis.pcall.
func (st *state) redisCall(raise bool) lua.LGFunction {
	fail := func(L *lua.LState, msg string) int {
		t := errorTable(L, msg)
		if raise {
			L.Error(t, 0)
		}
		L.Push(t)
		return 1
	}
	return func(L *lua.LState) int {
		rc := st.cur
		if rc == nil || rc.host == nil {
			return fail(L, "redis.call/pcall can only be called inside a script invocation")
		}
		n := L.GetTop()
		if n == 0 {
			return fail(L, "Please specify at least one argument for this redis lib call")
		}
		args := make([][]byte, n)
		for i := 1; i <= n; i++ {
			switch v := L.Get(i).(type) {
			case lua.LString:
				args[i-1] = []byte(v)
			case lua.LNumber:
				args[i-1] = strconv.AppendFloat(nil, float64(v), 'g', 17, 64)
			default:
				return fail(L, "Lua redis lib command arguments must be strings or integers")
			}
		}
		out, err := rc.host.Call(args, rc.proto)
		if err != nil {
			rc.hostErr = err
			rc.cancel(err)
			L.RaiseError("store failure")
		}
		v, isErr, _, err := toLua(L, out)
		if err != nil {
			slog.Error("script: reply not understood", "err", err)
			return fail(L, "internal error")
		}
		if isErr && raise {
			L.Error(v, 0)
		}
		L.Push(v)
		return 1
	}
}

// luaPcall is Redis 7's pcall: an error table with an err string gives
// that string to the caller.
func luaPcall(L *lua.LState) int {
	n := L.GetTop()
	if n < 1 {
		argError(L, 1, "pcall", "value expected")
	}
	if err := L.PCall(n-1, lua.MultRet, nil); err != nil {
		var obj lua.LValue = lua.LNil
		var ae *lua.ApiError
		if errors.As(err, &ae) {
			obj = ae.Object
		}
		if t, ok := obj.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				obj = s
			}
		}
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// luaError is Lua 5.1's error: any value (nil too), strings get the
// position of level.
func luaError(L *lua.LState) int {
	obj := L.Get(1)
	level := L.OptInt(2, 1)
	L.Error(obj, level)
	return 0
}

// argError raises Lua 5.1's luaL_argerror text.
func argError(L *lua.LState, n int, fname, msg string) {
	L.RaiseError("bad argument #%d to '%s' (%s)", n, fname, msg)
}

// checkNumber is luaL_checknumber with Lua 5.1's error text.
func checkNumber(L *lua.LState, n int, fname string) lua.LNumber {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return v
	case lua.LString:
		if f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64); err == nil {
			return lua.LNumber(f)
		}
	}
	typ := L.Get(n).Type().String()
	if L.Get(n) == lua.LNil && n > L.GetTop() {
		typ = "no value"
	}
	argError(L, n, fname, "number expected, got "+typ)
	return 0
}

// checkString is luaL_checkstring with Lua 5.1's error text.
func checkString(L *lua.LState, n int, fname string) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return luaNumberString(v)
	}
	typ := L.Get(n).Type().String()
	if L.Get(n) == lua.LNil && n > L.GetTop() {
		typ = "no value"
	}
	argError(L, n, fname, "string expected, got "+typ)
	return ""
}

// watchMemory checks the heap every 50ms while a run lasts and cancels it
// with ErrMemory once the heap grew by more than limit since it started.
// Short runs cost one timer.
func watchMemory(ctx context.Context, cancel context.CancelCauseFunc, limit int64) (stop func()) {
	base := heapBytes()
	var mu sync.Mutex
	stopped := false
	var t *time.Timer
	check := func() {
		if ctx.Err() != nil {
			return
		}
		if int64(heapBytes())-int64(base) > limit {
			cancel(ErrMemory)
			return
		}
		mu.Lock()
		if !stopped {
			t.Reset(50 * time.Millisecond)
		}
		mu.Unlock()
	}
	mu.Lock()
	t = time.AfterFunc(50*time.Millisecond, check)
	mu.Unlock()
	return func() {
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
	}
}

// heapBytes is the memory held by heap objects, live or not yet swept.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// luaUnpack is Lua 5.1's unpack, with its bound of 8000 results (a Go
// function runs without checking the script's deadline: it must stay
// short).
func luaUnpack(L *lua.LState) int {
	t := L.CheckTable(1)
	i := L.OptInt(2, 1)
	e := L.OptInt(3, t.Len())
	if i > e {
		return 0
	}
	n := e - i + 1
	if n <= 0 || n >= 8000 {
		L.RaiseError("too many results to unpack")
	}
	for ; i <= e; i++ {
		L.Push(t.RawGetInt(i))
	}
	return n
}
