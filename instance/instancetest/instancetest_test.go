package instancetest

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// do sends one inline command and returns the first reply line.
func do(t *testing.T, addr, line string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(line + "\r\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	s, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if s[0] == '$' && s != "$-1\r\n" {
		v, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return v[:len(v)-2]
	}
	return s[:len(s)-2]
}

func TestInstancesShareTheStore(t *testing.T) {
	g := Start(t, 3, Options{})
	if got := do(t, g.Addr(0), "SET k v0"); got != "+OK" {
		t.Fatalf("SET on 0: %q", got)
	}
	for i := range 3 {
		if got := do(t, g.Addr(i), "GET k"); got != "v0" {
			t.Errorf("GET on %d: %q, want v0", i, got)
		}
	}
	g.Restart(1)
	if got := do(t, g.Addr(1), "GET k"); got != "v0" {
		t.Errorf("GET on restarted 1: %q", got)
	}
	g.Stop(2)
	if _, err := net.DialTimeout("tcp", g.Addr(2), time.Second); err == nil {
		t.Errorf("stopped instance still accepts connections")
	}
}
