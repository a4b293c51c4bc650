package copier

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

// recorder passes pipelines through to p, recording them.
type recorder struct {
	p Pipeliner

	mu    sync.Mutex
	calls [][][][]byte
}

func (r *recorder) Pipeline(ctx context.Context, cmds [][][]byte) ([]resp.Value, error) {
	r.mu.Lock()
	r.calls = append(r.calls, append([][][]byte(nil), cmds...)) // callers reuse cmds
	r.mu.Unlock()
	return r.p.Pipeline(ctx, cmds)
}

// commands returns every recorded command, flattened, as name + args.
func (r *recorder) commands() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]string
	for _, call := range r.calls {
		for _, c := range call {
			s := make([]string, len(c))
			for i, a := range c {
				s[i] = string(a)
			}
			out = append(out, s)
		}
	}
	return out
}

func do(t *testing.T, p *resp.Pool, args ...string) resp.Value {
	t.Helper()
	v := testutil.Do(t, p, args...)
	if v.IsError() {
		t.Fatalf("%v: %v", args, v)
	}
	return v
}

// pair starts a source and a destination redis-server.
func pair(t *testing.T) (src, dst *resp.Pool) {
	t.Helper()
	return testutil.Client(t, testutil.StartRedis(t).Addr), testutil.Client(t, testutil.StartRedis(t).Addr)
}

// fill writes a collection of n elements of typ to key on p.
func fill(t *testing.T, p *resp.Pool, typ, key string, n int) {
	t.Helper()
	for lo := 0; lo < n; lo += 100 {
		var cmd []string
		switch typ {
		case TypeHash:
			cmd = []string{"HSET", key}
		case TypeList:
			cmd = []string{"RPUSH", key}
		case TypeSet:
			cmd = []string{"SADD", key}
		case TypeZSet:
			cmd = []string{"ZADD", key}
		}
		for i := lo; i < min(lo+100, n); i++ {
			switch typ {
			case TypeHash:
				cmd = append(cmd, "field"+strconv.Itoa(i), "value"+strconv.Itoa(i*i))
			case TypeList:
				cmd = append(cmd, "item"+strconv.Itoa(i%7)) // duplicates: order matters
			case TypeSet:
				cmd = append(cmd, "member"+strconv.Itoa(i))
			case TypeZSet:
				cmd = append(cmd, strconv.FormatFloat(float64(i)*0.25-3, 'g', -1, 64), "m"+strconv.Itoa(i))
			}
		}
		do(t, p, cmd...)
	}
}

// dump renders key's value on p canonically (sorted where Redis does not
// define an order).
func dump(t *testing.T, p *resp.Pool, key string) string {
	t.Helper()
	typ := string(do(t, p, "TYPE", key).Str)
	var v resp.Value
	switch typ {
	case "none":
		return "none"
	case TypeString:
		v = do(t, p, "GET", key)
	case TypeList:
		v = do(t, p, "LRANGE", key, "0", "-1")
	case TypeHash:
		v = do(t, p, "HGETALL", key)
	case TypeSet:
		v = do(t, p, "SMEMBERS", key)
	case TypeZSet:
		v = do(t, p, "ZRANGE", key, "0", "-1", "WITHSCORES")
	}
	parts := []string{}
	for _, e := range v.Elems {
		parts = append(parts, string(e.Str))
	}
	switch typ {
	case TypeString:
		parts = []string{string(v.Str)}
	case TypeHash:
		var pairs []string
		for i := 0; i+1 < len(parts); i += 2 {
			pairs = append(pairs, parts[i]+"="+parts[i+1])
		}
		parts = pairs
		sort.Strings(parts)
	case TypeSet:
		sort.Strings(parts)
	}
	return typ + ":" + strings.Join(parts, ",")
}

