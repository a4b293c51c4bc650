package tests

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// diffConnection compares the connection and server commands with
// redis-server, where their replies do not depend on the server's state.
func diffConnection(t *testing.T, d *differ) {
	d.t = t
	d.run(
		"flushall",
		"ping", "ping hello", "ping a b", "PING", `ping ""`, "echo", "echo hi", "echo a b", `echo "\x00\r\n"`,
		"select", "select 16", "select -1", "select abc", "select 1.5", "select 0 1", "select 15", "select 0",
		"auth", "auth foo", "auth default anything", "auth foo bar", "auth a b c",
		"hello 1", "hello 4", "hello 0", "hello abc", "hello 2 foo", "hello 2 auth", "hello 2 auth default",
		"hello 2 setname", `hello 2 setname "a b"`, "hello 2 auth foo bar", "hello 2 auth default x foo",
		"~* hello 2", "~* hello", "~* hello 2 auth default x", "~* hello 2 setname conn1", "client getname",
		"client getname x", "client setname foo", "client getname", `client setname "a b"`, `client setname "a\nb"`,
		`client setname ""`, "client getname", "client setname", "client setname a b",
		"client", "client foo", "client id x", "client info x", "client help x",
		"client kill", "client kill 1.2.3.4:5", "client kill id abc", "client kill id 0", "client kill id -1",
		"client kill id 99999", "client kill foo bar", "client kill addr 1.2.3.4:5", "client kill addr",
		"client kill id 99999 foo", "client kill skipme maybe", "client kill skipme no id 99999",
		"client kill user foo", "client kill user default id 99999", "client kill type foo",
		"client kill type normal id 99999", "client kill type pubsub", "client kill laddr x", "client kill a b c d",
		"client no-evict on", "client no-evict off", "client no-evict foo", "client no-evict",
		"client reply on", "client reply foo", "client reply",
		"client list x", "client list type foo", "client list id abc", "client list id 99999", "client list type master",
		"client list type replica", "client list id", "client list type",
		"dbsize x", "flushdb foo", "flushdb async", "flushdb sync", "flushall async", "flushall x y",
		"time x", "lastsave x",
		"config", "config get", "config get maxmemory", "config get nonexistent", "config get maxmemory-p*",
		"pairs config get maxmemory databases", "config get databases", "config get DATABASES",
		"config foo", "config set", "config set foo", "config set foo bar", "config set a b c",
		"config resetstat x", "config rewrite x", "config help x",
		"command count x", "command foo", "command getkeys", "command getkeys get", "command getkeys foo bar",
		"command getkeys ping x", "command getkeys get a b", "command getkeys get a", "command getkeys mset a b c d",
		"command getkeys set a b ex 10", "command getkeys del a b c", "command getkeys bitop and d s1 s2",
		"command getkeys copy a b", "command getkeys rename a b", "command getkeys mget a b", "command getkeys set a",
		"command list filterby foo x", "command list x", "command list filterby pattern",
		`command list filterby pattern "getr*"`, `command list filterby pattern "bit?os"`, "command list filterby module x",
		"command info nonexistent", "command docs nonexistent", "command help x",
		"info foo", "info foo bar",
		"unknowncmd", "unknowncmd a b", `unknowncmd "a b" c`, "GET", "SeT k", "Get a b", "reset x", "multi x",
		"unknowncmd aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbb",
		"unknowncmd aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbb cccc",
		`client setname ""`,
	)

	// COMMAND INFO: name, arity and key positions must agree with Redis,
	// as must the write/readonly flags that clients use to route commands.
	// The foundation's commands must match; differences in the other
	// commands are only logged, for their owners.
	list, err := d.titan.Do(d.ctx, "command", "list").StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	foundation := map[string]bool{}
	for _, n := range strings.Fields(`ping echo quit select auth hello client reset info dbsize flushdb flushall
		time command config lastsave del unlink exists type expire pexpire expireat pexpireat ttl pttl
		expiretime pexpiretime persist rename renamenx copy keys scan randomkey touch object get set setnx
		setex psetex getset getdel getex mget mset msetnx append strlen incr decr incrby decrby incrbyfloat
		getrange substr setrange setbit getbit bitcount bitpos bitop`) {
		foundation[n] = true
	}
	for _, name := range list {
		errorf := func(format string, args ...any) {
			if foundation[name] {
				t.Errorf(format, args...)
			} else {
				t.Logf("(not a foundation command) "+format, args...)
			}
		}
		got, want := d.both("command", "info", name)
		if len(want.elems) != 1 || want.elems[0].null || len(got.elems) != 1 || got.elems[0].null {
			errorf("COMMAND INFO %s: titan %v, redis %v", name, got, want)
			continue
		}
		g, w := got.elems[0].elems, want.elems[0].elems
		if len(g) != len(w) {
			errorf("COMMAND INFO %s: %d fields, redis %d", name, len(g), len(w))
			continue
		}
		if g[1].n != w[1].n {
			errorf("COMMAND INFO %s: arity %d, redis %d", name, g[1].n, w[1].n)
		}
		flags := func(r respReply) map[string]bool {
			m := map[string]bool{}
			for _, f := range r.elems {
				m[f.str] = true
			}
			return m
		}
		gf, wf := flags(g[2]), flags(w[2])
		// Redis describes container commands (OBJECT) without keys and
		// lists them under the subcommands; the key positions of commands
		// with movable keys are not comparable.
		if w[3].n != 0 && !wf["movablekeys"] && (g[3].n != w[3].n || g[4].n != w[4].n || g[5].n != w[5].n) {
			errorf("COMMAND INFO %s: keys %d %d %d, redis %d %d %d", name, g[3].n, g[4].n, g[5].n, w[3].n, w[4].n, w[5].n)
		}
		if len(w[9].elems) == 0 && (gf["write"] != wf["write"] || gf["readonly"] != wf["readonly"]) {
			errorf("COMMAND INFO %s: flags %v, redis %v", name, g[2], w[2])
		}
	}
}

