package tests

// End-to-end tests of the CLIENT family beyond the differential lines of
// diffConnection and resp3Lines: CLIENT REPLY (compared byte for byte on
// raw connections), the fields of CLIENT LIST/INFO (compared with
// redis-server's, numbers that depend on the server left out) and
// CLIENT PAUSE/UNPAUSE (timed, on titan).

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestClientReply compares CLIENT REPLY ON/OFF/SKIP with redis-server: the
// replies that are left out, in RESP2 and RESP3.
func TestClientReply(t *testing.T) {
	env := startDiffEnv(t)
	for _, input := range []string{
		"CLIENT REPLY SKIP\r\nPING\r\nECHO a\r\nCLIENT REPLY OFF\r\nPING\r\nSET x 1\r\nGET nosuch\r\nCLIENT REPLY foo\r\nCLIENT REPLY ON\r\nGET x\r\n",
		"CLIENT REPLY SKIP\r\nCLIENT REPLY SKIP\r\nECHO a\r\nECHO b\r\n",
		"CLIENT REPLY OFF\r\nCLIENT REPLY SKIP\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n",
		"CLIENT REPLY SKIP\r\nNOSUCH\r\nECHO b\r\nCLIENT REPLY SKIP\r\nGET\r\nECHO c\r\n",
		"HELLO 3\r\nCLIENT REPLY OFF\r\nHGETALL h\r\nCLIENT REPLY ON\r\nZSCORE z m\r\nRESET\r\nCLIENT REPLY SKIP\r\nPING\r\nECHO after\r\n",
		"CLIENT REPLY OFF\r\nRESET\r\nECHO reset-turns-replies-on\r\n",
		"CLIENT REPLY SKIP\r\nMULTI\r\nPING\r\nEXEC\r\n",
	} {
		want, _ := rawExchange(t, env.redisAddr, input, false, 300*time.Millisecond)
		got, _ := rawExchange(t, env.ti.Addr, input, false, 300*time.Millisecond)
		// HELLO's id differs.
		want, got = dropHello(want), dropHello(got)
		if got != want {
			t.Errorf("%q:\n    redis: %q\n    titan: %q", input, want, got)
		}
	}
}

// dropHello removes a HELLO 3 reply (a map of 7 pairs) from the front of
// a transcript.
func dropHello(s string) string {
	if !strings.HasPrefix(s, "%7\r\n") {
		return s
	}
	i := strings.Index(s, "$7\r\nmodules\r\n*0\r\n")
	return s[i+len("$7\r\nmodules\r\n*0\r\n"):]
}

// clientFields parses a CLIENT LIST line into its field names, in order,
// and values.
func clientFields(t *testing.T, line string) ([]string, map[string]string) {
	t.Helper()
	var names []string
	vals := map[string]string{}
	for _, f := range strings.Fields(line) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			t.Fatalf("CLIENT LIST field %q in %q", f, line)
		}
		names = append(names, k)
		vals[k] = v
	}
	return names, vals
}

// TestClientListFields runs the same sessions on titan and redis-server
// and compares the CLIENT LIST and CLIENT INFO lines: the same fields in
// the same order, and the same values where they do not depend on the
// server (flags, db, multi, cmd, resp, name, user...).
func TestClientListFields(t *testing.T) {
	env := startDiffEnv(t)
	compared := []string{"name", "flags", "db", "sub", "psub", "ssub", "multi", "events", "cmd", "user", "redir", "resp"}
	lines := func(addr string) []string {
		watched := dialRaw(t, addr)
		watched.send("HELLO 3\r\n")
		readRaw(watched)
		watched.send("CLIENT SETNAME w1\r\nSELECT 5\r\nCLIENT NO-EVICT ON\r\nCLIENT INFO\r\n")
		var out []string
		for i := 0; i < 3; i++ {
			watched.line()
		}
		out = append(out, readRaw(watched).str)
		watched.send("CLIENT ID\r\n")
		id := strings.TrimPrefix(watched.line(), ":")
		watched.send("MULTI\r\nPING\r\nSET k v\r\n")
		for i := 0; i < 3; i++ {
			watched.line()
		}
		other := dialRaw(t, addr)
		other.send("CLIENT LIST ID " + id + "\r\n")
		out = append(out, readRaw(other).str)
		watched.send("DISCARD\r\nCLIENT NO-EVICT OFF\r\nHELLO 2\r\n")
		watched.line()
		watched.line()
		readRaw(watched)
		other.send("CLIENT LIST ID " + id + "\r\nCLIENT LIST TYPE normal\r\nCLIENT INFO\r\n")
		out = append(out, readRaw(other).str)
		all := readRaw(other).str
		if n := strings.Count(all, "\n"); n < 2 || !strings.HasSuffix(all, "\n") || !strings.Contains(all, "id="+id+" ") {
			t.Errorf("CLIENT LIST TYPE normal on %s: %d lines: %q", addr, n, all)
		}
		out = append(out, readRaw(other).str)
		return out
	}
	want, got := lines(env.redisAddr), lines(env.ti.Addr)
	for i := range want {
		wn, wv := clientFields(t, want[i])
		gn, gv := clientFields(t, got[i])
		if strings.Join(wn, " ") != strings.Join(gn, " ") {
			t.Errorf("line %d fields:\n    redis: %v\n    titan: %v", i, wn, gn)
		}
		for _, f := range compared {
			if wv[f] != gv[f] {
				t.Errorf("line %d, %s: redis %q, titan %q\n    redis: %s\n    titan: %s", i, f, wv[f], gv[f], want[i], got[i])
			}
		}
	}
}

