// Package testutil starts the real servers (redis-server, nutcracker, titan)
// that dualwrite's end-to-end tests run against. It is imported by tests only.
package testutil

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/retry"
)

// Server is a child server process listening on Addr.
type Server struct {
	Addr string
	cmd  *exec.Cmd
	once sync.Once
}

// Pid returns the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Kill stops the server immediately (SIGKILL). It is safe to call twice.
func (s *Server) Kill() {
	s.once.Do(func() {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	})
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// NeedBinary fails the test with a clear message when name is not on PATH.
func NeedBinary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH: install it (Debian: apt-get install redis-server / nutcracker); the end-to-end tests need it", name)
	}
	return p
}

// StartRedis starts a throw-away redis-server on a free port.
func StartRedis(t testing.TB, extra ...string) *Server {
	t.Helper()
	bin := NeedBinary(t, "redis-server")
	port := FreePort(t)
	dir := t.TempDir()
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir}, extra...)
	return start(t, bin, args, fmt.Sprintf("127.0.0.1:%d", port), filepath.Join(dir, "redis.log"))
}

// StartNutcracker starts twemproxy in front of servers with the given hash,
// distribution and optional hash tag.
func StartNutcracker(t testing.TB, servers []string, hash, dist, tag string) *Server {
	t.Helper()
	bin := NeedBinary(t, "nutcracker")
	port, statsPort := FreePort(t), FreePort(t)
	dir := t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "pool:\n  listen: 127.0.0.1:%d\n  hash: %s\n  distribution: %s\n  redis: true\n  auto_eject_hosts: false\n", port, hash, dist)
	if tag != "" {
		fmt.Fprintf(&b, "  hash_tag: %q\n", tag)
	}
	b.WriteString("  servers:\n")
	for _, s := range servers {
		fmt.Fprintf(&b, "   - %s:1\n", s)
	}
	conf := filepath.Join(dir, "nutcracker.yml")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-c", conf, "-s", strconv.Itoa(statsPort), "-a", "127.0.0.1", "-o", filepath.Join(dir, "nutcracker.log")}
	return start(t, bin, args, fmt.Sprintf("127.0.0.1:%d", port), filepath.Join(dir, "nutcracker.log"))
}

// StartProcess runs bin with args and waits until addr answers PING.
func StartProcess(t testing.TB, bin string, args []string, addr string) *Server {
	t.Helper()
	return start(t, bin, args, addr, "")
}

func start(t testing.TB, bin string, args []string, addr, logFile string) *Server {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	s := &Server{Addr: addr, cmd: cmd}
	t.Cleanup(s.Kill)
	if err := WaitPing(addr, 15*time.Second); err != nil {
		s.Kill()
		logs, _ := os.ReadFile(out.Name())
		if logFile != "" {
			l, _ := os.ReadFile(logFile)
			logs = append(logs, l...)
		}
		t.Fatalf("%s %v did not come up on %s: %v\n%s", bin, args, addr, err, logs)
	}
	return s
}

// pollEvery is the wait between two tries of WaitFor.
const pollEvery = 50 * time.Millisecond

// WaitFor calls f every 50ms until it returns nil or timeout passes; it
// returns f's last error (with the deadline's).
func WaitFor(timeout time.Duration, f func() error) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return retry.Backoff{Initial: pollEvery}.Do(ctx, 0, f)
}

// WaitPing polls addr with PING until it answers or timeout passes.
func WaitPing(addr string, timeout time.Duration) error {
	return WaitFor(timeout, func() error {
		c, err := resp.Dial(context.Background(), addr, time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		v, err := c.Do(context.Background(), []byte("PING"))
		if err == nil && v.IsError() {
			err = fmt.Errorf("ping: %v", v)
		}
		return err
	})
}

// Client returns a small pool to addr that the test closes automatically.
func Client(t testing.TB, addr string) *resp.Pool {
	p := resp.NewPool(addr, 4, 5*time.Second)
	t.Cleanup(p.Close)
	return p
}

// Do runs a command given as strings and fails the test on transport errors.
func Do(t testing.TB, p *resp.Pool, args ...string) resp.Value {
	t.Helper()
	v, err := p.Do(context.Background(), resp.Args(args...)...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}
