package tests

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/titan-kv/titan/conf"
	"github.com/titan-kv/titan/instance/instancetest"
)

func instanceClients(t *testing.T, g *instancetest.Group) []*redis.Client {
	t.Helper()
	var cs []*redis.Client
	for _, a := range g.Addrs() {
		c := redis.NewClient(&redis.Options{Addr: a, Protocol: 2, MaxRetries: -1, PoolSize: 64})
		t.Cleanup(func() { c.Close() })
		cs = append(cs, c)
	}
	return cs
}

// TestScriptCacheAcrossInstances: SCRIPT LOAD on one instance makes
// EVALSHA work on the other, EVAL caches too, and SCRIPT FLUSH on either
// makes every instance answer NOSCRIPT.
func TestScriptCacheAcrossInstances(t *testing.T) {
	g := instancetest.Start(t, 2, groupOptions(instancetest.Options{}))
	c := instanceClients(t, g)
	ctx := context.Background()
	sha, err := c[0].ScriptLoad(ctx, "return 'from A ' .. ARGV[1]").Result()
	if err != nil {
		t.Fatal(err)
	}
	if v, err := c[1].EvalSha(ctx, sha, nil, "x").Result(); err != nil || v != "from A x" {
		t.Fatalf("EVALSHA on B: %v %v", v, err)
	}
	if v, err := c[1].ScriptExists(ctx, sha).Result(); err != nil || !v[0] {
		t.Fatalf("SCRIPT EXISTS on B: %v %v", v, err)
	}
	// EVAL on B caches the script for EVALSHA on A.
	if _, err := c[1].Eval(ctx, "return 2", nil).Result(); err != nil {
		t.Fatal(err)
	}
	sha2 := "7f923f79fe76194c868d7e1d0820de36700eb649" // sha1("return 2")
	if v, err := c[0].EvalSha(ctx, sha2, nil).Result(); err != nil || v != int64(2) {
		t.Fatalf("EVALSHA on A of EVAL on B: %v %v", v, err)
	}
	// Both instances have the scripts cached now; FLUSH on B drops them on A.
	if err := c[1].ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for i, cl := range c {
		if _, err := cl.EvalSha(ctx, sha, nil, "x").Result(); err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT") {
			t.Fatalf("instance %d after SCRIPT FLUSH: %v", i, err)
		}
		if v, err := cl.ScriptExists(ctx, sha, sha2).Result(); err != nil || v[0] || v[1] {
			t.Fatalf("SCRIPT EXISTS on %d after FLUSH: %v %v", i, v, err)
		}
	}
	// And loading again works everywhere.
	if _, err := c[0].ScriptLoad(ctx, "return 'from A ' .. ARGV[1]").Result(); err != nil {
		t.Fatal(err)
	}
	if v, err := c[1].EvalSha(ctx, sha, nil, "y").Result(); err != nil || v != "from A y" {
		t.Fatalf("EVALSHA on B after reload: %v %v", v, err)
	}
}

// TestScriptReadModifyWrite: 50 clients over two instances increment one
// key with a GET + SET script; every increment counts.
func TestScriptReadModifyWrite(t *testing.T) {
	g := instancetest.Start(t, 2, groupOptions(instancetest.Options{}))
	c := instanceClients(t, g)
	ctx := context.Background()
	const clients, each = 50, 20
	script := redis.NewScript(`
local v = tonumber(redis.call('get', KEYS[1]) or '0')
redis.call('set', KEYS[1], v + 1)
redis.call('rpush', KEYS[2], v + 1)
return v + 1`)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(cl *redis.Client) {
			defer wg.Done()
			for j := 0; j < each; j++ {
				if err := script.Run(ctx, cl, []string{"counter", "seen"}).Err(); err != nil {
					errs <- err
					return
				}
			}
		}(c[i%2])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if v, err := c[0].Get(ctx, "counter").Int(); err != nil || v != clients*each {
		t.Fatalf("counter = %v, %v; want %d", v, err, clients*each)
	}
	// Every value was handed out exactly once.
	seen, err := c[1].LRange(ctx, "seen", 0, -1).Result()
	if err != nil || len(seen) != clients*each {
		t.Fatalf("seen: %d values, %v", len(seen), err)
	}
	got := map[string]bool{}
	for _, s := range seen {
		if got[s] {
			t.Fatalf("value %s handed out twice", s)
		}
		got[s] = true
	}
}

