package scripting

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/titan-kv/titan/resp"
)

// Library is a function library (FUNCTION LOAD): its code and the
// functions its body registered.
type Library struct {
	// Name is the library's name, from its "#!lua name=..." line.
	Name string
	// Code is the library's source, shebang included.
	Code  string
	proto *lua.FunctionProto
	// Functions are the registered functions, sorted by name.
	Functions []*Function
}

// Function is one registered function.
type Function struct {
	Name string
	// Flags are the function's flags (no-writes, allow-oom, allow-stale,
	// no-cluster, allow-cross-slot-keys).
	Flags []string
	// Description is nil when none was given.
	Description *string
	lib         *Library
}

// Library returns the library the function belongs to.
func (f *Function) Library() *Library { return f.lib }

// HasFlag reports whether the function has flag.
func (f *Function) HasFlag(flag string) bool { return slices.Contains(f.Flags, flag) }

// LoadError is a library that cannot be loaded; its text is the reply.
type LoadError string

func (e LoadError) Error() string { return string(e) }

var functionFlags = []string{"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// parseShebang reads the "#!lua name=<name>" first line of a library.
func parseShebang(code string) (name string, err error) {
	if !strings.HasPrefix(code, "#!") {
		return "", LoadError("ERR Missing library metadata")
	}
	line, _, _ := strings.Cut(code, "\n")
	parts := strings.Split(line[2:], " ")
	if !strings.EqualFold(parts[0], "lua") {
		return "", LoadError(fmt.Sprintf("ERR Engine '%s' not found", parts[0]))
	}
	found := false
	for _, p := range parts[1:] {
		v, ok := strings.CutPrefix(p, "name=")
		if !ok {
			return "", LoadError("ERR Invalid metadata value given: " + p)
		}
		name, found = v, true
	}
	if !found {
		return "", LoadError("ERR Library name was not given")
	}
	if !validName(name) {
		return "", LoadError("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	return name, nil
}

// LoadLibrary compiles a library and runs its body to learn the functions
// it registers, as FUNCTION LOAD does. Errors are LoadErrors.
func (rt *Runtime) LoadLibrary(ctx context.Context, code string) (*Library, error) {
	name, err := parseShebang(code)
	if err != nil {
		return nil, err
	}
	// The shebang line becomes an empty line: line numbers stay.
	body := code[strings.IndexByte(code+"\n", '\n'):]
	p, err := compile([]byte(body), "user_function")
	if err != nil {
		return nil, LoadError("ERR Error compiling function: " + err.Error())
	}
	lib := &Library{Name: name, Code: code, proto: p}
	st := rt.get()
	defer rt.put(st)
	if _, err := st.loadLibrary(ctx, lib, true); err != nil {
		return nil, err
	}
	if len(lib.Functions) == 0 {
		return nil, LoadError("ERR No functions registered")
	}
	return lib, nil
}

// loadedLib is a library whose body ran in one state: its callbacks.
type loadedLib struct {
	lib *Library
	fns map[string]*lua.LFunction
}

// loadLibrary runs lib's body in st. With describe it fills
// lib.Functions; otherwise it only collects the callbacks.
func (st *state) loadLibrary(ctx context.Context, lib *Library, describe bool) (*loadedLib, error) {
	L := st.L
	loading := true
	loadAPI := L.CreateTable(0, 2)
	loaded := &loadedLib{lib: lib, fns: map[string]*lua.LFunction{}}
	var order []*Function
	register := func(L *lua.LState) int {
		f, cb := st.registerArgs(L)
		if _, dup := loaded.fns[strings.ToLower(f.Name)]; dup {
			L.Error(errorTable(L, "Function already exists in the library"), 0)
		}
		f.lib = lib
		loaded.fns[strings.ToLower(f.Name)] = cb
		order = append(order, f)
		return 0
	}
	loadAPI.RawSetString("register_function", L.NewFunction(register))
	loadAPI.RawSetString("log", st.globals.RawGetString("redis").(*lua.LTable).RawGetString("log"))
	for _, k := range []string{"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"} {
		loadAPI.RawSetString(k, st.redisReal().RawGetString(k))
	}
	loadMeta := L.CreateTable(0, 2)
	loadMeta.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(L.Get(2)))
		return 0
	}))
	loadMeta.RawSetString("__newindex", st.envMeta.RawGetString("__newindex"))
	L.SetMetatable(loadAPI, loadMeta)

	env := L.CreateTable(0, 1)
	meta := L.CreateTable(0, 2)
	globalIndex := st.envMeta.RawGetString("__index").(*lua.LFunction)
	meta.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		if k, ok := L.Get(2).(lua.LString); ok {
			if loading && (k == "redis" || k == "error") {
				if k == "redis" {
					L.Push(loadAPI)
					return 1
				}
				L.RaiseError("Script attempted to access nonexistent global variable '%s'", k)
			}
		}
		L.Push(globalIndex)
		L.Push(L.Get(1))
		L.Push(L.Get(2))
		L.Call(2, 1)
		return 1
	}))
	meta.RawSetString("__newindex", st.envMeta.RawGetString("__newindex"))
	L.SetMetatable(env, meta)
	env.RawSetString("_G", env)

	fn := L.NewFunctionFromProto(lib.proto)
	fn.Env = env
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	st.cur = &runCtx{proto: resp.RESP2, cancel: cancel}
	defer func() { st.cur = nil }()
	L.SetContext(ctx)
	defer L.RemoveContext()
	defer L.SetTop(0)
	L.Push(fn)
	err := L.PCall(0, 0, st.handler)
	loading = false
	if err != nil {
		msg := "ERR unknown error"
		var ae *lua.ApiError
		if errors.As(err, &ae) {
			if t, ok := ae.Object.(*lua.LTable); ok {
				if s, ok := t.RawGetString("err").(lua.LString); ok {
					msg = string(s)
				}
			}
		}
		if cause := context.Cause(ctx); cause != nil {
			msg = "ERR FUNCTION LOAD timeout"
		}
		return nil, LoadError("ERR Error registering functions: " + msg)
	}
	if describe {
		slices.SortFunc(order, func(a, b *Function) int { return strings.Compare(a.Name, b.Name) })
		lib.Functions = order
	}
	st.libs[lib.Name] = loaded
	return loaded, nil
}