// TestConnectionCommands checks what cannot be compared with redis-server
// line by line: CLIENT ID/LIST/INFO/KILL, HELLO 3, COMMAND, CONFIG GET,
// TIME, RESET, QUIT and INFO.
func TestConnectionCommands(t *testing.T) {
	ti := startTitan(t)
	ctx := context.Background()

	// go-redis asks for RESP3 first (HELLO 3) and speaks it.
	c := ti.Client(func(o *redis.Options) { o.ClientName = "main-conn"; o.PoolSize = 1; o.Protocol = 3 })
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get(ctx, "k").Result(); got != "v" {
		t.Fatalf("GET over RESP3 = %q", got)
	}
	raw := dialRaw(t, ti.Addr)
	for _, proto := range []string{"3", "2"} {
		raw.send("HELLO " + proto + "\r\n")
		helloReply := readRaw(raw)
		hello := map[string]string{}
		for i := 0; i+1 < len(helloReply.elems); i += 2 {
			hello[helloReply.elems[i].str] = helloReply.elems[i+1].String()
		}
		kind := byte('%')
		if proto == "2" {
			kind = '*'
		}
		if helloReply.kind != kind || len(helloReply.elems) != 14 || hello["server"] != `$"redis"` || hello["version"] != `$"7.0.15"` ||
			hello["proto"] != ":"+proto || hello["mode"] != `$"standalone"` || hello["role"] != `$"master"` ||
			hello["modules"] != "*[]" || !strings.HasPrefix(hello["id"], ":") {
			t.Fatalf("HELLO %s = %v", proto, helloReply)
		}
	}
	hello := map[string]string{"id": ":0"}
	raw.send("CLIENT ID\r\n")
	hello["id"] = raw.line()

	// CLIENT ID / GETNAME / LIST / INFO.
	id, err := c.ClientID(ctx).Result()
	if err != nil || id <= 0 {
		t.Fatalf("CLIENT ID = %d, %v", id, err)
	}
	if name, _ := c.ClientGetName(ctx).Result(); name != "main-conn" {
		t.Fatalf("CLIENT GETNAME = %q (go-redis sets it on connect)", name)
	}
	if hello["id"] == ":"+strconv.FormatInt(id, 10) {
		t.Fatal("two connections have the same id")
	}
	info, err := c.ClientInfo(ctx).Result()
	if err != nil || info.ID != id || info.Name != "main-conn" || info.DB != 0 {
		t.Fatalf("CLIENT INFO = %+v, %v", info, err)
	}
	list, err := c.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(list, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("CLIENT LIST has %d lines, want 2:\n%s", len(lines), list)
	}
	lineRE := regexp.MustCompile(`^id=(\d+) addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=\d+ name=(\S*) age=\d+ idle=\d+ flags=N db=(\d+) sub=0 psub=0 ssub=0 multi=-1 qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ multi-mem=\d+ rbs=\d+ rbp=\d+ obl=\d+ oll=\d+ omem=\d+ tot-mem=\d+ events=r cmd=(\S+) user=default redir=-1 resp=([23])$`)
	var ids []int64
	for _, l := range lines {
		m := lineRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("CLIENT LIST line does not look like Redis's: %q", l)
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		ids = append(ids, n)
		if n == id && (m[2] != "main-conn" || m[4] != "client|list" || m[5] != "3") {
			t.Fatalf("CLIENT LIST line of this client: %q", l)
		}
	}
	if ids[0] > ids[1] {
		t.Fatalf("CLIENT LIST is not in connection order: %v", ids)
	}
	if l, _ := c.Do(ctx, "client", "list", "id", strconv.FormatInt(id, 10)).Text(); !strings.HasPrefix(l, "id="+strconv.FormatInt(id, 10)+" ") {
		t.Fatalf("CLIENT LIST ID %d = %q", id, l)
	}
	// CLIENT SETINFO is Redis 7.2's: titan presents 7.0.
	if err := c.Do(ctx, "client", "setinfo", "lib-name", "x").Err(); err == nil || err.Error() != "ERR unknown subcommand 'setinfo'. Try CLIENT HELP." {
		t.Fatalf("CLIENT SETINFO = %v", err)
	}

	// CLIENT KILL by id and by address; the victim's next command fails,
	// everybody else keeps working.
	victim := dialRaw(t, ti.Addr)
	victim.send("CLIENT ID\r\n")
	vid := strings.TrimPrefix(victim.line(), ":")
	if n, err := c.Do(ctx, "client", "kill", "id", vid).Int(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL ID %s = %d, %v", vid, n, err)
	}
	if !victim.closed() {
		t.Fatal("killed client still connected")
	}
	victim2 := dialRaw(t, ti.Addr)
	victim2.send("PING\r\n")
	victim2.line()
	addr := victim2.c.LocalAddr().String()
	if err := c.Do(ctx, "client", "kill", addr).Err(); err != nil {
		t.Fatalf("CLIENT KILL %s: %v", addr, err)
	}
	if !victim2.closed() {
		t.Fatal("client killed by address still connected")
	}
	if err := c.Do(ctx, "client", "kill", addr).Err(); err == nil || err.Error() != "ERR No such client" {
		t.Fatalf("CLIENT KILL of a gone address = %v", err)
	}
	// SKIPME yes (the default) spares the caller; the old form kills it
	// after its reply.
	self := dialRaw(t, ti.Addr)
	self.send("CLIENT KILL ADDR " + self.c.LocalAddr().String() + "\r\n")
	if got := self.line(); got != ":0" {
		t.Fatalf("CLIENT KILL ADDR self (SKIPME yes) = %q", got)
	}
	self.send("CLIENT KILL " + self.c.LocalAddr().String() + "\r\n")
	if got := self.line(); got != "+OK" || !self.closed() {
		t.Fatalf("CLIENT KILL self = %q, want +OK then the connection closed", got)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}

	// RESET and QUIT.
	r := dialRaw(t, ti.Addr)
	r.send("SELECT 3\r\nCLIENT SETNAME x\r\nRESET\r\nCLIENT GETNAME\r\nCLIENT INFO\r\nQUIT\r\nPING\r\n")
	for _, want := range []string{"+OK", "+OK", "+RESET", "$-1"} {
		if got := r.line(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if l := readRaw(r); !strings.Contains(l.str, " db=0 ") || !strings.HasSuffix(l.str, "\n") {
		t.Fatalf("CLIENT INFO after RESET = %v", l)
	}
	if got := r.line(); got != "+OK" || !r.closed() {
		t.Fatalf("QUIT = %q, want +OK and the connection closed without answering PING", got)
	}

	// TIME: seconds and microseconds, close to the local clock.
	tm, err := c.Time(ctx).Result()
	if err != nil || time.Since(tm).Abs() > 5*time.Second {
		t.Fatalf("TIME = %v, %v", tm, err)
	}
	parts, _ := c.Do(ctx, "time").StringSlice()
	if us, _ := strconv.Atoi(parts[1]); len(parts) != 2 || us < 0 || us > 999999 {
		t.Fatalf("TIME = %q", parts)
	}

	// COMMAND COUNT/INFO/DOCS/LIST, as redis-cli and go-redis read them.
	count, err := c.Do(ctx, "command", "count").Int()
	if err != nil || count < 60 {
		t.Fatalf("COMMAND COUNT = %d, %v", count, err)
	}
	// Like Redis's, COMMAND LIST names the subcommands of containers too
	// ("client|list"); COUNT counts the commands alone.
	names, _ := c.Do(ctx, "command", "list").StringSlice()
	top := 0
	for _, n := range names {
		if !strings.Contains(n, "|") {
			top++
		}
	}
	if top != count {
		t.Fatalf("COMMAND LIST has %d commands, COUNT says %d", top, count)
	}
	cmds, err := c.Command(ctx).Result()
	if err != nil || len(cmds) != count {
		t.Fatalf("COMMAND (go-redis) = %d commands, %v", len(cmds), err)
	}
	if g := cmds["get"]; g == nil || g.Arity != 2 || !g.ReadOnly || g.FirstKeyPos != 1 {
		t.Fatalf("COMMAND get = %+v", g)
	}
	if s := cmds["set"]; s == nil || s.Arity != -3 || s.ReadOnly {
		t.Fatalf("COMMAND set = %+v", s)
	}
	infos, err := c.Do(ctx, "command", "info", "get", "nosuchcommand", "mset").Slice()
	if err != nil || len(infos) != 3 || infos[1] != nil {
		t.Fatalf("COMMAND INFO get nosuchcommand mset = %v, %v", infos, err)
	}
	if mset, ok := infos[2].([]any); !ok || len(mset) != 10 || mset[0] != "mset" || mset[4] != int64(-1) || mset[5] != int64(2) {
		t.Fatalf("COMMAND INFO mset = %v", infos[2])
	}
	// COMMAND DOCS is a map in RESP3.
	docs, err := c.Do(ctx, "command", "docs", "get", "set").Result()
	if m, ok := docs.(map[any]any); err != nil || !ok || len(m) != 2 || m["get"] == nil {
		t.Fatalf("COMMAND DOCS get set = %v, %v", docs, err)
	}
	all, err := c.Do(ctx, "command", "docs").Result()
	if m, ok := all.(map[any]any); err != nil || !ok || len(m) != count {
		t.Fatalf("COMMAND DOCS = %v, %v", all, err)
	}
	keys, err := c.CommandGetKeys(ctx, "mset", "a", "1", "b", "2").Result()
	if err != nil || strings.Join(keys, ",") != "a,b" {
		t.Fatalf("COMMAND GETKEYS mset = %v, %v", keys, err)
	}

	// CONFIG GET.
	cfg, err := c.ConfigGet(ctx, "maxmemory").Result()
	if err != nil || len(cfg) != 1 || cfg["maxmemory"] != "0" {
		t.Fatalf("CONFIG GET maxmemory = %v, %v", cfg, err)
	}
	cfg, err = c.ConfigGet(ctx, "*").Result()
	if err != nil || cfg["databases"] != "16" || cfg["proto-max-bulk-len"] != "536870912" || len(cfg) < 10 {
		t.Fatalf("CONFIG GET * = %v, %v", cfg, err)
	}
	if _, port, _ := strings.Cut(ti.Addr, ":"); cfg["port"] != port {
		t.Fatalf("CONFIG GET port = %q, want %q", cfg["port"], port)
	}

	// INFO sections.
	c.Incr(ctx, "counter")
	infoAll, err := c.Info(ctx, "server", "clients", "stats", "keyspace", "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Server\r\n", "redis_version:7.0.15\r\n", "redis_mode:standalone\r\n",
		"tcp_port:", "uptime_in_seconds:", "# Clients\r\n", "connected_clients:", "# Stats\r\n",
		"total_connections_received:", "total_commands_processed:", "# Keyspace\r\n", "db0:keys=2,expires=0,",
		"# Commandstats\r\n", "cmdstat_incr:calls=1,usec="} {
		if !strings.Contains(infoAll, want) {
			t.Errorf("INFO lacks %q:\n%s", want, infoAll)
		}
	}
	if strings.Contains(infoAll, "# Memory") {
		t.Errorf("INFO with sections returned other sections:\n%s", infoAll)
	}
	dflt, _ := c.Info(ctx).Result()
	if !strings.Contains(dflt, "# Server") || !strings.Contains(dflt, "# Keyspace") || strings.Contains(dflt, "# Commandstats") {
		t.Errorf("INFO (default sections):\n%s", dflt)
	}
	if every, _ := c.Info(ctx, "everything").Result(); !strings.Contains(every, "# Commandstats") {
		t.Errorf("INFO everything lacks commandstats:\n%s", every)
	}
}

// TestAuth runs titan with --requirepass.
func TestAuth(t *testing.T) {
	ti := startTitan(t, "--requirepass", "s3cret")
	ctx := context.Background()
	r := dialRaw(t, ti.Addr)
	steps := []struct{ send, want string }{
		{"PING", "-NOAUTH Authentication required."},
		{"GET k", "-NOAUTH Authentication required."},
		{"SELECT 1", "-NOAUTH Authentication required."},
		{"NOSUCHCOMMAND", "-ERR unknown command 'NOSUCHCOMMAND', with args beginning with: "},
		{"GET", "-ERR wrong number of arguments for 'get' command"},
		{"AUTH wrong", "-WRONGPASS invalid username-password pair or user is disabled."},
		{"AUTH default wrong", "-WRONGPASS invalid username-password pair or user is disabled."},
		{"AUTH other s3cret", "-WRONGPASS invalid username-password pair or user is disabled."},
		{"AUTH a b c", "-ERR syntax error"},
		{"HELLO 2", "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"},
		{"HELLO 2 AUTH default wrong", "-WRONGPASS invalid username-password pair or user is disabled."},
		{"HELLO 4 AUTH default s3cret", "-NOPROTO unsupported protocol version"},
		{"HELLO 3 AUTH default wrong", "-WRONGPASS invalid username-password pair or user is disabled."},
		{"PING", "-NOAUTH Authentication required."},
		{"AUTH s3cret", "+OK"},
		{"PING", "+PONG"},
		{"RESET", "+RESET"},
		{"PING", "-NOAUTH Authentication required."},
		{"AUTH default s3cret", "+OK"},
		{"SET k v", "+OK"},
		{"RESET", "+RESET"},
	}
	for _, s := range steps {
		r.send(s.send + "\r\n")
		if got := r.line(); got != s.want {
			t.Fatalf("%s: got %q, want %q", s.send, got, s.want)
		}
	}
	r.send("HELLO 2 AUTH default s3cret SETNAME h\r\n")
	if hr := readRaw(r); len(hr.elems) != 14 {
		t.Fatalf("HELLO 2 AUTH = %v", hr)
	}
	r.send("CLIENT GETNAME\r\nGET k\r\n")
	if a, b, c, d := r.line(), r.line(), r.line(), r.line(); a != "$1" || b != "h" || c != "$1" || d != "v" {
		t.Fatalf("after HELLO AUTH: %q %q %q %q", a, b, c, d)
	}

	r.send("RESET\r\nHELLO 3 AUTH default s3cret\r\n")
	if got := r.line(); got != "+RESET" {
		t.Fatalf("RESET = %q", got)
	}
	if hr := readRaw(r); hr.kind != '%' || len(hr.elems) != 14 {
		t.Fatalf("HELLO 3 AUTH = %v", hr)
	}
	r.send("CLIENT GETNAME\r\n")
	if got := r.line(); got != "_" {
		t.Fatalf("CLIENT GETNAME after RESET in RESP3 = %q", got)
	}

	// go-redis: HELLO 3 with AUTH authenticates; wrong passwords fail.
	good := ti.Client(func(o *redis.Options) { o.Password = "s3cret"; o.Protocol = 3 })
	if got, err := good.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("go-redis with Password: %q, %v", got, err)
	}
	withUser := ti.Client(func(o *redis.Options) { o.Username, o.Password = "default", "s3cret"; o.Protocol = 2 })
	if err := withUser.Ping(ctx).Err(); err != nil {
		t.Fatalf("go-redis with Username default (HELLO 2 AUTH): %v", err)
	}
	bad := ti.Client(func(o *redis.Options) { o.Password = "nope" })
	if err := bad.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Fatalf("go-redis with a wrong password: %v", err)
	}
	none := ti.Client()
	if err := none.Ping(ctx).Err(); err == nil || err.Error() != "NOAUTH Authentication required." {
		t.Fatalf("go-redis without a password: %v", err)
	}
	if v, _ := good.ConfigGet(ctx, "requirepass").Result(); v["requirepass"] != "s3cret" {
		t.Fatalf("CONFIG GET requirepass = %v", v)
	}
}

