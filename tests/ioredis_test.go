package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestIORedisConnect: ioredis sends INFO on every connect (its ready
// check), so INFO must not cost what the database holds: 20 ioredis
// connections to a titan holding 5,000 keys (a quarter with a TTL) are
// all ready within a second, and INFO keyspace agrees with DBSIZE.
// TITAN_SCALE_KEYS raises the key count (the figures of docs/OPERATIONS.md
// use 1,000,000).
func TestIORedisConnect(t *testing.T) {
	modules := npmModules(t, "ioredis5", "ioredis@5")
	n := scaleKeys(5_000)
	ti := startTitan(t)
	c := ti.Client()
	ctx := context.Background()
	const per = 500
	pipe := c.Pipeline()
	for i := 0; i < n; i += per {
		args := []any{}
		for j := i; j < min(i+per, n); j++ {
			args = append(args, fmt.Sprintf("key:%08d", j), "v")
		}
		pipe.MSet(ctx, args...)
		if (i/per)%20 == 19 {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 0; i < n; i += 4 {
		pipe.Expire(ctx, fmt.Sprintf("key:%08d", i), time.Hour)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if got := c.DBSize(ctx).Val(); got != int64(n) {
		t.Fatalf("DBSIZE = %d, want %d", got, n)
	}
	info := c.Info(ctx, "keyspace").Val()
	wantLine := fmt.Sprintf("db0:keys=%d,expires=%d,avg_ttl=", n, (n+3)/4)
	_, rest, ok := strings.Cut(info, wantLine)
	ttl, _ := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
	if !ok || ttl <= 3_500_000 || ttl > 3_600_000 {
		t.Fatalf("INFO keyspace = %q, want a line %q and an avg_ttl of about an hour", info, wantLine)
	}
	best := time.Hour
	for range 3 {
		out, err := exec.Command("node", "testdata/ioredis_connect.js", modules, ti.Addr, "20").CombinedOutput()
		if err != nil {
			t.Fatalf("ioredis: %v\n%s", err, out)
		}
		f := strings.Fields(string(out))
		if len(f) != 2 || f[1] != strconv.Itoa(n) {
			t.Fatalf("ioredis printed %q, want the time and %d keys", out, n)
		}
		ms, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			t.Fatal(err)
		}
		best = min(best, time.Duration(ms*float64(time.Millisecond)))
	}
	t.Logf("20 ioredis connections ready in %v (best of 3) at %d keys", best, n)
	if best > time.Second {
		t.Errorf("20 ioredis connections took %v, want under 1s", best)
	}
}

// scaleKeys is n, or TITAN_SCALE_KEYS when set (the scale runs).
func scaleKeys(n int) int {
	if v, err := strconv.Atoi(os.Getenv("TITAN_SCALE_KEYS")); err == nil && v > 0 {
		return v
	}
	return n
}