// TestClientPause checks CLIENT PAUSE WRITE and ALL and CLIENT UNPAUSE on
// titan: held commands wait for the end of the pause, others run.
func TestClientPause(t *testing.T) {
	ti := startTitan(t)
	ti.logOnFailure(t)
	ctx := context.Background()
	admin := ti.Client()
	c := ti.Client()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}

	// WRITE: reads run at once, writes wait until the pause ends.
	if err := admin.Do(ctx, "client", "pause", "600", "write").Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" || time.Since(start) > 300*time.Millisecond {
		t.Fatalf("GET during PAUSE WRITE = %q, %v after %v", v, err, time.Since(start))
	}
	if err := c.Set(ctx, "k", "w", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Fatalf("SET during PAUSE WRITE returned after %v", d)
	}

	// ALL: reads (and CLIENT UNPAUSE, as in Redis) wait too.
	if err := admin.Do(ctx, "client", "pause", "700", "all").Err(); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := admin.Do(ctx, "client", "unpause").Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "w" {
		t.Fatalf("GET after PAUSE ALL = %q, %v", v, err)
	}
	if d := time.Since(start); d < 550*time.Millisecond {
		t.Fatalf("UNPAUSE and GET during PAUSE ALL returned after %v", d)
	}

	// UNPAUSE (a command that does not write) releases a waiting write.
	if err := admin.Do(ctx, "client", "pause", "60000", "write").Err(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Set(ctx, "k", "x", 0).Err() }()
	select {
	case err := <-done:
		t.Fatalf("SET ran during PAUSE WRITE: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	unpaused := time.Now()
	if err := admin.Do(ctx, "client", "unpause").Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil || time.Since(unpaused) > 2*time.Second {
			t.Fatalf("SET after UNPAUSE: %v after %v", err, time.Since(unpaused))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("SET still waiting after UNPAUSE")
	}
	if v, _ := c.Get(ctx, "k").Result(); v != "x" {
		t.Fatalf("GET = %q", v)
	}
}

// TestClientListBuffers: CLIENT LIST's omem shows the replies a client
// does not read, as Redis's output buffer does.
func TestClientListBuffers(t *testing.T) {
	ti := startTitan(t)
	ti.logOnFailure(t)
	ctx := context.Background()
	c := ti.Client()
	big := strings.Repeat("x", 4<<20)
	if err := c.Set(ctx, "big", big, 0).Err(); err != nil {
		t.Fatal(err)
	}
	slow := dialRaw(t, ti.Addr)
	slow.send("CLIENT ID\r\n")
	id := strings.TrimPrefix(slow.line(), ":")
	// 40MB of replies the client does not read: the write blocks.
	slow.send(strings.Repeat("GET big\r\n", 10))
	var line string
	waitFor(t, 10*time.Second, "omem of a client that does not read", func() bool {
		line = c.Do(ctx, "client", "list", "id", id).Val().(string)
		_, v := clientFields(t, strings.TrimSpace(line))
		return v["omem"] != "0" && v["omem"] != ""
	})
	_, v := clientFields(t, strings.TrimSpace(line))
	if v["omem"] != v["obl"] || len(v["omem"]) < 7 {
		t.Fatalf("CLIENT LIST of a client not reading 40MB: %s", line)
	}
}
