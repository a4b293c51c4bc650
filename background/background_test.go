package background

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/metrics"
)

// testOptions are short intervals, for tests.
var testOptions = Options{
	InstanceID: "test", LeaseTTL: 300 * time.Millisecond,
	ExpireInterval: 50 * time.Millisecond, GCInterval: 50 * time.Millisecond,
}

func TestLeaseHasOneHolder(t *testing.T) {
	st := openStore(t)
	peers := []*db.DB{openDB(t, st, nil), openDB(t, st, nil), openDB(t, st, nil)}
	ttl := 300 * time.Millisecond
	held := make([]bool, len(peers))
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := p.TryLease(context.Background(), "t", fmt.Sprint("owner", i), ttl)
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
	if ok, _ := peers[other].TryLease(context.Background(), "t", fmt.Sprint("owner", other), ttl); ok {
		t.Fatal("a second process took a live lease")
	}
	if ok, _ := peers[holder].TryLease(context.Background(), "t", fmt.Sprint("owner", holder), ttl); !ok {
		t.Fatal("the holder could not renew")
	}
	time.Sleep(ttl + 50*time.Millisecond)
	if ok, _ := peers[other].TryLease(context.Background(), "t", fmt.Sprint("owner", other), ttl); !ok {
		t.Fatal("a lapsed lease was not taken over")
	}
}

// TestLeaseReleasedOnStop: a process that stops gives its leases up, so
// another takes them over at once rather than after LeaseTTL.
func TestLeaseReleasedOnStop(t *testing.T) {
	st := openStore(t)
	a, b := openDB(t, st, nil), openDB(t, st, nil)
	o := testOptions
	o.LeaseTTL = time.Hour
	o.InstanceID = "a"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { New(st, a, o, nil).Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := b.TryLease(context.Background(), "gc", "b", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break // a holds it
		}
		// b was first: give it back and let a take it.
		if err := b.ReleaseLease(context.Background(), "gc", "b"); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the running process never took the lease")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if ok, err := b.TryLease(context.Background(), "gc", "b", time.Hour); !ok || err != nil {
		t.Fatalf("lease of a stopped process not released: %v %v", ok, err)
	}
}

