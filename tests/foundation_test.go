package tests

// Helpers of the foundation tests (issue 2): the differential checker that
// runs the same command lines against titan and a real redis-server and
// compares the replies byte for byte (reply type, value, error text), and
// small utilities shared by strings_test.go, keys_test.go, expiry_test.go,
// protocol_test.go, persistence_test.go, connection_test.go and cli_test.go.
//
// The reference is redis-server 7.0 (titan reports redis_version 7.0.15).
// Where titan differs on purpose, the differential tables leave the case
// out and another test checks titan's behaviour:
//
//   - The differ speaks RESP2 unless given Protocol: 3 (resp3_test.go
//     runs the RESP3 table).
//   - A string is one TiKV entry, so it may hold just under 8MB instead of
//     512MB, and keys, fields and members must be shorter than 64KB
//     (TestStringSizeLimit).
//   - INCRBYFLOAT computes in x87 long double as Redis does on amd64
//     (redis-server on arm64 uses 128-bit long doubles and differs).
//   - KEYS and SCAN return keys in key order, not hash order, so their
//     replies are compared as sets; SCAN cursors are opaque numbers, so
//     scans are compared by their whole result (scanAll).
//   - OBJECT IDLETIME is always 0 (no access times are kept); OBJECT FREQ
//     fails as in Redis without an LFU policy.
//   - CONFIG SET changes nothing (every parameter is unknown), CONFIG GET
//     knows a subset of Redis's parameters, COMMAND INFO has no ACL
//     categories, tips or key specs, COMMAND DOCS only summaries.
//   - CLIENT REPLY is compared on raw connections (client_test.go).
//   - RANDOMKEY, TIME, CLIENT ID/LIST, INFO and HELLO's id depend on the
//     server and are checked on titan alone.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// respReply is one RESP2 or RESP3 reply as it came off the wire.
type respReply struct {
	kind  byte // + - : $ * and RESP3's % ~ > , _ # = ( !
	str   string
	n     int64
	null  bool
	elems []respReply
}

func (r respReply) String() string {
	switch {
	case r.null:
		return string(r.kind) + "nil"
	case r.kind == ':':
		return ":" + strconv.FormatInt(r.n, 10)
	case isAggregate(r.kind):
		parts := make([]string, len(r.elems))
		for i, e := range r.elems {
			parts[i] = e.String()
		}
		return string(r.kind) + "[" + strings.Join(parts, ", ") + "]"
	case r.kind == '$' || r.kind == '=':
		return "$" + strconv.Quote(r.str)
	}
	return string(r.kind) + r.str
}

// isAggregate reports whether a reply kind has elements: arrays, and
// RESP3's maps (flat keys and values), sets and pushes.
func isAggregate(kind byte) bool {
	return kind == '*' || kind == '%' || kind == '~' || kind == '>'
}

// readReply parses one RESP2 or RESP3 reply.
func readRESPReply(rd *bufio.Reader) (respReply, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return respReply{}, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return respReply{}, fmt.Errorf("empty reply line")
	}
	r := respReply{kind: line[0]}
	body := line[1:]
	switch r.kind {
	case '+', '-', ',', '#', '(':
		r.str = body
	case '_':
		r.null = true
	case ':':
		r.n, err = strconv.ParseInt(body, 10, 64)
	case '$', '=', '!':
		n, perr := strconv.Atoi(body)
		if perr != nil {
			return r, perr
		}
		if n < 0 {
			r.null = true
			return r, nil
		}
		buf := make([]byte, n+2)
		if _, err = io.ReadFull(rd, buf); err == nil {
			r.str = string(buf[:n])
		}
	case '*', '%', '~', '>':
		n, perr := strconv.Atoi(body)
		if perr != nil {
			return r, perr
		}
		if n < 0 {
			r.null = true
			return r, nil
		}
		if r.kind == '%' {
			n *= 2
		}
		for i := 0; i < n && err == nil; i++ {
			var e respReply
			e, err = readRESPReply(rd)
			r.elems = append(r.elems, e)
		}
	default:
		err = fmt.Errorf("unknown reply type %q", line)
	}
	return r, err
}

// respRecorder is a net.Conn that keeps a copy of what it reads, so the
// replies go-redis parsed can be checked byte for byte (go-redis reports
// +OK and $2 OK alike).
type respRecorder struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *respRecorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.buf.Write(p[:n])
	r.mu.Unlock()
	return n, err
}

func (r *respRecorder) take() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := bytes.Clone(r.buf.Bytes())
	r.buf.Reset()
	return b
}

// recordedClient is a single-connection go-redis client speaking RESP2
// (or the protocol an option sets) whose replies are recorded.
type recordedClient struct {
	*redis.Client
	mu  sync.Mutex
	rec *respRecorder
}

