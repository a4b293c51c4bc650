package tests

import (
	"context"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"

	"github.com/titan-kv/titan/conf"
	"github.com/titan-kv/titan/instance/instancetest"
)

// trackingGroup starts two instances over one store that see each other.
func trackingGroup(t *testing.T) *instancetest.Group {
	t.Helper()
	g := instancetest.Start(t, 2, instancetest.Options{Config: func(c *conf.Config) {
		c.Bus.LeaseTTL = conf.Duration{Duration: 3 * time.Second}
		c.Background.ExpireInterval = conf.Duration{Duration: 100 * time.Millisecond}
	}})
	deadline := time.Now().Add(10 * time.Second)
	for g.Instances[0].Bus.Peers() != 1 || g.Instances[1].Bus.Peers() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("instances never saw each other")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return g
}

// TestTrackingAcrossInstances: clients tracking on instance A get the
// invalidations of writes, flushes and expiries made through instance B,
// in every mode; the delay from B's reply to A's push is measured.
func TestTrackingAcrossInstances(t *testing.T) {
	g := trackingGroup(t)
	ctx := context.Background()
	b := redis.NewClient(&redis.Options{Addr: g.Addr(1), Protocol: 2})
	t.Cleanup(func() { b.Close() })
	a := dialRESP(t, g.Addr(0))
	a.do("HELLO", "3")
	if r := a.do("CLIENT", "TRACKING", "ON"); r != "+OK\r\n" {
		t.Fatalf("CLIENT TRACKING ON = %q", r)
	}
	inv := func(keys ...string) string {
		s := ">2\r\n$10\r\ninvalidate\r\n*" + strconv.Itoa(len(keys)) + "\r\n"
		for _, k := range keys {
			s += "$" + strconv.Itoa(len(k)) + "\r\n" + k + "\r\n"
		}
		return s
	}
	var lat []time.Duration
	for i := range 50 {
		a.do("GET", "k")
		start := time.Now()
		if err := b.Set(ctx, "k", i, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if got := a.read(); got != inv("k") {
			t.Fatalf("push after SET on B: %q", got)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	t.Logf("invalidation across instances, from sending SET to B to A's push: p50 %s, p99 %s (50 writes)", lat[25], lat[49])

	// Writes of several keys, the flush, and the expirer.
	a.do("MGET", "x", "y")
	if err := b.MSet(ctx, "y", 1, "x", 2).Err(); err != nil {
		t.Fatal(err)
	}
	if got := a.read() + a.read(); got != inv("y")+inv("x") {
		t.Fatalf("pushes after MSET on B: %q", got)
	}
	a.do("GET", "x")
	b.FlushAll(ctx)
	if got := a.read(); got != ">2\r\n$10\r\ninvalidate\r\n_\r\n" {
		t.Fatalf("push after FLUSHALL on B: %q", got)
	}
	b.Set(ctx, "e", "v", 300*time.Millisecond)
	a.do("GET", "e")
	if got := a.read(); got != inv("e") {
		t.Fatalf("push after e expired: %q", got)
	}

	// BCAST on A, and RESP2 redirected to a subscriber on A.
	bc := dialRESP(t, g.Addr(0))
	bc.do("HELLO", "3")
	bc.do("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:")
	sub := dialRESP(t, g.Addr(0))
	id := strings.TrimSpace(strings.TrimPrefix(sub.do("CLIENT", "ID"), ":"))
	sub.do("SUBSCRIBE", "__redis__:invalidate")
	r2 := dialRESP(t, g.Addr(0))
	if r := r2.do("CLIENT", "TRACKING", "ON", "REDIRECT", id); r != "+OK\r\n" {
		t.Fatalf("REDIRECT: %q", r)
	}
	r2.do("GET", "user:2")
	if err := b.MSet(ctx, "user:2", 1, "other", 2, "user:1", 3).Err(); err != nil {
		t.Fatal(err)
	}
	if got := bc.read(); got != inv("user:1", "user:2") {
		t.Fatalf("BCAST push after MSET on B: %q", got)
	}
	if got := sub.read(); got != "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$6\r\nuser:2\r\n" {
		t.Fatalf("RESP2 redirect message after MSET on B: %q", got)
	}
	// Nothing else came to A's default-mode client.
	if got := a.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("A after BCAST writes: %q", got)
	}
}

// TestClientCacheAcrossInstances: rueidis (its cache on by default) and
// go-redis with Protocol 3 and its client-side cache read through their
// caches on instance A while a writer changes the key through instance B
// (and through A). Reads are served from the cache between writes, and
// once a read returned the new value, no cached read returns an old one;
// the time until the cache is fresh is measured.
func TestClientCacheAcrossInstances(t *testing.T) {
	g := trackingGroup(t)
	ctx := context.Background()
	writers := []*redis.Client{
		redis.NewClient(&redis.Options{Addr: g.Addr(1), Protocol: 2}),
		redis.NewClient(&redis.Options{Addr: g.Addr(0), Protocol: 2}),
	}
	for _, w := range writers {
		t.Cleanup(func() { w.Close() })
	}
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{g.Addr(0)}})
	if err != nil {
		t.Fatalf("rueidis: %v", err)
	}
	t.Cleanup(rc.Close)
	gc := redis.NewClient(&redis.Options{Addr: g.Addr(0), Protocol: 3,
		ClientSideCacheConfig: &redis.ClientSideCacheConfig{MaxEntries: 1000}})
	t.Cleanup(func() { gc.Close() })

	readers := []struct {
		name string
		read func(key string) (string, bool) // value, from the cache
	}{
		{"rueidis", func(key string) (string, bool) {
			r := rc.DoCache(ctx, rc.B().Get().Key(key).Cache(), time.Minute)
			v, err := r.ToString()
			if err != nil && !rueidis.IsRedisNil(err) {
				t.Fatalf("rueidis GET: %v", err)
			}
			return v, r.IsCacheHit()
		}},
		{"go-redis", func(key string) (string, bool) {
			hits := gc.CSCStats().Hits
			v, err := gc.Get(ctx, key).Result()
			if err != nil && err != redis.Nil {
				t.Fatalf("go-redis GET: %v", err)
			}
			return v, gc.CSCStats().Hits > hits
		}},
	}
	for _, rd := range readers {
		t.Run(rd.name, func(t *testing.T) {
			key := "cached:" + rd.name
			var lat []time.Duration
			hits := 0
			for i := 1; i <= 30; i++ {
				want := strconv.Itoa(i)
				if err := writers[i%2].Set(ctx, key, want, 0).Err(); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				for {
					v, _ := rd.read(key)
					if v == want {
						break
					}
					if time.Since(start) > 3*time.Second {
						t.Fatalf("write %d: the cache still answers %q after 3s", i, v)
					}
					time.Sleep(200 * time.Microsecond)
				}
				lat = append(lat, time.Since(start))
				for range 5 {
					v, hit := rd.read(key)
					if v != want {
						t.Fatalf("write %d: read %q after %q had been read", i, v, want)
					}
					if hit {
						hits++
					}
				}
			}
			if hits < 30 {
				t.Fatalf("only %d of 150 reads between writes were served from the cache", hits)
			}
			// Writers on both instances race; once they stopped, the
			// cache converges to the stored value.
			stop := time.Now().Add(time.Second)
			done := make(chan struct{})
			for w := range writers {
				go func() {
					defer func() { done <- struct{}{} }()
					for n := 0; time.Now().Before(stop); n++ {
						if err := writers[w].Set(ctx, key, strconv.Itoa(w*1_000_000+n), 0).Err(); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			reads := 0
			for time.Now().Before(stop) {
				rd.read(key)
				reads++
			}
			<-done
			<-done
			final, err := writers[0].Get(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			for {
				v, _ := rd.read(key)
				if v == final {
					break
				}
				if time.Since(start) > 3*time.Second {
					t.Fatalf("after concurrent writes the cache answers %q, the store %q", v, final)
				}
				time.Sleep(time.Millisecond)
			}
			t.Logf("%s: %d cached reads during 1s of writes on both instances; fresh %s after they stopped", rd.name, reads, time.Since(start))
			slices.Sort(lat)
			t.Logf("%s: cache fresh after a write p50 %s, max %s (30 writes, half through the other instance); %d/150 reads from the cache",
				rd.name, lat[15], lat[29], hits)
		})
	}
}

// TestNodeRedisCacheAcrossInstances runs testdata/node_redis_cache.mjs:
// node-redis v5 reading through its client-side cache (clientSideCache,
// RESP3) on instance A while another client writes on instance B, and the
// same script on one redis-server; the transcripts (values, cache hits,
// invalidations received, FLUSHALL's) must be equal.
func TestNodeRedisCacheAcrossInstances(t *testing.T) {
	modules := nodeRedisModules(t)
	g := trackingGroup(t)
	redisAddr := startRedis(t).Options().Addr
	session := func(cacheAddr, writerAddr string) []string {
		cmd := exec.Command("node", "testdata/node_redis_cache.mjs", modules, cacheAddr, writerAddr)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("node-redis cache session on %s/%s: %v\n%s", cacheAddr, writerAddr, err, out)
		}
		return strings.Split(strings.TrimSpace(string(out)), "\n")
	}
	compareTranscripts(t, session(redisAddr, redisAddr), session(g.Addr(0), g.Addr(1)))
}

// TestTrackingBusLoss: when instance B's bus is gone (as after a crash
// of its bus side) while B still commits, A cannot know what B changed:
// within a few heartbeats A flushes its tracking clients (the null
// invalidation, as FLUSHALL), so nothing they cached stays stale.
func TestTrackingBusLoss(t *testing.T) {
	g := trackingGroup(t)
	ctx := context.Background()
	b := redis.NewClient(&redis.Options{Addr: g.Addr(1), Protocol: 2})
	t.Cleanup(func() { b.Close() })
	a := dialRESP(t, g.Addr(0))
	a.do("HELLO", "3")
	a.do("CLIENT", "TRACKING", "ON")
	a.do("GET", "k")
	g.Instances[1].Bus.Stop()
	start := time.Now()
	if err := b.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got := a.read(); got != ">2\r\n$10\r\ninvalidate\r\n_\r\n" {
		t.Fatalf("push after B's bus stopped and B wrote: %q", got)
	}
	t.Logf("A flushed its tracking clients %s after B wrote without a bus", time.Since(start))
}

// TestTrackingRedirectAcrossInstances: CLIENT IDs are unique across
// instances, so a RESP2 tracking client on instance A redirects its
// invalidations to a subscriber that a load balancer put on instance B;
// writes through either instance and FLUSHALL reach the subscriber; once
// the subscriber is gone, the redirect turns broken as a local one does.
func TestTrackingRedirectAcrossInstances(t *testing.T) {
	g := trackingGroup(t)
	ctx := context.Background()
	w := redis.NewClient(&redis.Options{Addr: g.Addr(1), Protocol: 2})
	t.Cleanup(func() { w.Close() })
	sub := dialRESP(t, g.Addr(1))
	subID := strings.TrimSpace(strings.TrimPrefix(sub.do("CLIENT", "ID"), ":"))
	sub.do("SUBSCRIBE", "__redis__:invalidate")
	tr := dialRESP(t, g.Addr(0))
	if trID := strings.TrimSpace(strings.TrimPrefix(tr.do("CLIENT", "ID"), ":")); trID == subID {
		t.Fatalf("clients of two instances share CLIENT ID %s", trID)
	}
	if r := tr.do("CLIENT", "TRACKING", "ON", "REDIRECT", "123456789"); r != "-ERR The client ID you want redirect to does not exist\r\n" {
		t.Fatalf("REDIRECT to nobody: %q", r)
	}
	if r := tr.do("CLIENT", "TRACKING", "ON", "REDIRECT", subID); r != "+OK\r\n" {
		t.Fatalf("REDIRECT to a client of the other instance: %q", r)
	}
	if r := tr.do("CLIENT", "GETREDIR"); r != ":"+subID+"\r\n" {
		t.Fatalf("GETREDIR = %q", r)
	}
	msg := func(keys ...string) string {
		s := "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*" + strconv.Itoa(len(keys)) + "\r\n"
		for _, k := range keys {
			s += "$" + strconv.Itoa(len(k)) + "\r\n" + k + "\r\n"
		}
		return s
	}
	tr.do("GET", "k")
	if err := w.Set(ctx, "k", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got := sub.read(); got != msg("k") {
		t.Fatalf("redirected invalidation of a write on B: %q", got)
	}
	tr.do("GET", "k")
	tr.do("SET", "k", "2") // through A, the tracker's own instance
	if got := sub.read(); got != msg("k") {
		t.Fatalf("redirected invalidation of a write on A: %q", got)
	}
	tr.do("GET", "k")
	w.FlushAll(ctx)
	if got := sub.read(); got != "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n" {
		t.Fatalf("redirected FLUSHALL: %q", got)
	}
	sub.c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tr.do("GET", "k")
		w.Set(ctx, "k", "3", 0)
		if info := tr.do("CLIENT", "TRACKINGINFO"); strings.Contains(info, "broken_redirect") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the redirect to a closed client of the other instance never turned broken")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestClientUnblockAcrossInstances: CLIENT UNBLOCK sent to instance B
// unblocks a client blocked on instance A (CLIENT IDs are unique across
// instances), with either reason; an id nobody has, or a client not
// blocked, answers 0.
func TestClientUnblockAcrossInstances(t *testing.T) {
	g := trackingGroup(t)
	ctx := context.Background()
	onA := redis.NewClient(&redis.Options{Addr: g.Addr(0), Protocol: 2})
	onB := redis.NewClient(&redis.Options{Addr: g.Addr(1), Protocol: 2})
	t.Cleanup(func() { onA.Close(); onB.Close() })
	a := dialRESP(t, g.Addr(0))
	id := strings.TrimSpace(strings.TrimPrefix(a.do("CLIENT", "ID"), ":"))
	if n, err := onB.Do(ctx, "CLIENT", "UNBLOCK", id).Int(); err != nil || n != 0 {
		t.Fatalf("CLIENT UNBLOCK of a client not blocked = %d, %v", n, err)
	}
	for _, reason := range []string{"TIMEOUT", "ERROR"} {
		a.send("BLPOP", "nosuch", "0")
		waitBlocked(t, onA, "1")
		if n, err := onB.Do(ctx, "CLIENT", "UNBLOCK", id, reason).Int(); err != nil || n != 1 {
			t.Fatalf("CLIENT UNBLOCK %s through the other instance = %d, %v", reason, n, err)
		}
		want := "*-1\r\n"
		if reason == "ERROR" {
			want = "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
		}
		if got := a.read(); got != want {
			t.Fatalf("the unblocked client got %q, want %q", got, want)
		}
	}
	if n, err := onB.Do(ctx, "CLIENT", "UNBLOCK", "123456789").Int(); err != nil || n != 0 {
		t.Fatalf("CLIENT UNBLOCK of nobody = %d, %v", n, err)
	}
}
