package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// streamView renders what the stream commands show of key: XRANGE, XINFO
// STREAM FULL, XINFO GROUPS, XINFO CONSUMERS and XPENDING (summary and
// extended), without the idle times (relative to the moment of the read)
// and, unless radix is set, without XINFO's radix-tree-keys/-nodes (the
// node layout of the server's memory).
func streamView(ctx context.Context, t *testing.T, c interface {
	Do(context.Context, ...any) *redis.Cmd
}, key string, radix bool) string {
	t.Helper()
	var b strings.Builder
	do := func(args ...any) any {
		v, err := c.Do(ctx, args...).Result()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return v
	}
	drop := map[string]bool{"idle": true}
	if !radix {
		drop["radix-tree-keys"], drop["radix-tree-nodes"] = true, true
	}
	fmt.Fprintf(&b, "xrange %v\n", do("xrange", key, "-", "+"))
	fmt.Fprintf(&b, "full %v\n", withoutFields(do("xinfo", "stream", key, "full"), drop))
	groups := do("xinfo", "groups", key).([]any)
	fmt.Fprintf(&b, "groups %v\n", groups)
	for _, g := range groups {
		name := g.([]any)[1]
		fmt.Fprintf(&b, "consumers %v\n", withoutFields(do("xinfo", "consumers", key, name), drop))
		fmt.Fprintf(&b, "pending %v\n", do("xpending", key, name))
		ext := do("xpending", key, name, "-", "+", 1000).([]any)
		for _, e := range ext {
			e := e.([]any)
			fmt.Fprintf(&b, "  %v %v %v\n", e[0], e[1], e[3])
		}
	}
	return b.String()
}

// withoutFields drops the named fields from every flat [k v k v...]
// array in v.
func withoutFields(v any, drop map[string]bool) any {
	a, ok := v.([]any)
	if !ok {
		return v
	}
	var out []any
	flat := len(a)%2 == 0
	for i := 0; flat && i < len(a); i += 2 {
		if _, ok := a[i].(string); !ok {
			flat = false
		}
	}
	for i := 0; i < len(a); i++ {
		if flat && i%2 == 0 && drop[a[i].(string)] {
			i++
			continue
		}
		out = append(out, withoutFields(a[i], drop))
	}
	return out
}

