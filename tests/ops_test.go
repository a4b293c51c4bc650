package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/titan-kv/titan/conf"
)

// TestOpsDifferential compares CONFIG, SLOWLOG and LATENCY replies whose
// content does not depend on timing with redis-server's.
func TestOpsDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	d.run(
		"config set foo 1", "config set timeout abc", "config set timeout -1", "config set timeout 2147483648",
		"config set maxclients 0", "config set loglevel x", "config set databases 3",
		"config set timeout 1 timeout 2", "config set timeout 1 TIMEOUT 2", "config set timeout 1 foo 2",
		"config set foo 1 timeout x", "config set timeout 1 maxclients", "config set requirepass",
		"config set slowlog-log-slower-than abc", "config set slowlog-log-slower-than -2",
		"config set slowlog-max-len -1", "config set latency-monitor-threshold -1",
		"config set timeout 7", "config get timeout", "config get timeout Timeout TIMEOUT",
		// all or nothing: the bad maxclients undoes timeout
		"config set timeout 9 maxclients abc", "config get timeout", "config set timeout 0",
		"config set TIMEOUT 5 slowlog-max-len 64", "pairs config get timeout slowlog-max-len", "config set timeout 0 slowlog-max-len 128",
		"pairs config get slowlog*", "pairs config get latency-monitor-threshold maxmemory",
		"config get loglevel", "config set loglevel WARNING", "config get loglevel", "config set loglevel notice",
		"config get maxmemory-policy", "config get save", "config get appendonly", "config get nosuch",
		"config rewrite", "config help", "config resetstat",
		"slowlog help", "slowlog len x", "slowlog foo", "slowlog get 1 2", "slowlog get -2", "slowlog get abc",
		"slowlog reset", "slowlog get", "slowlog get 0", "slowlog len", "slowlog reset x",
		"latency latest", "latency history command", "latency reset", "latency reset a b",
		"latency doctor", "latency histogram nosuch", "latency latest x", "latency history", "latency foo",
		"config set slowlog-log-slower-than 0", "slowlog reset", "set k v", "slowlog len",
		"config set slowlog-log-slower-than 10000",
	)
}

// infoSectionText is one section of an INFO reply: its title and its
// fields in order.
type infoSectionText struct {
	title  string
	names  []string
	fields map[string]string
}

// parseInfo parses an INFO reply (the same code for both servers): every
// line is "# Title", "name:value" or empty.
func parseInfo(t *testing.T, text string) []infoSectionText {
	t.Helper()
	var out []infoSectionText
	if !strings.HasSuffix(text, "\r\n") && text != "" {
		t.Fatalf("INFO does not end with CRLF: %q", text[max(0, len(text)-40):])
	}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n") {
		switch {
		case line == "":
		case strings.HasPrefix(line, "# "):
			out = append(out, infoSectionText{title: line[2:], fields: map[string]string{}})
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok || len(out) == 0 || name == "" || strings.ContainsAny(name, " \t") {
				t.Fatalf("INFO line %q is not name:value in a section", line)
			}
			s := &out[len(out)-1]
			s.names = append(s.names, name)
			s.fields[name] = value
		}
	}
	return out
}

func infoOf(t *testing.T, c *redis.Client, args ...any) []infoSectionText {
	t.Helper()
	v, err := c.Do(context.Background(), append([]any{"info"}, args...)...).Text()
	if err != nil {
		t.Fatal(err)
	}
	return parseInfo(t, v)
}

func sectionTitles(ss []infoSectionText) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.title)
	}
	return out
}

