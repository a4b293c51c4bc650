package instancetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/titan-kv/titan/store"
)

func dbClient(addr string, db int) *redis.Client {
	// Replies may take seconds under the race detector on a loaded machine:
	// these tests check what the replies say, not how fast they come.
	return redis.NewClient(&redis.Options{Addr: addr, DB: db, PoolSize: 4, ReadTimeout: 30 * time.Second})
}

// TestSwapDBAcrossInstances: a SWAPDB on one instance is seen at once by
// the clients of both databases on the other (reads, DBSIZE, INFO
// keyspace), a WATCH there of a key in either database fails EXEC, a
// WATCH in another database does not, and a client blocked there in one
// of the databases is woken to find the list the swap brought.
func TestSwapDBAcrossInstances(t *testing.T) {
	ctx := context.Background()
	g := Start(t, 2, Options{})
	a0, a1 := dbClient(g.Addr(0), 0), dbClient(g.Addr(0), 1)
	b0, b1, b2 := dbClient(g.Addr(1), 0), dbClient(g.Addr(1), 1), dbClient(g.Addr(1), 2)
	for _, c := range []*redis.Client{a0, a1, b0, b1, b2} {
		defer c.Close()
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a0.Set(ctx, "k", "zero", 0).Err())
	must(a1.Set(ctx, "k", "one", 0).Err())
	must(a1.Set(ctx, "only1", "x", time.Hour).Err())
	must(b2.Set(ctx, "w2", "v", 0).Err())
	// Instance 1 has used the identity mapping.
	if v := b0.Get(ctx, "k").Val(); v != "zero" {
		t.Fatalf("before: db0 k = %q", v)
	}

	// Watches on instance 1: k in db0 and db1 (swapped), w2 in db2 (not).
	watch := func(c *redis.Client, key string) (chan error, chan struct{}) {
		res, start := make(chan error, 1), make(chan struct{})
		watched := make(chan struct{})
		go func() {
			res <- c.Watch(ctx, func(tx *redis.Tx) error {
				close(watched)
				<-start
				_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.Set(ctx, key, "exec", 0)
					return nil
				})
				return err
			}, key)
		}()
		<-watched
		return res, start
	}
	w0, go0 := watch(b0, "k")
	w1, go1 := watch(b1, "k")
	w2, go2 := watch(b2, "w2")

	// A client of instance 1 blocked on db0's "l", which only db1 has.
	must(a1.RPush(ctx, "l", "from1").Err())
	popped := make(chan []string, 1)
	go func() {
		v, err := b0.BLPop(ctx, 10*time.Second, "l").Result()
		if err != nil {
			t.Error("BLPOP:", err)
		}
		popped <- v
	}()
	time.Sleep(200 * time.Millisecond)

	swapAt := time.Now()
	must(a0.Do(ctx, "SWAPDB", 0, 1).Err())
	if v := b0.Get(ctx, "k").Val(); v != "one" {
		t.Errorf("instance 1 db0 after the swap: k = %q, want one", v)
	}
	if v := b1.Get(ctx, "k").Val(); v != "zero" {
		t.Errorf("instance 1 db1 after the swap: k = %q, want zero", v)
	}
	select {
	case v := <-popped:
		if !slices.Equal(v, []string{"l", "from1"}) {
			t.Errorf("BLPOP after the swap = %v", v)
		}
		if d := time.Since(swapAt); d > 2*time.Second {
			t.Errorf("BLPOP woken %v after the swap", d)
		}
	case <-time.After(5 * time.Second):
		t.Error("BLPOP on instance 1 db0 not woken by the swap on instance 0")
	}

	// The list popped, db0 holds k and only1, db1 k.
	if n := b0.DBSize(ctx).Val(); n != 2 {
		t.Errorf("instance 1 db0 DBSIZE = %d, want 2", n)
	}
	if ttl := b0.TTL(ctx, "only1").Val(); ttl <= 0 {
		t.Errorf("instance 1 db0 TTL only1 = %v, want the hour it had in db1", ttl)
	}
	info := b0.Info(ctx, "keyspace").Val()
	for _, want := range []string{"db0:keys=2,expires=1", "db1:keys=1,expires=0", "db2:keys=1,expires=0"} {
		if !strings.Contains(info, want) {
			t.Errorf("instance 1 INFO keyspace %q lacks %q", info, want)
		}
	}
	close(go0)
	close(go1)
	close(go2)
	for name, ch := range map[string]chan error{"db0": w0, "db1": w1} {
		if err := <-ch; err != redis.TxFailedErr {
			t.Errorf("EXEC watching k in %s across the swap: %v, want it failed", name, err)
		}
	}
	if err := <-w2; err != nil {
		t.Errorf("EXEC watching db2 (not swapped): %v", err)
	}
	// Swapping back restores both, seen from instance 1 at once.
	must(b1.Do(ctx, "SWAPDB", 1, 0).Err())
	if v := a0.Get(ctx, "k").Val(); v != "zero" {
		t.Errorf("after swapping back: db0 k = %q", v)
	}
}