// TestStreamDumpRestore takes DUMPs of streams from redis-server 7.0
// (several nodes, LZF-compressed listpacks, deleted entries, entries with
// their own fields, groups with PELs and consumers, an empty stream with
// a group, XSETID's counters), RESTOREs them into titan, compares what
// the stream commands show, then DUMPs them from titan, RESTOREs them
// into redis-server and compares again (XINFO's radix tree counts too).
func TestStreamDumpRestore(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	ctx := d.ctx
	r, ti := d.redis, d.titan
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.FlushAll(ctx).Err())
	for i := 1; i <= 450; i++ {
		args := []any{"xadd", "big", fmt.Sprintf("%d-%d", 1000+i/3, i%3)}
		switch {
		case i%17 == 0:
			args = append(args, "other", i, "x", strings.Repeat("z", i%40))
		case i == 300:
			args = append(args, "huge", strings.Repeat("abcdefgh", 800))
		default:
			args = append(args, "f", i, "g", strings.Repeat("v", i%9), "n", -i*1000)
		}
		must(r.Do(ctx, args...).Err())
	}
	for _, args := range [][]any{
		{"xdel", "big", "1000-1", "1005-0", "1050-2"},
		{"xgroup", "create", "big", "g1", "0"},
		{"xgroup", "create", "big", "g2", "$"},
		{"xgroup", "create", "big", "g3", "1010-0", "entriesread", "25"},
		{"xreadgroup", "group", "g1", "alice", "count", "10", "streams", "big", ">"},
		{"xreadgroup", "group", "g1", "bob", "count", "5", "streams", "big", ">"},
		{"xreadgroup", "group", "g1", "alice", "count", "3", "streams", "big", "0"},
		{"xack", "big", "g1", "1001-0", "1002-1"},
		{"xgroup", "createconsumer", "big", "g1", "carol"},
		{"xclaim", "big", "g1", "carol", "0", "1003-0", "retrycount", "7"},
		{"xreadgroup", "group", "g3", "dave", "count", "2", "streams", "big", ">"},
		{"xadd", "empty", "1-1", "a", "1"},
		{"xdel", "empty", "1-1"},
		{"xgroup", "create", "empty", "gg", "$"},
		{"xadd", "setid", "5-5", "a", "1"},
		{"xsetid", "setid", "10-0", "entriesadded", "40", "maxdeletedid", "7-0"},
		{"xadd", "one", "1-1", "k", "v"},
	} {
		must(r.Do(ctx, args...).Err())
	}
	must(ti.FlushAll(ctx).Err())
	for i, key := range []string{"big", "empty", "setid", "one"} {
		payload, err := r.Dump(ctx, key).Result()
		must(err)
		ttl := 0
		if i%2 == 1 {
			ttl = 100000
		}
		if got, err := ti.Do(ctx, "restore", key, ttl, payload).Text(); err != nil || got != "OK" {
			t.Fatalf("titan RESTORE %s: %v %v", key, got, err)
		}
		if want, got := streamView(ctx, t, r, key, false), streamView(ctx, t, ti, key, false); want != got {
			t.Errorf("%s after RESTORE into titan:\nredis:\n%s\ntitan:\n%s", key, want, got)
		}
		if ttl > 0 {
			if p := ti.PTTL(ctx, key).Val(); p <= 0 {
				t.Errorf("%s: pttl %v after RESTORE with a TTL", key, p)
			}
		}
		back, err := ti.Dump(ctx, key).Result()
		must(err)
		if got, err := r.Do(ctx, "restore", "back_"+key, 0, back).Text(); err != nil || got != "OK" {
			t.Fatalf("redis RESTORE of titan's DUMP of %s: %v %v", key, got, err)
		}
		if want, got := streamView(ctx, t, r, key, true), streamView(ctx, t, r, "back_"+key, true); want != got {
			t.Errorf("%s after the round trip:\nbefore:\n%s\nafter:\n%s", key, want, got)
		}
	}
	// A restored stream goes on as redis-server's: new entries, groups.
	d.run("xadd big 2000-0 a 1", "xreadgroup group g1 erin count 3 streams big >",
		"xack big g1 1003-0", "xautoclaim big g1 frank 0 0 count 2 justid", "xinfo groups big",
		"xadd big maxlen 5 2001-0 b 2", "xrange big - +", "xpending big g1")
	// A corrupt stream payload is refused with Redis's error.
	payload := r.Dump(ctx, "one").Val()
	for _, args := range [][]any{
		{"restore", "bad", 0, payload[:len(payload)-12] + "\x00" + payload[len(payload)-11:]},
		{"restore", "one", 0, payload}, {"restore", "one", 0, payload, "replace"}, {"type", "one"},
	} {
		want, _, _ := r.do(ctx, args...)
		got, _, _ := ti.do(ctx, args...)
		if !sameRESPReply(got, want, diffLineOpts{}) {
			t.Errorf("%v\n redis %s\n titan %s", args, want, got)
		}
	}
}

// TestStreamBigTrimDifferential trims streams by more than titan deletes
// at once (the rest goes to the collector) and compares what the stream
// commands show meanwhile with redis-server.
func TestStreamBigTrimDifferential(t *testing.T) {
	p := newHSPair(t)
	var b strings.Builder
	for _, k := range []string{"a", "b", "c"} {
		// One EVAL per stream: 1200 XADDs sent one by one take seconds.
		lua := strings.ReplaceAll("for i = 1, 1200 do redis.call('XADD', KEYS[1], i .. '-1', 'f', i) end", " ", `\_`)
		p.same(hsOrdered, "EVAL "+lua+" 1 "+k)
		if n := p.same(hsOrdered, "XLEN "+k); n != "int64:1200" {
			t.Fatalf("XLEN %s = %s after the EVAL", k, n)
		}
	}
	b.WriteString(`XGROUP CREATE a g 0
XREADGROUP GROUP g c COUNT 3 STREAMS a >
XTRIM a MAXLEN 5
XLEN a
XRANGE a - +
XREVRANGE a + - COUNT 2
XINFO STREAM a
XINFO GROUPS a
XREADGROUP GROUP g c STREAMS a 0
XPENDING a g
XAUTOCLAIM a g c2 0 0 COUNT 10
XDEL a 3-1 1198-1
XLEN a
XTRIM b MINID 901
XLEN b
XRANGE b - + COUNT 2
XTRIM b MINID ~ 1150
XLEN b
XADD c MAXLEN ~ 300 1201-1 f x
XLEN c
XRANGE c - + COUNT 1
XTRIM c MAXLEN 0
XLEN c
XRANGE c - +
XINFO STREAM c
XADD c 1300-1 f y
XRANGE c - +
XINFO STREAM c
COPY c c2
XRANGE c2 - +
`)
	p.script(b.String())
}
