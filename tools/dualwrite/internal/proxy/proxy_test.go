package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/cmdtable"
	"github.com/titan-kv/titan/tools/dualwrite/internal/dirty"
	"github.com/titan-kv/titan/tools/dualwrite/internal/metrics"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
)

// fakeSource routes keys by their first letter (a: 0, b: 1, c: 2, other: 0)
// and answers MGET, DEL/EXISTS and MSET like Redis would for keys that do
// not contain "missing". It records every command it receives.
type fakeSource struct {
	mu   sync.Mutex
	sent map[int][]string
	// fail makes a group answer with an error reply (or a transport error
	// when the message starts with "transport").
	fail map[int]string
	// shortMGet makes a group's MGET reply drop its last element.
	shortMGet map[int]bool
}

func newFakeSource() *fakeSource {
	return &fakeSource{sent: map[int][]string{}, fail: map[int]string{}, shortMGet: map[int]bool{}}
}

func (f *fakeSource) Shards() []string { return []string{"a:1", "b:1", "c:1"} }
func (f *fakeSource) Routed() bool     { return true }
func (f *fakeSource) Close()           {}

func (f *fakeSource) Group(key []byte) int {
	if len(key) > 0 && key[0] >= 'a' && key[0] <= 'c' {
		return int(key[0] - 'a')
	}
	return 0
}

func (f *fakeSource) Do(_ context.Context, group int, args [][]byte) (resp.Value, error) {
	f.mu.Lock()
	f.sent[group] = append(f.sent[group], string(joinArgs(args)))
	msg, short := f.fail[group], f.shortMGet[group]
	f.mu.Unlock()
	if msg != "" {
		if strings.HasPrefix(msg, "transport") {
			return resp.Value{}, errors.New(msg)
		}
		return resp.Err(msg), nil
	}
	switch strings.ToUpper(string(args[0])) {
	case "MGET":
		var out []resp.Value
		for _, k := range args[1:] {
			if strings.Contains(string(k), "missing") {
				out = append(out, resp.NullBulk())
			} else {
				out = append(out, resp.Bulk([]byte("val-"+string(k))))
			}
		}
		if short {
			out = out[:len(out)-1]
		}
		return resp.Arr(out), nil
	case "DEL", "EXISTS", "UNLINK", "TOUCH":
		n := 0
		for _, k := range args[1:] {
			if !strings.Contains(string(k), "missing") {
				n++
			}
		}
		return resp.Int(int64(n)), nil
	case "MSET", "SET":
		return resp.OK(), nil
	}
	return resp.Bulk([]byte("reply")), nil
}

func (f *fakeSource) GroupPipeline(ctx context.Context, group int, cmds [][][]byte) ([]resp.Value, error) {
	out := make([]resp.Value, len(cmds))
	for i, c := range cmds {
		v, err := f.Do(ctx, group, c)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (f *fakeSource) ShardPipeline(ctx context.Context, shard int, cmds [][][]byte) ([]resp.Value, error) {
	return f.GroupPipeline(ctx, shard, cmds)
}

func joinArgs(args [][]byte) []byte {
	var b []byte
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, a...)
	}
	return b
}

func split(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		out = append(out, []byte(f))
	}
	return out
}

