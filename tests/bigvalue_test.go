package tests

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// rssPeak returns the peak resident set size of process pid (VmHWM).
func rssPeak(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

func pushItems(n int) []any {
	items := make([]any, n)
	for i := range items {
		items[i] = "item-" + strconv.Itoa(i)
	}
	return items
}

// TestBigValueLeavesStoreUsable: issue 18 item 1. A 7.9 MB value leaves
// an RPUSH of 10k elements fast, and the sequence that locked the store
// up (7.9 MB SET, 8 MB SET, 7 MB APPEND, then RPUSH batches) completes
// with every batch committed and the key usable.
func TestBigValueLeavesStoreUsable(t *testing.T) {
	ti := startTitan(t)
	ctx := context.Background()
	c := ti.Client()
	push := func(key string) time.Duration {
		start := time.Now()
		if err := c.RPush(ctx, key, pushItems(10_000)...).Err(); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	// The fastest of three pushes before and after: one push slowed by a
	// burst of load elsewhere on the machine no longer fails the test,
	// while the slowdown this guards against (13-26x) slows every push.
	fastest := func(prefix string) time.Duration {
		best := push(prefix + "0")
		for i := 1; i < 3; i++ {
			best = min(best, push(prefix+strconv.Itoa(i)))
		}
		return best
	}
	before := fastest("before")
	big := strings.Repeat("x", 7_900_000)
	if err := c.Set(ctx, "big", big, 0).Err(); err != nil {
		t.Fatal(err)
	}
	took := fastest("list")
	t.Logf("RPUSH of 10k elements: %v before, %v after a 7.9 MB value (fastest of 3)", before, took)
	// Under 1s, or on a loaded machine within 3x of the push before.
	if took > time.Second && took > 3*before {
		t.Errorf("RPUSH of 10k took %v after the big value, %v before", took, before)
	}

	if err := c.Set(ctx, "seq", big, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "seq", strings.Repeat("y", 8<<20), 0).Err(); err != nil {
		t.Fatalf("SET of 8 MB: %v", err)
	}
	if n, err := c.Append(ctx, "seq", strings.Repeat("z", 7<<20)).Result(); err != nil || n != 15<<20 {
		t.Fatalf("APPEND of 7 MB = %d, %v", n, err)
	}
	for i := range 100 {
		if err := c.RPush(ctx, "seqlist", pushItems(100)...).Err(); err != nil {
			t.Fatalf("RPUSH batch %d: %v", i, err)
		}
	}
	if n, err := c.LLen(ctx, "seqlist").Result(); err != nil || n != 10_000 {
		t.Fatalf("LLEN = %d, %v", n, err)
	}
	if v, err := c.GetRange(ctx, "seq", 8<<20-2, 8<<20+1).Result(); err != nil || v != "yyzz" {
		t.Fatalf("GETRANGE across the append = %q, %v", v, err)
	}
	if n, err := c.StrLen(ctx, "seq").Result(); err != nil || n != 15<<20 {
		t.Fatalf("STRLEN = %d, %v", n, err)
	}
	// Several large values in one command (was raft_entry_too_large).
	if err := c.MSet(ctx, "m1", big, "m2", big, "m3", big).Err(); err != nil {
		t.Fatalf("MSET of 3 x 7.9 MB: %v", err)
	}
	if v, err := c.Get(ctx, "m3").Result(); err != nil || v != big {
		t.Fatalf("GET m3: %d bytes, %v", len(v), err)
	}
}

// TestHundredMegabyteValue: issue 18. A 100 MB value round-trips (it was
// refused over 8 MB) with the titan process's peak RSS (VmHWM, from the
// process's start) under 3x the value. The SET's value is written ahead in
// 4 MB transactions (db/strings_stage.go) and GET streams it to the
// socket, so what remains is the request's argument (held whole, as Redis
// holds it), the embedded store's block cache (32 MiB, store/blockcache.go)
// and Go's GC headroom, cut while the value is in flight (bigmem): ~2.2x
// (4.1-4.7x with the store's 600 MB cache and GOGC=100, 7.2x before
// staging and streaming).
func TestHundredMegabyteValue(t *testing.T) {
	ti := startTitan(t)
	ctx := context.Background()
	c := ti.Client(func(o *redis.Options) { o.ReadTimeout, o.WriteTimeout = time.Minute, time.Minute })
	const size = 100 << 20
	v := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	start := time.Now()
	if err := c.Set(ctx, "huge", v, 0).Err(); err != nil {
		t.Fatal(err)
	}
	set := time.Since(start)
	t.Logf("peak RSS after SET: %d MB", rssPeak(t, ti.cmd.Process.Pid)>>20)
	got, err := c.Get(ctx, "huge").Bytes()
	if err != nil || !bytes.Equal(got, v) {
		t.Fatalf("GET: %d bytes, %v", len(got), err)
	}
	peak := rssPeak(t, ti.cmd.Process.Pid)
	t.Logf("100 MB: SET %v, SET+GET %v, peak RSS %d MB (%.2fx)", set, time.Since(start), peak>>20, float64(peak)/size)
	if peak >= 3*size {
		t.Errorf("peak RSS %d MB is over 3x the value", peak>>20)
	}
	if n, err := c.StrLen(ctx, "huge").Result(); err != nil || n != size {
		t.Fatalf("STRLEN = %d, %v", n, err)
	}
}

// TestBigValueStreamed: values over 4 MB are staged by SET and streamed by
// GET (db/strings_stage.go, command/stream.go): replies keep their order
// in a pipeline, MULTI and scripts get the whole value, and a reader
// racing with writers of such values always sees one whole value.
func TestBigValueStreamed(t *testing.T) {
	ti := startTitan(t)
	ctx := context.Background()
	c := ti.Client(func(o *redis.Options) { o.ReadTimeout, o.WriteTimeout = time.Minute, time.Minute })
	a := strings.Repeat("a", 5<<20+7)
	b := strings.Repeat("b", 6<<20+3)
	if err := c.Set(ctx, "big", a, 0).Err(); err != nil {
		t.Fatal(err)
	}
	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "small", "1", 0)
		p.Get(ctx, "big")
		p.Get(ctx, "small")
		p.Get(ctx, "big")
		p.StrLen(ctx, "big")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := cmds[1].(*redis.StringCmd).Val(); v != a {
		t.Fatalf("pipelined GET: %d bytes", len(v))
	}
	if v := cmds[2].(*redis.StringCmd).Val(); v != "1" {
		t.Fatalf("GET after the streamed reply = %q", v)
	}
	if v := cmds[3].(*redis.StringCmd).Val(); v != a {
		t.Fatalf("second pipelined GET: %d bytes", len(v))
	}
	if n := cmds[4].(*redis.IntCmd).Val(); n != int64(len(a)) {
		t.Fatalf("STRLEN = %d", n)
	}
	tx, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, "big")
		p.Get(ctx, "small")
		return nil
	})
	if err != nil || tx[0].(*redis.StringCmd).Val() != a || tx[1].(*redis.StringCmd).Val() != "1" {
		t.Fatalf("MULTI GET: %v", err)
	}
	if v, err := c.Eval(ctx, "return redis.call('GET', KEYS[1])", []string{"big"}).Text(); err != nil || v != a {
		t.Fatalf("EVAL GET: %d bytes, %v", len(v), err)
	}
	// SET NX on the existing key stages the value and drops it.
	if ok, err := c.SetNX(ctx, "big", b, 0).Result(); err != nil || ok {
		t.Fatalf("SETNX = %v, %v", ok, err)
	}
	// Writers alternate a and b while a reader checks every value whole.
	done := make(chan error, 1)
	go func() {
		w := ti.Client(func(o *redis.Options) { o.ReadTimeout, o.WriteTimeout = time.Minute, time.Minute })
		for i := range 6 {
			v := a
			if i%2 == 0 {
				v = b
			}
			if err := w.Set(ctx, "big", v, 0).Err(); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for reads := 0; ; reads++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d whole reads during 6 writes", reads)
			return
		default:
		}
		v, err := c.Get(ctx, "big").Result()
		if err != nil || (v != a && v != b) {
			t.Fatalf("GET during writes: %d bytes, %v", len(v), err)
		}
	}
}

