package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/hashkit"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

// testSettle is the backfill flag settle time used by tests (proxies poll
// every second).
const testSettle = "1500ms"

var (
	titanBuild     sync.Once
	titanBin       string
	titanBuildErr  error
	titanBuildLogs []byte
)

// target is the migration target under test: titan, or a redis-server
// standing in for it (DUALWRITE_TARGET=redis).
type target struct {
	*testutil.Server
	restart func() *target
}

// startTarget starts the migration target. DUALWRITE_TARGET=titan (the
// default) builds and runs github.com/titan-kv/titan/cmd/titan;
// DUALWRITE_TARGET=redis runs a redis-server instead.
func startTarget(t testing.TB) *target {
	t.Helper()
	kind := os.Getenv("DUALWRITE_TARGET")
	if kind == "" {
		kind = "titan"
	}
	switch kind {
	case "redis":
		return startRedisTarget(t, testutil.FreePort(t))
	case "titan":
		return startTitanTarget(t, testutil.FreePort(t), testutil.FreePort(t), t.TempDir())
	default:
		t.Fatalf("DUALWRITE_TARGET=%q: want titan or redis", kind)
		return nil
	}
}

func startRedisTarget(t testing.TB, port int) *target {
	s := startRedisOnPort(t, port)
	tg := &target{Server: s}
	tg.restart = func() *target { return startRedisTarget(t, port) }
	return tg
}

func startRedisOnPort(t testing.TB, port int) *testutil.Server {
	t.Helper()
	bin := testutil.NeedBinary(t, "redis-server")
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir()}
	return testutil.StartProcess(t, bin, args, fmt.Sprintf("127.0.0.1:%d", port))
}

func startTitanTarget(t testing.TB, port, statusPort int, dataDir string) *target {
	t.Helper()
	titanBuild.Do(func() {
		dir, err := os.MkdirTemp("", "dualwrite-titan")
		if err != nil {
			titanBuildErr = err
			return
		}
		titanBin = filepath.Join(dir, "titan")
		cmd := exec.Command("go", "build", "-o", titanBin, "github.com/titan-kv/titan/cmd/titan")
		titanBuildLogs, titanBuildErr = cmd.CombinedOutput()
	})
	if titanBuildErr != nil {
		t.Fatalf("build titan (set DUALWRITE_TARGET=redis to test against redis-server): %v\n%s", titanBuildErr, titanBuildLogs)
	}
	args := []string{"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--status-listen", fmt.Sprintf("127.0.0.1:%d", statusPort), "--data-dir", dataDir}
	s := testutil.StartProcess(t, titanBin, args, fmt.Sprintf("127.0.0.1:%d", port))
	tg := &target{Server: s}
	tg.restart = func() *target { return startTitanTarget(t, port, statusPort, dataDir) }
	return tg
}

// cluster of sharded source servers.
type shardSet struct {
	servers []*testutil.Server
	addrs   []string
	pools   []*resp.Pool
	dist    hashkit.Distributor
}

const (
	testHash = "fnv1a_64"
	testDist = "ketama"
	testTag  = "{}"
)

func startShards(t testing.TB, n int) *shardSet {
	t.Helper()
	s := &shardSet{}
	for i := 0; i < n; i++ {
		srv := testutil.StartRedis(t)
		s.servers = append(s.servers, srv)
		s.addrs = append(s.addrs, srv.Addr)
		s.pools = append(s.pools, testutil.Client(t, srv.Addr))
	}
	d, err := hashkit.New(hashkit.Config{Servers: s.addrs, Hash: testHash, Distribution: testDist, HashTag: testTag})
	if err != nil {
		t.Fatal(err)
	}
	s.dist = d
	return s
}

// sourceFlags are the CLI flags naming the shard set.
func (s *shardSet) sourceFlags() []string {
	return []string{"--shards", strings.Join(s.addrs, ","), "--hash", testHash, "--distribution", testDist, "--hash-tag", testTag}
}

// pool returns the shard owning key.
func (s *shardSet) pool(key string) *resp.Pool { return s.pools[s.dist.Server([]byte(key))] }

