package tests

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/titan-kv/titan/conf"
	"github.com/titan-kv/titan/instance/instancetest"
)

// Several titan instances over one store, as behind a TCP balancer: SCAN
// cursors any instance resumes, key counts every instance agrees on,
// WATCH/EXEC across instances, and background lease failover.

// spreader is a round-robin connection spreader over the instances of a
// group: each call goes to the next instance.
type spreader struct {
	g       *instancetest.Group
	mu      sync.Mutex
	clients []*redis.Client
	next    int
}

func newSpreader(t *testing.T, g *instancetest.Group, n int) *spreader {
	s := &spreader{g: g}
	for i := range n {
		c := redis.NewClient(&redis.Options{Addr: g.Addr(i), MaxRetries: -1})
		t.Cleanup(func() { c.Close() })
		s.clients = append(s.clients, c)
	}
	return s
}

// pick returns the client of the next instance and its index.
func (s *spreader) pick() (*redis.Client, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.next % len(s.clients)
	s.next++
	return s.clients[i], i
}

// scanPass runs one whole SCAN through the spreader, calling between(i)
// before the i-th call, and returns every key it returned (repeats kept).
func (s *spreader) scanPass(t *testing.T, count int64, between func(call int)) []string {
	t.Helper()
	ctx := context.Background()
	var keys []string
	var cursor uint64
	for call := 0; ; call++ {
		if between != nil {
			between(call)
		}
		c, i := s.pick()
		page, next, err := c.Scan(ctx, cursor, "", count).Result()
		if err != nil {
			t.Fatalf("SCAN %d on instance %d (call %d): %v", cursor, i, call, err)
		}
		keys = append(keys, page...)
		if cursor = next; cursor == 0 {
			return keys
		}
		if call > 100000 {
			t.Fatal("SCAN never ends")
		}
	}
}

