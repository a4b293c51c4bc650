package tests

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// exchange writes input on a fresh connection (then closes the writing
// side when closeWrite), and returns what the server sent until it closed
// the connection or stayed silent for quiet.
func rawExchange(t testing.TB, addr, input string, closeWrite bool, quiet time.Duration) (out string, closed bool) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		c.Write([]byte(input))
		if closeWrite {
			c.(*net.TCPConn).CloseWrite()
		}
	}()
	var b strings.Builder
	buf := make([]byte, 64<<10)
	for {
		c.SetReadDeadline(time.Now().Add(quiet))
		n, err := c.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return b.String(), false
			}
			return b.String(), true
		}
	}
}

// startRedisWith starts a redis-server with extra arguments and returns
// its address.
func startRedisWith(t testing.TB, args ...string) string {
	t.Helper()
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command("redis-server", append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", t.TempDir()}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	waitFor(t, 10*time.Second, "redis-server up", func() bool { return c.Ping(context.Background()).Err() == nil })
	return addr
}

// smallBulkConfig limits bulk arguments to 1MB (the smallest Redis allows).
const smallBulkConfig = "proto-max-bulk-len = 1048576\n"

// TestProtocolDifferential sends well-formed, odd and malformed requests
// to titan and to redis-server, both with proto-max-bulk-len 1MB, and
// compares the bytes that come back and whether the connection is closed.
// Meanwhile another client keeps working, and titan never dies.
func TestProtocolDifferential(t *testing.T) {
	ti := startTitan(t, "--config", writeTitanConfig(t, smallBulkConfig))
	ti.logOnFailure(t)
	redisAddr := startRedisWith(t, "--proto-max-bulk-len", "1mb")

	// A bystander pipelines PINGs during the whole test.
	stop := make(chan struct{})
	var pings atomic.Int64
	var wg sync.WaitGroup
	bystander := ti.Client()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := bystander.Ping(context.Background()).Err(); err != nil {
				t.Errorf("bystander: %v", err)
				return
			}
			pings.Add(1)
		}
	}()

	long := strings.Repeat("x", 70000)
	cases := []struct {
		name, input string
		closeWrite  bool
	}{
		{"inline ping", "PING\r\n", false},
		{"inline set get", "SET a b\r\nGET a\r\n", false},
		{"inline lf only", "PING\nECHO x\n", false},
		{"inline quotes", `SET k "hello world"` + "\r\nGET k\r\n", false},
		{"inline escapes", `ECHO "\x41\n\t\"\\z"` + "\r\nECHO 'it''s'\r\nECHO 'a\\'b'\r\n", false},
		{"inline empty lines", "\r\n   \r\n\nPING\r\n", false},
		{"inline unbalanced double", "SET \"a b\r\n", false},
		{"inline unbalanced single", "SET 'a b\r\n", false},
		{"inline closing quote glued", "ECHO \"a\"b\r\n", false},
		{"inline dollar", "$-5\r\n", false},
		{"inline too big", long, false},
		{"inline case", "pInG\r\n", false},
		{"multibulk ok", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", false},
		{"multibulk bad count", "*abc\r\n", false},
		{"multibulk plus count", "*+1\r\n$4\r\nPING\r\n", false},
		{"multibulk zero-padded count", "*01\r\n$4\r\nPING\r\n", false},
		{"multibulk space in count", "*1 \r\n$4\r\nPING\r\n", false},
		{"multibulk huge count", "*99999999999\r\n", false},
		{"multibulk empty and null", "*0\r\n*-1\r\nPING\r\n", false},
		{"multibulk count too long", "*" + long, false},
		{"bulk negative", "*1\r\n$-5\r\n", false},
		{"bulk null", "*1\r\n$-1\r\n", false},
		{"bulk empty length", "*1\r\n$\r\n", false},
		{"bulk plus length", "*1\r\n$+4\r\nPING\r\n", false},
		{"bulk zero-padded length", "*1\r\n$04\r\nPING\r\n", false},
		{"bulk bad length", "*1\r\n$abc\r\n", false},
		{"bulk length too long", "*1\r\n$" + long, false},
		{"bulk not dollar", "*2\r\n$3\r\nGET\r\nfoo\r\n", false},
		{"bulk plus", "*1\r\n+PING\r\n", false},
		{"bulk over max", "*2\r\n$4\r\nECHO\r\n$1048577\r\n", false},
		{"bulk at max", "*2\r\n$4\r\nECHO\r\n$1048576\r\n" + strings.Repeat("y", 1048576) + "\r\n", false},
		{"bulk without crlf", "*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", false},
		{"bulk empty name", "*1\r\n$0\r\n\r\n", false},
		{"error then more", "*1\r\n$4\r\nPING\r\n*abc\r\nPING\r\n", false},
		{"truncated then close", "*1\r\n$3\r\nfoo", true},
		{"truncated count then close", "*3\r\n$3\r\nSET\r\n", true},
		{"truncated waits", "*1\r\n$4\r\nPING", false},
		{"half command then close", "*2\r\n$4\r\nECHO\r\n$5\r\nab", true},
		{"binary name", "*1\r\n$3\r\n\x00\xff\r\r\n", false},
	}
	t.Run("cases", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				want, wantClosed := rawExchange(t, redisAddr, tc.input, tc.closeWrite, 250*time.Millisecond)
				got, gotClosed := rawExchange(t, ti.Addr, tc.input, tc.closeWrite, 250*time.Millisecond)
				if got != want || gotClosed != wantClosed {
					t.Errorf("%q:\n    redis: %q closed=%v\n    titan: %q closed=%v", shortQuote(tc.input), shortQuote(want), wantClosed, shortQuote(got), gotClosed)
				}
			})
		}
	})
	close(stop)
	wg.Wait()
	if !ti.alive() {
		t.Fatal("titan died")
	}
	if pings.Load() == 0 {
		t.Fatal("the bystander made no progress")
	}
	if err := ti.Client().Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}