// checkSame fails unless key has the same type, value and (within slack)
// absolute expiry on both servers.
func checkSame(t *testing.T, src, dst *resp.Pool, key string, slack time.Duration) {
	t.Helper()
	if a, b := dump(t, src, key), dump(t, dst, key); a != b {
		t.Errorf("%s differs:\n source %.200s\n target %.200s", key, a, b)
	}
	a, b := do(t, src, "PTTL", key).Int, do(t, dst, "PTTL", key).Int
	if (a < 0) != (b < 0) || time.Duration(abs(a-b))*time.Millisecond > slack {
		t.Errorf("%s: PTTL source %d, target %d", key, a, b)
	}
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func noTmpKeys(t *testing.T, p *resp.Pool) {
	t.Helper()
	if v := do(t, p, "KEYS", ReservedPrefix+"*"); len(v.Elems) != 0 {
		t.Errorf("temporary keys left on the target: %v", v)
	}
}

// copyAll copies keys from src to dst through the pipeliners given and
// checks that every key arrived whole, with its TTL, and that no
// temporary key was left behind.
func copyAll(t *testing.T, c Copier, src, dst *resp.Pool, from, to Pipeliner, keys [][]byte) {
	t.Helper()
	n, err := c.Copy(context.Background(), from, to, keys)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(keys) {
		t.Errorf("Copy reported %d keys written, want %d", n, len(keys))
	}
	for _, k := range keys {
		checkSame(t, src, dst, string(k), 500*time.Millisecond)
	}
	noTmpKeys(t, dst)
}

func TestCopyEveryTypeWithAndWithoutTTL(t *testing.T) {
	src, dst := pair(t)
	var keys [][]byte
	for _, typ := range []string{TypeString, TypeHash, TypeList, TypeSet, TypeZSet} {
		for _, ttl := range []bool{false, true} {
			k := fmt.Sprintf("%s:ttl=%t", typ, ttl)
			if typ == TypeString {
				do(t, src, "SET", k, "binary\x00\r\nvalue")
			} else {
				fill(t, src, typ, k, 20)
			}
			if ttl {
				do(t, src, "PEXPIRE", k, "500000")
			}
			keys = append(keys, []byte(k))
		}
	}
	rec := &recorder{p: dst}
	copyAll(t, Copier{Page: 512}, src, dst, src, rec, keys)

	// The whole batch went to the target in one round trip, as one
	// MULTI/EXEC, with one multi-element command per collection and
	// absolute expiries.
	if len(rec.calls) != 1 {
		t.Fatalf("%d round trips to the target, want 1", len(rec.calls))
	}
	cmds := rec.commands()
	if cmds[0][0] != "MULTI" || cmds[len(cmds)-1][0] != "EXEC" {
		t.Errorf("batch not wrapped in MULTI/EXEC: first %v, last %v", cmds[0], cmds[len(cmds)-1])
	}
	counts := map[string]int{}
	for _, c := range cmds {
		counts[c[0]]++
		if c[0] == "PEXPIRE" || c[0] == "EXPIRE" || (c[0] == "SET" && len(c) > 3 && c[3] != "PXAT") {
			t.Errorf("relative expiry %v: a delayed write would outlive the source key", c)
		}
	}
	for _, name := range []string{"HSET", "RPUSH", "SADD", "ZADD"} {
		if counts[name] != 2 {
			t.Errorf("%d %s commands for two 20-element collections, want 2 (one per key)", counts[name], name)
		}
	}
	if counts["PEXPIREAT"] != 4 || counts["SET"] != 2 {
		t.Errorf("commands: %v", counts)
	}
}

func TestCopyLargeCollectionsInChunks(t *testing.T) {
	src, dst := pair(t)
	// Keep the source's collections out of the compact encodings, whose
	// *SCAN returns everything at once whatever COUNT says. (Unknown
	// settings, e.g. set-max-listpack-entries before Redis 7.2, are fine.)
	for _, setting := range []string{"hash-max-ziplist-entries", "zset-max-ziplist-entries", "set-max-listpack-entries"} {
		testutil.Do(t, src, "CONFIG", "SET", setting, "16")
	}
	const n, page = 300, 40 // above Redis' listpack limits: HSCAN/SSCAN/ZSCAN page
	types := []string{TypeHash, TypeList, TypeSet, TypeZSet}
	var keys [][]byte
	for _, typ := range types {
		k := "big:" + typ
		fill(t, src, typ, k, n)
		do(t, src, "PEXPIRE", k, "700000")
		keys = append(keys, []byte(k))
		// An older, larger value on the target must be replaced, not merged.
		fill(t, dst, typ, k, n+50)
	}
	srcRec, dstRec := &recorder{p: src}, &recorder{p: dst}
	copyAll(t, Copier{Page: page}, src, dst, srcRec, dstRec, keys)

	// Reads were paged ...
	reads := map[string]int{}
	for _, cmd := range srcRec.commands() {
		reads[cmd[0]]++
	}
	for _, name := range []string{"HSCAN", "SSCAN", "ZSCAN", "LRANGE"} {
		if reads[name] < 2 {
			t.Errorf("%d %s reads of %d elements with page %d: not paged", reads[name], name, n, page)
		}
	}
	// ... and so were writes: into the temporary key, at most page
	// elements per command, never one command per element.
	writes := map[string]int{}
	renamed := 0
	for _, cmd := range dstRec.commands() {
		switch cmd[0] {
		case "HSET", "RPUSH", "SADD", "ZADD":
			writes[cmd[0]]++
			elems := len(cmd) - 2
			if cmd[0] == "HSET" || cmd[0] == "ZADD" {
				elems /= 2
			}
			if elems > page || elems < 1 {
				t.Errorf("%s %s with %d elements, page is %d", cmd[0], cmd[1], elems, page)
			}
			if !strings.HasPrefix(cmd[1], ReservedPrefix+"tmp:") {
				t.Errorf("large collection written in place: %s %s", cmd[0], cmd[1])
			}
		case "RENAME":
			renamed++
		}
	}
	for _, name := range []string{"HSET", "RPUSH", "SADD", "ZADD"} {
		if want := (n + page - 1) / page; writes[name] < want || writes[name] > n/2 {
			t.Errorf("%d %s commands for %d elements, want about %d", writes[name], name, n, want)
		}
	}
	if renamed != len(types) {
		t.Errorf("%d RENAMEs, want %d", renamed, len(types))
	}
}

func TestCopyReplacesAndDeletes(t *testing.T) {
	src, dst := pair(t)
	ctx := context.Background()
	do(t, src, "HSET", "retyped", "f", "v")
	do(t, dst, "SET", "retyped", "old", "PX", "900000") // other type, with a TTL
	do(t, src, "SADD", "shrunk", "a")
	do(t, dst, "SADD", "shrunk", "a", "b", "c")
	do(t, src, "SET", "persisted", "v")
	do(t, dst, "SET", "persisted", "v", "PX", "900000")
	do(t, dst, "RPUSH", "gone", "x") // absent on the source
	do(t, src, "SET", "expiring", "v", "PX", "30")
	keys := resp.Args("retyped", "shrunk", "persisted", "gone", "expiring", "never-existed")

	c := Copier{}
	snaps, err := c.Read(ctx, src, keys)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond) // "expiring" runs out between read and write
	n, err := c.Write(ctx, src, dst, snaps)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("written %d keys, want 3", n)
	}
	for _, k := range []string{"retyped", "shrunk", "persisted"} {
		checkSame(t, src, dst, k, 0)
	}
	for _, k := range []string{"gone", "expiring", "never-existed"} {
		if v := do(t, dst, "EXISTS", k); v.Int != 0 {
			t.Errorf("%s still exists on the target", k)
		}
	}
}