func fill(t *testing.T, c *redis.Client, n int) map[string]bool {
	t.Helper()
	ctx := context.Background()
	want := map[string]bool{}
	pipe := c.Pipeline()
	for i := range n {
		k := fmt.Sprintf("key:%05d", i)
		want[k] = true
		switch i % 3 {
		case 0:
			pipe.Set(ctx, k, "v", 0)
		case 1:
			pipe.HSet(ctx, k, "f", "v")
		default:
			pipe.SAdd(ctx, k, "m")
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return want
}

// TestMultiScanRoundRobin: a SCAN whose calls go round robin over three
// instances returns every key exactly once per pass; HSCAN, SSCAN and
// ZSCAN cursors resume on other instances too; a cursor no scan handed
// out answers an error on every instance.
func TestMultiScanRoundRobin(t *testing.T) {
	g := instancetest.Start(t, 3, groupOptions(instancetest.Options{}))
	s := newSpreader(t, g, 3)
	ctx := context.Background()
	want := fill(t, s.clients[0], 1500)
	for pass := range 2 {
		got := s.scanPass(t, int64(7+pass*50), nil)
		seen := map[string]int{}
		for _, k := range got {
			seen[k]++
		}
		for k := range want {
			if seen[k] != 1 {
				t.Fatalf("pass %d: key %s returned %d times", pass, k, seen[k])
			}
		}
		if len(got) != len(want) {
			t.Fatalf("pass %d: %d keys returned, want %d", pass, len(got), len(want))
		}
	}

	for i := range 300 {
		s.clients[1].HSet(ctx, "h", "f"+strconv.Itoa(i), "v")
		s.clients[2].SAdd(ctx, "s", "m"+strconv.Itoa(i))
		s.clients[0].ZAdd(ctx, "z", redis.Z{Score: float64(i), Member: "m" + strconv.Itoa(i)})
	}
	for _, kind := range []string{"HSCAN", "SSCAN", "ZSCAN"} {
		key := strings.ToLower(kind[:1])
		seen := map[string]bool{}
		cursor := "0"
		for call := 0; ; call++ {
			c, _ := s.pick()
			v, err := c.Do(ctx, kind, key, cursor, "COUNT", 20).Slice()
			if err != nil {
				t.Fatalf("%s %s: %v", kind, cursor, err)
			}
			items := v[1].([]any)
			step := 1
			if kind != "SSCAN" {
				step = 2
			}
			for j := 0; j < len(items); j += step {
				seen[items[j].(string)] = true
			}
			if cursor = v[0].(string); cursor == "0" || call > 1000 {
				break
			}
		}
		if len(seen) != 300 {
			t.Errorf("%s across instances returned %d of 300", kind, len(seen))
		}
	}

	// Unknown cursors, and a cursor of another scan, answer an error.
	_, next, err := s.clients[0].Scan(ctx, 0, "", 10).Result()
	if err != nil || next == 0 {
		t.Fatalf("SCAN 0: next %d, %v", next, err)
	}
	for i := range 3 {
		for _, args := range [][]any{
			{"SCAN", next + 1},
			{"SCAN", "18446744073709551615"},
			{"HSCAN", "h", next},
		} {
			if err := s.clients[i].Do(ctx, args...).Err(); err == nil || !strings.Contains(err.Error(), "unknown or expired cursor") {
				t.Errorf("instance %d %v: %v", i, args, err)
			}
		}
		// In another database the cursor is unknown too.
		c := redis.NewClient(&redis.Options{Addr: g.Addr(i), DB: 1})
		if err := c.Do(ctx, "SCAN", next).Err(); err == nil {
			t.Errorf("instance %d: a db 0 cursor resumed in db 1", i)
		}
		c.Close()
	}
}

// TestMultiScanRestart: a SCAN alternating over three instances, one of
// which restarts in the middle, returns every key, while other clients
// write new keys.
func TestMultiScanRestart(t *testing.T) {
	g := instancetest.Start(t, 3, groupOptions(instancetest.Options{}))
	s := newSpreader(t, g, 3)
	want := fill(t, s.clients[0], 1200)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // writers of other keys all along
		defer wg.Done()
		c := redis.NewClient(&redis.Options{Addr: g.Addr(2)})
		defer c.Close()
		for i := 0; ctx.Err() == nil; i++ {
			c.Set(ctx, fmt.Sprintf("new:%d", i), "v", 0)
		}
	}()
	got := s.scanPass(t, 10, func(call int) {
		if call == 40 {
			g.Restart(1)
			s.clients[1].Close()
			s.clients[1] = redis.NewClient(&redis.Options{Addr: g.Addr(1)})
		}
	})
	cancel()
	wg.Wait()
	seen := map[string]bool{}
	for _, k := range got {
		seen[k] = true
	}
	for k := range want {
		if !seen[k] {
			t.Fatalf("key %s missing from a scan across a restart (%d keys returned)", k, len(got))
		}
	}
}

// TestMultiCounters: writers on three instances create, delete, expire and
// rename keys at random; afterwards DBSIZE and INFO keyspace agree on
// every instance with the keys that exist.
func TestMultiCounters(t *testing.T) {
	g := instancetest.Start(t, 3, groupOptions(instancetest.Options{Config: func(c *conf.Config) {
		c.Background.ExpireInterval = conf.Duration{Duration: 50 * time.Millisecond}
		c.Background.LeaseTTL = conf.Duration{Duration: 600 * time.Millisecond}
	}}))
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: g.Addr(w % 3)})
			defer c.Close()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			pipe := c.Pipeline()
			for i := range 600 {
				k, o := fmt.Sprintf("k%d", r.IntN(60)), fmt.Sprintf("k%d", r.IntN(60))
				switch r.IntN(9) {
				case 0:
					pipe.Set(ctx, k, "v", 0)
				case 1:
					pipe.Set(ctx, k, "v", time.Duration(50+r.IntN(200))*time.Millisecond)
				case 2:
					pipe.Del(ctx, k, o)
				case 3:
					pipe.Rename(ctx, k, o)
				case 4:
					pipe.SAdd(ctx, k, "a")
				case 5:
					pipe.SRem(ctx, k, "a")
				case 6:
					pipe.Expire(ctx, k, time.Duration(r.IntN(300))*time.Millisecond)
				case 7:
					pipe.Persist(ctx, k)
				default:
					pipe.LPush(ctx, k, "x")
				}
				if i%10 == 9 {
					pipe.Exec(ctx) // WRONGTYPE and "no such key" replies are expected
				}
			}
			pipe.Exec(ctx)
		}()
	}
	wg.Wait()
	c := redis.NewClient(&redis.Options{Addr: g.Addr(0)})
	defer c.Close()
	// Wait for the expirer to remove every expired key: then the counts
	// are the keys that exist.
	var keys []string
	waitFor(t, 10*time.Second, "counts equal to the keys", func() bool {
		var err error
		keys, err = c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			ci := redis.NewClient(&redis.Options{Addr: g.Addr(i)})
			n, err := ci.DBSize(ctx).Result()
			ci.Close()
			if err != nil || n != int64(len(keys)) {
				return false
			}
		}
		return true
	})
	info, err := c.Info(ctx, "keyspace").Result()
	if err != nil || !strings.Contains(info, fmt.Sprintf("db0:keys=%d,", len(keys))) {
		t.Errorf("INFO keyspace with %d keys: %q %v", len(keys), info, err)
	}
}