func newRecordedClient(t testing.TB, addr string, opts ...func(*redis.Options)) *recordedClient {
	rc := &recordedClient{}
	o := &redis.Options{
		Addr: addr, Protocol: 2, PoolSize: 1, MaxIdleConns: 1, MaxRetries: -1,
		ReadTimeout: 30 * time.Second, DisableIdentity: true,
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			r := &respRecorder{Conn: c}
			rc.mu.Lock()
			rc.rec = r
			rc.mu.Unlock()
			return r, nil
		},
	}
	for _, f := range opts {
		f(o)
	}
	rc.Client = redis.NewClient(o)
	t.Cleanup(func() { rc.Client.Close() })
	if err := rc.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("ping %s: %v", addr, err)
	}
	return rc
}

// do runs one command through go-redis and returns the reply as read off
// the wire, and go-redis's own rendering of it.
func (rc *recordedClient) do(ctx context.Context, args ...any) (respReply, string, error) {
	rc.mu.Lock()
	rec := rc.rec
	rc.mu.Unlock()
	rec.take()
	v, err := rc.Do(ctx, args...).Result()
	goRedis := fmt.Sprintf("%v", v)
	if err != nil {
		goRedis = "error: " + err.Error()
	}
	raw := rec.take()
	r, perr := readRESPReply(bufio.NewReader(bytes.NewReader(raw)))
	if perr != nil {
		return r, goRedis, fmt.Errorf("parse reply %q: %v (go-redis: %s)", raw, perr, goRedis)
	}
	if err != nil && err != redis.Nil && r.kind != '-' {
		return r, goRedis, fmt.Errorf("go-redis failed on %q: %v", raw, err)
	}
	return r, goRedis, nil
}

// differ runs command lines on titan and redis-server and compares.
type differ struct {
	t      *testing.T
	ctx    context.Context
	titan  *recordedClient
	redis  *recordedClient
	failed int
}

// newDiffer starts nothing: it connects one client to each server; opts
// change both clients' options (Protocol: 3 for RESP3).
func newDiffer(t *testing.T, titanAddr, redisAddr string, opts ...func(*redis.Options)) *differ {
	return &differ{t: t, ctx: context.Background(),
		titan: newRecordedClient(t, titanAddr, opts...), redis: newRecordedClient(t, redisAddr, opts...)}
}

// diffEnv is one titan and one redis-server shared by the differential
// tests of a top-level test.
type diffEnv struct {
	ti        *Titan
	redisAddr string
}

func startDiffEnv(t *testing.T, titanArgs ...string) *diffEnv {
	t.Helper()
	var env diffEnv
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); env.redisAddr = startRedis(t).Options().Addr }()
	env.ti = startTitan(t, titanArgs...)
	env.ti.logOnFailure(t)
	wg.Wait()
	return &env
}

// logOnFailure prints the end of titan's log if t fails, and says so if
// the process died.
func (ti *Titan) logOnFailure(t testing.TB) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		logs := ti.logs.String()
		if len(logs) > 6000 {
			logs = "..." + logs[len(logs)-6000:]
		}
		t.Logf("titan alive=%v, log:\n%s", ti.alive(), logs)
	})
}

func (e *diffEnv) differ(t *testing.T) *differ { return newDiffer(t, e.ti.Addr, e.redisAddr) }

// diffLineOpts are the modifiers a command line may start with:
//
//	~N     integers (and integer bulk strings) may differ by N ("~*": any)
//	sorted the elements of an array reply are compared as a set
//	nocmp  run on both, compare nothing (setup whose reply differs)
//	pairs  a flat [k1 v1 k2 v2 ...] reply compared as a map
type diffLineOpts struct {
	tol    int64
	sorted bool
	nocmp  bool
	pairs  bool
}

