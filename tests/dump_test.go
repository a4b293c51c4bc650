package tests

import (
	"fmt"
	"strings"
	"testing"
)

// TestDumpRestoreRoundTrip takes DUMPs from redis-server 7.0 of every type
// in every encoding it writes (int, raw and LZF strings, HyperLogLogs,
// listpack and hashtable hashes, intset and hashtable sets, listpack and
// skiplist sorted sets, quicklists with plain and LZF-compressed nodes),
// RESTOREs them into titan (with TTLs), compares titan's view with
// redis-server's, then DUMPs them from titan and RESTOREs them into
// redis-server under new names and compares again.
func TestDumpRestoreRoundTrip(t *testing.T) {
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
	must(r.Do(ctx, "config", "set", "list-compress-depth", "1").Err())
	must(r.Do(ctx, "config", "set", "list-max-listpack-size", "4").Err())
	var setup []string
	setup = append(setup, "flushall", "set s_int 12345", "set s_neg -7", "set s_short hello",
		"set s_lzf "+strings.Repeat("abcdefgh", 40), `set s_bin "\x00\xff\r\n"`, `set s_empty ""`,
		"set s_big 123456789012345678", "pfadd hll_sparse a b c", "pfcount hll_sparse",
		"hset h_small f1 v1 f2 2 f3 -300 f4 70000 f5 5000000000 f6 "+strings.Repeat("y", 100)+` f7 ""`,
		"sadd set_int 1 2 3 -4 100000 5000000000", "sadd set_str a b c 1",
		"zadd z_small 1 a 2.5 b -3 c inf d -inf e 1e300 f 0 g",
		"rpush l_small a 1 -1 300 70000 5000000000 "+strings.Repeat("z", 70),
		"set s_ttl v")
	var big, hll, zbig, lbig, sbig strings.Builder
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&big, " f%d v%d", i, i*i)
		fmt.Fprintf(&hll, " e%d", i)
		fmt.Fprintf(&zbig, " %d.%d m%d", i, i%7, i)
		fmt.Fprintf(&lbig, " %s%d", strings.Repeat("q", i%50), i)
		fmt.Fprintf(&sbig, " s%d", i)
	}
	for i := 0; i < 600; i++ {
		fmt.Fprintf(&hll, " x%d", i)
	}
	setup = append(setup, "hset h_big"+big.String(), "pfadd hll_dense"+hll.String(), "zadd z_big"+zbig.String(),
		"rpush l_big"+lbig.String(), "sadd set_big"+sbig.String(), "sadd set_intbig"+strings.ReplaceAll(sbig.String(), "s", ""))
	d.run(setup...)
	// titan starts empty: everything comes from redis-server's DUMPs.
	must(ti.Do(ctx, "flushall").Err())
	keys := []string{"s_int", "s_neg", "s_short", "s_lzf", "s_bin", "s_empty", "s_big", "hll_sparse", "hll_dense",
		"h_small", "h_big", "set_int", "set_str", "set_big", "set_intbig", "z_small", "z_big", "l_small", "l_big", "s_ttl"}
	// compare reads key on both servers (titan's copy under tkey).
	read := func(c *recordedClient, key string) string {
		typ, _ := c.Do(ctx, "type", key).Text()
		var cmd []any
		switch typ {
		case "string":
			cmd = []any{"get", key}
		case "list":
			cmd = []any{"lrange", key, 0, -1}
		case "set":
			cmd = []any{"sort", key, "alpha"}
		case "hash":
			cmd = []any{"hgetall", key}
		case "zset":
			cmd = []any{"zrange", key, 0, -1, "withscores"}
		}
		v, err := c.Do(ctx, cmd...).Result()
		if a, ok := v.([]any); ok && typ == "hash" {
			// Field order is the store's own: compare as a map.
			m := map[string]any{}
			for i := 0; i+1 < len(a); i += 2 {
				m[fmt.Sprint(a[i])] = a[i+1]
			}
			v = m
		}
		return fmt.Sprintf("%s %v %v", typ, v, err)
	}
	for i, k := range keys {
		payload, err := r.Do(ctx, "dump", k).Text()
		must(err)
		ttl := 0
		if i%3 == 0 {
			ttl = 100000 + i
		}
		if got, err := ti.Do(ctx, "restore", k, ttl, payload).Text(); err != nil || got != "OK" {
			t.Fatalf("titan RESTORE %s (redis encoding %v): %v %v", k, r.Do(ctx, "object", "encoding", k).Val(), got, err)
		}
		if want, got := read(r, k), read(ti, k); want != got {
			t.Errorf("%s after RESTORE into titan:\n redis %s\n titan %s", k, want, got)
		}
		if ttl > 0 {
			if p := ti.Do(ctx, "pttl", k).Val().(int64); p <= 0 || p > int64(ttl) {
				t.Errorf("%s: pttl %d after RESTORE with TTL %d", k, p, ttl)
			}
		}
		back, err := ti.Do(ctx, "dump", k).Text()
		must(err)
		if got, err := r.Do(ctx, "restore", "back_"+k, ttl, back).Text(); err != nil || got != "OK" {
			t.Fatalf("redis RESTORE of titan's DUMP of %s: %v %v", k, got, err)
		}
		if want, got := read(r, k), read(r, "back_"+k); want != got {
			t.Errorf("%s after the round trip:\n before %s\n after  %s", k, want, got)
		}
		if ttl > 0 {
			if p := r.Do(ctx, "pttl", "back_"+k).Val().(int64); p <= 0 || p > int64(ttl) {
				t.Errorf("back_%s: pttl %d on redis-server after RESTORE with TTL %d", k, p, ttl)
			}
		}
		// redis-server restores titan's plain encodings into the compact
		// ones it restores its own DUMP into.
		must(r.Do(ctx, "restore", "own_"+k, 0, payload).Err())
		want, got := r.Do(ctx, "object", "encoding", "own_"+k).Val(), r.Do(ctx, "object", "encoding", "back_"+k).Val()
		if want != got {
			t.Errorf("%s: OBJECT ENCODING %v after the round trip, was %v", k, got, want)
		}
	}
	// HyperLogLogs stay HyperLogLogs.
	d.run("pfcount hll_sparse hll_dense", "pfadd hll_sparse zz", "pfcount hll_sparse")
	// Errors and options.
	payload := r.Do(ctx, "dump", "s_short").Val().(string)
	for _, args := range [][]any{
		{"restore", "s_short", 0, payload}, {"restore", "s_short", 0, payload, "replace"},
		{"restore", "n1", -1, payload}, {"restore", "n1", "abc", payload}, {"restore", "n1", 0, "garbage"},
		{"restore", "n1", 0, payload[:len(payload)-1] + "x"}, {"restore", "n1", 0, payload, "foo"},
		{"restore", "n1", 0, payload, "idletime", -1}, {"restore", "n1", 0, payload, "idletime", "x"},
		{"restore", "n1", 0, payload, "freq", 256}, {"restore", "n1", 0, payload, "freq", -1},
		{"restore", "n1", 0, payload, "idletime", 10, "freq", 5}, {"restore", "n1", 0, payload, "freq", 5, "idletime", 10},
		{"restore", "n2", 0, payload, "idletime", 10}, {"get", "n2"}, {"restore", "n3", 0, payload, "freq", 100}, {"get", "n3"},
		{"restore", "n4", 1, payload, "absttl"}, {"exists", "n4"}, {"restore", "n5", 4102444800000, payload, "absttl"},
		{"pexpiretime", "n5"}, {"restore", "s_short", 1, payload, "absttl", "replace"}, {"exists", "s_short"},
		{"dump", "nokey"}, {"restore", "n6", 0, "\x00\x03abc\x0b\x00" + "\x00\x00\x00\x00\x00\x00\x00\x00"},
		{"restore", "n7", 0, "\x00\x03abc\x09\x00" + "\x00\x00\x00\x00\x00\x00\x00\x00"},
	} {
		want, _, _ := r.do(ctx, args...)
		got, _, _ := ti.do(ctx, args...)
		if !sameRESPReply(got, want, diffLineOpts{}) {
			t.Errorf("%v\n redis %s\n titan %s", args, want, got)
		}
	}
}
