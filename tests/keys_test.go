package tests

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// diffKeys compares the generic key commands with redis-server.
func diffKeys(t *testing.T, d *differ) {
	t.Run("del exists type touch", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			"mset a 1 b 2 c 3", "exists a b nokey a", "exists nokey", "exists", "touch a nokey a", "touch",
			"del a a nokey", "exists a", "del", "unlink b c nokey", "unlink", "dbsize",
			"set s v", "type s", "type nokey", "type", "type s s",
			"randomkey", "del s", "randomkey", "dbsize", "dbsize x",
		)
	})
	t.Run("expire ttl persist", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			"set k v", "ttl k", "pttl k", "expiretime k", "pexpiretime k",
			"ttl nokey", "pttl nokey", "expiretime nokey", "pexpiretime nokey",
			"expire k 100 gt", "expire k 100 lt", "~1 ttl k", "expire k 50 lt", "expire k 60 lt",
			"expire k 200 gt", "expire k 100 gt", "~1 ttl k", "expire k 100 nx", "expire k 100 xx", "~1 ttl k",
			"persist k", "persist k", "persist nokey", "ttl k", "expire k 100 xx", "expire k 100 nx", "~1 ttl k",
			"pexpire k 5000 lt", "~1500 pttl k", "pexpireat k 4102444800000", "expiretime k",
			"expireat k 4102444800 gt", "expireat k 4102444801 gt", "expiretime k", "pexpiretime k",
			"expireat k 4102444800 lt", "pexpiretime k", "pexpireat k 4102444800001 lt",
			"expire k 100 xx gt", "~1 ttl k", "expire k 100 XX LT", "expire k 100 Nx",
			"expire k -1 gt", "exists k", "expire k -1 lt", "exists k",
			"set k v", "expire k -1 gt", "expire k -1 lt", "exists k",
			"set k v", "expire k 100 gt lt", "expire k 100 nx xx", "expire k 100 nx gt", "expire k 100 nx lt",
			"expire k 100 lt gt", "expire k 100 foo", "expire k abc", "expire k 1.5", `expire k ""`,
			"expire k +5", "expire k 05", "expire k", "expire nokey 100", "expire nokey abc foo",
			"expire nokey abc nx xx", "expire nokey abc gt lt", "expire nokey 1 foo",
			"expire k 9223372036854775807", "expire k 9223372036854775", "expire k 9223372036854774",
			"expire k -9223372036854775808", "expire k -9223372036854775",
			"pexpire k 9223372036854775807", "ttl k",
			"expireat k 9223372036854775", "expiretime k", "~2000 pexpiretime k",
			"pexpireat k 9223372036854775807", "pexpiretime k",
			"expireat k -9223372036854775808", "expireat k -9223372036854775", "exists k",
			"set k v", "pexpire k -9223372036854775808", "exists k",
			"set k v", "expire k 0", "exists k", "set k v", "pexpireat k 1", "exists k",
			"set k v", "expireat k 0", "exists k", "set k v", "expireat k 1 nx", "exists k",
			"set k v", "expire k 100", "set k w", "ttl k", "set k v ex 100", "persist k", "ttl k",
		)
	})
	t.Run("rename copy", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			"set a 1", "expire a 100", "rename a b", "~1 ttl b", "exists a", "get b",
			"rename nokey x", "renamenx nokey x", "rename nokey nokey", "renamenx nokey nokey",
			"rename b b", "renamenx b b", "~1 ttl b", "set c 3", "renamenx b c", "renamenx b d", "get d",
			"rename d c", "get c", "exists d", "~1 ttl c", "rename c", "renamenx c", "rename a b c",
			"set x 1", "set y 2", "expire y 100", "rename x y", "ttl y", "get y",
			"copy c e", "get e", "ttl e", "copy c e", "copy c e replace", "copy c e REPLACE",
			"copy nokey x", "copy c c", "copy c c replace", "copy nokey nokey", "copy c c db 0",
			"copy c c db 1", "select 1", "get c", "~1 ttl c", "select 0",
			"copy c x db 16", "copy c x db -1", "copy c x db abc", "copy nokey nokey db 16", "copy c c db 16",
			"copy c x foo", "copy c x db", "copy c x replace replace", "get x", "copy c x db 1 replace",
			"copy c x db 0 db 1", "copy", "copy c",
			"set n 123", "copy n n2", "object encoding n2", "setrange n 0 4", "copy n n3", "object encoding n3",
			"flushall",
		)
	})
	t.Run("keys patterns", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			`mset hello 1 hallo 2 hxllo 3 hllo 4 heeeello 5 "h*llo" 6 "a[b" 7 "x\\y" 8 ab 9 abc 10 "a]" 11 "-" 12 "a-" 13`,
			"sorted keys *", "sorted keys h?llo", "sorted keys h*llo", "sorted keys h[ae]llo",
			"sorted keys h[^e]llo", "sorted keys h[a-b]llo", "sorted keys h[b-a]llo", `sorted keys "h\\*llo"`,
			`sorted keys "a[b"`, `sorted keys "a\\[b"`, `sorted keys "a[\\"`, `sorted keys "x\\\\y"`,
			`sorted keys "*\\"`, "sorted keys ab*", "sorted keys a?", `sorted keys "[a"`, `sorted keys "*["`,
			"sorted keys nomatch*", `sorted keys ""`, "sorted keys **", "sorted keys *?*", "sorted keys a[]]",
			"sorted keys a]", "sorted keys [-]", "sorted keys a[-]", "sorted keys a[a-]", "sorted keys [^a]*",
			"sorted keys *o", "sorted keys *l*o", "sorted keys ?", "sorted keys ???", "sorted keys h[a-e-x]llo",
			"keys", "keys a b",
		)
	})
	t.Run("scan", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			"scan abc", "scan 0 count 0", "scan 0 count -1", "scan 0 count abc", "scan 0 match", "scan 0 type",
			"scan 0 foo bar", "scan 0 count", "scan", "scan 0 count 10 foo", "scan 1.5",
			"scan 0", "scan 0 match *", "scan 0 type string", "scan 0 type foo",
		)
		d.run("mset hello 1 hallo 2 hxllo 3 ab 4 abc 5")
		for _, opts := range [][]any{nil, {"match", "h*"}, {"match", "h[ae]llo"}, {"type", "string"},
			{"type", "hash"}, {"type", "nosuchtype"}, {"count", "1"}, {"count", "1", "match", "a*", "type", "string"}} {
			got, want := scanAllKeys(t, d.titan.Client, opts...), scanAllKeys(t, d.redis.Client, opts...)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("scan %v:\n    redis: %v\n    titan: %v", opts, want, got)
			}
		}
	})
}