func (st *state) redisReal() *lua.LTable {
	proxy := st.globals.RawGetString("redis").(*lua.LTable)
	return st.L.GetMetatable(proxy).(*lua.LTable).RawGetString("__index").(*lua.LTable)
}

// registerArgs reads redis.register_function's arguments.
func (st *state) registerArgs(L *lua.LState) (*Function, *lua.LFunction) {
	fail := func(msg string) { L.Error(errorTable(L, msg), 0) }
	f := &Function{}
	var cb *lua.LFunction
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var bad bool
		t.ForEach(func(k, v lua.LValue) {
			switch lua.LVAsString(k) {
			case "function_name":
				s, ok := v.(lua.LString)
				if !ok {
					fail("function_name argument given to redis.register_function must be a string")
				}
				f.Name = string(s)
			case "callback":
				c, ok := v.(*lua.LFunction)
				if !ok {
					fail("callback argument given to redis.register_function must be a function")
				}
				cb = c
			case "description":
				s, ok := v.(lua.LString)
				if !ok {
					fail("description argument given to redis.register_function must be a string")
				}
				d := string(s)
				f.Description = &d
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					fail("flags argument to redis.register_function must be a table representing function flags")
				}
				for i := 1; ; i++ {
					fv := ft.RawGetInt(i)
					if fv == lua.LNil {
						break
					}
					s, ok := fv.(lua.LString)
					if !ok || !slices.Contains(functionFlags, string(s)) {
						fail("unknown flag given")
					}
					f.Flags = append(f.Flags, string(s))
				}
			default:
				bad = true
			}
		})
		if bad {
			fail("unknown argument given to redis.register_function")
		}
		if f.Name == "" && cb == nil {
			fail("redis.register_function must get a function name argument")
		}
		if cb == nil {
			fail("redis.register_function must get a callback argument")
		}
	case 2:
		s, ok := L.Get(1).(lua.LString)
		if !ok {
			fail("first argument to redis.register_function must be a string")
		}
		c, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			fail("second argument to redis.register_function must be a function")
		}
		f.Name, cb = string(s), c
	default:
		fail("wrong number of arguments to redis.register_function")
	}
	if !validName(f.Name) {
		fail("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	return f, cb
}

// Call runs function f (FCALL): its callback gets KEYS and ARGV as its two
// arguments. Results and errors are as for Eval.
func (rt *Runtime) Call(ctx context.Context, f *Function, e Exec) (resp.Reply, error) {
	st := rt.get()
	defer rt.put(st)
	loaded := st.libs[f.lib.Name]
	if loaded == nil || loaded.lib != f.lib {
		if len(st.libs) > 1000 {
			st.libs = map[string]*loadedLib{}
		}
		var err error
		if loaded, err = st.loadLibrary(ctx, f.lib, false); err != nil {
			return errorReply(err.Error()), nil
		}
	}
	cb := loaded.fns[strings.ToLower(f.Name)]
	if cb == nil {
		return errorReply("ERR Function not found"), nil
	}
	return st.run(ctx, cb, f.Name, e, []lua.LValue{bytesTable(st.L, e.Keys), bytesTable(st.L, e.Args)})
}