// TestMultiWatchExec: a WATCH on one instance sees a write made through
// another.
func TestMultiWatchExec(t *testing.T) {
	g := instancetest.Start(t, 2, groupOptions(instancetest.Options{}))
	ctx := context.Background()
	a := redis.NewClient(&redis.Options{Addr: g.Addr(0)})
	b := redis.NewClient(&redis.Options{Addr: g.Addr(1)})
	defer a.Close()
	defer b.Close()
	b.Set(ctx, "w", "1", 0)
	for _, touch := range []bool{true, false} {
		err := a.Watch(ctx, func(tx *redis.Tx) error {
			if _, err := tx.Get(ctx, "w").Result(); err != nil {
				return err
			}
			if touch {
				b.Set(ctx, "w", "other", 0)
			}
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "w", "mine", 0)
				return nil
			})
			return err
		}, "w")
		got, _ := b.Get(ctx, "w").Result()
		switch {
		case touch && (err != redis.TxFailedErr || got != "other"):
			t.Errorf("EXEC after another instance's write: %v, w = %q", err, got)
		case !touch && (err != nil || got != "mine"):
			t.Errorf("EXEC untouched: %v, w = %q", err, got)
		}
	}
}

// TestMultiLeaseFailover: when the instance holding the expire and gc
// leases stops, another takes them over within the lease TTL and goes on
// expiring keys.
func TestMultiLeaseFailover(t *testing.T) {
	const ttl = 900 * time.Millisecond
	g := instancetest.Start(t, 3, groupOptions(instancetest.Options{Config: func(c *conf.Config) {
		c.Background.ExpireInterval = conf.Duration{Duration: 50 * time.Millisecond}
		c.Background.GCInterval = conf.Duration{Duration: 50 * time.Millisecond}
		c.Background.LeaseTTL = conf.Duration{Duration: ttl}
	}}))
	leader := func(task string) int {
		found := -1
		for i, in := range g.Instances {
			if in != nil && metricValue(in.Metrics.TaskLeader.WithLabelValues(task)) == 1 {
				found = i
			}
		}
		return found
	}
	var holder int
	waitFor(t, 5*time.Second, "an expire leader", func() bool { holder = leader("expire"); return holder >= 0 })
	alive := (holder + 1) % 3
	c := redis.NewClient(&redis.Options{Addr: g.Addr(alive)})
	defer c.Close()
	ctx := context.Background()
	for i := range 50 {
		c.Set(ctx, fmt.Sprintf("before:%d", i), "v", 100*time.Millisecond)
	}
	waitFor(t, 5*time.Second, "expiry by the first leader", func() bool { n, _ := c.DBSize(ctx).Result(); return n == 0 })

	stopped := time.Now()
	g.Stop(holder)
	for i := range 50 {
		c.Set(ctx, fmt.Sprintf("after:%d", i), "v", 100*time.Millisecond)
	}
	c.SAdd(ctx, "big", "a", "b", "c")
	c.Del(ctx, "big")
	var next int
	waitFor(t, 3*ttl, "a new expire leader", func() bool {
		next = leader("expire")
		return next >= 0 && next != holder
	})
	waitFor(t, 3*ttl, "expiry by the new leader", func() bool { n, _ := c.DBSize(ctx).Result(); return n == 0 })
	took := time.Since(stopped)
	t.Logf("instance %d stopped; instance %d expired the keys %v later", holder, next, took)
	if took > 2*ttl+time.Second {
		t.Errorf("failover took %v with a lease TTL of %v", took, ttl)
	}
	if n := metricValue(g.Instances[next].Metrics.KeysExpired); n < 50 {
		t.Errorf("the new leader expired %v keys, want 50", n)
	}
}

// metricValue reads a gauge or a counter.
func metricValue(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	if m.Gauge != nil {
		return m.Gauge.GetValue()
	}
	return m.Counter.GetValue()
}