// TestScriptAtomicAcrossInstances: a script writing two keys is seen
// whole or not at all by a reader on another instance.
func TestScriptAtomicAcrossInstances(t *testing.T) {
	g := instancetest.Start(t, 2, groupOptions(instancetest.Options{}))
	c := instanceClients(t, g)
	ctx := context.Background()
	c[0].MSet(ctx, "a", 0, "b", 0)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			c[0].Eval(ctx, "redis.call('incr', KEYS[1]); redis.call('incr', KEYS[2])", []string{"a", "b"})
		}
		close(done)
	}()
	for {
		select {
		case <-done:
			wg.Wait()
			return
		default:
		}
		v, err := c[1].MGet(ctx, "a", "b").Result()
		if err != nil {
			t.Fatal(err)
		}
		if v[0] != v[1] {
			t.Fatalf("saw half a script: a=%v b=%v", v[0], v[1])
		}
	}
}

// TestScriptRedisPyLock runs redis-py's Lock (acquire, extend, release
// are EVALSHA scripts) across two instances.
func TestScriptRedisPyLock(t *testing.T) {
	g := instancetest.Start(t, 2, groupOptions(instancetest.Options{}))
	hostA, portA, _ := strings.Cut(g.Addr(0), ":")
	hostB, portB, _ := strings.Cut(g.Addr(1), ":")
	prog := fmt.Sprintf(`
import redis, sys
a = redis.Redis(host=%q, port=%s)
b = redis.Redis(host=%q, port=%s)
la = a.lock("resource", timeout=10)
lb = b.lock("resource", timeout=10)
assert la.acquire(blocking=False), "A acquires"
assert not lb.acquire(blocking=False), "B must not acquire a held lock"
assert la.extend(5), "A extends"
ttl = b.pttl("resource")
assert 10000 < ttl <= 15000, "extended ttl %%d" %% ttl
assert la.reacquire(), "A reacquires"
la.release()
assert lb.acquire(blocking=False), "B acquires after release"
la.local.token = b"not-the-owner"
try:
    la.release()
    raise SystemExit("A released a lock it does not own")
except redis.exceptions.LockNotOwnedError:
    pass
la.local.token = b"not-the-owner"
try:
    la.extend(5)
    raise SystemExit("A extended a lock it does not own")
except redis.exceptions.LockNotOwnedError:
    pass
assert lb.locked() and lb.owned()
lb.release()
assert not la.locked()
print("ok")
`, hostA, portA, hostB, portB)
	out, err := exec.Command("/usr/bin/python3", "-c", prog).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("redis-py Lock: %v\n%s", err, out)
	}
}

// tokenBucket is Spring Cloud Gateway's request_rate_limiter.lua (a token
// bucket after Stripe's), as it ships.
const tokenBucket = `local tokens_key = KEYS[1]
local timestamp_key = KEYS[2]

local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local requested = tonumber(ARGV[4])

local fill_time = capacity/rate
local ttl = math.floor(fill_time*2)

local last_tokens = tonumber(redis.call("get", tokens_key))
if last_tokens == nil then
  last_tokens = capacity
end

local last_refreshed = tonumber(redis.call("get", timestamp_key))
if last_refreshed == nil then
  last_refreshed = 0
end

local delta = math.max(0, now-last_refreshed)
local filled_tokens = math.min(capacity, last_tokens+(delta*rate))
local allowed = filled_tokens >= requested
local new_tokens = filled_tokens
local allowed_num = 0
if allowed then
  new_tokens = filled_tokens - requested
  allowed_num = 1
end

if ttl > 0 then
  redis.call("setex", tokens_key, ttl, new_tokens)
  redis.call("setex", timestamp_key, ttl, now)
end

return { allowed_num, new_tokens }
`

