package db

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/metrics"
)

func TestLeaseHasOneHolder(t *testing.T) {
	d := openTest(t, false)
	peers := []*DB{d, d.Peer(Options{}, nil), d.Peer(Options{}, nil)}
	ttl := 300 * time.Millisecond
	held := make([]bool, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := p.acquireLease(context.Background(), "t", fmt.Sprint("owner", i), ttl)
			if err != nil {
				t.Error(err)
			}
			held[i] = ok
		}()
	}
	wg.Wait()
	n, holder := 0, -1
	for i, h := range held {
		if h {
			n, holder = n+1, i
		}
	}
	if n != 1 {
		t.Fatalf("%d holders, want 1", n)
	}
	// The holder renews; the others are refused until the lease lapses.
	other := (holder + 1) % len(peers)
	if ok, _ := peers[other].acquireLease(context.Background(), "t", fmt.Sprint("owner", other), ttl); ok {
		t.Fatal("a second process took a live lease")
	}
	if ok, _ := peers[holder].acquireLease(context.Background(), "t", fmt.Sprint("owner", holder), ttl); !ok {
		t.Fatal("the holder could not renew")
	}
	time.Sleep(ttl + 50*time.Millisecond)
	if ok, _ := peers[other].acquireLease(context.Background(), "t", fmt.Sprint("owner", other), ttl); !ok {
		t.Fatal("a lapsed lease was not taken over")
	}
}