// TestInfoFormat parses INFO from titan and redis-server with the same
// code: the same sections in the same order for every selector (titan
// adds its own section), every field Redis has in a section titan has
// too, and the per-command, per-error and per-database lines in Redis's
// format with the same counts after the same commands.
func TestInfoFormat(t *testing.T) {
	env := startDiffEnv(t)
	ti := env.ti.Client(func(o *redis.Options) { o.Protocol = 2 })
	rd := redis.NewClient(&redis.Options{Addr: env.redisAddr, Protocol: 2})
	t.Cleanup(func() { rd.Close() })
	ctx := context.Background()
	for _, c := range []*redis.Client{ti, rd} {
		c.Do(ctx, "flushall")
		c.Do(ctx, "config", "resetstat")
		c.Set(ctx, "k", "v", 0)
		c.Set(ctx, "e", "v", time.Hour)
		c.Get(ctx, "k")
		c.Get(ctx, "nokey")
		c.MGet(ctx, "k", "nokey", "e")
		c.Incr(ctx, "k")                           // ERR not an integer
		c.Do(ctx, "lpush", "k", "x")               // WRONGTYPE
		c.Do(ctx, "nosuchcommand")                 // ERR unknown command
		c.Do(ctx, "get")                           // rejected: arity
		c.Do(ctx, "config", "set", "timeout", "x") // failed config|set
	}
	for _, sel := range [][]any{nil, {"default"}, {"all"}, {"everything"}, {"server"}, {"STATS", "clients"},
		{"commandstats"}, {"errorstats"}, {"latencystats"}, {"keyspace"}, {"nosuch"}, {"modules"}, {"cpu", "cluster"}} {
		got, want := sectionTitles(infoOf(t, ti, sel...)), sectionTitles(infoOf(t, rd, sel...))
		want = slices.DeleteFunc(want, func(s string) bool { return s == "Keysizes" })
		got = slices.DeleteFunc(got, func(s string) bool { return s == "Titan" })
		if !slices.Equal(got, want) {
			t.Errorf("INFO %v sections: titan %v, redis %v", sel, got, want)
		}
	}
	tiAll, rdAll := infoOf(t, ti, "everything"), infoOf(t, rd, "everything")
	bySection := func(ss []infoSectionText) map[string]infoSectionText {
		m := map[string]infoSectionText{}
		for _, s := range ss {
			m[s.title] = s
		}
		return m
	}
	tm, rm := bySection(tiAll), bySection(rdAll)
	for _, title := range []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Cluster"} {
		for _, name := range rm[title].names {
			if _, ok := tm[title].fields[name]; !ok {
				t.Errorf("INFO %s: titan lacks %s", title, name)
			}
		}
	}
	// Commandstats: the same calls, failures and rejections.
	cmdRE := regexp.MustCompile(`^calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),rejected_calls=(\d+),failed_calls=(\d+)$`)
	for _, name := range []string{"cmdstat_set", "cmdstat_get", "cmdstat_mget", "cmdstat_incr", "cmdstat_lpush", "cmdstat_config|set"} {
		g, w := cmdRE.FindStringSubmatch(tm["Commandstats"].fields[name]), cmdRE.FindStringSubmatch(rm["Commandstats"].fields[name])
		if g == nil || w == nil {
			t.Errorf("%s: titan %q, redis %q", name, tm["Commandstats"].fields[name], rm["Commandstats"].fields[name])
			continue
		}
		if g[1] != w[1] || g[4] != w[4] || g[5] != w[5] {
			t.Errorf("%s calls/rejected/failed: titan %v, redis %v", name, g[1:], w[1:])
		}
	}
	// Errorstats: the same codes and counts.
	if g, w := tm["Errorstats"].fields, rm["Errorstats"].fields; !mapsEqual(g, w) {
		t.Errorf("errorstats: titan %v, redis %v", g, w)
	}
	// Latencystats: Redis's format for every command called.
	latRE := regexp.MustCompile(`^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$`)
	for _, s := range []map[string]string{tm["Latencystats"].fields, rm["Latencystats"].fields} {
		for _, name := range []string{"latency_percentiles_usec_set", "latency_percentiles_usec_get"} {
			if !latRE.MatchString(s[name]) {
				t.Errorf("%s = %q", name, s[name])
			}
		}
	}
	// Keyspace: the same keys and expires.
	ksRE := regexp.MustCompile(`^keys=(\d+),expires=(\d+),avg_ttl=\d+$`)
	g, w := ksRE.FindStringSubmatch(tm["Keyspace"].fields["db0"]), ksRE.FindStringSubmatch(rm["Keyspace"].fields["db0"])
	if g == nil || w == nil || g[1] != w[1] || g[2] != w[2] {
		t.Errorf("db0: titan %q, redis %q", tm["Keyspace"].fields["db0"], rm["Keyspace"].fields["db0"])
	}
	// Stats both servers count the same way.
	for _, f := range []string{"keyspace_hits", "keyspace_misses", "total_error_replies"} {
		if tm["Stats"].fields[f] != rm["Stats"].fields[f] {
			t.Errorf("%s: titan %s, redis %s", f, tm["Stats"].fields[f], rm["Stats"].fields[f])
		}
	}
	for _, f := range []string{"total_net_input_bytes", "total_net_output_bytes", "total_commands_processed"} {
		if n, _ := strconv.Atoi(tm["Stats"].fields[f]); n <= 0 {
			t.Errorf("titan %s = %q", f, tm["Stats"].fields[f])
		}
	}
	if n, _ := strconv.Atoi(tm["Titan"].fields["regions_seen"]); n < 1 {
		t.Errorf("titan regions_seen = %q", tm["Titan"].fields["regions_seen"])
	}
	for _, f := range []string{"store", "batches", "txn_conflicts", "background_leader_tasks", "gc_safe_point"} {
		if _, ok := tm["Titan"].fields[f]; !ok {
			t.Errorf("titan section lacks %s", f)
		}
	}
	// RESETSTAT clears commandstats and errorstats on both.
	for _, c := range []*redis.Client{ti, rd} {
		if err := c.Do(ctx, "config", "resetstat").Err(); err != nil {
			t.Fatal(err)
		}
	}
	tm, rm = bySection(infoOf(t, ti, "errorstats", "commandstats")), bySection(infoOf(t, rd, "errorstats", "commandstats"))
	if len(tm["Errorstats"].names) != 0 || len(rm["Errorstats"].names) != 0 {
		t.Errorf("errorstats after RESETSTAT: titan %v, redis %v", tm["Errorstats"].names, rm["Errorstats"].names)
	}
	if got, want := tm["Commandstats"].names, rm["Commandstats"].names; !slices.Equal(got, want) {
		t.Errorf("commandstats after RESETSTAT: titan %v, redis %v", got, want)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// slowEntryText is one SLOWLOG GET entry, parsed the same way for both
// servers.
type slowEntryText struct {
	id, time, usec int64
	args           []string
	addr, name     string
}

func parseSlowlog(t *testing.T, v any) []slowEntryText {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("SLOWLOG GET = %#v, want an array", v)
	}
	var out []slowEntryText
	for _, e := range list {
		f, ok := e.([]any)
		if !ok || len(f) != 6 {
			t.Fatalf("slowlog entry %#v: want 6 fields", e)
		}
		var s slowEntryText
		var ok1, ok2, ok3, ok4, ok5 bool
		s.id, ok1 = f[0].(int64)
		s.time, ok2 = f[1].(int64)
		s.usec, ok3 = f[2].(int64)
		s.addr, ok4 = f[4].(string)
		s.name, ok5 = f[5].(string)
		args, ok6 := f[3].([]any)
		if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
			t.Fatalf("slowlog entry %#v: wrong field types", e)
		}
		for _, a := range args {
			s.args = append(s.args, a.(string))
		}
		out = append(out, s)
	}
	return out
}