// TestScriptTokenBucket runs the rate limiter on titan and redis-server
// with the same clock and compares every answer; then many clients on
// two instances take exactly the bucket's capacity.
func TestScriptTokenBucket(t *testing.T) {
	ti := startTitan(t)
	rd := startRedis(t)
	a, b := dialRESP(t, ti.Addr), dialRESP(t, rd.Options().Addr)
	now := 1_700_000_000
	for i, step := range []struct{ dt, req int }{{0, 1}, {0, 3}, {0, 5}, {1, 1}, {0, 2}, {10, 4}, {0, 1}, {0, 9}, {3, 2}} {
		now += step.dt
		args := []string{"EVAL", tokenBucket, "2", "rl.tokens", "rl.ts", "2", "5", strconv.Itoa(now), strconv.Itoa(step.req)}
		if x, y := a.do(args...), b.do(args...); x != y {
			t.Errorf("step %d: titan %q, redis %q", i, x, y)
		}
	}
	for _, k := range []string{"rl.tokens", "rl.ts"} {
		if x, y := a.do("TTL", k), b.do("TTL", k); x != y {
			t.Errorf("TTL %s: titan %q, redis %q", k, x, y)
		}
	}

	g := instancetest.Start(t, 2, groupOptions(instancetest.Options{}))
	c := instanceClients(t, g)
	ctx := context.Background()
	script := redis.NewScript(tokenBucket)
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(cl *redis.Client) {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				v, err := script.Run(ctx, cl, []string{"b.tokens", "b.ts"}, 1, 30, 1_700_000_000, 1).Slice()
				if err != nil {
					t.Error(err)
					return
				}
				if v[0] == int64(1) {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		}(c[i%2])
	}
	wg.Wait()
	if allowed != 30 {
		t.Fatalf("allowed %d requests, want the capacity 30", allowed)
	}
}