// newTestProxy builds a proxy over src whose titan side is never reached
// by the code under test.
func newTestProxy(t *testing.T, src *fakeSource) *Proxy {
	t.Helper()
	titan := resp.NewPool("127.0.0.1:1", 1, 100*time.Millisecond)
	t.Cleanup(titan.Close)
	p, err := New(Config{Source: src, Titan: titan, ReadFrom: ReadRedis, Metrics: metrics.New(metrics.Proxy),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RepairQueue: 3})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// metricValue returns the value of the counter or gauge name whose label
// value is label ("" for unlabelled metrics).
func metricValue(t *testing.T, p *Proxy, name, label string) float64 {
	t.Helper()
	mfs, err := p.m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s{%s} not found", name, label)
	return 0
}

// splitRun runs a client command through the source splitter.
func splitRun(t *testing.T, p *Proxy, cmd string) (resp.Value, error) {
	t.Helper()
	args := split(cmd)
	spec, ok := cmdtable.Lookup(args[0])
	if !ok {
		t.Fatalf("%s: unknown command", args[0])
	}
	keys, err := spec.Keys(args)
	if err != nil {
		t.Fatal(err)
	}
	return p.doSourceSplit(context.Background(), spec, args, keys)
}

func TestSplitMultiKeyCommands(t *testing.T) {
	cases := []struct {
		cmd   string
		reply string
		sent  map[int][]string // sub-commands per shard
	}{
		{"MGET a1 b1 amissing c1 b2 a3", `["val-a1" "val-b1" (nil) "val-c1" "val-b2" "val-a3"]`,
			map[int][]string{0: {"MGET a1 amissing a3"}, 1: {"MGET b1 b2"}, 2: {"MGET c1"}}},
		{"DEL a1 b1 bmissing c1 a2", "4",
			map[int][]string{0: {"DEL a1 a2"}, 1: {"DEL b1 bmissing"}, 2: {"DEL c1"}}},
		{"EXISTS a1 a1 b1", "3", map[int][]string{0: {"EXISTS a1 a1"}, 1: {"EXISTS b1"}}},
		{"MSET a1 x b1 y a2 z", `"OK"`, map[int][]string{0: {"MSET a1 x a2 z"}, 1: {"MSET b1 y"}}},
		// Keys of one shard: the command is sent unchanged.
		{"MGET a1 a2 x3", `["val-a1" "val-a2" "val-x3"]`, map[int][]string{0: {"MGET a1 a2 x3"}}},
		{"MSET b1 x b2 y", `"OK"`, map[int][]string{1: {"MSET b1 x b2 y"}}},
		// Not a splitting command: one shard, unchanged.
		{"GET c1", `"reply"`, map[int][]string{2: {"GET c1"}}},
	}
	for _, c := range cases {
		t.Run(c.cmd, func(t *testing.T) {
			src := newFakeSource()
			p := newTestProxy(t, src)
			v, err := splitRun(t, p, c.cmd)
			if err != nil {
				t.Fatal(err)
			}
			if v.String() != c.reply {
				t.Errorf("reply %s, want %s", v, c.reply)
			}
			if len(src.sent) != len(c.sent) {
				t.Errorf("sent to shards %v, want %v", src.sent, c.sent)
			}
			for g, want := range c.sent {
				if strings.Join(src.sent[g], "|") != strings.Join(want, "|") {
					t.Errorf("shard %d got %q, want %q", g, src.sent[g], want)
				}
			}
		})
	}
}

func TestSplitFailures(t *testing.T) {
	src := newFakeSource()
	src.fail[1] = "ERR shard b is unhappy"
	p := newTestProxy(t, src)
	v, err := splitRun(t, p, "MGET a1 b1 c1")
	if err != nil || !v.IsError() || string(v.Str) != "ERR shard b is unhappy" {
		t.Errorf("error reply of one shard: %v, %v", v, err)
	}

	src = newFakeSource()
	src.fail[2] = "transport: connection refused"
	p = newTestProxy(t, src)
	if _, err := splitRun(t, p, "DEL a1 c1"); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("transport error of one shard: %v", err)
	}

	src = newFakeSource()
	src.shortMGet[0] = true
	p = newTestProxy(t, src)
	v, err = splitRun(t, p, "MGET a1 b1 a2")
	if err != nil || !v.IsError() || !strings.Contains(string(v.Str), "malformed MGET") {
		t.Errorf("short MGET reply: %v, %v", v, err)
	}
}

func TestCheckShards(t *testing.T) {
	p := newTestProxy(t, newFakeSource())
	cases := map[string]bool{ // command: allowed
		"RENAME a1 a2":               true,
		"RENAME a1 b1":               false,
		"SUNIONSTORE c1 c2 c3":       true,
		"SUNIONSTORE c1 c2 a3":       false,
		"ZUNIONSTORE a1 2 a2 b3":     false,
		"MSET a1 x b1 y":             true, // split, not refused
		"DEL a1 b1 c1":               true,
		"SMOVE b1 b2 member":         true,
		"SINTERCARD 2 a1 c1 LIMIT 1": false,
	}
	for cmd, allowed := range cases {
		args := split(cmd)
		spec, _ := cmdtable.Lookup(args[0])
		keys, err := spec.Keys(args)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		v, ok := p.checkShards(spec, keys)
		if ok != allowed {
			t.Errorf("%s: allowed %v, want %v (%v)", cmd, ok, allowed, v)
		}
		if !ok && (!v.IsError() || !strings.HasPrefix(string(v.Str), "CROSSSLOT")) {
			t.Errorf("%s: refusal %v, want a CROSSSLOT error", cmd, v)
		}
	}
}

