// Package tests drives the real titan binary with real Redis clients.
package tests

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
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

	"github.com/redis/go-redis/v9"
)

// titanBin is the binary built once for the whole package.
var titanBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "titan-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	titanBin = filepath.Join(dir, "titan")
	build := exec.Command("go", "build", "-o", titanBin, "github.com/titan-kv/titan/cmd/titan")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building titan:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Titan is one titan process under test.
type Titan struct {
	t          testing.TB
	Addr       string
	StatusAddr string
	DataDir    string
	args       []string
	cmd        *exec.Cmd
	logs       *logBuffer
	done       chan struct{}
}

// startTitan starts titan on a fresh data directory with extra flags.
func startTitan(t testing.TB, extra ...string) *Titan {
	t.Helper()
	return startTitanIn(t, t.TempDir(), extra...)
}

// startTitanIn starts titan on dataDir.
func startTitanIn(t testing.TB, dataDir string, extra ...string) *Titan {
	t.Helper()
	// The test's own flags come last and win.
	ti := &Titan{t: t, DataDir: dataDir, args: append(storeArgs(), extra...)}
	ti.start()
	t.Cleanup(ti.Stop)
	return ti
}

func (ti *Titan) start() {
	ti.t.Helper()
	// A port freeAddr found free may be taken by another process before
	// titan binds it (packages run in parallel): start again on new ports.
	for attempt := 1; ; attempt++ {
		if ti.startOnce() || attempt == 5 {
			return
		}
	}
}

// startOnce starts the process on fresh ports and waits until it serves;
// false when it exited because a port was taken meanwhile.
func (ti *Titan) startOnce() bool {
	ti.t.Helper()
	ti.Addr, ti.StatusAddr = freeAddr(ti.t), freeAddr(ti.t)
	args := append([]string{"--listen", ti.Addr, "--status-listen", ti.StatusAddr, "--data-dir", ti.DataDir}, ti.args...)
	ti.cmd = exec.Command(titanBin, args...)
	if ti.logs == nil {
		ti.logs = &logBuffer{}
	}
	logFrom := len(ti.logs.String())
	pr, pw := io.Pipe()
	ti.cmd.Stdout, ti.cmd.Stderr = pw, pw
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			ti.logs.WriteString(sc.Text() + "\n")
		}
	}()
	if err := ti.cmd.Start(); err != nil {
		ti.t.Fatal(err)
	}
	ti.done = make(chan struct{})
	go func() { ti.cmd.Wait(); pw.Close(); close(ti.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", ti.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return true
		}
		select {
		case <-ti.done:
			<-logged
			if strings.Contains(ti.logs.String()[logFrom:], "address already in use") {
				ti.t.Logf("titan lost a port to another process at start; starting again")
				return false
			}
			ti.t.Fatalf("titan exited at start: %s", ti.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	ti.t.Fatalf("titan did not start: %s", ti.logs.String())
	return false
}

// storeArgs are the store flags every titan under test gets from the
// environment:
//
//   - TITAN_E2E_FAULTS=1 (make test runs a subset so): the embedded store
//     starts with 8 regions, splits one every 200ms and answers 1% of its
//     requests with injected region errors and timeouts.
//   - TITAN_E2E_PD=host:port (make test-tikv): a real cluster, each test
//     in a namespace of its own.
func storeArgs() []string {
	var args []string
	if os.Getenv("TITAN_E2E_FAULTS") != "" {
		args = append(args, "--test-embedded-regions", "8", "--test-embedded-split-interval", "200ms",
			"--test-embedded-fault-rate", "0.01")
	}
	if pd := os.Getenv("TITAN_E2E_PD"); pd != "" {
		args = append(args, "--store", "tikv://"+pd, "--namespace", fmt.Sprintf("e2e%d%d", os.Getpid(), namespaceSeq.Add(1)))
	}
	return args
}

// namespaceSeq numbers the namespaces of the titans a run starts on a cluster.
var namespaceSeq atomic.Int64

// logBuffer collects a process's output; the reading goroutine and the
// test read it concurrently.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Client returns a go-redis client for db 0. It speaks RESP2, the
// protocol the tests written before RESP3 compare with; an option sets
// Protocol: 3 for RESP3 (go-redis's own default).
func (ti *Titan) Client(opts ...func(*redis.Options)) *redis.Client {
	o := &redis.Options{Addr: ti.Addr, MaxRetries: -1, PoolSize: 64, ReadTimeout: 30 * time.Second, Protocol: 2}
	for _, f := range opts {
		f(o)
	}
	c := redis.NewClient(o)
	ti.t.Cleanup(func() { c.Close() })
	return c
}

// Stop sends SIGTERM and waits for a clean exit.
func (ti *Titan) Stop() {
	if ti.cmd == nil || ti.cmd.Process == nil {
		return
	}
	select {
	case <-ti.done:
		return
	default:
	}
	ti.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-ti.done:
	case <-time.After(20 * time.Second):
		ti.cmd.Process.Kill()
		<-ti.done
		ti.t.Errorf("titan did not stop on SIGTERM: %s", ti.logs.String())
	}
}

// Kill9 kills the process without warning.
func (ti *Titan) Kill9() {
	ti.cmd.Process.Kill()
	<-ti.done
}

// Restart starts the process again on the same data directory.
func (ti *Titan) Restart() { ti.start() }

// ExitCode is the exit status of a stopped process.
func (ti *Titan) ExitCode() int { <-ti.done; return ti.cmd.ProcessState.ExitCode() }

// Metric returns the sum of the samples of a Prometheus series whose line
// starts with prefix (e.g. `titan_tikv_requests_total{type="Commit"}`).
func (ti *Titan) Metric(prefix string) float64 {
	ti.t.Helper()
	resp, err := http.Get("http://" + ti.StatusAddr + "/metrics")
	if err != nil {
		ti.t.Fatal(err)
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, prefix) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += v
		}
	}
	return sum
}

// startRedis starts a redis-server on a free port, for differential
// tests, with extra options appended. It fails when redis-server is
// missing: .ci/run installs it.
func startRedis(t testing.TB, extra ...string) *redis.Client {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server not found: install redis-server (see .ci/run)")
	}
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir()}, extra...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c.Ping(context.Background()).Err() == nil {
			return c
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("redis-server did not start")
	return nil
}

// rawConn is a plain TCP connection for protocol-level tests.
type rawConn struct {
	t  testing.TB
	c  net.Conn
	rd *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, rd: bufio.NewReader(c)}
}

func (r *rawConn) send(s string) {
	r.t.Helper()
	if _, err := r.c.Write([]byte(s)); err != nil {
		r.t.Fatal(err)
	}
}

// line reads one reply line (without CRLF).
func (r *rawConn) line() string {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	s, err := r.rd.ReadString('\n')
	if err != nil {
		r.t.Fatalf("read reply: %v (got %q)", err, s)
	}
	return strings.TrimRight(s, "\r\n")
}

// closed reports whether the server closed the connection.
func (r *rawConn) closed() bool {
	r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := r.rd.ReadByte()
	return err != nil
}