func countPrefix(t *testing.T, d *DB, prefix []byte) int {
	t.Helper()
	n := 0
	err := d.View(context.Background(), 0, func(tx *Tx) error {
		return tx.scan(prefix, encoding.PrefixEnd(prefix), 0, func(k, v []byte) (bool, error) {
			n++
			return true, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestExpireRound(t *testing.T) {
	d := openTest(t, false)
	update(t, d, func(tx *Tx) error {
		for i := 0; i < 600; i++ {
			at := tx.Now() + 30
			if i%2 == 0 {
				at = tx.Now() + int64(time.Hour/time.Millisecond)
			}
			if _, err := tx.String([]byte(fmt.Sprint("k", i))).Set([]byte("v"), SetOptions{ExpireAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, d, func(tx *Tx) error {
		// A TTL that was removed leaves a stale index entry behind.
		if _, err := tx.String([]byte("persisted")).Set([]byte("v"), SetOptions{ExpireAt: tx.Now() + 30}); err != nil {
			return err
		}
		_, err := tx.Key([]byte("persisted")).Persist()
		return err
	})
	time.Sleep(50 * time.Millisecond)
	if err := d.expireRound(context.Background(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := countPrefix(t, d, d.keys.MetaPrefix(0)); n != 301 {
		t.Fatalf("%d keys left, want 301", n)
	}
	if n := countPrefix(t, d, d.keys.ExpirePrefix()); n != 300 {
		t.Fatalf("%d index entries left, want 300", n)
	}
}

func TestCollectRound(t *testing.T) {
	d := openTest(t, false)
	var obj encoding.ObjectID
	update(t, d, func(tx *Tx) error {
		m := tx.newObject(encoding.TypeSet)
		obj = m.Object
		for i := 0; i < 1500; i++ {
			if err := tx.set(tx.data(m, []byte(fmt.Sprint("m", i))), nil); err != nil {
				return err
			}
		}
		return tx.saveCount([]byte("big"), m, 1500, false)
	})
	update(t, d, func(tx *Tx) error {
		existed, err := tx.Key([]byte("big")).Delete()
		if !existed {
			t.Errorf("del = %v", existed)
		}
		return err
	})
	if n := countPrefix(t, d, d.keys.DataPrefix(obj)); n != 1500 {
		t.Fatalf("elements before collection = %d", n)
	}
	if err := d.collectRound(context.Background(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := countPrefix(t, d, d.keys.DataPrefix(obj)); n != 0 {
		t.Fatalf("%d elements left after collection", n)
	}
	if n := countPrefix(t, d, d.keys.GCPrefix()); n != 0 {
		t.Fatalf("%d queue entries left", n)
	}
}

func TestSafePointKeepsLatest(t *testing.T) {
	d := openTest(t, false)
	d.opts.Background.GCLifeTime = time.Millisecond
	for i := 0; i < 20; i++ {
		update(t, d, func(tx *Tx) error {
			_, err := tx.String([]byte("k")).Set([]byte(fmt.Sprint(i)), SetOptions{})
			return err
		})
	}
	time.Sleep(5 * time.Millisecond)
	if err := d.safePointRound(context.Background(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	update(t, d, func(tx *Tx) error {
		v, err := tx.String([]byte("k")).Get()
		if string(v) != "19" {
			t.Errorf("after gc: %q %v", v, err)
		}
		return err
	})
}

// counterValue reads a counter from a registry.
func counterValue(t *testing.T, m *metrics.Metrics, name string) float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, s := range mf.GetMetric() {
				sum += s.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// fillObject creates key as a set of n elements, written in chunks.
func fillObject(t *testing.T, d *DB, key string, n int, expireAt int64) encoding.ObjectID {
	t.Helper()
	var m *encoding.Meta
	update(t, d, func(tx *Tx) error {
		m = tx.newObject(encoding.TypeSet)
		m.ExpireAt = expireAt
		return nil
	})
	for done := 0; done < n; {
		chunk := min(5000, n-done)
		update(t, d, func(tx *Tx) error {
			for i := done; i < done+chunk; i++ {
				if err := tx.set(tx.data(m, []byte(fmt.Sprint("m", i))), nil); err != nil {
					return err
				}
			}
			existed := done > 0
			mm := *m
			mm.Count = int64(done)
			return tx.saveCount([]byte(key), &mm, int64(chunk), existed)
		})
		done += chunk
	}
	return m.Object
}

// TestBigDeleteSeveralInstances: deleting a big collection costs what a
// small one does; the collector of exactly one of several instances
// reclaims its elements; an expired big collection is reclaimed too.
func TestBigDeleteSeveralInstances(t *testing.T) {
	dm := metrics.New()
	d, err := Open(context.Background(), Options{DataDir: t.TempDir()}, dm)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	bgOpts := BackgroundOptions{LeaseTTL: 300 * time.Millisecond, ExpireInterval: 50 * time.Millisecond,
		GCInterval: 50 * time.Millisecond, GCRate: 200000}
	var ms []*metrics.Metrics
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		m := metrics.New()
		o := bgOpts
		o.InstanceID = fmt.Sprint("instance", i)
		p := d.Peer(Options{Background: o}, m)
		ms = append(ms, m)
		wg.Add(1)
		go func() { defer wg.Done(); p.RunBackground(ctx) }()
	}
	defer func() { cancel(); wg.Wait() }()

	const big = 20000
	start := time.Now()
	bigObj := fillObject(t, d, "big", big, 0)
	fill := time.Since(start)
	fillObject(t, d, "small", 10, 0)
	expObj := fillObject(t, d, "expiring", 10000, time.Now().Add(time.Hour).UnixMilli())

	// DEL costs the same requests, and writes the same two keys (the
	// metadata and the collector's queue entry), whatever the size.
	delCost := func(key string) (requests float64, written int) {
		before := counterValue(t, dm, "titan_tikv_requests_total")
		start := time.Now()
		update(t, d, func(tx *Tx) error {
			existed, err := tx.Key([]byte(key)).Delete()
			if !existed {
				t.Errorf("DEL %s = %v", key, existed)
			}
			written = tx.t.Len()
			return err
		})
		t.Logf("DEL %s: %v", key, time.Since(start))
		return counterValue(t, dm, "titan_tikv_requests_total") - before, written
	}
	smallReq, smallKeys := delCost("small")
	bigReq, bigKeys := delCost("big")
	t.Logf("writing %d elements took %v; DEL of 10 elements: %.0f requests, %d keys written; of %d: %.0f requests, %d keys",
		big, fill, smallReq, smallKeys, big, bigReq, bigKeys)
	if bigReq != smallReq || bigKeys != smallKeys || bigKeys != 2 {
		t.Errorf("DEL of a big collection: %.0f requests, %d keys; of a small one: %.0f, %d", bigReq, bigKeys, smallReq, smallKeys)
	}
	// Make the third one expire now: the active expirer must queue it.
	update(t, d, func(tx *Tx) error {
		_, err := tx.Key([]byte("expiring")).ExpireAt(tx.Now()+20, ExpireFlags{})
		return err
	})

	deadline := time.Now().Add(30 * time.Second)
	for countPrefix(t, d, d.keys.DataPrefix(bigObj))+countPrefix(t, d, d.keys.DataPrefix(expObj)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("elements left: %d + %d", countPrefix(t, d, d.keys.DataPrefix(bigObj)), countPrefix(t, d, d.keys.DataPrefix(expObj)))
		}
		time.Sleep(100 * time.Millisecond)
	}
	var deleted float64
	for _, m := range ms {
		deleted += counterValue(t, m, "titan_gc_keys_deleted_total")
	}
	if deleted != big+10+10000 {
		t.Errorf("collectors deleted %.0f keys in all, want exactly %d", deleted, big+10+10000)
	}
	if n := countPrefix(t, d, d.keys.GCPrefix()); n != 0 {
		t.Errorf("%d objects still queued", n)
	}
}