// lateExpiry holds back every pipeline that sets an expiry, as a loaded
// destination applying a batch late would.
type lateExpiry struct {
	p     Pipeliner
	delay time.Duration
}

func (l lateExpiry) Pipeline(ctx context.Context, cmds [][][]byte) ([]resp.Value, error) {
	for _, c := range cmds {
		name := strings.ToUpper(string(c[0]))
		if strings.Contains(name, "EXPIRE") || (name == "SET" && len(c) > 3) {
			time.Sleep(l.delay)
			break
		}
	}
	return l.p.Pipeline(ctx, cmds)
}

// TestCopyExpiryIsAbsolute: a copy applied late must still expire when the
// source key does, not one delay later.
func TestCopyExpiryIsAbsolute(t *testing.T) {
	src, dst := pair(t)
	ctx := context.Background()
	do(t, src, "SET", "s", "v", "PX", "600000")
	fill(t, src, TypeHash, "h", 5)
	do(t, src, "PEXPIRE", "h", "600000")
	fill(t, src, TypeList, "big", 50)
	do(t, src, "PEXPIRE", "big", "600000")
	const delay = 600 * time.Millisecond
	c := Copier{Page: 10}
	if _, err := c.Copy(ctx, src, lateExpiry{p: dst, delay: delay}, resp.Args("s", "h", "big")); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"s", "h", "big"} {
		checkSame(t, src, dst, k, delay/2)
	}
}