// TestSwapDBConcurrentWriters: writers on two instances overwrite their
// key in logical database 0 while instance 0 swaps databases 0 and 1
// again and again. Between two swaps nothing may change in logical
// database 1 (no write of db0 may land there once the swap is answered,
// whichever instance's cache it started from), no write is lost, and at
// the end each writer's last acknowledged value is in db0. The race of a
// write's snapshot with the swap's commit (the write skew guardWrites
// closes) is too narrow to hit reliably here: db's
// TestSwapConflictsWithRacingWrite checks it deterministically.
func TestSwapDBConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	g := Start(t, 2, Options{Store: store.Options{RPCDelay: 500 * time.Microsecond}})
	const writers, swaps = 6, 24
	keys := make([]string, writers)
	s := dbClient(g.Addr(0), 0)
	r1 := dbClient(g.Addr(1), 1)
	defer s.Close()
	defer r1.Close()
	for w := range keys {
		keys[w] = fmt.Sprintf("c%d", w)
		if err := s.Set(ctx, keys[w], "init0", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := r1.Set(ctx, keys[w], "init1", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var stop atomic.Bool
	last := make([]string, writers)
	var wg sync.WaitGroup
	var n atomic.Int64
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dbClient(g.Addr(w%2), 0)
			defer c.Close()
			for i := 0; !stop.Load(); i++ {
				v := fmt.Sprintf("w%d:%d", w, i)
				if err := c.Set(ctx, keys[w], v, 0).Err(); err != nil {
					t.Error(err)
					return
				}
				last[w] = v
				n.Add(1)
			}
		}()
	}
	for i := range swaps {
		if err := s.Do(ctx, "SWAPDB", 0, 1).Err(); err != nil {
			t.Fatal(err)
		}
		before := r1.MGet(ctx, keys...).Val()
		time.Sleep(15 * time.Millisecond)
		if after := r1.MGet(ctx, keys...).Val(); !slices.Equal(before, after) {
			t.Errorf("swap %d: logical db1 changed with no swap in flight: %v, then %v", i, before, after)
		}
	}
	time.Sleep(20 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	c0 := dbClient(g.Addr(1), 0)
	defer c0.Close()
	if got := c0.MGet(ctx, keys...).Val(); !slices.Equal(got, toAny(last)) {
		t.Errorf("db0 holds %v, want each writer's last acknowledged value %v", got, last)
	}
	if n0, n1 := c0.DBSize(ctx).Val(), r1.DBSize(ctx).Val(); n0 != writers || n1 != writers {
		t.Errorf("DBSIZE db0 %d, db1 %d, want %d each", n0, n1, writers)
	}
	t.Logf("%d writes acknowledged during %d swaps", n.Load(), swaps)
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
