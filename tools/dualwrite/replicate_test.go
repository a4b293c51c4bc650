package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

// replicateProc is `dualwrite replicate` run as a child process, so that
// the test can kill it with SIGKILL.
type replicateProc struct {
	cmd *exec.Cmd
	log string
}

func startReplicate(t testing.TB, args ...string) *replicateProc {
	t.Helper()
	log := filepath.Join(t.TempDir(), "replicate.log")
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(dualwriteBinary(t), append([]string{"replicate", "--log-level", "debug"}, args...)...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &replicateProc{cmd: cmd, log: log}
	t.Cleanup(p.kill)
	return p
}

func (p *replicateProc) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

func (p *replicateProc) logs() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// TestReplicateMode migrates a live redis-server into titan with no proxy:
// a snapshot of every type (TTLs, two databases, a stream with a consumer
// group), then the command stream
// of a writer using plain commands, MULTI/EXEC and scripts, across a
// SIGKILL of the replicating process. Afterwards verify finds nothing
// different and every acknowledged INCR is counted exactly once: the
// restarted process resumed (PSYNC) from titan's checkpoint, not from a
// new snapshot.
func TestReplicateMode(t *testing.T) {
	src := testutil.StartRedis(t, "--repl-diskless-sync-delay", "0", "--repl-backlog-size", "256mb")
	tg := startTarget(t)
	rc := testutil.Client(t, src.Addr)
	for i := range 300 {
		k := strconv.Itoa(i)
		testutil.Do(t, rc, "SET", "s:"+k, "v"+k)
		testutil.Do(t, rc, "RPUSH", "list", k)
		testutil.Do(t, rc, "HSET", "hash", "f"+k, k)
		testutil.Do(t, rc, "SADD", "set", "m"+k)
		testutil.Do(t, rc, "ZADD", "zset", k, "z"+k)
		testutil.Do(t, rc, "XADD", "stream", "*", "f", k)
	}
	testutil.Do(t, rc, "XGROUP", "CREATE", "stream", "g", "0")
	testutil.Do(t, rc, "XREADGROUP", "GROUP", "g", "c", "COUNT", "20", "STREAMS", "stream", ">")
	testutil.Do(t, rc, "SET", "ttl", "v", "EX", "3600")
	testutil.Do(t, rc, "SET", "gone", "v", "PX", "1")
	testutil.Do(t, rc, "PFADD", "hll", "a", "b", "c")
	c1 := resp.NewPool(src.Addr, 1, 5*time.Second)
	defer c1.Close()
	if v, _ := c1.Pipeline(context.Background(), [][][]byte{resp.Args("SELECT", "1"), resp.Args("SET", "db1", "one")}); len(v) != 2 || v[1].IsError() {
		t.Fatalf("seed db 1: %v", v)
	}

	work := t.TempDir()
	args := []string{"--redis", src.Addr, "--titan", tg.Addr, "--work-dir", work}
	rp := startReplicate(t, args...)

	// The writer: every acknowledged INCR must be counted once in titan.
	var acked atomic.Int64
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w := resp.NewPool(src.Addr, 1, 5*time.Second)
		defer w.Close()
		for i := 0; ctx.Err() == nil; i++ {
			var cmds [][][]byte
			switch i % 5 {
			case 0:
				// Redis propagates XADD * with its ID and ~ trims exactly.
				// (Not XREADGROUP: redis-server 7.0 does not propagate a
				// group's entries-read, its own replicas lose it too.)
				cmds = [][][]byte{resp.Args("INCR", "counter"), resp.Args("XADD", "stream", "MAXLEN", "~", "500", "*", "f", "w")}
			case 1:
				cmds = [][][]byte{resp.Args("MULTI"), resp.Args("INCR", "counter"), resp.Args("RPUSH", "list", "w"+strconv.Itoa(i)), resp.Args("LPOP", "list"), resp.Args("EXEC")}
			case 2:
				cmds = [][][]byte{resp.Args("EVAL", "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return redis.call('INCR', KEYS[2])", "2", "hash", "counter", "live", strconv.Itoa(i))}
			case 3:
				cmds = [][][]byte{resp.Args("SET", "s:"+strconv.Itoa(i%300), "w"+strconv.Itoa(i), "EX", "600"), resp.Args("SREM", "set", "m"+strconv.Itoa(i%300)), resp.Args("INCR", "counter")}
			default:
				cmds = [][][]byte{resp.Args("SELECT", "1"), resp.Args("INCR", "db1:counter"), resp.Args("SELECT", "0"), resp.Args("ZINCRBY", "zset", "1", "z1"), resp.Args("INCR", "counter")}
			}
			vs, err := w.Pipeline(ctx, cmds)
			if err != nil {
				continue
			}
			for _, v := range vs {
				if v.IsError() {
					t.Errorf("writer: %v", v)
				}
			}
			acked.Add(1)
			if i%20 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()

	// Once the stream flows (titan holds a checkpoint past the snapshot's
	// offset), kill the replicating process mid-stream and start another:
	// it must continue from titan's checkpoint.
	tc := testutil.Client(t, tg.Addr)
	ckpt := "__dualwrite:replica:" + src.Addr
	first := int64(-1)
	if err := testutil.WaitFor(60*time.Second, func() error {
		v := testutil.Do(t, tc, "HGET", ckpt, "offset")
		n, err := strconv.ParseInt(string(v.Str), 10, 64)
		if err != nil {
			return fmt.Errorf("no checkpoint in titan: %v", v)
		}
		if first < 0 {
			first = n
		}
		if n < first+10000 {
			return fmt.Errorf("checkpoint at %d", n)
		}
		return nil
	}); err != nil {
		t.Fatalf("the stream does not reach titan: %v\n%s", err, rp.logs())
	}
	rp.cmd.Process.Kill()
	rp.cmd.Wait()
	time.Sleep(200 * time.Millisecond)
	rp2 := startReplicate(t, args...)
	time.Sleep(time.Second)
	stop()
	wg.Wait()
	caughtUp := time.Now()

	if err := testutil.WaitFor(60*time.Second, func() error {
		out, _, err := cli(context.Background(), append([]string{"replicate", "--check"}, args...)...)
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}); err != nil {
		t.Fatalf("titan does not catch up: %v\n%s", err, rp2.logs())
	}
	t.Logf("%d writes acknowledged; titan caught up %v after the writer stopped", acked.Load(), time.Since(caughtUp).Round(time.Millisecond))
	if !strings.Contains(rp2.logs(), "replicate: continuing") || strings.Contains(rp2.logs(), "full resynchronization") {
		t.Fatalf("the restarted process did not resume from the checkpoint:\n%s", rp2.logs())
	}

	verifyClean(t, []string{"--redis", src.Addr}, tg.Addr)
	want := testutil.Do(t, rc, "GET", "counter").Str
	if got := testutil.Do(t, tc, "GET", "counter").Str; string(got) != string(want) {
		t.Fatalf("counter: titan %s, redis %s", got, want)
	}
	if n, _ := strconv.ParseInt(string(want), 10, 64); n != acked.Load() {
		t.Fatalf("redis counter %d, acknowledged %d", n, acked.Load())
	}
	t1 := resp.NewPool(tg.Addr, 1, 5*time.Second)
	defer t1.Close()
	vs, err := t1.Pipeline(context.Background(), [][][]byte{resp.Args("SELECT", "1"), resp.Args("GET", "db1"), resp.Args("GET", "db1:counter"), resp.Args("SELECT", "0")})
	r1, _ := c1.Pipeline(context.Background(), [][][]byte{resp.Args("GET", "db1:counter")})
	if err != nil || string(vs[1].Str) != "one" || string(vs[2].Str) != string(r1[0].Str) {
		t.Fatalf("db 1 in titan: %v %v, redis counter %v", err, vs, r1)
	}
	if v := testutil.Do(t, tc, "EXISTS", "gone"); v.Int != 0 {
		t.Fatal("an expired key of the snapshot was restored")
	}
	if v := testutil.Do(t, tc, "TTL", "ttl"); v.Int < 3500 {
		t.Fatalf("ttl of a restored key: %v", v)
	}
}
