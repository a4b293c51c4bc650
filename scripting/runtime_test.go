package scripting

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/titan-kv/titan/resp"
)

type noHost struct{}

func (noHost) Call([][]byte, resp.Proto) ([]byte, error) { return []byte("+OK\r\n"), nil }

func (noHost) Known([]byte) bool { return true }

func eval(t *testing.T, rt *Runtime, ctx context.Context, body string) (string, error) {
	t.Helper()
	sc, err := Compile([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	r, err := rt.Eval(ctx, sc, Exec{Host: noHost{}})
	if err != nil {
		return "", err
	}
	return string(r.Append(nil, resp.RESP2)), nil
}

// A script filling memory is stopped at Limits.MaxMemory, and the
// runtime goes on serving scripts.
func TestMemoryLimit(t *testing.T) {
	rt := New(Limits{MaxMemory: 64 << 20})
	_, err := eval(t, rt, context.Background(), "local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 64) .. i end")
	if !errors.Is(err, ErrMemory) {
		t.Fatalf("runaway allocation: %v", err)
	}
	if r, err := eval(t, rt, context.Background(), "return 1"); err != nil || r != ":1\r\n" {
		t.Fatalf("after: %q %v", r, err)
	}
}

// A runaway loop ends with its context; string.rep is bounded; deep
// recursion hits the call stack bound, not the Go stack.
func TestRunawayLoop(t *testing.T) {
	rt := New(Limits{MaxStringLen: 1 << 20})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := eval(t, rt, ctx, "while true do end"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("runaway loop: %v", err)
	}
	r, err := eval(t, rt, context.Background(), "return string.rep('x', 1e9)")
	if err != nil || !strings.HasPrefix(r, "-ERR user_script:1: string length overflow") {
		t.Fatalf("string.rep: %q %v", r, err)
	}
	r, err = eval(t, rt, context.Background(), "local function f(n) return f(n + 1) + 1 end return f(1)")
	if err != nil || r[0] != '-' {
		t.Fatalf("recursion: %q %v", r, err)
	}
}

// A script that changes what every script shares does not leak it to
// the next one (its state is dropped).
func TestSandboxIsolation(t *testing.T) {
	rt := New(Limits{})
	for _, body := range []string{
		"rawset(string, 'leak', 1)",
		"getmetatable('').__index.leak = 1",
		"rawset(_G, 'leak', 1)",
		"local t = getmetatable(string).__index; t.leak = 1",
	} {
		eval(t, rt, context.Background(), body)
		for i := 0; i < 4; i++ {
			r, err := eval(t, rt, context.Background(), "return {type(rawget(string, 'leak')), type(('').leak), type(string.leak), type(rawget(_G, 'leak'))}")
			if err != nil || r != "*4\r\n$3\r\nnil\r\n$3\r\nnil\r\n$3\r\nnil\r\n$3\r\nnil\r\n" {
				t.Fatalf("after %q: %q %v", body, r, err)
			}
		}
	}
}

// Hostile scripts end with an error reply or at the deadline, never by
// crashing the process.
func TestHostileScripts(t *testing.T) {
	rt := New(Limits{MaxMemory: 256 << 20})
	for _, body := range []string{
		"local t = {} t[1] = t return t",
		"local t = {} t[1] = t return cjson.encode(t)",
		"local t = {} t[1] = t return cmsgpack.pack(t)",
		"local function f() return pcall(f) end return f()",
		"local function f() return f() end return f()",
		"return string.rep('x', 2^31)",
		"return ('x'):rep(1e10)",
		"local s = 'x' for i = 1, 40 do s = s .. s end return #s",
		"return coroutine.wrap(function() while true do end end)()",
		"local co = coroutine.create(function() while true do coroutine.yield() end end) while true do coroutine.resume(co) end",
		"return table.concat(setmetatable({}, {__index = function() return 'x' end}), ',', 1, 1e9)",
		"return string.format('%099999999d', 1)",
		"return cjson.decode(string.rep('[', 100000))",
		"return cmsgpack.unpack(string.rep('\\145', 100000))",
		"return struct.pack('i' .. string.rep('9', 20), 1)",
		"setmetatable(_G, nil)",
		"return select(-1, 1)",
		"return unpack({}, 1, 1e8)",
		"return string.gsub(string.rep('a', 1000), '(a*)*b', '')",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		start := time.Now()
		r, err := eval(t, rt, ctx, body)
		t.Logf("%q: %.60q %v %v", body, r, err, time.Since(start))
		cancel()
		if err == nil && (r == "" || r[0] != '-') && time.Since(start) > 3*time.Second {
			t.Errorf("%q: %q %v after %v", body, r, err, time.Since(start))
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("%q ran %v past its deadline", body, time.Since(start))
		}
	}
}
