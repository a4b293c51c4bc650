package tests

// Real libraries over the blocking commands and Pub/Sub: ioredis
// (subscribe, psubscribe, blocking pops; node and npm needed, the test
// installs ioredis into the user cache) and the RQ job queue (python3-rq:
// workers in burst mode and blocked in BLPOP, retries, dependencies with
// WATCH/MULTI, the scheduler's sorted sets, a Lua script, the worker's
// Pub/Sub command channel). Each runs the same script against
// redis-server and titan and the transcripts must agree. redis-py's blpop
// and pubsub() are in blocking_test.go and pubsub_test.go, go-redis's
// Subscribe in pubsub_test.go.

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runScript runs a client script (node or python) and returns its output.
func runScript(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func lines(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }

func TestIORedisPubSub(t *testing.T) {
	modules := npmModules(t, "ioredis5", "ioredis@5")
	env := startDiffEnv(t)
	session := func(addr string) []string {
		return lines(runScript(t, "node", "testdata/ioredis_pubsub.js", modules, addr))
	}
	want, got := session(env.redisAddr), session(env.ti.Addr)
	if len(want) < 20 {
		t.Fatalf("short transcript from redis-server: %v", want)
	}
	compareTranscripts(t, want, got)
}

func TestRQ(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import rq").Run(); err != nil {
		t.Fatal("python3-rq not installed")
	}
	env := startDiffEnv(t)
	session := func(addr string) []string {
		return lines(runScript(t, "/usr/bin/python3", "testdata/rq_session.py", "testdata", "redis://"+addr))
	}
	want, got := session(env.redisAddr), session(env.ti.Addr)
	if len(want) < 12 {
		t.Fatalf("short transcript from redis-server: %v", want)
	}
	compareTranscripts(t, want, got)
}