// TestStreamedReplyLimits: a streamed GET reply (a value over 4 MB) counts
// against client-output-buffer-limit with the other replies of its
// pipeline, and its reads count in titan_tikv_requests_total.
func TestStreamedReplyLimits(t *testing.T) {
	ti := startTitan(t, "--client-output-buffer-limit", "normal 8mb 0 0")
	ctx := context.Background()
	c := ti.Client(func(o *redis.Options) { o.ReadTimeout, o.WriteTimeout = time.Minute, time.Minute })
	v := strings.Repeat("v", 5<<20+1) // 81 chunks: two BatchGets when streamed
	if err := c.Set(ctx, "big", v, 0).Err(); err != nil {
		t.Fatal(err)
	}
	const batchGet = `titan_tikv_requests_total{type="BatchGet"}`
	before := ti.Metric(batchGet)
	if got, err := c.Get(ctx, "big").Result(); err != nil || got != v {
		t.Fatalf("GET: %d bytes, %v", len(got), err)
	}
	// The two BatchGets of the streamed chunks (the metadata is a Get).
	if n := ti.Metric(batchGet) - before; n < 2 {
		t.Errorf("GET of a streamed value counted %v BatchGets, want at least 2", n)
	}

	// Two streamed replies in one pipeline: 10 MB over the 8 MB limit.
	r, err := net.Dial("tcp", ti.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Write([]byte("GET big\r\nGET big\r\n")); err != nil {
		t.Fatal(err)
	}
	// The first reply went out as it was read; the second, which takes
	// the pipeline over the limit, closes the connection instead.
	r.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, err := io.Copy(io.Discard, r)
	if err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("after %d bytes: %v (connection not closed?)", n, err)
	}
	if one := int64(len(fmt.Sprintf("$%d\r\n%s\r\n", len(v), v))); n >= 2*one {
		t.Fatalf("got %d bytes, both replies (%d each) over the limit", n, one)
	}
	if !logged(ti, "output buffer limits") {
		t.Fatalf("no log line for the output buffer limit:\n%s", ti.logs.String())
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}