// seed writes n keys of every type (about a third with TTLs) directly to
// the owning shards, plus one large collection of each type, and returns
// the key names.
func (s *shardSet) seed(t testing.TB, prefix string, n int) []string {
	t.Helper()
	ctx := context.Background()
	perShard := make([][][][]byte, len(s.pools))
	var keys []string
	add := func(key string, cmds ...[]string) {
		keys = append(keys, key)
		i := s.dist.Server([]byte(key))
		for _, c := range cmds {
			perShard[i] = append(perShard[i], resp.Args(c...))
		}
	}
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("%s:%d", prefix, i)
		var ttl []string
		if i%3 == 0 {
			ttl = []string{"PEXPIRE", "", strconv.Itoa(600000 + i)}
		}
		var cmds [][]string
		switch i % 5 {
		case 0:
			cmds = [][]string{{"SET", k + ":s", "value-" + strconv.Itoa(i)}}
			k += ":s"
		case 1:
			k += ":h"
			cmds = [][]string{{"HSET", k, "f1", "v1", "f2", strconv.Itoa(i), "f3", "x"}}
		case 2:
			k += ":l"
			cmds = [][]string{{"RPUSH", k, "a", "b", "c", strconv.Itoa(i), "a"}}
		case 3:
			k += ":set"
			cmds = [][]string{{"SADD", k, "m1", "m2", strconv.Itoa(i)}}
		case 4:
			k += ":z"
			cmds = [][]string{{"ZADD", k, "1", "one", "2.5", "two", strconv.Itoa(i), "n"}}
		}
		if ttl != nil {
			ttl[1] = k
			cmds = append(cmds, ttl)
		}
		add(k, cmds...)
	}
	// Large collections, copied in pages.
	big := func(key, cmd string, count int, pair func(j int) []string) {
		var c [][]string
		for lo := 0; lo < count; lo += 500 {
			args := []string{cmd, key}
			for j := lo; j < min(lo+500, count); j++ {
				args = append(args, pair(j)...)
			}
			c = append(c, args)
		}
		add(key, c...)
	}
	big(prefix+":big:h", "HSET", 3000, func(j int) []string { return []string{"f" + strconv.Itoa(j), strconv.Itoa(j)} })
	big(prefix+":big:l", "RPUSH", 3000, func(j int) []string { return []string{strconv.Itoa(j)} })
	big(prefix+":big:set", "SADD", 3000, func(j int) []string { return []string{"m" + strconv.Itoa(j)} })
	big(prefix+":big:z", "ZADD", 3000, func(j int) []string { return []string{strconv.Itoa(j), "m" + strconv.Itoa(j)} })
	perShard[s.dist.Server([]byte(prefix+":big:z"))] = append(perShard[s.dist.Server([]byte(prefix+":big:z"))], resp.Args("PEXPIRE", prefix+":big:z", "900000"))
	for i, cmds := range perShard {
		for lo := 0; lo < len(cmds); lo += 1000 {
			vs, err := s.pools[i].Pipeline(ctx, cmds[lo:min(lo+1000, len(cmds))])
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				if v.IsError() {
					t.Fatalf("seed: %v", v)
				}
			}
		}
	}
	return keys
}

// cli runs dualwrite in-process and returns its stdout, stderr and error.
func cli(ctx context.Context, args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	cmd := newRootCmd(&out, &errb)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	return out.String(), errb.String(), err
}

// proxyProc is a proxy running in-process.
type proxyProc struct {
	Addr, Status string
	stop         context.CancelFunc
	done         chan error
	logs         *syncBuffer
}

// startProxy runs `dualwrite proxy` with extra args and waits for it.
func startProxy(t testing.TB, extra ...string) *proxyProc {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	status := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	p := &proxyProc{Addr: addr, Status: status, stop: cancel, done: make(chan error, 1), logs: &syncBuffer{}}
	args := append([]string{"proxy", "--listen", addr, "--status-listen", status, "--timeout", "1s"}, extra...)
	go func() {
		cmd := newRootCmd(io.Discard, p.logs)
		cmd.SetArgs(args)
		p.done <- cmd.ExecuteContext(ctx)
		close(p.done)
	}()
	t.Cleanup(func() { p.shutdown(t) })
	if err := testutil.WaitPing(addr, 10*time.Second); err != nil {
		t.Fatalf("proxy did not start: %v\n%s", err, p.logs.String())
	}
	return p
}

// shutdown stops the proxy and waits for it to exit.
func (p *proxyProc) shutdown(t testing.TB) {
	p.stop()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Errorf("proxy did not stop")
	}
}

// settle waits until the proxy has replayed every write on titan and
// repaired every key it queued.
func (p *proxyProc) settle(t testing.TB) {
	t.Helper()
	err := testutil.WaitFor(30*time.Second, func() error {
		res, err := http.Get("http://" + p.Status + "/status")
		if err != nil {
			return err
		}
		defer res.Body.Close()
		var st struct {
			Apply  int `json:"apply_queue"`
			Repair int `json:"repair_queue"`
		}
		if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
			return err
		}
		if st.Apply+st.Repair > 0 {
			return fmt.Errorf("%d writes to replay, %d keys to repair", st.Apply, st.Repair)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("proxy did not settle: %v", err)
	}
}

// metric returns the sum of all samples of a metric family (name prefix
// match on the sample line, labels given as a substring filter).
func (p *proxyProc) metric(t testing.TB, name, labels string) float64 {
	t.Helper()
	return scrapeMetric(t, "http://"+p.Status+"/metrics", name, labels)
}

func scrapeMetric(t testing.TB, url, name, labels string) float64 {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var sum float64
	found := false
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "#") || !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest != "" && rest[0] != '{' && rest[0] != ' ' {
			continue
		}
		if labels != "" && !strings.Contains(rest, labels) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum += v
		found = true
	}
	if !found {
		t.Fatalf("metric %s{%s} not exposed", name, labels)
	}
	return sum
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// verifyClean runs verify and fails the test unless nothing differs.
func verifyClean(t *testing.T, src []string, titan string) string {
	t.Helper()
	out, logs, err := cli(context.Background(), append(append([]string{"verify"}, src...), "--titan", titan, "--ttl-tolerance", "3s")...)
	if err != nil {
		t.Fatalf("verify: %v\n%s\n%s", err, out, logs)
	}
	if !strings.Contains(out, " 0 differ") {
		t.Fatalf("verify output: %s", out)
	}
	return out
}

func exitStatus(err error) int {
	var ec exitCode
	if errors.As(err, &ec) {
		return int(ec)
	}
	if err != nil {
		return 2
	}
	return 0
}
