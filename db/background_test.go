package db

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/titan-kv/titan/encoding"
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
			if _, err := tx.Set([]byte(fmt.Sprint("k", i)), []byte("v"), SetOptions{ExpireAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, d, func(tx *Tx) error {
		// A TTL that was removed leaves a stale index entry behind.
		if _, err := tx.Set([]byte("persisted"), []byte("v"), SetOptions{ExpireAt: tx.Now() + 30}); err != nil {
			return err
		}
		_, err := tx.Persist([]byte("persisted"))
		return err
	})
	time.Sleep(50 * time.Millisecond)
	if err := d.expireRound(context.Background()); err != nil {
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
		n, err := tx.Del([]byte("big"))
		if n != 1 {
			t.Errorf("del = %d", n)
		}
		return err
	})
	if n := countPrefix(t, d, d.keys.DataPrefix(obj)); n != 1500 {
		t.Fatalf("elements before collection = %d", n)
	}
	if err := d.collectRound(context.Background()); err != nil {
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
			_, err := tx.Set([]byte("k"), []byte(fmt.Sprint(i)), SetOptions{})
			return err
		})
	}
	time.Sleep(5 * time.Millisecond)
	if err := d.safePointRound(context.Background()); err != nil {
		t.Fatal(err)
	}
	update(t, d, func(tx *Tx) error {
		v, err := tx.Get([]byte("k"))
		if string(v) != "19" {
			t.Errorf("after gc: %q %v", v, err)
		}
		return err
	})
}