func TestReadPagesAndReadFull(t *testing.T) {
	src, _ := pair(t)
	ctx := context.Background()
	fill(t, src, TypeList, "l", 25)
	do(t, src, "SET", "s", "x")
	c := Copier{Page: 10}
	snaps, err := c.Read(ctx, src, resp.Args("l", "s", "missing"))
	if err != nil {
		t.Fatal(err)
	}
	l := snaps[0]
	if l.Type != TypeList || l.Len != 25 || len(l.Items) != 10 || l.Complete() || l.Cursor != "10" {
		t.Fatalf("first page of a 25-element list: %+v", l)
	}
	if s := snaps[1]; s.Type != TypeString || string(s.Str) != "x" || !s.Complete() || s.PTTL != -1 {
		t.Fatalf("string snapshot: %+v", s)
	}
	if m := snaps[2]; m.Type != TypeNone {
		t.Fatalf("missing key: %+v", m)
	}
	full, err := c.ReadFull(ctx, src, resp.Args("l"))
	if err != nil {
		t.Fatal(err)
	}
	if len(full[0].Items) != 25 || !full[0].Complete() {
		t.Fatalf("ReadFull: %d items, complete %v", len(full[0].Items), full[0].Complete())
	}
	for i, it := range full[0].Items {
		if want := "item" + strconv.Itoa(i%7); string(it) != want {
			t.Fatalf("item %d = %q, want %q", i, it, want)
		}
	}
}

// script is a Pipeliner answering each pipeline with canned replies.
type script struct {
	replies func(cmds [][][]byte) ([]resp.Value, error)
}

func (s script) Pipeline(_ context.Context, cmds [][][]byte) ([]resp.Value, error) {
	return s.replies(cmds)
}