func TestExpireRound(t *testing.T) {
	st := openStore(t)
	d := openDB(t, st, nil)
	update(t, d, func(tx *db.Tx) error {
		for i := 0; i < 600; i++ {
			at := tx.Now() + 30
			if i%2 == 0 {
				at = tx.Now() + int64(time.Hour/time.Millisecond)
			}
			if err := setString(tx, fmt.Sprint("k", i), "v", at); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, d, func(tx *db.Tx) error {
		// A TTL that was removed leaves a stale index entry behind.
		if err := setString(tx, "persisted", "v", tx.Now()+30); err != nil {
			return err
		}
		return persist(tx, "persisted")
	})
	time.Sleep(50 * time.Millisecond)
	b := New(st, d, testOptions, nil)
	if err := b.expireRound(context.Background(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := countPrefix(t, st, keys.MetaPrefix(0)); n != 301 {
		t.Fatalf("%d keys left, want 301", n)
	}
	if n := countPrefix(t, st, keys.ExpirePrefix()); n != 300 {
		t.Fatalf("%d index entries left, want 300", n)
	}
	// The next round starts from the watermark the last one left.
	wm := b.expireWatermark
	if wm < time.Now().Add(-time.Minute).UnixMilli() {
		t.Fatalf("watermark %d after a complete round", wm)
	}
	if err := b.expireRound(context.Background(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if b.expireWatermark < wm {
		t.Fatalf("watermark went back from %d to %d", wm, b.expireWatermark)
	}
}

func TestCollectRound(t *testing.T) {
	st := openStore(t)
	m := metrics.New()
	d := openDB(t, st, m)
	fillSet(t, d, "big", 1500)
	obj := objectOf(t, st, "big")
	update(t, d, func(tx *db.Tx) error {
		existed, err := del(tx, "big")
		if !existed {
			t.Errorf("del found nothing")
		}
		return err
	})
	if n := countPrefix(t, st, keys.DataPrefix(obj)); n != 1500 {
		t.Fatalf("elements before collection = %d", n)
	}
	if err := New(st, d, testOptions, m).collectRound(context.Background(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := countPrefix(t, st, keys.DataPrefix(obj)); n != 0 {
		t.Fatalf("%d elements left after collection", n)
	}
	if n := countPrefix(t, st, keys.GCPrefix()); n != 0 {
		t.Fatalf("%d queue entries left", n)
	}
	if n := counterValue(t, m, "titan_gc_keys_deleted_total"); n != 1500 {
		t.Fatalf("collector counted %.0f deleted keys", n)
	}
}

// TestCollectorResumes: a round stops at its rate budget, records where
// in the queue entry, and the next round goes on from there.
func TestCollectorResumes(t *testing.T) {
	st := openStore(t)
	m := metrics.New()
	d := openDB(t, st, m)
	fillSet(t, d, "big", 1500)
	obj := objectOf(t, st, "big")
	update(t, d, func(tx *db.Tx) error { _, err := del(tx, "big"); return err })
	o := testOptions
	o.GCRate, o.GCInterval = 600, time.Second // 600 keys a round
	b := New(st, d, o, m)
	for _, left := range []int{900, 300, 0} {
		if err := b.collectRound(context.Background(), time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if n := countPrefix(t, st, keys.DataPrefix(obj)); n != left {
			t.Fatalf("%d elements left, want %d", n, left)
		}
		entry := rawGet(t, st, keys.GC(obj))
		if left > 0 && len(entry) <= 8 {
			t.Fatalf("queue entry %q records no progress", entry)
		}
		if left == 0 && entry != nil {
			t.Fatalf("queue entry %q left after the object was emptied", entry)
		}
	}
	if n := counterValue(t, m, "titan_gc_keys_deleted_total"); n != 1500 {
		t.Fatalf("collector counted %.0f deleted keys", n)
	}
	if n := counterValue(t, m, "titan_gc_objects_total"); n != 1 {
		t.Fatalf("collector counted %.0f objects", n)
	}
}

func TestSafePointKeepsLatest(t *testing.T) {
	st := openStore(t)
	d := openDB(t, st, nil)
	for i := 0; i < 20; i++ {
		update(t, d, func(tx *db.Tx) error { return setString(tx, "k", fmt.Sprint(i), 0) })
	}
	time.Sleep(5 * time.Millisecond)
	o := testOptions
	o.GCLifeTime = time.Millisecond
	if err := New(st, d, o, nil).safePointRound(context.Background(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	update(t, d, func(tx *db.Tx) error {
		v, err := getString(tx, "k")
		if string(v) != "19" {
			t.Errorf("after gc: %q %v", v, err)
		}
		return err
	})
}

// TestBigDeleteSeveralInstances: the collector of exactly one of several
// instances reclaims a deleted big collection's elements; an expired big
// collection is reclaimed too.
func TestBigDeleteSeveralInstances(t *testing.T) {
	st := openStore(t)
	d := openDB(t, st, nil)
	o := testOptions
	o.GCRate = 200000
	// A lease outlives a store round trip even on a loaded machine under
	// the race detector: with testOptions' 300 ms, renewals committed
	// after the lease lapsed, every instance wrote every lease on every
	// tick, and the conflicts and lock resolutions slowed the store
	// further, until the collectors barely ran. Leases still change hands
	// when the store stalls.
	o.LeaseTTL = time.Second
	var ms []*metrics.Metrics
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		m := metrics.New()
		o := o
		o.InstanceID = fmt.Sprint("instance", i)
		b := New(st, openDB(t, st, m), o, m)
		ms = append(ms, m)
		wg.Add(1)
		go func() { defer wg.Done(); b.Run(ctx) }()
	}
	defer func() { cancel(); wg.Wait() }()

	// Big enough for many collector chunks and rounds; small enough to
	// stay quick under the race detector on a loaded machine.
	const big, expiring = 6000, 3000
	fillSet(t, d, "big", big)
	bigObj := objectOf(t, st, "big")
	fillSet(t, d, "small", 10)
	fillSet(t, d, "expiring", expiring)
	expObj := objectOf(t, st, "expiring")
	update(t, d, func(tx *db.Tx) error { return expireAt(tx, "expiring", tx.Now()+int64(time.Hour/time.Millisecond)) })
	for _, k := range []string{"small", "big"} {
		update(t, d, func(tx *db.Tx) error {
			existed, err := del(tx, k)
			if !existed {
				t.Errorf("DEL %s found nothing", k)
			}
			return err
		})
	}
	// Make the third one expire now: the active expirer must queue it.
	update(t, d, func(tx *db.Tx) error { return expireAt(tx, "expiring", tx.Now()+20) })

	// Wait until the expirer removed "expiring" and the collectors
	// emptied the queue (cheap reads), then count what is left.
	deadline := time.Now().Add(120 * time.Second)
	for rawGet(t, st, keys.Meta(0, []byte("expiring"))) != nil || countPrefix(t, st, keys.GCPrefix()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("elements left: %d + %d", countPrefix(t, st, keys.DataPrefix(bigObj)), countPrefix(t, st, keys.DataPrefix(expObj)))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n, m := countPrefix(t, st, keys.DataPrefix(bigObj)), countPrefix(t, st, keys.DataPrefix(expObj)); n+m > 0 {
		t.Fatalf("queue empty, elements left: %d + %d", n, m)
	}
	var deleted float64
	for _, m := range ms {
		deleted += counterValue(t, m, "titan_gc_keys_deleted_total")
	}
	if deleted != big+10+expiring {
		t.Errorf("collectors deleted %.0f keys in all, want exactly %d", deleted, big+10+expiring)
	}
}