// parseLine splits a command line: words separated by spaces, or Go
// double-quoted strings (so "\x00\xff" and "a b" are one argument).
func parseDiffLine(line string) (diffLineOpts, []any, error) {
	var o diffLineOpts
	var args []any
	rest := strings.TrimSpace(line)
	for rest != "" {
		var word string
		if rest[0] == '"' {
			end := 1
			for end < len(rest) && rest[end] != '"' {
				if rest[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(rest) {
				return o, nil, fmt.Errorf("unbalanced quotes in %q", line)
			}
			s, err := strconv.Unquote(rest[:end+1])
			if err != nil {
				return o, nil, fmt.Errorf("%q: %v", line, err)
			}
			word, rest = s, strings.TrimSpace(rest[end+1:])
			args = append(args, word)
			continue
		}
		if i := strings.IndexByte(rest, ' '); i >= 0 {
			word, rest = rest[:i], strings.TrimSpace(rest[i+1:])
		} else {
			word, rest = rest, ""
		}
		if len(args) == 0 {
			switch {
			case word == "~*":
				o.tol = math.MaxInt64
				continue
			case strings.HasPrefix(word, "~"):
				n, err := strconv.ParseInt(word[1:], 10, 64)
				if err != nil {
					return o, nil, fmt.Errorf("%q: bad tolerance", line)
				}
				o.tol = n
				continue
			case word == "sorted":
				o.sorted = true
				continue
			case word == "nocmp":
				o.nocmp = true
				continue
			case word == "pairs":
				o.pairs = true
				continue
			}
		}
		args = append(args, word)
	}
	if len(args) == 0 {
		return o, nil, fmt.Errorf("empty line %q", line)
	}
	return o, args, nil
}

func withinTol(a, b, tol int64) bool {
	if tol == math.MaxInt64 {
		return true
	}
	d := a - b
	if d < 0 {
		d = -d
	}
	return d >= 0 && d <= tol
}

// sameReply compares two replies under o.
func sameRESPReply(a, b respReply, o diffLineOpts) bool {
	if a.kind != b.kind || a.null != b.null {
		return false
	}
	switch a.kind {
	case ':':
		return withinTol(a.n, b.n, o.tol)
	case '$':
		if o.tol > 0 {
			x, err1 := strconv.ParseInt(a.str, 10, 64)
			y, err2 := strconv.ParseInt(b.str, 10, 64)
			if err1 == nil && err2 == nil {
				return withinTol(x, y, o.tol)
			}
		}
		return a.str == b.str
	case '*', '%', '~', '>':
		if len(a.elems) != len(b.elems) {
			return false
		}
		ae, be := a.elems, b.elems
		switch {
		case (o.pairs || a.kind == '%') && len(ae)%2 == 0:
			ae, be = sortReplyPairs(ae), sortReplyPairs(be)
		case o.sorted || a.kind == '~':
			ae, be = sortReplyElems(ae), sortReplyElems(be)
		}
		for i := range ae {
			if !sameRESPReply(ae[i], be[i], diffLineOpts{tol: o.tol}) {
				return false
			}
		}
		return true
	}
	return a.str == b.str
}

func sortReplyElems(rs []respReply) []respReply {
	out := append([]respReply(nil), rs...)
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func sortReplyPairs(rs []respReply) []respReply {
	type pair struct{ k, v respReply }
	ps := make([]pair, 0, len(rs)/2)
	for i := 0; i+1 < len(rs); i += 2 {
		ps = append(ps, pair{rs[i], rs[i+1]})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].k.String() < ps[j].k.String() })
	out := make([]respReply, 0, len(rs))
	for _, p := range ps {
		out = append(out, p.k, p.v)
	}
	return out
}

// run runs each line on both servers, in order, and reports every reply
// that differs. It returns the titan reply of the last line.
func (d *differ) run(lines ...string) respReply {
	d.t.Helper()
	var last respReply
	for _, line := range lines {
		o, args, err := parseDiffLine(line)
		if err != nil {
			d.t.Fatal(err)
		}
		want, _, werr := d.redis.do(d.ctx, args...)
		got, goRedis, gerr := d.titan.do(d.ctx, args...)
		if werr != nil {
			d.t.Fatalf("redis-server, %s: %v", line, werr)
		}
		if gerr != nil {
			d.t.Errorf("titan, %s: %v", line, gerr)
			d.failed++
			continue
		}
		last = got
		if o.nocmp {
			continue
		}
		if !sameRESPReply(got, want, o) {
			d.failed++
			d.t.Errorf("%s\n    redis: %s\n    titan: %s (go-redis: %s)", line, want, got, goRedis)
		}
	}
	return last
}

// both runs one command on both servers and returns the two replies.
func (d *differ) both(args ...any) (titan, redis respReply) {
	d.t.Helper()
	var err error
	if redis, _, err = d.redis.do(d.ctx, args...); err != nil {
		d.t.Fatalf("redis-server %v: %v", args, err)
	}
	if titan, _, err = d.titan.do(d.ctx, args...); err != nil {
		d.t.Fatalf("titan %v: %v", args, err)
	}
	return titan, redis
}

// writeConfig writes a TOML config file and returns its path.
func writeTitanConfig(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "titan.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// eventually polls cond every 50ms until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alive reports whether the titan process is still running.
func (ti *Titan) alive() bool {
	select {
	case <-ti.done:
		return false
	default:
		return true
	}
}

// TestFoundationDifferential runs the foundation's commands against titan
// and redis-server and compares every reply: strings, keys, connection
// and server commands, error cases, then random command sequences.
func TestFoundationDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	t.Run("strings", func(t *testing.T) { diffStrings(t, d) })
	t.Run("wrongtype", func(t *testing.T) { d.t = t; diffWrongType(t, d) })
	t.Run("bitranges", func(t *testing.T) { testBitRangesRandom(t, d) })
	t.Run("keys", func(t *testing.T) { diffKeys(t, d) })
	t.Run("connection", func(t *testing.T) { diffConnection(t, d) })
	seeds, n := []uint64{1, 2, 3, 4, 5}, 1000
	if s := os.Getenv("TITAN_DIFF_SEEDS"); s != "" {
		// e.g. TITAN_DIFF_SEEDS=100 for a longer search.
		k, _ := strconv.Atoi(s)
		seeds = nil
		for i := 1; i <= k; i++ {
			seeds = append(seeds, uint64(1000+i))
		}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("random/seed=%d", seed), func(t *testing.T) {
			d.failed = 0
			diffRandom(t, d, seed, n)
		})
	}
}