// TestSlowlogFormat logs the same commands on both servers and parses
// SLOWLOG GET with the same code: the same arguments (cut and counted as
// Redis does), increasing ids, plausible times, the client's address and
// name.
func TestSlowlogFormat(t *testing.T) {
	env := startDiffEnv(t)
	ctx := context.Background()
	run := func(addr string) []slowEntryText {
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1, ClientName: "slowpoke"})
		defer c.Close()
		must := func(args ...any) {
			if err := c.Do(ctx, args...).Err(); err != nil && err != redis.Nil {
				t.Fatalf("%v: %v", args, err)
			}
		}
		must("config", "set", "slowlog-log-slower-than", "0", "slowlog-max-len", "5")
		must("slowlog", "reset")
		must("set", "k", strings.Repeat("x", 200))
		many := []any{"del"}
		for i := 0; i < 40; i++ {
			many = append(many, fmt.Sprintf("k%d", i))
		}
		must(many...)
		must("get", "k")
		must("config", "set", "requirepass", "")
		c.Do(ctx, "auth", "x", "y") // fails, logged redacted
		must("config", "set", "slowlog-log-slower-than", "-1")
		v, err := c.Do(ctx, "slowlog", "get", "-1").Result()
		if err != nil {
			t.Fatal(err)
		}
		n, _ := c.Do(ctx, "slowlog", "len").Int()
		es := parseSlowlog(t, v)
		if n != len(es) {
			t.Errorf("SLOWLOG LEN %d, GET -1 has %d", n, len(es))
		}
		must("config", "set", "slowlog-log-slower-than", "10000", "slowlog-max-len", "128")
		return es
	}
	got, want := run(env.ti.Addr), run(env.redisAddr)
	if len(got) != len(want) {
		t.Fatalf("titan %d entries, redis %d:\ntitan %v\nredis %v", len(got), len(want), got, want)
	}
	for i := range got {
		if !slices.Equal(got[i].args, want[i].args) {
			t.Errorf("entry %d args:\ntitan %q\nredis %q", i, got[i].args, want[i].args)
		}
		if got[i].name != "slowpoke" || want[i].name != "slowpoke" {
			t.Errorf("entry %d client name: titan %q, redis %q", i, got[i].name, want[i].name)
		}
		if _, _, err := net.SplitHostPort(got[i].addr); err != nil {
			t.Errorf("entry %d addr %q", i, got[i].addr)
		}
		if d := time.Now().Unix() - got[i].time; d < 0 || d > 60 {
			t.Errorf("entry %d time %d", i, got[i].time)
		}
		if i > 0 && got[i].id >= got[i-1].id {
			t.Errorf("ids not decreasing: %d then %d", got[i-1].id, got[i].id)
		}
	}
}

