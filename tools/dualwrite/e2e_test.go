package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/checkpoint"
	"github.com/titan-kv/titan/tools/dualwrite/internal/copier"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/source"
	"github.com/titan-kv/titan/tools/dualwrite/internal/syncer"
	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

// TestBackfillWithConcurrentWrites copies pre-existing data of all five
// types (with TTLs and large collections) while clients keep writing
// through the proxy, then verifies both sides are identical.
func TestBackfillWithConcurrentWrites(t *testing.T) {
	shards := startShards(t, 3)
	tg := startTarget(t)
	keys := shards.seed(t, "pre", 3000)
	px := startProxy(t, append(shards.sourceFlags(), "--titan", tg.Addr, "--read-from", "redis")...)
	client := testutil.Client(t, px.Addr)

	// Writers: overwrite, mutate, delete and create keys through the proxy
	// for as long as the backfill runs.
	ctx, stopWriters := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var writes, werrs atomic.Int64
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				k := keys[(i*7+w*131)%len(keys)]
				var cmd []string
				switch {
				case strings.HasSuffix(k, ":s"):
					cmd = []string{"SET", k, fmt.Sprintf("new-%d-%d", w, i)}
				case strings.HasSuffix(k, ":h"):
					cmd = []string{"HINCRBY", k, "counter", "1"}
				case strings.HasSuffix(k, ":l"):
					cmd = []string{"RPUSH", k, "pushed"}
				case strings.HasSuffix(k, ":set"):
					cmd = []string{"SADD", k, fmt.Sprintf("w%d", i)}
				case strings.HasSuffix(k, ":z"):
					cmd = []string{"ZINCRBY", k, "1", "one"}
				default:
					cmd = []string{"HSET", k, fmt.Sprintf("extra%d", i%10), "x"}
				}
				if i%50 == 0 {
					cmd = []string{"DEL", k}
				}
				if i%37 == 0 {
					cmd = []string{"SET", fmt.Sprintf("new:%d:%d", w, i), "fresh", "EX", "300"}
				}
				if i%41 == 0 {
					cmd = []string{"EXPIRE", k, "500"}
				}
				v, err := client.Do(context.Background(), resp.Args(cmd...)...)
				if err != nil || v.IsError() {
					werrs.Add(1)
					t.Logf("write %v: %v %v", cmd, v, err)
				}
				writes.Add(1)
				time.Sleep(time.Millisecond)
			}
		}()
	}

	// Writers run through the scan (settle 1.5s + ~1.5s of rate-limited
	// copying) and stop before the final drain rounds.
	go func() {
		time.Sleep(2800 * time.Millisecond)
		stopWriters()
	}()
	out, logs, err := cli(context.Background(), append(append([]string{"sync"}, shards.sourceFlags()...),
		"--titan", tg.Addr, "--workers", "4", "--rate", "2000", "--page", "100", "--settle", testSettle, "--progress-interval", "500ms")...)
	stopWriters()
	wg.Wait()
	if err != nil {
		t.Fatalf("sync: %v\n%s%s", err, out, logs)
	}
	if werrs.Load() > 0 {
		t.Fatalf("%d writes through the proxy failed", werrs.Load())
	}
	if writes.Load() < 100 {
		t.Fatalf("only %d writes happened during the backfill", writes.Load())
	}
	if !strings.Contains(logs, "backfill progress") || !strings.Contains(logs, "keys_per_sec") {
		t.Errorf("no progress lines in sync output:\n%s", logs)
	}
	if px.metric(t, "dualwrite_dirty_marks_total", "") == 0 {
		t.Errorf("proxy never marked keys dirty during the backfill")
	}
	t.Logf("%d writes through the proxy during the backfill", writes.Load())
	verifyClean(t, shards.sourceFlags(), tg.Addr)

	// Spot checks: TTLs and large collections arrived.
	titan := testutil.Client(t, tg.Addr)
	if v := testutil.Do(t, titan, "HLEN", "pre:big:h"); v.Int < 3000 {
		t.Errorf("big hash on titan has %d fields", v.Int)
	}
	if v := testutil.Do(t, titan, "PTTL", "pre:big:z"); v.Int <= 0 {
		t.Errorf("big zset lost its TTL on titan: %v", v)
	}
	if v := testutil.Do(t, titan, "EXISTS", "__dualwrite:backfill"); v.Int != 0 {
		t.Errorf("backfill flag still set after sync")
	}
}

