package tests

import (
	"bufio"
	"context"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/titan-kv/titan/instance/instancetest"
)

// tcpSpreader is a plain round-robin TCP balancer: each connection it
// accepts goes to the next backend that accepts a connection, and bytes
// are copied both ways until either side closes. It knows nothing of
// Redis, as an operator's L4 load balancer.
type tcpSpreader struct {
	ln       net.Listener
	backends []string
	mu       sync.Mutex
	next     int
	served   []int // connections per backend
}

func startTCPSpreader(t *testing.T, backends []string) *tcpSpreader {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &tcpSpreader{ln: ln, backends: backends, served: make([]int, len(backends))}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

// dial connects to the next backend that answers, skipping those down.
func (s *tcpSpreader) dial() (net.Conn, error) {
	var err error
	for range s.backends {
		s.mu.Lock()
		i := s.next % len(s.backends)
		s.next++
		s.mu.Unlock()
		var b net.Conn
		if b, err = net.DialTimeout("tcp", s.backends[i], time.Second); err == nil {
			s.mu.Lock()
			s.served[i]++
			s.mu.Unlock()
			return b, nil
		}
	}
	return nil, err
}

func (s *tcpSpreader) serve(c net.Conn) {
	defer c.Close()
	b, err := s.dial()
	if err != nil {
		return
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(b, c); done <- struct{}{} }()
	go func() { io.Copy(c, b); done <- struct{}{} }()
	<-done
}

// counts returns how many connections each backend served.
func (s *tcpSpreader) counts() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.served...)
}

// scanIterScript runs redis-py's scan_iter() through a connection that
// closes after every reply, so each SCAN call is a new TCP connection the
// spreader sends to the next instance. Before the calls named in argv[3]
// (comma separated) it prints "PAUSE <call>" and waits for a line on
// stdin. It prints every key, then "END <calls>".
const scanIterScript = `
import sys, redis
host, port = sys.argv[1].rsplit(":", 1)
pauses = {int(x) for x in sys.argv[2].split(",")}

class OneShot(redis.Connection):
    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        finally:
            self.disconnect()

class Client(redis.Redis):
    calls = 0
    def scan(self, *args, **kwargs):
        Client.calls += 1
        if Client.calls in pauses:
            print("PAUSE %d" % Client.calls, flush=True)
            sys.stdin.readline()
        return super().scan(*args, **kwargs)

r = Client(connection_pool=redis.ConnectionPool(host=host, port=int(port), connection_class=OneShot))
for k in r.scan_iter(count=25):
    print(k.decode(), flush=False)
print("END %d" % Client.calls, flush=True)
`

// TestScanIterBehindTCPSpreader: redis-py's scan_iter() through a plain
// round-robin TCP spreader in front of three instances over one store
// returns every key and ends, while one instance goes down (the spreader
// skips it) and comes back in the middle of the scan.
func TestScanIterBehindTCPSpreader(t *testing.T) {
	g := instancetest.Start(t, 3, groupOptions(instancetest.Options{}))
	c := redis.NewClient(&redis.Options{Addr: g.Addr(0)})
	defer c.Close()
	want := fill(t, c, 1500)
	s := startTCPSpreader(t, g.Addrs())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", "-c", scanIterScript, s.ln.Addr().String(), "10,20")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	calls := -1
	var before []int
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "PAUSE 10":
			g.Stop(1) // calls 10-19 go to instances 0 and 2 only
			io.WriteString(stdin, "\n")
		case line == "PAUSE 20":
			g.Restart(1)
			before = s.counts()
			io.WriteString(stdin, "\n")
		case strings.HasPrefix(line, "END "):
			calls, _ = strconv.Atoi(strings.TrimPrefix(line, "END "))
		default:
			seen[line] = true
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("scan_iter: %v\n%s", err, stderr.String())
	}
	if calls < 30 {
		t.Fatalf("scan_iter made %d SCAN calls, want more than 30 (the pauses at 10 and 20 and some after)", calls)
	}
	for k := range want {
		if !seen[k] {
			t.Fatalf("key %s missing from scan_iter (%d of %d keys returned in %d calls)", k, len(seen), len(want), calls)
		}
	}
	after := s.counts()
	for i, n := range after {
		if n == 0 || (i == 1 && n == before[1]) {
			t.Errorf("instance %d served %d connections (%d before the restart): the calls did not alternate", i, n, before[i])
		}
	}
	t.Logf("%d keys in %d SCAN calls, connections per instance %v", len(seen), calls, after)
}
