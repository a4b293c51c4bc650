package tests

// End-to-end tests of Pub/Sub: byte-exact replies and pushes against
// redis-server (raw connections, since subscribe-mode replies arrive as
// several values), redis-py's pubsub(), and the slow-subscriber limit.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readValue reads one RESP value and returns its raw bytes.
func readValue(rd *bufio.Reader) (string, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return line, err
	}
	out := line
	switch line[0] {
	case '$':
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		if n >= 0 {
			buf := make([]byte, n+2)
			if _, err := io.ReadFull(rd, buf); err != nil {
				return out, err
			}
			out += string(buf)
		}
	case '*', '>', '%':
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		if line[0] == '%' {
			n *= 2
		}
		for range max(n, 0) {
			v, err := readValue(rd)
			out += v
			if err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// pair is one connection to titan and one to redis-server.
type pair struct {
	conns [2]net.Conn
	rds   [2]*bufio.Reader
}

func dialPair(t *testing.T, titanAddr, redisAddr string) *pair {
	p := &pair{}
	for i, a := range []string{titanAddr, redisAddr} {
		c, err := net.DialTimeout("tcp", a, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		p.conns[i], p.rds[i] = c, bufio.NewReader(c)
	}
	return p
}

// do sends line (if any) to both servers, reads n values from each and
// compares them.
func (p *pair) do(t *testing.T, line string, n int) {
	t.Helper()
	var got [2]string
	for i := range 2 {
		if line != "" {
			args := strings.Fields(line)
			cmd := fmt.Sprintf("*%d\r\n", len(args))
			for _, a := range args {
				cmd += fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)
			}
			if _, err := p.conns[i].Write([]byte(cmd)); err != nil {
				t.Fatal(err)
			}
		}
		p.conns[i].SetReadDeadline(time.Now().Add(10 * time.Second))
		for range n {
			v, err := readValue(p.rds[i])
			got[i] += v
			if err != nil {
				t.Fatalf("%q: server %d: %v (read %q)", line, i, err, got[i])
			}
		}
	}
	if got[0] != got[1] {
		t.Errorf("%q:\n titan %q\n redis %q", line, got[0], got[1])
	}
}

func TestPubSubDifferential(t *testing.T) {
	env := startDiffEnv(t)
	sub := dialPair(t, env.ti.Addr, env.redisAddr)
	pub := dialPair(t, env.ti.Addr, env.redisAddr)
	steps := []struct {
		p    *pair
		line string
		n    int
	}{
		{sub, "UNSUBSCRIBE", 1}, {sub, "PUNSUBSCRIBE", 1}, {sub, "SUNSUBSCRIBE", 1}, {sub, "UNSUBSCRIBE a b", 2},
		{sub, "PUBSUB NUMSUB a", 1}, {sub, "PUBSUB NUMPAT", 1}, {sub, "PUBSUB CHANNELS", 1}, {sub, "PUBSUB SHARDNUMSUB x", 1},
		{sub, "PUBSUB SHARDCHANNELS", 1}, {sub, "PUBSUB FOO", 1}, {sub, "PUBSUB NUMPAT x", 1}, {sub, "PUBSUB CHANNELS a b", 1},
		{sub, "PUBSUB NUMSUB", 1}, {sub, "SUBSCRIBE", 1}, {sub, "PUBLISH a", 1}, {sub, "PUBLISH nobody m", 1}, {sub, "SPUBLISH nobody m", 1},
		// Subscribe mode.
		{sub, "SUBSCRIBE a b a", 3}, {sub, "PSUBSCRIBE p*", 1}, {sub, "SSUBSCRIBE s1", 1}, {sub, "PING", 1}, {sub, "PING hi", 1},
		{sub, "GET x", 1}, {sub, "get x", 1}, {sub, "PUBLISH a m", 1}, {sub, "PUBSUB NUMSUB", 1}, {sub, "CLIENT LIST", 1},
		{sub, "PING a b", 1},
		// Messages.
		{pub, "PUBLISH a hello", 1}, {sub, "", 1}, {pub, "PUBLISH pa x", 1}, {sub, "", 1}, {pub, "PUBLISH b two", 1}, {sub, "", 1},
		{pub, "SPUBLISH s1 y", 1}, {sub, "", 1}, {pub, "PUBLISH s1 none", 1},
		{pub, "PUBSUB NUMSUB a b c", 1}, {pub, "PUBSUB CHANNELS a*", 1}, {pub, "PUBSUB CHANNELS [a]", 1}, {pub, "PUBSUB NUMPAT", 1},
		{pub, "PUBSUB SHARDCHANNELS", 1}, {pub, "PUBSUB SHARDCHANNELS s?", 1}, {pub, "PUBSUB SHARDNUMSUB s1 s2", 1},
		// Leaving subscribe mode.
		{sub, "UNSUBSCRIBE a", 1}, {sub, "UNSUBSCRIBE zz", 1}, {sub, "PUNSUBSCRIBE", 1}, {sub, "UNSUBSCRIBE b", 1}, {sub, "PING", 1},
		{sub, "SUNSUBSCRIBE s1", 1}, {sub, "PING", 1}, {pub, "PUBLISH a gone", 1},
		{sub, "MULTI", 1}, {sub, "SUBSCRIBE q", 1}, {sub, "EXEC", 1}, {pub, "PUBLISH q inmulti", 1}, {sub, "", 1},
		{sub, "RESET", 1}, {sub, "GET x", 1}, {pub, "PUBLISH q afterreset", 1},
		{sub, "PSUBSCRIBE h?llo", 1}, {pub, "PUBLISH hello 1", 1}, {sub, "", 1}, {pub, "PUBLISH hllo 1", 1},
		{sub, "PUNSUBSCRIBE h?llo nomatch", 2},
	}
	for _, s := range steps {
		s.p.do(t, s.line, s.n)
	}
}

func TestPubSubClients(t *testing.T) {
	ti := startTitan(t)
	ti.logOnFailure(t)

	t.Run("redis-py pubsub", func(t *testing.T) {
		script := `
import redis, sys, time
r = redis.Redis.from_url(sys.argv[1])
p = r.pubsub()
p.subscribe("chan")
p.psubscribe("pat*")
print(p.get_message(timeout=5)["type"], p.get_message(timeout=5)["type"])
print(r.publish("chan", "m1"), r.publish("pattern", "m2"))
for _ in range(2):
    m = p.get_message(timeout=5)
    print(m["type"], m["channel"], m["data"])
p.close()
`
		out := runPython(t, script, "redis://"+ti.Addr)
		want := "subscribe psubscribe\n1 1\nmessage b'chan' b'm1'\npmessage b'pattern' b'm2'\n"
		if out != want {
			t.Fatalf("redis-py: %q, want %q", out, want)
		}
	})

	t.Run("go-redis Subscribe", func(t *testing.T) {
		ctx := context.Background()
		c := ti.Client()
		ps := c.Subscribe(ctx, "g1", "g2")
		defer ps.Close()
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		for i := range 100 {
			if n, err := c.Publish(ctx, fmt.Sprintf("g%d", i%2+1), i).Result(); n != 1 || err != nil {
				t.Fatalf("PUBLISH = %d, %v", n, err)
			}
		}
		ch := ps.Channel()
		for i := range 100 {
			m := <-ch
			if m.Payload != strconv.Itoa(i) || m.Channel != fmt.Sprintf("g%d", i%2+1) {
				t.Fatalf("message %d: %+v", i, m)
			}
		}
	})

	t.Run("a slow subscriber is disconnected at the output limit", func(t *testing.T) {
		slow := startTitan(t, "--config", writeTitanConfig(t, "[pubsub]\noutput-hard-limit = 1048576\n"))
		sub := dialRaw(t, slow.Addr)
		sub.send("SUBSCRIBE firehose\r\n")
		for range 3 {
			sub.line()
		}
		// Never read again: the socket buffers fill, then titan's.
		c := slow.Client()
		big := strings.Repeat("x", 64<<10)
		ctx := context.Background()
		deadline := time.Now().Add(30 * time.Second)
		for {
			n, err := c.Publish(ctx, "firehose", big).Result()
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break // disconnected
			}
			if time.Now().After(deadline) {
				t.Fatal("the slow subscriber was never disconnected")
			}
		}
		if info := c.ClientList(ctx).Val(); strings.Contains(info, "sub=1") {
			t.Fatalf("subscriber still listed:\n%s", info)
		}
		if !strings.Contains(slow.logs.String(), "output buffer limits") {
			t.Fatal("no log line for the disconnection")
		}
	})
}

// TestSubscriberNotTimedOut: --timeout closes idle clients, not
// subscribers, as in Redis.
func TestSubscriberNotTimedOut(t *testing.T) {
	ti := startTitan(t, "--timeout", "1")
	sub, idle := dialRaw(t, ti.Addr), dialRaw(t, ti.Addr)
	sub.send("SUBSCRIBE c\r\n")
	for range 6 {
		sub.line()
	}
	time.Sleep(2500 * time.Millisecond)
	if !idle.closed() {
		t.Fatal("an idle client was not closed")
	}
	c := dialRaw(t, ti.Addr)
	c.send("PUBLISH c still-here\r\n")
	if got := c.line(); got != ":1" {
		t.Fatalf("PUBLISH = %q", got)
	}
	for _, want := range []string{"*3", "$7", "message", "$1", "c", "$10", "still-here"} {
		if got := sub.line(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}