func TestExecAtomicErrors(t *testing.T) {
	ok := resp.OK()
	queued := resp.Value{Kind: resp.SimpleString, Str: []byte("QUEUED")}
	cmds := [][][]byte{resp.Args("DEL", "a"), resp.Args("HSET", "a", "f", "v"), resp.Args("PEXPIREAT", "a", "1")}
	cases := []struct {
		name    string
		replies func([][][]byte) ([]resp.Value, error)
		want    string
	}{
		{"success", func(c [][][]byte) ([]resp.Value, error) {
			return []resp.Value{ok, queued, queued, queued, resp.Arr([]resp.Value{resp.Int(0), resp.Int(1), resp.Int(1)})}, nil
		}, ""},
		{"transport", func([][][]byte) ([]resp.Value, error) { return nil, errors.New("connection reset") }, "connection reset"},
		{"queueing error", func([][][]byte) ([]resp.Value, error) {
			return []resp.Value{ok, queued, resp.Err("ERR key, field or member too long"), queued, resp.Err("EXECABORT Transaction discarded")}, nil
		}, `HSET "a": ERR key, field or member too long`},
		{"exec error", func([][][]byte) ([]resp.Value, error) {
			return []resp.Value{ok, queued, queued, queued, resp.Arr([]resp.Value{resp.Int(0), resp.Err("WRONGTYPE x"), resp.Int(1)})}, nil
		}, `HSET "a": WRONGTYPE x`},
		{"exec aborted", func([][][]byte) ([]resp.Value, error) {
			return []resp.Value{ok, queued, queued, queued, {Kind: resp.Array, Null: true}}, nil
		}, "EXEC: unexpected reply"},
		{"short exec reply", func([][][]byte) ([]resp.Value, error) {
			return []resp.Value{ok, queued, queued, queued, resp.Arr([]resp.Value{resp.Int(0)})}, nil
		}, "EXEC: unexpected reply"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var sent [][][]byte
			err := execAtomic(context.Background(), script{func(cs [][][]byte) ([]resp.Value, error) {
				sent = cs
				return c.replies(cs)
			}}, cmds)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(sent) != len(cmds)+2 || string(sent[0][0]) != "MULTI" || string(sent[len(sent)-1][0]) != "EXEC" {
					t.Fatalf("sent %q", sent)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
	// One command needs no transaction.
	var sent [][][]byte
	err := execAtomic(context.Background(), script{func(cs [][][]byte) ([]resp.Value, error) {
		sent = cs
		return []resp.Value{resp.Int(1)}, nil
	}}, cmds[:1])
	if err != nil || len(sent) != 1 {
		t.Fatalf("single command: sent %q, err %v", sent, err)
	}
	if err := execAtomic(context.Background(), script{func([][][]byte) ([]resp.Value, error) {
		t.Fatal("empty batch sent")
		return nil, nil
	}}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentCopiesOfOneKey: copiers of the same big key (sync, verify
// --fix, the proxy's repairs) each assemble it in a temporary key of their
// own, so none wipes another's pages: the key arrives whole every time.
func TestConcurrentCopiesOfOneKey(t *testing.T) {
	src, dst := pair(t)
	fill(t, src, TypeHash, "big", 3000)
	var wg sync.WaitGroup
	var progress atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := Copier{Page: 100, Progress: func(_ []byte, n int) { progress.Add(int64(n)) }}
			if _, err := c.Copy(context.Background(), src, dst, [][]byte{[]byte("big")}); err != nil {
				t.Error(err)
			}
			if n := do(t, dst, "HLEN", "big").Int; n != 3000 {
				t.Errorf("HLEN after a copy: %d, want 3000", n)
			}
		}()
	}
	wg.Wait()
	checkSame(t, src, dst, "big", time.Second)
	noTmpKeys(t, dst)
	if progress.Load() != 4*3000 {
		t.Errorf("progress counted %d elements, want %d", progress.Load(), 4*3000)
	}
}

// TestAbandonedTemporaryKeyExpires: a copier that dies mid-copy leaves a
// temporary key that expires by itself.
func TestAbandonedTemporaryKeyExpires(t *testing.T) {
	src, dst := pair(t)
	fill(t, src, TypeSet, "big", 300)
	c := Copier{Page: 100}
	snaps, err := c.Read(context.Background(), src, [][]byte{[]byte("big")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.Progress = func([]byte, int) { cancel() } // dies after the first page
	c.Write(ctx, src, dst, snaps)
	v := do(t, dst, "KEYS", TmpPrefix+"*")
	for _, k := range v.Elems {
		if ttl := do(t, dst, "PTTL", string(k.Str)).Int; ttl <= 0 || ttl > tmpTTL.Milliseconds() {
			t.Errorf("temporary key %s left with PTTL %d", k.Str, ttl)
		}
	}
}
