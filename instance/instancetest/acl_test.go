package instancetest

import (
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestACLSharedByInstances: ACL users live in the store. A user created
// on one instance authenticates with redis-cli --user on every other,
// reads the keys its pattern allows and gets NOPERM elsewhere; a change of
// its rules on one instance applies on the others, and deleting it
// disconnects its clients everywhere (issue 18 item 6).
func TestACLSharedByInstances(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not installed")
	}
	g := Start(t, 3, Options{})
	if got := do(t, g.Addr(0), "ACL SETUSER alice on >pw ~app:* +@read"); got != "+OK" {
		t.Fatalf("ACL SETUSER on 0: %q", got)
	}
	do(t, g.Addr(0), "SET app:1 v1")
	do(t, g.Addr(0), "SET secret s")
	cli := func(i int, args ...string) string {
		host, port, _ := net.SplitHostPort(g.Addr(i))
		out, _ := exec.Command("redis-cli", append([]string{"-h", host, "-p", port, "--user", "alice", "--pass", "pw", "--no-auth-warning"}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	for i := range 3 {
		if got := cli(i, "GET", "app:1"); got != "v1" {
			t.Errorf("instance %d: alice GET app:1 = %q", i, got)
		}
		if got := cli(i, "GET", "secret"); got != "NOPERM this user has no permissions to access one of the keys used as arguments" {
			t.Errorf("instance %d: alice GET secret = %q", i, got)
		}
		if got := cli(i, "SET", "app:1", "x"); got != "NOPERM this user has no permissions to run the 'set' command" {
			t.Errorf("instance %d: alice SET = %q", i, got)
		}
	}
	// Granting write on instance 1 applies on instance 2 within the
	// refresh interval.
	if got := do(t, g.Addr(1), "ACL SETUSER alice +@write"); got != "+OK" {
		t.Fatalf("ACL SETUSER on 1: %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for cli(2, "SET", "app:1", "x") != "OK" {
		if time.Now().After(deadline) {
			t.Fatal("the change made on instance 1 did not reach instance 2")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A connection authenticated as alice on instance 2 is closed when
	// instance 0 deletes her.
	c, err := net.Dial("tcp", g.Addr(2))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("AUTH alice pw\r\n"))
	buf := make([]byte, 64)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, _ := c.Read(buf); string(buf[:n]) != "+OK\r\n" {
		t.Fatalf("AUTH alice on 2: %q", buf[:n])
	}
	if got := do(t, g.Addr(0), "ACL DELUSER alice"); got != ":1" {
		t.Fatalf("ACL DELUSER: %q", got)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(buf); err == nil {
		t.Fatalf("connection of a deleted user still open, read %q", buf[:n])
	}
	if got := cli(1, "PING"); !strings.Contains(got, "WRONGPASS") {
		t.Fatalf("deleted user on 1: %q", got)
	}
}