func TestDispatchAnsweredByProxy(t *testing.T) {
	src := newFakeSource()
	p := newTestProxy(t, src)
	cases := []struct {
		cmd, reply string
		closes     bool
	}{
		{"PING", `"PONG"`, false},
		{"ping hello", `"hello"`, false},
		{"ECHO x", `"x"`, false},
		{"ECHO", "(error) ERR wrong number of arguments for 'echo' command", false},
		{"SELECT 0", `"OK"`, false},
		{"SELECT 1", "(error) ERR dualwrite proxy supports only database 0", false},
		{"QUIT", `"OK"`, true},
		{"HELLO 3", "(error) ERR unknown command 'hello'", false},
		{"NOSUCH a", "(error) ERR unknown or unsupported command 'NOSUCH' (dualwrite proxy)", false},
		{"GET", "(error) ERR wrong number of arguments for 'get' command", false},
		{"MSET a 1 b", "(error) ERR wrong number of arguments for 'mset' command", false},
	}
	for _, c := range cases {
		v, closes := p.dispatch(split(c.cmd))
		if v.String() != c.reply || closes != c.closes {
			t.Errorf("%s: %s (close %v), want %s (close %v)", c.cmd, v, closes, c.reply, c.closes)
		}
	}
	for _, cmd := range []string{"MULTI", "EVAL x 0", "BLPOP l 0", "KEYS *", "SUBSCRIBE ch"} {
		v, _ := p.dispatch(split(cmd))
		if !v.IsError() || !strings.Contains(string(v.Str), "not supported by the dualwrite proxy") {
			t.Errorf("%s: %v, want a refusal", cmd, v)
		}
	}
	if v, _ := p.dispatch(nil); !v.IsError() {
		t.Errorf("empty command: %v", v)
	}
	if v, _ := p.dispatch(split("INFO")); !strings.Contains(string(v.Str), "read_from:redis") {
		t.Errorf("INFO: %v", v)
	}
	if len(src.sent) != 0 {
		t.Errorf("commands answered by the proxy reached the source: %v", src.sent)
	}
	if n := metricValue(t, p, "dualwrite_proxy_rejected_total", "refused"); n != 5 {
		t.Errorf("refused counter %v, want 5", n)
	}
}