// TestResumeFromCheckpoint interrupts a rate-limited backfill and resumes
// it from the checkpoint file.
func TestResumeFromCheckpoint(t *testing.T) {
	shards := startShards(t, 3)
	tg := startTarget(t)
	keys := shards.seed(t, "ck", 12000)
	ckpt := filepath.Join(t.TempDir(), "sync.ckpt")

	open := func() (source.Source, *resp.Pool) {
		src, err := source.Open(context.Background(), source.Options{Shards: shards.addrs, Hash: testHash, Distribution: testDist, HashTag: testTag})
		if err != nil {
			t.Fatal(err)
		}
		titan := resp.NewPool(tg.Addr, 16, 5*time.Second)
		t.Cleanup(func() { src.Close(); titan.Close() })
		return src, titan
	}
	src, titan := open()
	opts := syncer.Options{Source: src, Titan: titan, TitanAddr: tg.Addr, Workers: 4, Rate: 4000, Batch: 100, Checkpoint: ckpt, Settle: 100 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	first, err := syncer.Run(ctx, opts)
	cancel()
	if err == nil {
		t.Fatalf("first run finished before the interruption (copied %d); raise the key count", first.Copied)
	}
	st, lerr := checkpoint.Load(ckpt)
	if lerr != nil || st == nil {
		t.Fatalf("no checkpoint after interruption: %v", lerr)
	}
	progressed := false
	for _, sh := range st.Shards {
		if sh.Cursor != "0" || sh.Done {
			progressed = true
		}
	}
	if !progressed || st.Drained {
		t.Fatalf("checkpoint shows no progress: %+v", st)
	}
	t.Logf("interrupted after copying %d keys; checkpoint %+v", first.Copied, st.Shards)

	// The interrupted run's last write can still land on titan after the
	// resumed run swept its temporary keys (a killed process's pipeline,
	// queued on titan): the resumed run sweeps them again at its end.
	if len(st.CopierIDs) == 0 {
		t.Fatal("the checkpoint names no copier")
	}
	late := copier.TmpPrefix + st.CopierIDs[len(st.CopierIDs)-1] + ":late:k"
	lateAt := make(chan time.Time, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		if _, err := titan.Pipeline(context.Background(), [][][]byte{{[]byte("SET"), []byte(late), []byte("x")}}); err != nil {
			t.Error(err)
		}
		lateAt <- time.Now()
	}()
	second, err := syncer.Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	if at := <-lateAt; time.Now().Before(at.Add(50 * time.Millisecond)) {
		t.Fatalf("the resumed run ended %v after the late write; raise the key count", time.Since(at))
	}
	if v, err := titan.Pipeline(context.Background(), [][][]byte{{[]byte("EXISTS"), []byte(late)}}); err != nil || v[0].Int != 0 {
		t.Errorf("an interrupted run's temporary key written during the resumed run is left: %v %v", v, err)
	}
	if !second.Resumed {
		t.Errorf("second run did not resume")
	}
	if second.Scanned >= int64(len(keys)) {
		t.Errorf("resumed run scanned %d keys, all %d: it restarted instead of resuming", second.Scanned, len(keys))
	}
	if first.Copied+second.Copied < int64(len(keys)) {
		t.Errorf("copied %d+%d keys, want at least %d", first.Copied, second.Copied, len(keys))
	}
	st, _ = checkpoint.Load(ckpt)
	if !st.Drained {
		t.Errorf("checkpoint not marked finished: %+v", st)
	}
	verifyClean(t, shards.sourceFlags(), tg.Addr)

	// A third run sees the finished checkpoint and does nothing.
	third, err := syncer.Run(context.Background(), opts)
	if err != nil || third.Scanned != 0 {
		t.Errorf("third run: scanned %d, err %v", third.Scanned, err)
	}
}

// TestVerifyFindsAndFixesDifferences injects differences on the target and
// checks verify reports exactly those keys and --fix repairs them.
func TestVerifyFindsAndFixesDifferences(t *testing.T) {
	shards := startShards(t, 3)
	tg := startTarget(t)
	shards.seed(t, "v", 500)
	if out, logs, err := cli(context.Background(), append(append([]string{"sync"}, shards.sourceFlags()...), "--titan", tg.Addr, "--settle", "100ms")...); err != nil {
		t.Fatalf("sync: %v\n%s%s", err, out, logs)
	}
	verifyClean(t, shards.sourceFlags(), tg.Addr)

	titan := testutil.Client(t, tg.Addr)
	inject := map[string][]string{
		"v:0:s":     {"SET", "v:0:s", "tampered"},
		"v:1:h":     {"HDEL", "v:1:h", "f2"},
		"v:2:l":     {"RPUSH", "v:2:l", "extra"},
		"v:3:set":   {"DEL", "v:3:set"},
		"v:4:z":     {"ZADD", "v:4:z", "99", "one"},
		"v:5:s":     {"PEXPIRE", "v:5:s", "100000000"}, // had no TTL
		"v:6:h":     {"PEXPIRE", "v:6:h", "60000"},     // TTL 600006ms on the source
		"v:big:set": {"SREM", "v:big:set", "m2999"},
	}
	for _, cmd := range inject {
		if v := testutil.Do(t, titan, cmd...); v.IsError() {
			t.Fatalf("%v: %v", cmd, v)
		}
	}
	args := append(append([]string{"verify"}, shards.sourceFlags()...), "--titan", tg.Addr, "--ttl-tolerance", "2s")
	out, _, err := cli(context.Background(), args...)
	if exitStatus(err) != 1 {
		t.Fatalf("verify with differences: exit %d (%v), want 1\n%s", exitStatus(err), err, out)
	}
	var diffs []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "DIFF ") {
			diffs = append(diffs, line)
		}
	}
	if len(diffs) != len(inject) {
		t.Errorf("got %d DIFF lines, want %d:\n%s", len(diffs), len(inject), out)
	}
	for k := range inject {
		if !strings.Contains(out, strconv.Quote(k)) {
			t.Errorf("difference in %q not reported:\n%s", k, out)
		}
	}
	if !strings.Contains(out, fmt.Sprintf("%d differ", len(inject))) {
		t.Errorf("summary: %s", out)
	}

	out, _, err = cli(context.Background(), append(args, "--fix", "--settle", "100ms")...)
	if err != nil {
		t.Fatalf("verify --fix: %v\n%s", err, out)
	}
	if !strings.Contains(out, fmt.Sprintf("%d fixed", len(inject))) {
		t.Errorf("verify --fix summary: %s", out)
	}
	verifyClean(t, shards.sourceFlags(), tg.Addr)
}