func shortQuote(s string) string {
	if len(s) > 200 {
		return s[:100] + fmt.Sprintf("...(%d bytes)...", len(s)-200) + s[len(s)-100:]
	}
	return s
}

// TestProtocolLimits checks proto-max-bulk-len from the config file on
// the string commands and big values end to end.
func TestProtocolLimits(t *testing.T) {
	ti := startTitan(t, "--config", writeTitanConfig(t, smallBulkConfig))
	ti.logOnFailure(t)
	env := &diffEnv{ti: ti, redisAddr: startRedisWith(t, "--proto-max-bulk-len", "1mb")}
	d := env.differ(t)
	big := strings.Repeat("z", 1048576)
	d.run(
		"config get proto-max-bulk-len",
		fmt.Sprintf("set big %q", big), "strlen big", "append big x", "strlen big",
		"setrange big 1048575 y", "setrange big 1048576 y", "setrange big 1048575 yy", `setrange nk 1048577 ""`,
		"setbit bits 8388607 1", "setbit bits 8388608 1", "getbit bits 8388608", "strlen bits",
		"set small a", "append small "+strings.Repeat("b", 1048575), "append small c", "strlen small",
		"getrange big 1048570 -1",
	)
	// A bulk argument over the limit ends the connection (the client may
	// see the error or, still writing, a broken pipe); others go on.
	c := ti.Client()
	if err := c.Set(context.Background(), "k", strings.Repeat("q", 1048577), 0).Err(); err == nil ||
		!strings.Contains(err.Error(), "Protocol error: invalid bulk length") &&
			!strings.Contains(err.Error(), "broken pipe") && !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("SET of 1MB+1 = %v", err)
	}
	if err := ti.Client().Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestPipelining writes 1000 commands at once and reads the replies in
// order, with connection-state commands in the middle.
func TestPipelining(t *testing.T) {
	ti := startTitan(t)
	ti.logOnFailure(t)
	c, err := net.Dial("tcp", ti.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var req strings.Builder
	var want []string
	counter := 0
	for i := 0; i < 1000; i++ {
		switch {
		case i == 500:
			req.WriteString("SELECT 1\r\n")
			want = append(want, "+OK")
		case i == 501:
			req.WriteString("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2\r\nin\r\n")
			want = append(want, "+OK")
		case i == 502:
			req.WriteString("SELECT 0\r\n")
			want = append(want, "+OK")
		case i == 503:
			req.WriteString("EXISTS x\r\n")
			want = append(want, ":0")
		case i%3 == 0:
			req.WriteString("INCR counter\r\n")
			counter++
			want = append(want, ":"+strconv.Itoa(counter))
		case i%3 == 1:
			fmt.Fprintf(&req, "*3\r\n$3\r\nSET\r\n$%d\r\nk%d\r\n$%d\r\nv%d\r\n", len(strconv.Itoa(i))+1, i, len(strconv.Itoa(i))+1, i)
			want = append(want, "+OK")
		default:
			fmt.Fprintf(&req, "GET k%d\r\n", i-1)
			v := "v" + strconv.Itoa(i-1)
			want = append(want, fmt.Sprintf("$%d\r\n%s", len(v), v))
		}
	}
	start := time.Now()
	if _, err := c.Write([]byte(req.String())); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for i, w := range want {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		got := strings.TrimSuffix(line, "\r\n")
		if strings.HasPrefix(got, "$") && got != "$-1" {
			v, _ := rd.ReadString('\n')
			got += "\r\n" + strings.TrimSuffix(v, "\r\n")
		}
		if got != w {
			t.Fatalf("reply %d = %q, want %q", i, got, w)
		}
	}
	t.Logf("1000 pipelined commands answered in %v", time.Since(start))
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, err := rd.Read(make([]byte, 1)); n != 0 || err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("extra bytes after the replies: %d, %v", n, err)
	}
}