// TestMetricsAndHealth checks the status endpoint.
func TestMetricsAndHealth(t *testing.T) {
	ti := startTitan(t)
	ctx := context.Background()
	c := ti.Client()
	for i := 0; i < 5; i++ {
		if err := c.Set(ctx, "m"+strconv.Itoa(i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.MGet(ctx, "m0", "m1")
	c.Get(ctx, "m0")
	c.Do(ctx, "incr", "m0") // an error
	c.Do(ctx, "nosuchcommand")

	for _, series := range []string{
		`titan_commands_total{cmd="set",result="ok"}`,
		`titan_commands_total{cmd="incr",result="error"}`,
		`titan_commands_total{cmd="unknown",result="error"}`,
		`titan_tikv_requests_total{type="Prewrite"}`,
		`titan_connected_clients`,
		`titan_connections_total`,
		`titan_txn_commits_total{result="ok"}`,
		`titan_command_duration_seconds_count{cmd="get"}`,
		`go_goroutines`,
		`process_cpu_seconds_total`,
		`process_resident_memory_bytes`,
	} {
		if v := ti.Metric(series); v <= 0 {
			t.Errorf("metric %s = %v, want > 0", series, v)
		}
	}
	if v := ti.Metric(`titan_commands_total{cmd="set",result="ok"}`); v != 5 {
		t.Errorf(`titan_commands_total{cmd="set",result="ok"} = %v, want 5`, v)
	}
	// A cluster commits these one-region transactions in one phase (1PC:
	// a Prewrite, no Commit request); the embedded store in two.
	if v := ti.Metric(`titan_tikv_requests_total{type="Commit"}`); v <= 0 && !onCluster() {
		t.Errorf("metric titan_tikv_requests_total{type=\"Commit\"} = %v, want > 0", v)
	}
	if ti.Metric(`titan_tikv_requests_total{type="Get"}`)+ti.Metric(`titan_tikv_requests_total{type="BatchGet"}`) <= 0 {
		t.Error("no Get or BatchGet request counted")
	}
	if v := ti.Metric("titan_connected_clients"); v < 1 {
		t.Errorf("titan_connected_clients = %v", v)
	}

	resp, err := http.Get("http://" + ti.StatusAddr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" {
		t.Fatalf("/healthz = %d %q", resp.StatusCode, body)
	}
	resp, err = http.Get("http://" + ti.StatusAddr + "/nosuchpage")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Fatalf("/nosuchpage = %d", resp.StatusCode)
		}
	}
}

// readRaw reads one whole reply from a raw connection.
func readRaw(r *rawConn) respReply {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	rep, err := readRESPReply(r.rd)
	if err != nil {
		r.t.Fatalf("read reply: %v", err)
	}
	return rep
}