// scanAll scans to the end and returns the sorted distinct keys.
func scanAllKeys(t testing.TB, c *redis.Client, opts ...any) []string {
	t.Helper()
	seen := map[string]bool{}
	cursor := "0"
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatal("scan does not end")
		}
		v, err := c.Do(context.Background(), append([]any{"scan", cursor}, opts...)...).Slice()
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		cursor = v[0].(string)
		for _, k := range v[1].([]any) {
			seen[k.(string)] = true
		}
		if cursor == "0" {
			break
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestScanCompleteness scans 2000 keys with COUNT 10 while other clients
// keep adding and deleting other keys: every key present for the whole
// scan must come back at least once, and MATCH and TYPE must filter.
func TestScanCompleteness(t *testing.T) {
	ti := startTitan(t)
	c := ti.Client()
	ctx := context.Background()
	const n = 2000
	pipe := c.Pipeline()
	for i := 0; i < n; i++ {
		pipe.Set(ctx, fmt.Sprintf("stable:%04d", i), i, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}

	// Churn: keys that interleave with the stable ones in key order, and
	// keys before and after them, are added and deleted during the scan.
	stop := make(chan struct{})
	var churned atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("%s:%04d:%d", []string{"stable", "a", "z"}[r.IntN(3)], r.IntN(n), w)
				var err error
				if r.IntN(2) == 0 {
					err = c.Set(ctx, k, "x", 0).Err()
				} else {
					err = c.Del(ctx, k).Err()
				}
				if err != nil {
					t.Error(err)
					return
				}
				churned.Add(1)
			}
		}()
	}
	seen := map[string]int{}
	cursor, calls := uint64(0), 0
	for {
		keys, next, err := c.Scan(ctx, cursor, "", 10).Result()
		if err != nil {
			t.Fatal(err)
		}
		calls++
		if len(keys) > 10 {
			t.Fatalf("SCAN COUNT 10 returned %d keys", len(keys))
		}
		for _, k := range keys {
			seen[k]++
		}
		cursor = next
		if cursor == 0 {
			break
		}
	}
	close(stop)
	wg.Wait()
	missing := 0
	for i := 0; i < n; i++ {
		if seen[fmt.Sprintf("stable:%04d", i)] == 0 {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d stable keys never returned by the scan", missing, n)
	}
	t.Logf("scan: %d calls, %d distinct keys, %d concurrent writes", calls, len(seen), churned.Load())
	if churned.Load() == 0 {
		t.Fatal("no concurrent writes happened during the scan")
	}

	// MATCH and TYPE.
	all := scanAllKeys(t, c, "match", "stable:00[0-4]?")
	if len(all) != 50 || all[0] != "stable:0000" || all[49] != "stable:0049" {
		t.Fatalf("MATCH stable:00[0-4]? returned %d keys: %v", len(all), all)
	}
	if got := scanAllKeys(t, c, "match", "stable:1???", "count", "100", "type", "string"); len(got) != 1000 {
		t.Fatalf("MATCH stable:1??? TYPE string returned %d keys, want 1000", len(got))
	}
	for _, typ := range []string{"hash", "list", "set", "zset", "nosuchtype"} {
		if got := scanAllKeys(t, c, "type", typ); len(got) != 0 {
			t.Fatalf("TYPE %s returned %d string keys", typ, len(got))
		}
	}
}