// TestProxySemantics covers routing, multi-key splitting, refusals,
// pipelining, shadow reads and switching the read side.
func TestProxySemantics(t *testing.T) {
	shards := startShards(t, 3)
	tg := startTarget(t)
	px := startProxy(t, append(shards.sourceFlags(), "--titan", tg.Addr, "--read-from", "redis", "--shadow-rate", "1")...)
	c := testutil.Client(t, px.Addr)
	titan := testutil.Client(t, tg.Addr)
	ctx := context.Background()

	// Keys land on the shard twemproxy would pick, and on titan.
	var msetArgs []string
	var keys []string
	for i := 0; i < 60; i++ {
		k := fmt.Sprintf("%d:key", i)
		keys = append(keys, k)
		msetArgs = append(msetArgs, k, "v"+strconv.Itoa(i))
	}
	if v := testutil.Do(t, c, append([]string{"MSET"}, msetArgs...)...); v.String() != `"OK"` {
		t.Fatalf("MSET across shards: %v", v)
	}
	px.settle(t) // titan follows in the background
	used := map[int]bool{}
	for i, k := range keys {
		owner := shards.dist.Server([]byte(k))
		used[owner] = true
		for j, p := range shards.pools {
			v := testutil.Do(t, p, "GET", k)
			if (j == owner) != !v.IsNil() {
				t.Fatalf("key %s: shard %d has %v, owner is %d", k, j, v, owner)
			}
		}
		if v := testutil.Do(t, titan, "GET", k); string(v.Str) != "v"+strconv.Itoa(i) {
			t.Fatalf("titan %s = %v", k, v)
		}
	}
	if len(used) != 3 {
		t.Fatalf("test keys only cover shards %v", used)
	}
	// MGET reassembled in order across shards, with a missing key.
	v := testutil.Do(t, c, "MGET", "3:key", "nope", "1:key", "2:key", "59:key")
	if v.String() != `["v3" (nil) "v1" "v2" "v59"]` {
		t.Errorf("MGET = %v", v)
	}
	if v := testutil.Do(t, c, "EXISTS", "1:key", "2:key", "3:key", "nope", "1:key"); v.Int != 4 {
		t.Errorf("EXISTS = %v", v)
	}
	if v := testutil.Do(t, c, "DEL", "1:key", "2:key", "3:key", "nope"); v.Int != 3 {
		t.Errorf("DEL = %v", v)
	}
	px.settle(t)
	if v := testutil.Do(t, titan, "EXISTS", "1:key", "2:key", "3:key"); v.Int != 0 {
		t.Errorf("DEL not applied to titan: %v", v)
	}
	// Cross-shard commands that cannot be split are refused; hash tags fix it.
	a, b := "4:key", ""
	for _, k := range keys[5:] {
		if shards.dist.Server([]byte(k)) != shards.dist.Server([]byte(a)) {
			b = k
			break
		}
	}
	if v := testutil.Do(t, c, "RENAME", a, b); !v.IsError() || !strings.Contains(string(v.Str), "different Redis shards") {
		t.Errorf("cross-shard RENAME: %v", v)
	}
	testutil.Do(t, c, "SADD", "{u1}:a", "x", "y")
	if v := testutil.Do(t, c, "SUNIONSTORE", "{u1}:dst", "{u1}:a", "{u1}:b"); v.Int != 2 {
		t.Errorf("same-tag SUNIONSTORE = %v", v)
	}
	for _, cmd := range [][]string{{"MULTI"}, {"EVAL", "return 1", "0"}, {"BLPOP", "l", "0"}, {"KEYS", "*"}, {"SELECT", "1"}, {"NOSUCH"}} {
		if v := testutil.Do(t, c, cmd...); !v.IsError() {
			t.Errorf("%v: want error, got %v", cmd, v)
		}
	}
	if v := testutil.Do(t, c, "SELECT", "0"); v.IsError() {
		t.Errorf("SELECT 0: %v", v)
	}
	if v := testutil.Do(t, c, "PING"); string(v.Str) != "PONG" {
		t.Errorf("PING = %v", v)
	}
	// SPOP is replayed on titan as SREM of the popped member.
	testutil.Do(t, c, "SADD", "pop", "a", "b", "c", "d")
	testutil.Do(t, c, "SPOP", "pop", "2")
	px.settle(t)
	src := testutil.Do(t, shards.pool("pop"), "SMEMBERS", "pop")
	dst := testutil.Do(t, titan, "SMEMBERS", "pop")
	if len(src.Elems) != 2 || len(dst.Elems) != 2 || !sameSet(src, dst) {
		t.Errorf("SPOP diverged: redis %v titan %v", src, dst)
	}

	// Pipelining: 200 commands in one write.
	conn, err := resp.Dial(ctx, px.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var cmds [][][]byte
	for i := 0; i < 100; i++ {
		cmds = append(cmds, resp.Args("SET", fmt.Sprintf("p%d", i), strconv.Itoa(i)), resp.Args("GET", fmt.Sprintf("p%d", i)))
	}
	vs, err := conn.Pipeline(ctx, cmds)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if string(vs[2*i+1].Str) != strconv.Itoa(i) {
			t.Fatalf("pipelined GET p%d = %v", i, vs[2*i+1])
		}
	}

	// Read side: reads come from titan after the switch (make titan differ
	// to observe it), via HTTP and via SIGUSR1.
	testutil.Do(t, titan, "SET", "side", "titan")
	testutil.Do(t, shards.pool("side"), "SET", "side", "redis")
	if v := testutil.Do(t, c, "GET", "side"); string(v.Str) != "redis" {
		t.Fatalf("read side redis: GET = %v", v)
	}
	time.Sleep(100 * time.Millisecond) // let the shadow read of "side" land
	if px.metric(t, "dualwrite_mismatches_total", `kind="shadow_read"`) < 1 {
		t.Errorf("shadow read mismatch not counted")
	}
	if px.metric(t, "dualwrite_repairs_queued_total", "") < 1 {
		t.Errorf("shadow read mismatch did not queue a repair")
	}
	res, err := http.Post("http://"+px.Status+"/read-from?side=titan", "", nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("switch read side: %v %v", res, err)
	}
	res.Body.Close()
	// The shadow mismatch queued a repair that copied Redis' value over;
	// diverge titan again to see which side answers.
	testutil.Do(t, titan, "SET", "side", "titan")
	if v := testutil.Do(t, c, "GET", "side"); string(v.Str) != "titan" {
		t.Errorf("read side titan: GET = %v", v)
	}
	if px.metric(t, "dualwrite_read_side", `side="titan"`) != 1 {
		t.Errorf("read side metric not updated")
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if err := testutil.WaitFor(2*time.Second, func() error {
		if v := testutil.Do(t, c, "GET", "side"); string(v.Str) != "redis" {
			return fmt.Errorf("GET side = %v", v)
		}
		return nil
	}); err != nil {
		t.Fatalf("SIGUSR1 did not switch reads back to redis: %v", err)
	}
	if px.metric(t, "dualwrite_proxy_commands_total", `side="titan"`) == 0 || px.metric(t, "dualwrite_proxy_upstream_duration_seconds_count", `side="redis"`) == 0 {
		t.Errorf("command metrics missing")
	}
}

func sameSet(a, b resp.Value) bool {
	m := map[string]bool{}
	for _, e := range a.Elems {
		m[string(e.Str)] = true
	}
	for _, e := range b.Elems {
		if !m[string(e.Str)] {
			return false
		}
	}
	return len(a.Elems) == len(b.Elems)
}

// TestTitanOutage kills the target while clients use the proxy with reads
// on Redis: clients never see an error, titan failures are counted and the
// keys queued, and once the target is back the repairs converge.
func TestTitanOutage(t *testing.T) {
	shards := startShards(t, 3)
	tg := startTarget(t)
	px := startProxy(t, append(shards.sourceFlags(), "--titan", tg.Addr, "--read-from", "redis")...)
	c := testutil.Client(t, px.Addr)

	var wg sync.WaitGroup
	ctx, stop := context.WithCancel(context.Background())
	var ops, failures atomic.Int64
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				k := fmt.Sprintf("out:%d:%d", w, i%200)
				val := fmt.Sprintf("%d", i)
				v, err := c.Do(context.Background(), resp.Args("SET", k, val)...)
				if err != nil || v.IsError() {
					failures.Add(1)
					t.Errorf("SET during outage: %v %v", v, err)
					continue
				}
				g, err := c.Do(context.Background(), resp.Args("GET", k)...)
				if err != nil || string(g.Str) != val {
					failures.Add(1)
					t.Errorf("GET %s = %v %v, want %s", k, g, err, val)
				}
				ops.Add(2)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	tg.Kill()
	time.Sleep(1500 * time.Millisecond)
	before := ops.Load()
	time.Sleep(500 * time.Millisecond)
	if ops.Load() == before {
		t.Fatalf("clients stalled while titan is down")
	}
	queued := px.metric(t, "dualwrite_repairs_queued_total", "")
	if queued == 0 {
		t.Fatalf("no repairs queued during the outage")
	}
	if px.metric(t, "dualwrite_proxy_commands_total", `result="failed",side="titan"`)+px.metric(t, "dualwrite_proxy_commands_total", `result="skipped",side="titan"`) == 0 {
		t.Errorf("titan failures not counted")
	}
	// Bring the target back on the same address; repairs drain.
	tg = tg.restart()
	time.Sleep(1500 * time.Millisecond)
	stop()
	wg.Wait()
	if failures.Load() > 0 {
		t.Fatalf("%d client operations failed during the outage", failures.Load())
	}
	// Both queues: the repairs, and the replays still queued for titan
	// (the last writes; waiting for the repairs alone once read a key
	// whose final write was still queued).
	px.settle(t)
	if px.metric(t, "dualwrite_repairs_done_total", "") == 0 {
		t.Errorf("no repairs done")
	}
	t.Logf("%d client ops, %v repairs queued, %v done", ops.Load(), queued, px.metric(t, "dualwrite_repairs_done_total", ""))
	// Every key written after the restart or repaired matches Redis.
	titan := testutil.Client(t, tg.Addr)
	for w := 0; w < 4; w++ {
		for i := 0; i < 200; i++ {
			k := fmt.Sprintf("out:%d:%d", w, i)
			want := testutil.Do(t, shards.pool(k), "GET", k)
			got := testutil.Do(t, titan, "GET", k)
			if !resp.Equal(want, got) {
				t.Fatalf("after repair %s: redis %v titan %v", k, want, got)
			}
		}
	}
	_ = copier.ReservedPrefix
}

// TestRedisCluster runs the proxy, sync and verify against a three-master
// Redis Cluster.
func TestRedisCluster(t *testing.T) {
	redisCLI := testutil.NeedBinary(t, "redis-cli")
	var addrs []string
	for i := 0; i < 3; i++ {
		s := testutil.StartRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
		addrs = append(addrs, s.Addr)
	}
	out, err := exec.Command(redisCLI, append(append([]string{"--cluster", "create"}, addrs...), "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	node := testutil.Client(t, addrs[0])
	if err := testutil.WaitFor(15*time.Second, func() error {
		if info := testutil.Do(t, node, "CLUSTER", "INFO").Str; !strings.Contains(string(info), "cluster_state:ok") {
			return fmt.Errorf("CLUSTER INFO: %s", info)
		}
		return nil
	}); err != nil {
		t.Fatalf("cluster did not become ok: %v", err)
	}
	tg := startTarget(t)
	px := startProxy(t, "--cluster", addrs[0], "--titan", tg.Addr)
	c := testutil.Client(t, px.Addr)
	var mset []string
	for i := 0; i < 200; i++ {
		mset = append(mset, fmt.Sprintf("c%d", i), strconv.Itoa(i))
	}
	if v := testutil.Do(t, c, append([]string{"MSET"}, mset...)...); v.IsError() {
		t.Fatalf("MSET across slots: %v", v)
	}
	for i := 0; i < 100; i++ {
		testutil.Do(t, c, "HSET", fmt.Sprintf("h%d", i), "f", strconv.Itoa(i))
		testutil.Do(t, c, "ZADD", fmt.Sprintf("z%d", i), strconv.Itoa(i), "m")
	}
	if v := testutil.Do(t, c, "MGET", "c1", "c150", "nope", "c7"); v.String() != `["1" "150" (nil) "7"]` {
		t.Errorf("MGET = %v", v)
	}
	// Data written directly into the cluster, bypassing the proxy.
	_, _ = exec.Command(redisCLI, "-c", "-p", strings.Split(addrs[0], ":")[1], "SADD", "preset", "a", "b").CombinedOutput()
	if out, logs, err := cli(context.Background(), "sync", "--cluster", addrs[0], "--titan", tg.Addr, "--settle", "100ms"); err != nil {
		t.Fatalf("sync: %v\n%s%s", err, out, logs)
	}
	verifyClean(t, []string{"--cluster", addrs[0]}, tg.Addr)
	titan := testutil.Client(t, tg.Addr)
	if v := testutil.Do(t, titan, "SCARD", "preset"); v.Int != 2 {
		t.Errorf("preset on titan: %v", v)
	}
}