// TestScriptKill: SCRIPT KILL stops a read-only runaway script from
// another connection; a script that wrote cannot be killed; nothing is
// running afterwards.
func TestScriptKill(t *testing.T) {
	g := instancetest.Start(t, 1, groupOptions(instancetest.Options{Config: func(c *conf.Config) {
		c.Txn.CommandTimeout = conf.Duration{Duration: 2 * time.Second}
	}}))
	c := instanceClients(t, g)[0]
	ctx := context.Background()
	if err := c.ScriptKill(ctx).Err(); err == nil || err.Error() != "NOTBUSY No scripts in execution right now." {
		t.Fatalf("SCRIPT KILL with nothing running: %v", err)
	}
	res := make(chan error, 1)
	go func() { res <- c.Eval(ctx, "redis.call('get', 'x')\nwhile true do end", nil).Err() }()
	running := false
	for i := 0; i < 200 && !running; i++ {
		time.Sleep(10 * time.Millisecond)
		err := c.FunctionKill(ctx).Err()
		running = err != nil && err.Error() == "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	}
	if !running {
		t.Fatal("FUNCTION KILL never saw the running script")
	}
	if err := c.ScriptKill(ctx).Err(); err != nil {
		t.Fatalf("SCRIPT KILL: %v", err)
	}
	select {
	case err := <-res:
		if err == nil || err.Error() != "ERR Script killed by user with SCRIPT KILL... script: 66976a44a4b8f5a6a6db3e831bdfc8da2c140c25, on @user_script:2." {
			t.Fatalf("killed script answered %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("killed script still running")
	}
	// A script that wrote is unkillable; it stops at the command timeout.
	go func() {
		res <- c.Eval(ctx, "redis.call('set', 'x', 1); local t = redis.call('time'); while true do end", nil).Err()
	}()
	var err error
	for i := 0; i < 200; i++ {
		time.Sleep(10 * time.Millisecond)
		if err = c.ScriptKill(ctx).Err(); err != nil && strings.HasPrefix(err.Error(), "UNKILLABLE") {
			break
		}
	}
	if err == nil || !strings.HasPrefix(err.Error(), "UNKILLABLE") {
		t.Fatalf("SCRIPT KILL of a writing script: %v", err)
	}
	// The runaway ends at txn.command-timeout, and its write is not kept.
	select {
	case err := <-res:
		if err == nil {
			t.Fatal("runaway script succeeded")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("runaway script not stopped by the command timeout")
	}
	if n, err := c.Exists(ctx, "x").Result(); err != nil || n != 0 {
		t.Fatalf("write of the timed-out script: %v %v", n, err)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestScriptBusy: past lua.busy-reply-threshold, commands on the keys of
// a running script answer BUSY, others do not; SCRIPT KILL gets through.
func TestScriptBusy(t *testing.T) {
	g := instancetest.Start(t, 1, groupOptions(instancetest.Options{Config: func(c *conf.Config) {
		c.Lua.BusyReplyThreshold = conf.Duration{Duration: 200 * time.Millisecond}
	}}))
	c := instanceClients(t, g)[0]
	ctx := context.Background()
	res := make(chan error, 1)
	go func() { res <- c.Eval(ctx, "redis.call('get', KEYS[1]); while true do end", []string{"busykey"}).Err() }()
	time.Sleep(600 * time.Millisecond)
	if err := c.Get(ctx, "busykey").Err(); err == nil || !strings.HasPrefix(err.Error(), "BUSY ") {
		t.Fatalf("GET of the script's key: %v", err)
	}
	if err := c.Set(ctx, "other", 1, 0).Err(); err != nil {
		t.Fatalf("SET of another key: %v", err)
	}
	if err := c.ScriptKill(ctx).Err(); err != nil {
		t.Fatalf("SCRIPT KILL: %v", err)
	}
	if err := <-res; err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("killed script: %v", err)
	}
	if err := c.Get(ctx, "busykey").Err(); err != redis.Nil {
		t.Fatalf("GET after the kill: %v", err)
	}
}

// TestFunctionsAcrossInstances: a library loaded on one instance runs on
// the other; REPLACE, DELETE and FLUSH on one are seen by the other.
func TestFunctionsAcrossInstances(t *testing.T) {
	g := instancetest.Start(t, 2, groupOptions(instancetest.Options{}))
	c := instanceClients(t, g)
	ctx := context.Background()
	if err := c[0].FunctionLoad(ctx, "#!lua name=shared\nredis.register_function('hello', function(keys, args) return 'v1 ' .. args[1] end)").Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c[1].FCall(ctx, "hello", nil, "b").Result(); err != nil || v != "v1 b" {
		t.Fatalf("FCALL on B: %v %v", v, err)
	}
	if err := c[1].FunctionLoadReplace(ctx, "#!lua name=shared\nredis.register_function('hello', function(keys, args) return 'v2 ' .. args[1] end)").Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c[0].FCall(ctx, "hello", nil, "a").Result(); err != nil || v != "v2 a" {
		t.Fatalf("FCALL on A after REPLACE on B: %v %v", v, err)
	}
	if err := c[0].FunctionLoad(ctx, "#!lua name=shared\nredis.register_function('x', function() end)").Err(); err == nil ||
		err.Error() != "ERR Library 'shared' already exists" {
		t.Fatalf("LOAD of an existing library on A: %v", err)
	}
	if err := c[1].FunctionDelete(ctx, "shared").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c[0].FCall(ctx, "hello", nil, "a").Err(); err == nil || err.Error() != "ERR Function not found" {
		t.Fatalf("FCALL on A after DELETE on B: %v", err)
	}
	c[0].FunctionLoad(ctx, "#!lua name=l2\nredis.register_function('f', function() return 1 end)")
	if err := c[1].FunctionFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if libs, err := c[0].FunctionList(ctx, redis.FunctionListQuery{}).Result(); err != nil || len(libs) != 0 {
		t.Fatalf("FUNCTION LIST on A after FLUSH on B: %v %v", libs, err)
	}
}