// TestLatencyFormat makes a latency spike on both servers (titan: a store
// delay; redis-server: DEBUG SLEEP) and parses LATENCY LATEST, HISTORY,
// HISTOGRAM and DOCTOR with the same code.
func TestLatencyFormat(t *testing.T) {
	skipOnCluster(t, "the latency spike is the embedded store's --embedded-rpc-delay")
	ti := startTitan(t, "--embedded-rpc-delay", "30ms")
	ti.logOnFailure(t)
	redisAddr := startRedisWith(t, "--enable-debug-command", "yes")
	ctx := context.Background()
	type result struct {
		latest    []any
		history   []any
		histogram map[string]any
		doctor    string
		reset     int64
	}
	run := func(addr string, spike ...any) result {
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 1})
		defer c.Close()
		var r result
		if err := c.Do(ctx, "config", "set", "latency-monitor-threshold", "10").Err(); err != nil {
			t.Fatal(err)
		}
		c.Do(ctx, "latency", "reset")
		c.Set(ctx, "k", "v", 0)
		if err := c.Do(ctx, spike...).Err(); err != nil {
			t.Fatalf("%v: %v", spike, err)
		}
		var err error
		if r.latest, err = c.Do(ctx, "latency", "latest").Slice(); err != nil {
			t.Fatal(err)
		}
		if r.history, err = c.Do(ctx, "latency", "history", "command").Slice(); err != nil {
			t.Fatal(err)
		}
		h, err := c.Do(ctx, "latency", "histogram", "set").Slice()
		if err != nil {
			t.Fatal(err)
		}
		r.histogram = pairsToMap(t, h)
		if r.doctor, err = c.Do(ctx, "latency", "doctor").Text(); err != nil {
			t.Fatal(err)
		}
		if r.reset, err = c.Do(ctx, "latency", "reset", "command").Int64(); err != nil {
			t.Fatal(err)
		}
		c.Do(ctx, "config", "set", "latency-monitor-threshold", "0")
		return r
	}
	check := func(who string, r result) {
		found := false
		for _, e := range r.latest {
			f, ok := e.([]any)
			if !ok || len(f) != 4 {
				t.Fatalf("%s LATENCY LATEST entry %#v", who, e)
			}
			name, _ := f[0].(string)
			ts, _ := f[1].(int64)
			last, _ := f[2].(int64)
			mx, _ := f[3].(int64)
			if name == "command" {
				found = last >= 10 && mx >= last && time.Now().Unix()-ts < 60
			}
		}
		if !found {
			t.Errorf("%s LATENCY LATEST %v: no command event", who, r.latest)
		}
		if len(r.history) == 0 {
			t.Errorf("%s LATENCY HISTORY command is empty", who)
		}
		for _, e := range r.history {
			f, ok := e.([]any)
			if !ok || len(f) != 2 {
				t.Fatalf("%s LATENCY HISTORY entry %#v", who, e)
			}
			if ms, _ := f[1].(int64); ms < 10 {
				t.Errorf("%s history sample %v", who, f)
			}
		}
		set, ok := r.histogram["set"].([]any)
		if !ok {
			t.Fatalf("%s LATENCY HISTOGRAM set = %#v", who, r.histogram)
		}
		hm := pairsToMap(t, set)
		if calls, _ := hm["calls"].(int64); calls < 1 {
			t.Errorf("%s histogram calls %v", who, hm["calls"])
		}
		buckets, ok := hm["histogram_usec"].([]any)
		if !ok || len(buckets) == 0 || len(buckets)%2 != 0 {
			t.Fatalf("%s histogram_usec %#v", who, hm["histogram_usec"])
		}
		var prevBound, prevCount int64
		for i := 0; i < len(buckets); i += 2 {
			b, _ := buckets[i].(int64)
			n, _ := buckets[i+1].(int64)
			if b <= prevBound || n <= prevCount {
				t.Errorf("%s histogram buckets %v: not increasing", who, buckets)
			}
			prevBound, prevCount = b, n
		}
		if !strings.HasPrefix(r.doctor, "Dave, I have observed latency spikes in this Redis instance.") ||
			!strings.Contains(r.doctor, "1. command: ") {
			t.Errorf("%s LATENCY DOCTOR:\n%s", who, r.doctor)
		}
		if r.reset != 1 {
			t.Errorf("%s LATENCY RESET command = %d", who, r.reset)
		}
	}
	check("titan", run(ti.Addr, "set", "k2", "v"))
	check("redis", run(redisAddr, "debug", "sleep", "0.05"))
}

