package instancetest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/titan-kv/titan/conf"
)

// TestStreamBlockAcrossInstances: XREADGROUP BLOCK on one instance is
// woken by XADD on another, through the bus.
func TestStreamBlockAcrossInstances(t *testing.T) {
	ctx := context.Background()
	g := Start(t, 2, Options{})
	a := redis.NewClient(&redis.Options{Addr: g.Addr(0)})
	b := redis.NewClient(&redis.Options{Addr: g.Addr(1)})
	defer a.Close()
	defer b.Close()
	if err := a.XGroupCreateMkStream(ctx, "s", "g", "$").Err(); err != nil {
		t.Fatal(err)
	}
	got := make(chan []redis.XStream, 1)
	go func() {
		res, err := a.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"s", ">"}, Block: 10 * time.Second}).Result()
		if err != nil {
			t.Error(err)
		}
		got <- res
	}()
	time.Sleep(300 * time.Millisecond)
	if err := b.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "1-1", Values: []string{"f", "v"}}).Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-got:
		if len(res) != 1 || len(res[0].Messages) != 1 || res[0].Messages[0].ID != "1-1" {
			t.Fatalf("XREADGROUP got %v", res)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("XREADGROUP BLOCK on instance 0 not woken by XADD on instance 1")
	}
}

// TestStreamGroupExactlyOnce: consumers of one group on 3 instances,
// blocking, acknowledge every entry exactly once; one consumer dies with
// entries pending and the others take them with XAUTOCLAIM. Its size is
// TITAN_STREAM_ENTRIES entries (default 2000) and TITAN_STREAM_CONSUMERS
// consumers (default 6).
func TestStreamGroupExactlyOnce(t *testing.T) {
	ctx := context.Background()
	n, consumers := envInt("TITAN_STREAM_ENTRIES", 2000), envInt("TITAN_STREAM_CONSUMERS", 6)
	var o Options
	if n >= 100000 {
		// A big run: the stream's batches take turns over the
		// instances (one holds the stream's lock at a time), so fewer,
		// bigger batches go faster.
		o.Config = func(c *conf.Config) { c.Batch.MaxCommands = 2048 }
	}
	g := Start(t, 3, o)
	// ReadTimeout bounds the pipelines; go-redis gives a blocking call
	// (XREADGROUP BLOCK 200) its block time plus 10 s instead: a read
	// not answered within 10.2 s fails with "i/o timeout" and ends its
	// consumer.
	clients := make([]*redis.Client, 3)
	for i := range clients {
		clients[i] = redis.NewClient(&redis.Options{Addr: g.Addr(i), PoolSize: consumers + 4, ReadTimeout: time.Minute, WriteTimeout: time.Minute})
		defer clients[i].Close()
	}
	if err := clients[0].XGroupCreateMkStream(ctx, "s", "g", "0").Err(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	acked := make(map[string]int, n)
	claimed := map[string]bool{} // acknowledged after XAUTOCLAIM
	var empty atomic.Int64       // XREADGROUP calls that timed out
	var slowest atomic.Int64     // the longest XREADGROUP BLOCK call, ns
	done := make(chan struct{})
	var wg sync.WaitGroup
	// The victim reads a batch and dies without acknowledging it.
	victim := redis.NewClient(&redis.Options{Addr: g.Addr(2), ReadTimeout: time.Minute})
	start := time.Now()
	// The producer adds pipelines of 100 entries (1,000 from 100,000
	// entries on), one instance after the other.
	step := max(100, n/1000)
	go func() {
		var worst time.Duration
		for i := 0; i < n; i += step {
			t0 := time.Now()
			vals := make([]redis.Cmder, 0, step)
			pipe := clients[(i/step)%3].Pipeline()
			for j := i; j < min(i+step, n); j++ {
				vals = append(vals, pipe.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []string{"n", strconv.Itoa(j)}}))
			}
			if _, err := pipe.Exec(ctx); err != nil {
				t.Error(err)
				return
			}
			worst = max(worst, time.Since(t0))
		}
		t.Logf("producer: %d entries added in %v, slowest pipeline of %d %v", n, time.Since(start), step, worst)
	}()
	res, err := victim.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "victim", Streams: []string{"s", ">"}, Count: 50, Block: 10 * time.Second}).Result()
	if err != nil || len(res) == 0 || len(res[0].Messages) == 0 {
		t.Fatalf("victim read %v %v", res, err)
	}
	victim.Close()
	victimIDs := make([]string, len(res[0].Messages))
	for i, m := range res[0].Messages {
		victimIDs[i] = m.ID
	}
	// ack acknowledges ids one XACK each (in one pipeline), so that each
	// success is known: an entry a slow consumer still held may have been
	// claimed and acknowledged by another (at-least-once delivery), but
	// no entry may be acknowledged successfully twice.
	ack := func(c *redis.Client, ids []string, claim bool) {
		if len(ids) == 0 {
			return
		}
		pipe := c.Pipeline()
		cmds := make([]*redis.IntCmd, len(ids))
		for i, id := range ids {
			cmds[i] = pipe.XAck(ctx, "s", "g", id)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Errorf("XACK: %v", err)
			return
		}
		mu.Lock()
		for i, id := range ids {
			if cmds[i].Val() == 1 {
				acked[id]++
				claimed[id] = claimed[id] || claim
				if n >= 100000 && len(acked)%(n/10) == 0 {
					t.Logf("%d acknowledged after %v", len(acked), time.Since(start))
				}
			}
		}
		if len(acked) >= n {
			select {
			case <-done:
			default:
				close(done)
			}
		}
		mu.Unlock()
	}
	for w := range consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clients[w%3]
			name := fmt.Sprintf("c%d", w)
			for {
				select {
				case <-done:
					return
				default:
				}
				t0 := time.Now()
				res, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: name, Streams: []string{"s", ">"}, Count: 100, Block: 200 * time.Millisecond}).Result()
				for took := int64(time.Since(t0)); ; {
					if s := slowest.Load(); took <= s || slowest.CompareAndSwap(s, took) {
						break
					}
				}
				if err == redis.Nil {
					empty.Add(1)
					// Nothing new: take over what a dead (or slow)
					// consumer left pending.
					ac, _, err := c.XAutoClaimJustID(ctx, &redis.XAutoClaimArgs{Stream: "s", Group: "g", Consumer: name, MinIdle: 2 * time.Second, Start: "0", Count: 100}).Result()
					if err != nil {
						t.Error(err)
						return
					}
					ack(c, ac, true)
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				var ids []string
				for _, m := range res[0].Messages {
					ids = append(ids, m.ID)
				}
				ack(c, ids, false)
			}
		}()
	}
	select {
	case <-done:
	case <-time.After(time.Duration(60+n/50) * time.Second):
		t.Errorf("acknowledged %d of %d entries", len(acked), n)
	}
	wg.Wait()
	for id, k := range acked {
		if k != 1 {
			t.Errorf("entry %s acknowledged %d times", id, k)
		}
	}
	if len(acked) != n {
		t.Errorf("acknowledged %d entries, want %d", len(acked), n)
	}
	if p, err := clients[1].XPending(ctx, "s", "g").Result(); err != nil || p.Count != 0 {
		t.Errorf("pending after the run: %v %v", p, err)
	}
	nclaimed, all := 0, 0
	for _, id := range victimIDs {
		if claimed[id] {
			nclaimed++
		}
	}
	for _, c := range claimed {
		if c {
			all++
		}
	}
	if nclaimed != len(victimIDs) {
		t.Errorf("%d of the %d entries the victim left pending were acknowledged after XAUTOCLAIM", nclaimed, len(victimIDs))
	}
	t.Logf("the victim's %d entries claimed by XAUTOCLAIM and acknowledged; %d entries in all acknowledged after a claim; %d XREADGROUP BLOCK 200 calls timed out, the slowest answered in %v",
		len(victimIDs), all, empty.Load(), time.Duration(slowest.Load()))
	t.Logf("%d entries, %d consumers on 3 instances: %v", n, consumers, time.Since(start))
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