// TestSelectIsolation checks that databases are independent: the same key
// in db 0 and db 1, DBSIZE, FLUSHDB of one database, FLUSHALL of all, and
// INFO keyspace.
func TestSelectIsolation(t *testing.T) {
	ti := startTitan(t)
	ctx := context.Background()
	db0 := ti.Client()
	db1 := ti.Client(func(o *redis.Options) { o.DB = 1 })
	db15 := ti.Client(func(o *redis.Options) { o.DB = 15 })

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db0.Set(ctx, "k", "zero", 0).Err())
	must(db1.Set(ctx, "k", "one", time.Hour).Err())
	must(db1.Set(ctx, "only1", "x", 0).Err())
	must(db15.Set(ctx, "k15", "x", 0).Err())
	for c, want := range map[*redis.Client]string{db0: "zero", db1: "one"} {
		if got, err := c.Get(ctx, "k").Result(); err != nil || got != want {
			t.Fatalf("GET k = %q, %v; want %q", got, err, want)
		}
	}
	if n, _ := db0.Exists(ctx, "only1").Result(); n != 0 {
		t.Fatal("a key of db 1 is visible in db 0")
	}
	if ttl, _ := db0.TTL(ctx, "k").Result(); ttl != -1 {
		t.Fatalf("TTL of db 0's k = %v: the TTL of db 1's k leaked", ttl)
	}
	if n, _ := db1.DBSize(ctx).Result(); n != 2 {
		t.Fatalf("DBSIZE db1 = %d, want 2", n)
	}
	if n, _ := db0.DBSize(ctx).Result(); n != 1 {
		t.Fatalf("DBSIZE db0 = %d, want 1", n)
	}
	if keys, _ := db1.Keys(ctx, "*").Result(); len(keys) != 2 {
		t.Fatalf("KEYS * in db1 = %v", keys)
	}
	if got := scanAllKeys(t, db0); len(got) != 1 || got[0] != "k" {
		t.Fatalf("SCAN db0 = %v", got)
	}
	// One connection moving between databases.
	raw := dialRaw(t, ti.Addr)
	raw.send("SELECT 1\r\nGET k\r\nSELECT 0\r\nGET k\r\nSELECT 16\r\nSELECT -1\r\nSELECT x\r\n")
	for _, want := range []string{"+OK", "$3", "one", "+OK", "$4", "zero", "-ERR DB index is out of range",
		"-ERR DB index is out of range", "-ERR value is not an integer or out of range"} {
		if got := raw.line(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}

	info, err := db0.Info(ctx, "keyspace").Result()
	must(err)
	for _, want := range []string{"# Keyspace\r\n", "db0:keys=1,expires=0,", "db1:keys=2,expires=1,", "db15:keys=1,expires=0,"} {
		if !strings.Contains(info, want) {
			t.Fatalf("INFO keyspace lacks %q:\n%s", want, info)
		}
	}
	if strings.Contains(info, "db2:") {
		t.Fatalf("INFO keyspace lists an empty database:\n%s", info)
	}

	must(db1.FlushDB(ctx).Err())
	if n, _ := db1.DBSize(ctx).Result(); n != 0 {
		t.Fatalf("DBSIZE db1 after FLUSHDB = %d", n)
	}
	if got, _ := db0.Get(ctx, "k").Result(); got != "zero" {
		t.Fatal("FLUSHDB in db 1 flushed db 0")
	}
	info, _ = db0.Info(ctx, "keyspace").Result()
	if strings.Contains(info, "db1:") || !strings.Contains(info, "db0:keys=1,") {
		t.Fatalf("INFO keyspace after FLUSHDB of db1:\n%s", info)
	}
	must(db1.Set(ctx, "again", "x", 0).Err())
	must(db0.FlushAll(ctx).Err())
	for i, c := range []*redis.Client{db0, db1, db15} {
		if n, _ := c.DBSize(ctx).Result(); n != 0 {
			t.Fatalf("DBSIZE of client %d after FLUSHALL = %d", i, n)
		}
	}
	info, _ = db0.Info(ctx, "keyspace").Result()
	if info != "# Keyspace\r\n" {
		t.Fatalf("INFO keyspace after FLUSHALL = %q", info)
	}
	// Many keys with and without TTL, more than one flush batch.
	pipe := db0.Pipeline()
	for i := 0; i < 2500; i++ {
		var ttl time.Duration
		if i%5 == 0 {
			ttl = time.Hour
		}
		pipe.Set(ctx, "many:"+strconv.Itoa(i), i, ttl)
	}
	_, err = pipe.Exec(ctx)
	must(err)
	info, _ = db0.Info(ctx, "keyspace").Result()
	if !strings.Contains(info, "db0:keys=2500,expires=500,") {
		t.Fatalf("INFO keyspace:\n%s", info)
	}
	must(db0.FlushDB(ctx).Err())
	if n, _ := db0.DBSize(ctx).Result(); n != 0 {
		t.Fatalf("DBSIZE after FLUSHDB of 2500 keys = %d", n)
	}
}
