package tests

import (
	"bufio"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

// monitorLines starts MONITOR on addr, runs cmds on another connection and
// returns the lines the monitor received, without their time and client
// address.
func monitorLines(t *testing.T, addr string, cmds [][]string, want int) []string {
	t.Helper()
	mc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	mc.Write([]byte("MONITOR\r\n"))
	rd := bufio.NewReader(mc)
	mc.SetDeadline(time.Now().Add(10 * time.Second))
	if l, err := rd.ReadString('\n'); err != nil || l != "+OK\r\n" {
		t.Fatalf("MONITOR: %q %v", l, err)
	}
	c := dialRESP(t, addr)
	for _, cmd := range cmds {
		c.do(cmd...)
	}
	stamp := regexp.MustCompile(`^\+\d+\.\d{6} \[(\d+) [^\]]+\] `)
	var out []string
	for len(out) < want {
		l, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("after %q: %v", out, err)
		}
		m := stamp.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("monitor line %q not in Redis's format", l)
		}
		out = append(out, "db"+m[1]+" "+strings.TrimSuffix(l[len(m[0]):], "\r\n"))
	}
	return out
}

// TestMonitorDifferential: MONITOR shows the same commands, in the same
// order and quoting, on titan and redis-server.
func TestMonitorDifferential(t *testing.T) {
	ti := startTitan(t)
	rd := startRedis(t)
	cmds := [][]string{
		{"SET", "k", "a\"b\n\x01\\"},
		{"GET", "k"},
		{"CONFIG", "GET", "maxmemory"}, // admin: not shown
		{"MULTI"}, {"SET", "x", "1"}, {"INCR", "x"}, {"EXEC"},
		{"AUTH", "nosuchpass"},
		{"HSET", "h", "f", "v"},
		{"LPUSH", "k", "x"}, // WRONGTYPE: ran, so shown
		{"SELECT", "1"}, {"SET", "y", "2"},
		{"NOSUCHCOMMAND"}, // never ran: not shown
		{"PING"},
	}
	const want = 12
	got := monitorLines(t, ti.Addr, cmds, want)
	exp := monitorLines(t, rd.Options().Addr, cmds, want)
	if strings.Join(got, "\n") != strings.Join(exp, "\n") {
		t.Errorf("titan:\n%s\nredis:\n%s", strings.Join(got, "\n"), strings.Join(exp, "\n"))
	}
}