func pairsToMap(t *testing.T, v []any) map[string]any {
	t.Helper()
	if len(v)%2 != 0 {
		t.Fatalf("odd map %v", v)
	}
	m := map[string]any{}
	for i := 0; i < len(v); i += 2 {
		m[fmt.Sprint(v[i])] = v[i+1]
	}
	return m
}

// TestConfigSetApplies checks that CONFIG SET takes effect at once:
// timeout closes idle connections, maxclients refuses connections,
// requirepass asks new and reset connections to AUTH, and the slow log
// follows its parameters.
func TestConfigSetApplies(t *testing.T) {
	ti := startTitan(t)
	ti.logOnFailure(t)
	ctx := context.Background()
	admin := ti.Client(func(o *redis.Options) { o.MaxRetries = 3; o.PoolSize = 1 })
	set := func(args ...string) {
		t.Helper()
		a := []any{"config", "set"}
		for _, s := range args {
			a = append(a, s)
		}
		if err := admin.Do(ctx, a...).Err(); err != nil {
			t.Fatalf("CONFIG SET %v: %v", args, err)
		}
	}

	// timeout: an idle connection is closed after a second.
	set("timeout", "1")
	idle := dialRaw(t, ti.Addr)
	idle.send("PING\r\n")
	expectLine(t, idle, "+PONG")
	time.Sleep(2500 * time.Millisecond)
	if !idle.closed() {
		t.Error("idle connection still open after timeout 1")
	}
	set("timeout", "0")

	// maxclients: beyond it, a new connection is refused.
	set("maxclients", "1")
	extra := dialRaw(t, ti.Addr)
	extra.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := extra.rd.ReadString('\n')
	if !strings.HasPrefix(line, "-ERR max number of clients reached") {
		t.Errorf("connection beyond maxclients 1 got %q", line)
	}
	set("maxclients", "10000")

	// requirepass: new connections must AUTH.
	set("requirepass", "s3cret")
	c := dialRaw(t, ti.Addr)
	c.send("GET k\r\n")
	expectLine(t, c, "-NOAUTH Authentication required.")
	c.send("AUTH s3cret\r\nGET k\r\n")
	expectLine(t, c, "+OK")
	expectLine(t, c, "$-1")
	if err := admin.Do(ctx, "auth", "s3cret").Err(); err != nil {
		t.Fatal(err)
	}
	set("requirepass", "")
	c2 := dialRaw(t, ti.Addr)
	c2.send("GET k\r\n")
	expectLine(t, c2, "$-1")

	// slowlog-max-len trims at once.
	set("slowlog-log-slower-than", "0")
	for i := 0; i < 5; i++ {
		admin.Do(ctx, "get", "k")
	}
	set("slowlog-max-len", "2")
	// CONFIG SET itself is logged, and the log trimmed to 2 again.
	if n, _ := admin.Do(ctx, "slowlog", "len").Int(); n != 2 {
		t.Errorf("SLOWLOG LEN after slowlog-max-len 2 = %d", n)
	}
}

