package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestRESP3PubSub compares, byte for byte, a RESP3 Pub/Sub session on
// titan and redis-server: the SUBSCRIBE family's confirmations and the
// messages are pushes, and a RESP3 subscriber may run any command.
func TestRESP3PubSub(t *testing.T) {
	env := startDiffEnv(t)
	sub := [2]*respConn{dialRESP(t, env.ti.Addr), dialRESP(t, env.redisAddr)}
	pub := [2]*respConn{dialRESP(t, env.ti.Addr), dialRESP(t, env.redisAddr)}
	for _, c := range append(sub[:], pub[:]...) {
		c.do("HELLO", "3")
	}
	// (one shard channel: redis-server lists several in its hash
	// table's order)
	steps := []struct {
		c    [2]*respConn
		line string
		n    int // replies and pushes to read
	}{
		{sub, "UNSUBSCRIBE", 1}, {sub, "PUNSUBSCRIBE", 1}, {sub, "SUNSUBSCRIBE", 1},
		{sub, "SUBSCRIBE a b a", 3}, {sub, "PSUBSCRIBE p*", 1}, {sub, "SSUBSCRIBE s1", 1},
		{sub, "PING", 1}, {sub, "PING hi", 1}, {sub, "GET nosuch", 1}, {sub, "SET k v", 1},
		{sub, "ZSCORE nosuch m", 1}, {sub, "SMEMBERS nosuch", 1},
		{pub, "PUBLISH a hello", 1}, {sub, "", 1},
		{pub, "PUBLISH pa x", 1}, {sub, "", 1},
		{pub, "PUBLISH b two", 1}, {sub, "", 1},
		{pub, "SPUBLISH s1 y", 1}, {sub, "", 1},
		{pub, "PUBLISH s1 none", 1}, {pub, "PUBLISH nobody m", 1},
		{pub, "PUBSUB NUMPAT", 1}, {pub, "PUBSUB CHANNELS a*", 1}, {pub, "PUBSUB SHARDCHANNELS s?", 1},
		{sub, "UNSUBSCRIBE a zz", 2}, {sub, "PUNSUBSCRIBE", 1}, {sub, "SUNSUBSCRIBE", 1},
		{sub, "UNSUBSCRIBE", 1}, {sub, "UNSUBSCRIBE", 1}, {sub, "PING", 1},
		{pub, "PUBLISH b gone", 1},
		{sub, "PSUBSCRIBE h?llo", 1}, {pub, "PUBLISH hello 1", 1}, {sub, "", 1},
		{sub, "PUNSUBSCRIBE h?llo nomatch", 2}, {sub, "GET k", 1},
	}
	for _, s := range steps {
		var got [2]string
		for i, c := range s.c {
			if s.line != "" {
				c.send(strings.Fields(s.line)...)
			}
			for range s.n {
				got[i] += c.read()
			}
		}
		if got[0] != got[1] {
			t.Errorf("%q:\n titan %q\n redis %q", s.line, got[0], got[1])
		}
	}
}

// send writes one command without reading its reply.
func (r *respConn) send(args ...string) {
	r.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := r.c.Write([]byte(b.String())); err != nil {
		r.t.Fatal(err)
	}
}

// read reads one raw reply or push.
func (r *respConn) read() string {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	s, err := readRESP(r.rd)
	if err != nil {
		r.t.Fatalf("read: %v", err)
	}
	return s
}
