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
	r, err := rt.Eval(ctx, sc, Exec{Host: noHost{}, Proto: resp.RESP2})
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
