package tests

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// fastExpiryConfig makes the active expirer run every 100ms.
const fastExpiryConfig = `
[background]
expire-interval = "100ms"
gc-interval = "100ms"
lease-ttl = "1s"
`

// TestExpiryLazy runs without background tasks, so only the read path
// hides expired keys: a read after the TTL never returns the key.
func TestExpiryLazy(t *testing.T) {
	t.Parallel()
	ti := startTitan(t, "--background=false")
	ti.logOnFailure(t)
	c := ti.Client()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Set(ctx, "short", "v", 300*time.Millisecond).Err())
	must(c.Set(ctx, "n", "5", 300*time.Millisecond).Err())
	must(c.Set(ctx, "keep", "v", 0).Err())
	must(c.Do(ctx, "setex", "sx", "2", "v").Err())
	sxAt := time.Now()
	c1 := ti.Client(func(o *redis.Options) { o.DB = 1 })
	must(c1.Set(ctx, "short", "v", 300*time.Millisecond).Err())
	if got, _ := c.Get(ctx, "short").Result(); got != "v" {
		t.Fatalf("GET before the TTL = %q", got)
	}
	if ttl, _ := c.PTTL(ctx, "short").Result(); ttl <= 0 || ttl > 300*time.Millisecond {
		t.Fatalf("PTTL = %v", ttl)
	}
	time.Sleep(400 * time.Millisecond)
	if _, err := c.Get(ctx, "short").Result(); err != redis.Nil {
		t.Fatalf("GET after the TTL = %v, want nil", err)
	}
	checks := []struct {
		args []any
		want string
	}{
		{[]any{"ttl", "short"}, "-2"},
		{[]any{"pttl", "short"}, "-2"},
		{[]any{"expiretime", "short"}, "-2"},
		{[]any{"exists", "short"}, "0"},
		{[]any{"type", "short"}, "none"},
		{[]any{"strlen", "short"}, "0"},
		{[]any{"getrange", "short", "0", "-1"}, ""},
		{[]any{"mget", "short", "keep"}, "[<nil> v]"},
		{[]any{"persist", "short"}, "0"},
		{[]any{"expire", "short", "100"}, "0"},
		{[]any{"rename", "short", "x"}, "ERR no such key"},
		{[]any{"copy", "short", "x"}, "0"},
		{[]any{"object", "encoding", "short"}, "redis: nil"},
		{[]any{"getdel", "short"}, "redis: nil"},
		// DBSIZE counts a key until it is removed (here, with the
		// expirer off, never), as Redis's does.
		{[]any{"dbsize"}, "4"},
		{[]any{"keys", "*"}, "[keep sx]"},
		{[]any{"incr", "n"}, "1"},
		{[]any{"setnx", "short", "new"}, "1"},
		{[]any{"ttl", "short"}, "-1"},
	}
	for _, ck := range checks {
		v, err := c.Do(ctx, ck.args...).Result()
		got := fmt.Sprint(v)
		if err != nil {
			got = err.Error()
		}
		if ck.args[0] == "keys" {
			ks, _ := c.Keys(ctx, "*").Result()
			got = fmt.Sprint(sortedCopy(ks))
		}
		if got != ck.want {
			t.Errorf("%v after the TTL = %q, want %q", ck.args, got, ck.want)
		}
	}
	// RANDOMKEY never returns an expired key, even among many.
	pipe := c.Pipeline()
	for i := 0; i < 500; i++ {
		pipe.Set(ctx, fmt.Sprintf("many:%03d", i), "v", time.Millisecond)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	picked := map[string]bool{}
	for i := 0; i < 50; i++ {
		k, err := c.RandomKey(ctx).Result()
		if err != nil || (k != "keep" && k != "sx" && k != "n" && k != "short") {
			t.Fatalf("RANDOMKEY = %q, %v; want a live key", k, err)
		}
		picked[k] = true
	}
	if len(picked) < 2 {
		t.Errorf("RANDOMKEY picked only %v in 50 calls", picked)
	}
	if k, err := c1.RandomKey(ctx).Result(); err != redis.Nil {
		t.Errorf("RANDOMKEY in a database of expired keys = %q, %v", k, err)
	}
	// Spread: 26 keys a..z are all picked sometimes.
	c3 := ti.Client(func(o *redis.Options) { o.DB = 3 })
	for ch := 'a'; ch <= 'z'; ch++ {
		must(c3.Set(ctx, string(ch), "v", 0).Err())
	}
	spread := map[string]int{}
	for i := 0; i < 100; i++ {
		k, err := c3.RandomKey(ctx).Result()
		must(err)
		spread[k]++
	}
	if len(spread) < 10 {
		t.Errorf("RANDOMKEY over a..z picked %v in 100 calls", spread)
	}
	// One live key after thousands of expired ones.
	c2 := ti.Client(func(o *redis.Options) { o.DB = 2 })
	pipe = c2.Pipeline()
	for i := 0; i < 3000; i++ {
		pipe.Set(ctx, fmt.Sprintf("a:%04d", i), "v", time.Millisecond)
	}
	pipe.Set(ctx, "zlive", "v", 0)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	for i := 0; i < 5; i++ {
		if k, err := c2.RandomKey(ctx).Result(); k != "zlive" {
			t.Fatalf("RANDOMKEY with one live key among 3000 expired = %q, %v", k, err)
		}
	}
	// sx (SETEX 2) lives until 2 s after sxAt at the earliest: a SCAN
	// done by then lists it, a later one may not (a loaded machine gets
	// here after that).
	got := strings.Join(scanAllKeys(t, c), ",")
	if got != "keep,n,short,sx" && (time.Since(sxAt) < 2*time.Second || got != "keep,n,short") {
		t.Errorf("SCAN after the TTL = %v", got)
	}
	// Counted until removed, as in Redis; avg_ttl leaves out the past.
	if n, _ := c1.DBSize(ctx).Result(); n != 1 {
		t.Errorf("DBSIZE of db 1 after the TTL = %d", n)
	}
	info, _ := c.Info(ctx, "keyspace").Result()
	if !strings.Contains(info, "db0:keys=504,expires=501,avg_ttl=0") || !strings.Contains(info, "db1:keys=1,expires=1,avg_ttl=0") {
		t.Errorf("INFO keyspace after the TTL:\n%s", info)
	}
	// SETEX 2: gone after two seconds.
	time.Sleep(time.Until(sxAt.Add(2100 * time.Millisecond)))
	if n, _ := c.Exists(ctx, "sx").Result(); n != 0 {
		t.Error("SETEX 2 key still exists after 2.1s")
	}
	if v := ti.Metric("titan_keys_expired_total"); v != 0 {
		t.Errorf("titan_keys_expired_total = %v with background tasks off", v)
	}
}