// TestConfigRewrite changes parameters at run time, rewrites the TOML
// file and checks the file loads with the new values (and the others
// kept), then that a restarted titan runs with them.
func TestConfigRewrite(t *testing.T) {
	path := writeTitanConfig(t, "databases = 4\n[batch]\nmax-commands = 100\n")
	ti := startTitan(t, "--config", path)
	ti.logOnFailure(t)
	ctx := context.Background()
	c := ti.Client()
	for _, args := range [][]any{
		{"config", "set", "timeout", "42", "maxclients", "77", "slowlog-log-slower-than", "1234", "slowlog-max-len", "9"},
		{"config", "set", "latency-monitor-threshold", "15", "loglevel", "warning", "requirepass", "pw"},
		{"config", "rewrite"},
	} {
		if err := c.Do(ctx, args...).Err(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	got, err := conf.Load(path)
	if err != nil {
		body, _ := os.ReadFile(path)
		t.Fatalf("rewritten file does not load: %v\n%s", err, body)
	}
	if got.Timeout != 42 || got.MaxClients != 77 || got.Slowlog.LogSlowerThan != 1234 || got.Slowlog.MaxLen != 9 ||
		got.LatencyMonitorThreshold != 15 || got.LogLevel != "warn" || got.RequirePass != "pw" ||
		got.Databases != 4 || got.Batch.MaxCommands != 100 {
		t.Errorf("rewritten config: %+v", got)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("rewritten config does not validate: %v", err)
	}
	ti.Stop()
	ti.Restart()
	c2 := ti.Client(func(o *redis.Options) { o.Password = "pw" })
	v, err := c2.ConfigGet(ctx, "timeout").Result()
	if err != nil || v["timeout"] != "42" {
		t.Fatalf("after restart: CONFIG GET timeout = %v, %v", v, err)
	}
	info, _ := c2.Info(ctx, "server").Result()
	if !strings.Contains(info, "config_file:"+path) {
		t.Errorf("INFO server does not name the config file %s", path)
	}
}

func expectLine(t *testing.T, r *rawConn, want string) {
	t.Helper()
	if got := r.line(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestMemoryCommand compares MEMORY's errors and reply types with
// redis-server's, and checks MEMORY USAGE grows with the value in the
// store.
func TestMemoryCommand(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	d.run(
		"memory", "memory foo", "memory usage", "memory usage nokey", "memory usage nokey samples x",
		"memory usage nokey samples -1", "memory usage nokey foo 1", "memory usage nokey samples",
		"memory purge", "memory purge x", "memory help", "memory doctor x", "memory stats x",
	)
	ctx := context.Background()
	c := env.ti.Client()
	c.Set(ctx, "small", "v", 0)
	c.Set(ctx, "big", strings.Repeat("x", 10000), 0)
	for i := 0; i < 50; i++ {
		c.HSet(ctx, "h", fmt.Sprintf("field%d", i), strings.Repeat("v", 100))
	}
	small, _ := c.MemoryUsage(ctx, "small").Result()
	big, _ := c.MemoryUsage(ctx, "big").Result()
	hAll, _ := c.MemoryUsage(ctx, "h", 0).Result()
	hSampled, _ := c.MemoryUsage(ctx, "h").Result()
	if small <= 0 || big < 10000 || big > 10200 {
		t.Errorf("MEMORY USAGE small %d, big %d", small, big)
	}
	if hAll < 50*100 || hSampled < hAll/2 || hSampled > hAll*2 {
		t.Errorf("MEMORY USAGE h: all %d, sampled %d", hAll, hSampled)
	}
	st, err := c.Do(ctx, "memory", "stats").Slice()
	if err != nil || len(st)%2 != 0 {
		t.Fatalf("MEMORY STATS = %v, %v", st, err)
	}
	m := pairsToMap(t, st)
	if n, _ := m["keys.count"].(int64); n != 3 {
		t.Errorf("MEMORY STATS keys.count = %v", m["keys.count"])
	}
	if doc, _ := c.Do(ctx, "memory", "doctor").Text(); !strings.HasPrefix(doc, "Hi Sam") {
		t.Errorf("MEMORY DOCTOR = %q", doc)
	}
}

// TestLogFormatJSON starts titan with --log-format json: every line it
// logs is a JSON object with time, level and msg.
func TestLogFormatJSON(t *testing.T) {
	ti := startTitan(t, "--log-format", "json")
	ti.logOnFailure(t)
	c := ti.Client()
	c.Do(context.Background(), "config", "rewrite") // logs a warning
	ti.Stop()
	lines := strings.Split(strings.TrimSpace(ti.logs.String()), "\n")
	if len(lines) < 3 {
		t.Fatalf("log: %q", lines)
	}
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		if rec["time"] == nil || rec["level"] == nil || rec["msg"] == nil {
			t.Errorf("log line %q lacks time, level or msg", l)
		}
	}
	if !strings.Contains(ti.logs.String(), `"msg":"CONFIG REWRITE failed"`) {
		t.Errorf("no CONFIG REWRITE warning in %s", ti.logs.String())
	}
}

// TestConfigStartupParams: titan's start-only settings are visible under
// their TOML names and refused by CONFIG SET; the batcher's knobs are
// visible the same way and settable.
func TestConfigStartupParams(t *testing.T) {
	ti := startTitan(t, "--write-batch=false")
	ctx := context.Background()
	c := ti.Client()
	v, err := c.ConfigGet(ctx, "batch.*").Result()
	if err != nil || v["batch.enabled"] != "false" || v["batch.max-commands"] != "256" || v["batch.workers"] != "4" {
		t.Fatalf("CONFIG GET batch.* = %v, %v", v, err)
	}
	err = c.ConfigSet(ctx, "txn.max-retries", "10").Err()
	if err == nil || !strings.HasPrefix(err.Error(), "ERR CONFIG SET failed (possibly related to argument 'txn.max-retries') - applies at start only") {
		t.Fatalf("CONFIG SET txn.max-retries = %v", err)
	}
	for _, bad := range [][2]string{{"batch.max-commands", "0"}, {"batch.workers", "x"}, {"batch.enabled", "maybe"}} {
		err = c.ConfigSet(ctx, bad[0], bad[1]).Err()
		if err == nil || !strings.HasPrefix(err.Error(), "ERR CONFIG SET failed (possibly related to argument '"+bad[0]+"') - argument") {
			t.Errorf("CONFIG SET %s %s = %v", bad[0], bad[1], err)
		}
	}
}

// TestConfigSetBatch: CONFIG SET batch.* changes the running batcher at
// once. With one worker, concurrent writers share batches of at most
// batch.max-commands commands; batch.max-commands 1 makes every batch one
// command; batch.enabled no stops batching; CONFIG REWRITE writes them.
func TestConfigSetBatch(t *testing.T) {
	file := writeTitanConfig(t, "")
	ti := startTitan(t, "--config", file, "--embedded-rpc-delay", "3ms")
	ti.logOnFailure(t)
	ctx := context.Background()
	c := ti.Client(func(o *redis.Options) { o.PoolSize = 40 })
	load := func() {
		var wg sync.WaitGroup
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 4; i++ {
					if err := c.Incr(ctx, fmt.Sprintf("k%d", g)).Err(); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	type snap struct{ n, sum, le4 float64 }
	now := func() snap {
		return snap{ti.Metric("titan_batch_commands_count"), ti.Metric("titan_batch_commands_sum"),
			ti.Metric(`titan_batch_commands_bucket{le="4"}`)}
	}
	phase := func(params ...any) (batches, avg float64, over4 float64) {
		if err := c.ConfigSet(ctx, params[0].(string), params[1].(string)).Err(); err != nil {
			t.Fatal(err)
		}
		for i := 2; i < len(params); i += 2 {
			if err := c.ConfigSet(ctx, params[i].(string), params[i+1].(string)).Err(); err != nil {
				t.Fatal(err)
			}
		}
		before := now()
		load()
		after := now()
		batches = after.n - before.n
		if batches > 0 {
			avg = (after.sum - before.sum) / batches
		}
		return batches, avg, batches - (after.le4 - before.le4)
	}
	if n, avg, over := phase("batch.workers", "1", "batch.max-commands", "4"); n == 0 || avg <= 1 || over != 0 {
		t.Errorf("workers 1, max-commands 4: %v batches of %.2f commands on average, %v over 4", n, avg, over)
	}
	if n, avg, _ := phase("batch.max-commands", "1"); n != 64 || avg != 1 {
		t.Errorf("max-commands 1: %v batches of %.2f commands on average, want 64 of 1", n, avg)
	}
	if n, _, _ := phase("batch.enabled", "no"); n != 0 {
		t.Errorf("batching off: %v batches", n)
	}
	if v, err := c.ConfigGet(ctx, "batch.*").Result(); err != nil || v["batch.enabled"] != "false" || v["batch.max-commands"] != "1" || v["batch.workers"] != "1" {
		t.Fatalf("CONFIG GET batch.* = %v, %v", v, err)
	}
	if err := c.ConfigRewrite(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Batch != (conf.Batch{Enabled: false, MaxCommands: 1, Workers: 1}) {
		t.Errorf("rewritten [batch] = %+v", cfg.Batch)
	}
	if got := c.Get(ctx, "k3").Val(); got != "12" {
		t.Errorf("k3 = %q after 3 rounds of 4 INCRs", got)
	}
}