func TestSpopReplay(t *testing.T) {
	key := []byte("s")
	cases := []struct {
		reply resp.Value
		want  string
	}{
		{resp.Bulk([]byte("m1")), "SREM s m1"},
		{resp.Arr([]resp.Value{resp.Bulk([]byte("m1")), resp.Bulk([]byte("m2"))}), "SREM s m1 m2"},
		{resp.NullBulk(), ""},          // SPOP of a missing key
		{resp.Arr([]resp.Value{}), ""}, // SPOP s 3 of a missing key
	}
	for _, c := range cases {
		if got := string(joinArgs(spopReplay(key, c.reply))); got != c.want {
			t.Errorf("spopReplay(%v) = %q, want %q", c.reply, got, c.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	arr := func(s ...string) resp.Value {
		var out []resp.Value
		for _, x := range s {
			out = append(out, resp.Bulk([]byte(x)))
		}
		return resp.Arr(out)
	}
	spec := func(name string) *cmdtable.Spec { s, _ := cmdtable.Lookup([]byte(name)); return s }
	cases := []struct {
		cmd      string
		in, want resp.Value
	}{
		{"SMEMBERS", arr("c", "a", "b"), arr("a", "b", "c")},
		{"HKEYS", arr("f2", "f1"), arr("f1", "f2")},
		{"HGETALL", arr("f2", "v2", "f1", "v1", "f3", "v0"), arr("f1", "v1", "f2", "v2", "f3", "v0")},
		{"HGETALL", arr("odd", "count", "x"), arr("odd", "count", "x")},
		{"LRANGE", arr("c", "a"), arr("c", "a")}, // ordered reply: untouched
		{"SMEMBERS", resp.Err("WRONGTYPE"), resp.Err("WRONGTYPE")},
	}
	for _, c := range cases {
		in := c.in.String()
		if got := normalize(spec(c.cmd), c.in); !resp.Equal(got, c.want) {
			t.Errorf("normalize %s %v = %v, want %v", c.cmd, c.in, got, c.want)
		}
		if c.in.String() != in {
			t.Errorf("normalize %s modified its input: %v", c.cmd, c.in)
		}
	}
	// Replies that differ only in order compare equal after normalizing.
	a, b := arr("x", "1", "y", "2"), arr("y", "2", "x", "1")
	if !resp.Equal(normalize(spec("HGETALL"), a), normalize(spec("HGETALL"), b)) {
		t.Error("HGETALL replies in different orders still differ")
	}
	if resp.Equal(normalize(spec("HGETALL"), a), normalize(spec("HGETALL"), arr("x", "2", "y", "1"))) {
		t.Error("HGETALL pairs were split up while sorting")
	}
}

func TestCloneArgs(t *testing.T) {
	in := [][]byte{[]byte("SET"), []byte("k")}
	out := cloneArgs(in)
	in[1][0] = 'X'
	if string(out[1]) != "k" {
		t.Fatal("clone shares memory with the request buffer")
	}
}

func TestBreaker(t *testing.T) {
	b := breaker{threshold: 3, cooldown: 100 * time.Millisecond}
	fail := errors.New("down")
	b.record(fail)
	b.record(fail)
	b.record(nil) // a success resets the count
	b.record(fail)
	b.record(fail)
	if !b.allow() {
		t.Fatal("opened before 3 consecutive failures")
	}
	b.record(fail)
	if b.allow() {
		t.Fatal("still closed after 3 consecutive failures")
	}
	time.Sleep(120 * time.Millisecond)
	if !b.allow() {
		t.Fatal("still open after the cooldown")
	}
}

func TestRepairQueue(t *testing.T) {
	p := newTestProxy(t, newFakeSource()) // queue bound 3, repairs not running
	r := p.repair
	r.schedule([]byte("k1"), "test")
	r.schedule([]byte("k2"), "test")
	r.schedule([]byte("k1"), "test")
	if r.len() != 2 {
		t.Fatalf("queue length %d after duplicates, want 2", r.len())
	}
	for _, k := range []string{"k3", "k4", "k5"} {
		r.schedule([]byte(k), "test")
	}
	if r.len() != 3 {
		t.Fatalf("queue length %d, bound is 3", r.len())
	}
	if n := metricValue(t, p, "dualwrite_repairs_dropped_total", ""); n != 2 {
		t.Errorf("dropped %v keys, want 2", n)
	}
	ctx := context.Background()
	var order []string
	for range 3 {
		it, _ := r.next(ctx)
		order = append(order, it.key)
		r.done(it, it.key == "k2") // k2 fails once
	}
	if strings.Join(order, " ") != "k1 k2 k3" {
		t.Errorf("repair order %v, want first come first served", order)
	}
	if r.len() != 1 {
		t.Fatalf("%d keys left, want k2 waiting for its retry", r.len())
	}
	// k2 waits out its backoff; a key scheduled meanwhile goes first.
	r.schedule([]byte("k9"), "test")
	it, _ := r.next(ctx)
	if it.key != "k9" {
		t.Errorf("next is %s, want k9 while k2 backs off", it.key)
	}
	r.done(it, false)
	it, _ = r.next(ctx)
	if it.key != "k2" || it.attempts != 1 {
		t.Errorf("next is %s after %d attempts, want k2 after 1", it.key, it.attempts)
	}
	r.done(it, false)
	if r.len() != 0 || metricValue(t, p, "dualwrite_repair_queue_length", "") != 0 {
		t.Errorf("queue not empty: %d", r.len())
	}
}

func TestRepairBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{0: 0, 1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 20: 30 * time.Second} {
		if got := repairBackoff(n); got != want {
			t.Errorf("backoff after %d failures: %v, want %v", n, got, want)
		}
	}
}

func TestLockKeys(t *testing.T) {
	p := newTestProxy(t, newFakeSource())
	// The same key twice, or keys sharing a stripe, must not deadlock.
	done := make(chan struct{})
	go func() {
		p.lockKeys(split("k k other k"))()
		p.lockKeys(split("k"))()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("lockKeys deadlocked on repeated keys")
	}
	// A writer of k waits for a multi-key writer holding k.
	unlock := p.lockKeys(split("x k"))
	got := make(chan struct{})
	go func() {
		p.lockKeys(split("k"))()
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("second writer of k did not wait")
	case <-time.After(50 * time.Millisecond):
	}
	unlock()
	select {
	case <-got:
	case <-time.After(2 * time.Second):
		t.Fatal("second writer of k never got the lock")
	}
}

func TestReadSide(t *testing.T) {
	p := newTestProxy(t, newFakeSource())
	if p.ReadSide() != ReadRedis {
		t.Fatalf("read side %s", p.ReadSide())
	}
	if err := p.SetReadSide("memcached"); err == nil {
		t.Error("unknown read side accepted")
	}
	if side := p.ToggleReadSide(); side != ReadTitan || p.ReadSide() != ReadTitan {
		t.Errorf("toggle: %s / %s", side, p.ReadSide())
	}
	if metricValue(t, p, "dualwrite_read_side", metrics.SideTitan) != 1 || metricValue(t, p, "dualwrite_read_side", metrics.SideRedis) != 0 {
		t.Error("read side gauges not updated")
	}
	if side := p.ToggleReadSide(); side != ReadRedis {
		t.Errorf("toggle back: %s", side)
	}
	for _, cfg := range []Config{{ReadFrom: "both"}, {ReadFrom: ReadRedis, ShadowRate: 1.5}, {ReadFrom: ReadTitan, ShadowRate: -0.1}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// slowTitan is a RESP server answering every command with +OK after delay.
func slowTitan(t *testing.T, delay time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				br := bufio.NewReader(nc)
				for {
					if _, err := resp.ReadValue(br); err != nil {
						return
					}
					time.Sleep(delay)
					if _, err := nc.Write([]byte("+OK\r\n")); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// recordingTitan is a RESP server that answers every command with +OK after
// delay and records the commands it received, in order.
type recordingTitan struct {
	addr string
	mu   sync.Mutex
	got  []string
}

func startRecordingTitan(t *testing.T, delay time.Duration) *recordingTitan {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rt := &recordingTitan{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer nc.Close()
				br := bufio.NewReader(nc)
				for {
					v, err := resp.ReadValue(br)
					if err != nil {
						return
					}
					var parts []string
					for _, e := range v.Elems {
						parts = append(parts, string(e.Str))
					}
					rt.mu.Lock()
					rt.got = append(rt.got, strings.Join(parts, " "))
					rt.mu.Unlock()
					time.Sleep(delay)
					if _, err := nc.Write([]byte("+OK\r\n")); err != nil {
						return
					}
				}
			}()
		}
	}()
	return rt
}

// commands returns the writes titan got, without dirty marks (a proxy
// that never read the backfill flag marks every write it applies).
func (rt *recordingTitan) commands() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var out []string
	for _, c := range rt.got {
		if !strings.HasPrefix(c, "SADD "+dirty.SetKey+" ") {
			out = append(out, c)
		}
	}
	return out
}

func newProxyOver(t *testing.T, titanAddr string, timeout time.Duration) *Proxy {
	t.Helper()
	titan := resp.NewPool(titanAddr, 16, 5*time.Second)
	t.Cleanup(titan.Close)
	p, err := New(Config{Source: newFakeSource(), Titan: titan, ReadFrom: ReadRedis, Metrics: metrics.New(metrics.Proxy),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Timeout: timeout, ApplyShards: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for _, run := range []func(context.Context){p.repair.run, p.titanQ.run, p.redisQ.run} {
			wg.Add(1)
			go func() { defer wg.Done(); run(ctx) }()
		}
		wg.Wait()
	}()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

// TestClientsNeverWaitForTitan: a slow titan costs clients nothing; the
// writes reach titan afterwards, each key's in the order Redis applied them.
func TestClientsNeverWaitForTitan(t *testing.T) {
	const writers, perWriter, delay = 8, 5, 50 * time.Millisecond
	rt := startRecordingTitan(t, delay)
	// The fake titan answers each command of a pipelined batch in turn, so a
	// batch takes delay per write: the timeout must cover a whole batch.
	p := newProxyOver(t, rt.addr, 30*time.Second)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				if v, _ := p.dispatch(split(fmt.Sprintf("SET a%d v%d", w, i))); v.String() != `"OK"` {
					t.Errorf("writer %d: %v", w, v)
				}
			}
		}()
	}
	wg.Wait()
	if d := time.Since(start); d > writers*perWriter*delay/4 {
		t.Errorf("%d writes took %v with titan answering in %v each: clients waited for titan", writers*perWriter, d, delay)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.titanQ.drain(ctx); err != nil {
		t.Fatal(err)
	}
	got := rt.commands()
	if len(got) != writers*perWriter {
		t.Fatalf("titan got %d writes, want %d", len(got), writers*perWriter)
	}
	next := map[string]int{}
	for _, c := range got {
		var w, i int
		fmt.Sscanf(c, "SET a%d v%d", &w, &i)
		key := fmt.Sprint(w)
		if next[key] != i {
			t.Fatalf("titan got %q out of order (want v%d next for a%d): %q", c, next[key], w, got)
		}
		next[key]++
	}
	if n := p.RepairQueueLen(); n != 0 {
		t.Errorf("%d keys queued for repair", n)
	}
}

// TestRepairCoversQueuedWrites: writes queued before a repair starts are
// not applied after the copy (they are in it), and a write arriving during
// the copy makes the key be copied again.
func TestRepairCoversQueuedWrites(t *testing.T) {
	p := newTestProxy(t, newFakeSource())
	q := p.titanQ
	var applied []string
	q.apply = func(_ context.Context, ops []*op) ([]resp.Value, error) {
		vs := make([]resp.Value, len(ops))
		for i, o := range ops {
			applied = append(applied, string(joinArgs(o.args)))
			vs[i] = resp.OK()
		}
		return vs, nil
	}
	q.enqueue(&op{key: "k", args: split("SET k 1")})
	q.enqueue(&op{key: "k", args: split("SET k 2")})
	q.beginCopy("k", false)
	q.enqueue(&op{key: "k", args: split("SET k 3")}) // during the copy: not queued
	if again := q.endCopy("k", true); !again {
		t.Error("a write during the copy did not ask for another copy")
	}
	q.beginCopy("k", false)
	if again := q.endCopy("k", true); again {
		t.Error("a quiet copy asked for another")
	}
	q.enqueue(&op{key: "k", args: split("SET k 4")})
	ctx, cancel := context.WithCancel(context.Background())
	go q.run(ctx)
	defer cancel()
	dctx, dcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer dcancel()
	if err := q.drain(dctx); err != nil {
		t.Fatal(err)
	}
	if strings.Join(applied, ",") != "SET k 4" {
		t.Errorf("applied %q, want only the write after the copies", applied)
	}
	q.shard("k").mu.Lock()
	left := len(q.shard("k").keys)
	q.shard("k").mu.Unlock()
	if left != 0 {
		t.Errorf("%d key states left behind", left)
	}
}

// TestCopyWaitsForInflightWrite: a copy never starts while a write of
// the key is being applied.
func TestCopyWaitsForInflightWrite(t *testing.T) {
	p := newTestProxy(t, newFakeSource())
	q := p.titanQ
	release := make(chan struct{})
	started := make(chan struct{})
	q.apply = func(_ context.Context, ops []*op) ([]resp.Value, error) {
		close(started)
		<-release
		return []resp.Value{resp.OK()}, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go q.run(ctx)
	q.enqueue(&op{key: "k", args: split("SET k 1")})
	<-started
	copied := make(chan struct{})
	go func() {
		q.beginCopy("k", false)
		close(copied)
	}()
	select {
	case <-copied:
		t.Fatal("copy started during a write")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
		t.Fatal("copy never started")
	}
	q.endCopy("k", true)
}

// TestReadsFromTitanSeeOwnWrites: with reads on titan but Redis still the
// primary, a read of a key whose writes titan has not applied yet is
// answered by Redis.
func TestReadsFromTitanSeeOwnWrites(t *testing.T) {
	rt := startRecordingTitan(t, 100*time.Millisecond)
	p := newProxyOver(t, rt.addr, time.Second)
	src := p.src.(*fakeSource)
	p.SetReadSide(ReadTitan)
	p.dispatch(split("SET a1 v"))
	p.dispatch(split("GET a1"))
	src.mu.Lock()
	sent := strings.Join(src.sent[0], ",")
	src.mu.Unlock()
	if !strings.Contains(sent, "GET a1") {
		t.Errorf("read of a key titan is behind on went to titan (redis got %q)", sent)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p.titanQ.drain(ctx)
	p.dispatch(split("GET a1"))
	if got := rt.commands(); len(got) != 2 || got[1] != "GET a1" {
		t.Errorf("titan got %q, want the SET then the GET once caught up", got)
	}
}
