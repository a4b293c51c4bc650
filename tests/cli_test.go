package tests

import (
	"bytes"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runTitan runs the titan binary to completion (at most limit) and returns
// its stdout, stderr, exit code and how long it ran.
func runTitan(t *testing.T, limit time.Duration, args ...string) (stdout, stderr string, code int, took time.Duration) {
	t.Helper()
	cmd := exec.Command(titanBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		t.Fatalf("titan %v still running after %s; stderr: %s", args, limit, errb.String())
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode(), time.Since(start)
}

// TestCLI checks the command line: version, and that every way of failing
// to start gives one clear line on stderr and a non-zero exit.
func TestCLI(t *testing.T) {
	t.Parallel()
	out, errOut, code, _ := runTitan(t, 10*time.Second, "version")
	if code != 0 || !strings.HasPrefix(out, "titan ") || !strings.Contains(out, "commit") || errOut != "" {
		t.Fatalf("titan version: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	dir := t.TempDir()
	base := func(extra ...string) []string {
		return append([]string{"--listen", freeAddr(t), "--status-listen", freeAddr(t), "--data-dir", dir}, extra...)
	}
	cases := []struct {
		name string
		args []string
		want []string // substrings of the one stderr line
	}{
		{"bad flag", base("--nosuchflag"), []string{"unknown flag: --nosuchflag"}},
		{"bad flag value", base("--databases", "abc"), []string{"--databases"}},
		{"extra argument", base("extra"), []string{`unknown command "extra"`}},
		{"missing config", base("--config", dir+"/nope.toml"), []string{"nope.toml", "no such file"}},
		{"bad toml", base("--config", writeTitanConfig(t, "listen = \n")), []string{"toml", "line 1"}},
		{"unknown setting", base("--config", writeTitanConfig(t, "lisen = \"x\"\n[batch]\nenabld = true\n")),
			[]string{"unknown settings: lisen, batch.enabld"}},
		{"wrong type", base("--config", writeTitanConfig(t, "databases = \"many\"\n")), []string{"databases"}},
		{"invalid value", base("--config", writeTitanConfig(t, "databases = 0\n")), []string{"databases 0: want 1 to 65536"}},
		{"two invalid values", base("--config", writeTitanConfig(t, "databases = 0\nlog-level = \"loud\"\n")),
			[]string{"databases 0", `log-level "loud"`}},
		{"invalid flag value", base("--store", "redis://x"), []string{`store "redis://x"`}},
		{"small bulk limit", base("--config", writeTitanConfig(t, "proto-max-bulk-len = 1000\n")), []string{"proto-max-bulk-len 1000"}},
		{"port in use", []string{"--listen", busy.Addr().String(), "--status-listen", freeAddr(t), "--data-dir", dir},
			[]string{"listen", busy.Addr().String(), "address already in use"}},
		{"status port in use", []string{"--listen", freeAddr(t), "--status-listen", busy.Addr().String(), "--data-dir", dir},
			[]string{"status listen", "address already in use"}},
		{"unreachable store", base("--store", "tikv://127.0.0.1:1", "--store-timeout", "1s"),
			[]string{"127.0.0.1:1", "store-timeout 1s"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code, took := runTitan(t, 20*time.Second, tc.args...)
			lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
			if code == 0 || out != "" || len(lines) != 1 || !strings.HasPrefix(lines[0], "titan: ") ||
				strings.Contains(errOut, "goroutine ") || strings.Contains(errOut, "panic") {
				t.Fatalf("exit %d after %v, stdout %q, stderr:\n%s", code, took, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(lines[0], w) {
					t.Errorf("stderr %q lacks %q", lines[0], w)
				}
			}
			if took > 10*time.Second {
				t.Errorf("took %v to fail", took)
			}
		})
	}
}

// TestSIGTERM checks a clean, prompt exit 0 on SIGTERM with clients
// connected.
func TestSIGTERM(t *testing.T) {
	t.Parallel()
	ti := startTitan(t)
	c := ti.Client()
	if err := c.Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	idle := dialRaw(t, ti.Addr)
	start := time.Now()
	ti.Stop()
	if code := ti.ExitCode(); code != 0 {
		ti.logOnFailure(t)
		t.Fatalf("exit code after SIGTERM = %d", code)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("SIGTERM took %v", took)
	}
	if !idle.closed() {
		t.Error("connection still open after shutdown")
	}
}

// TestRedisCLI drives titan with redis-cli: mass insertion with --pipe,
// --scan, -n, --raw.
func TestRedisCLI(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not installed")
	}
	ti := startTitan(t)
	ti.logOnFailure(t)
	host, port, _ := net.SplitHostPort(ti.Addr)
	cli := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("redis-cli", append([]string{"-h", host, "-p", port}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	var mass strings.Builder
	for i := 0; i < 1000; i++ {
		mass.WriteString("*3\r\n$3\r\nSET\r\n$" + cliArgLen("pk", i) + "\r\npk" + strconv.Itoa(i) + "\r\n$1\r\nv\r\n")
	}
	mass.WriteString("SET inline:1 v\r\n")
	if out := cli(mass.String(), "--pipe"); !strings.Contains(out, "errors: 0, replies: 1001") {
		t.Fatalf("redis-cli --pipe:\n%s", out)
	}
	if out := cli("", "dbsize"); out != "1001\n" {
		t.Fatalf("DBSIZE = %q", out)
	}
	scan := strings.Fields(cli("", "--scan", "--pattern", "pk99*"))
	if len(scan) != 11 {
		t.Fatalf("redis-cli --scan --pattern pk99* = %v", scan)
	}
	if out := cli("", "-n", "2", "set", "x", "1"); out != "OK\n" {
		t.Fatalf("redis-cli -n 2 set = %q", out)
	}
	if out := cli("", "--raw", "mget", "pk1", "nokey", "pk2"); out != "v\n\nv\n" {
		t.Fatalf("redis-cli --raw mget = %q", out)
	}
	if out := cli("", "info", "keyspace"); !strings.Contains(out, "db0:keys=1001,expires=0") || !strings.Contains(out, "db2:keys=1,") {
		t.Fatalf("redis-cli info keyspace = %q", out)
	}
	if out := cli("", "incrbyfloat", "f", "1.5"); out != "1.5\n" {
		t.Fatalf("redis-cli incrbyfloat = %q", out)
	}
}

func cliArgLen(prefix string, i int) string { return strconv.Itoa(len(prefix) + len(strconv.Itoa(i))) }