// TestExpiryActive checks that keys nobody reads again are removed from
// the store by the active expirer, and the TTL commands around it.
func TestExpiryActive(t *testing.T) {
	t.Parallel()
	ti := startTitan(t, "--config", writeTitanConfig(t, fastExpiryConfig))
	ti.logOnFailure(t)
	c := ti.Client()
	c1 := ti.Client(func(o *redis.Options) { o.DB = 1 })
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	before := ti.Metric("titan_keys_expired_total")

	// 300 keys over two databases (more than one expirer batch), plus
	// keys whose TTL moved, was removed or was replaced.
	const n = 300
	pipe := c.Pipeline()
	for i := 0; i < n-50; i++ {
		pipe.Set(ctx, fmt.Sprintf("gone:%d", i), "v", 300*time.Millisecond)
	}
	_, err := pipe.Exec(ctx)
	must(err)
	for i := 0; i < 50; i++ {
		must(c1.Set(ctx, fmt.Sprintf("gone1:%d", i), "v", 300*time.Millisecond).Err())
	}
	must(c.Set(ctx, "moved", "v", 300*time.Millisecond).Err())
	must(c.PExpire(ctx, "moved", time.Hour).Err())
	must(c.Set(ctx, "persisted", "v", 300*time.Millisecond).Err())
	must(c.Persist(ctx, "persisted").Err())
	must(c.Set(ctx, "kept", "v", 300*time.Millisecond).Err())
	must(c.Do(ctx, "set", "kept", "w", "keepttl").Err())
	must(c.Set(ctx, "reset", "v", 300*time.Millisecond).Err())
	must(c.Set(ctx, "reset", "w", 0).Err())
	must(c.Set(ctx, "renamed", "v", 300*time.Millisecond).Err())
	must(c.Rename(ctx, "renamed", "renamed2").Err())
	must(c.Set(ctx, "reborn", "v", 200*time.Millisecond).Err())
	if ttl, _ := c.PTTL(ctx, "kept").Result(); ttl <= 0 {
		t.Fatalf("TTL after SET KEEPTTL = %v", ttl)
	}
	if ttl, _ := c.TTL(ctx, "reset").Result(); ttl != -1 {
		t.Fatalf("TTL after a SET without KEEPTTL = %v", ttl)
	}
	time.Sleep(250 * time.Millisecond)
	// reborn expired (lazily), then is written again without a TTL: the
	// old expiry must not remove the new value.
	must(c.Set(ctx, "reborn", "new", 0).Err())

	// gone*, gone1*, kept and renamed2; reborn too if the expirer got to
	// it before it was written again.
	want := float64(n + 2)
	waitFor(t, 5*time.Second, "active expiry", func() bool {
		return ti.Metric("titan_keys_expired_total")-before >= want
	})
	if got := ti.Metric("titan_keys_expired_total") - before; got != want && got != want+1 {
		t.Errorf("titan_keys_expired_total grew by %v, want %v", got, want)
	}
	if n, _ := c.DBSize(ctx).Result(); n != 4 {
		keys, _ := c.Keys(ctx, "*").Result()
		t.Errorf("DBSIZE = %d, want 4 (moved persisted reset reborn): %v", n, keys)
	}
	if n, _ := c1.DBSize(ctx).Result(); n != 0 {
		t.Errorf("DBSIZE db1 = %d", n)
	}
	if keys := scanAllKeys(t, c); strings.Join(keys, ",") != "moved,persisted,reborn,reset" {
		t.Errorf("SCAN = %v", keys)
	}
	for k, want := range map[string]string{"moved": "v", "persisted": "v", "reset": "w", "reborn": "new"} {
		if got, _ := c.Get(ctx, k).Result(); got != want {
			t.Errorf("GET %s = %q, want %q", k, got, want)
		}
	}
	if ttl, _ := c.TTL(ctx, "moved").Result(); ttl < 59*time.Minute {
		t.Errorf("TTL of moved = %v", ttl)
	}
	info, _ := c.Info(ctx, "keyspace").Result()
	if !strings.Contains(info, "db0:keys=4,expires=1,") || strings.Contains(info, "db1:") {
		t.Errorf("INFO keyspace:\n%s", info)
	}
	if v := ti.Metric(`titan_background_task_runs_total{result="ok",task="expire"}`); v == 0 {
		t.Error("no expire round counted")
	}

	// An expiry in the past deletes at once, whatever the command.
	for _, cmd := range [][]any{
		{"expire", "p", "-1"}, {"expire", "p", "0"}, {"pexpire", "p", "-100"}, {"expireat", "p", "1"},
		{"pexpireat", "p", "1000"}, {"getex", "p", "exat", "1"}, {"getex", "p", "pxat", "1"},
	} {
		must(c.Set(ctx, "p", "v", 0).Err())
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
		if n, _ := c.Exists(ctx, "p").Result(); n != 0 {
			t.Errorf("%v left the key", cmd)
		}
	}
	must(c.Do(ctx, "set", "p", "v", "pxat", "1").Err())
	if n, _ := c.Exists(ctx, "p").Result(); n != 0 {
		t.Error("SET PXAT in the past left the key")
	}
}

// TestExpiryUnderWrites keeps writing keys with short TTLs from several
// clients: every key disappears, none is removed early.
func TestExpiryUnderWrites(t *testing.T) {
	t.Parallel()
	ti := startTitan(t, "--config", writeTitanConfig(t, fastExpiryConfig))
	ti.logOnFailure(t)
	c := ti.Client()
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				k := fmt.Sprintf("w%d:%d", w, i)
				if err := c.Set(ctx, k, "v", 500*time.Millisecond).Err(); err != nil {
					t.Error(err)
					return
				}
				// Well within its TTL, the key is there.
				if err := c.Get(ctx, k).Err(); err != nil {
					t.Errorf("GET %s right after SET: %v", k, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	waitFor(t, 5*time.Second, "every key expired", func() bool {
		n, _ := c.DBSize(ctx).Result()
		return n == 0 && ti.Metric("titan_keys_expired_total") >= 400
	})
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
