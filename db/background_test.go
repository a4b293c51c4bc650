package db

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/metrics"
)

// The scheduling of the background tasks is tested in package background;
// these tests cover the transactional steps it calls.

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

// collectRound deletes the elements of every queued collection, as the
// collector's rounds would.
func (d *DB) collectRound(ctx context.Context, deadline time.Time) error {
	for time.Now().Before(deadline) {
		o, err := d.NextDropped(ctx)
		if err != nil || o == nil {
			return err
		}
		for done := false; !done; {
			if _, done, err = d.CollectChunk(ctx, o, 512); err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("collection not done by %v", deadline)
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

// TestBigDeleteCost: deleting a big collection costs what a small one
// does, and the collector's steps then reclaim its elements. 2,000
// elements are several scan batches and collector chunks (512): a DEL
// that read or wrote them would cost hundreds of times more.
func TestBigDeleteCost(t *testing.T) {
	dm := metrics.New()
	d := openDB(t, Options{}, dm)
	const big = 2000
	start := time.Now()
	bigObj := fillObject(t, d, "big", big, 0)
	fill := time.Since(start)
	fillObject(t, d, "small", 10, 0)

	// DEL costs the same requests, and writes the same three keys (the
	// metadata, the collector's queue entry and a key counter shard),
	// whatever the size.
	warmCounterShards(t, d)
	delCost := func(key string) (requests float64, written int) {
		before := counterValue(t, dm, "titan_tikv_requests_total")
		start := time.Now()
		update(t, d, func(tx *Tx) error {
			existed, err := tx.Key([]byte(key)).Delete()
			if !existed {
				t.Errorf("DEL %s found nothing", key)
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
	if bigReq != smallReq || bigKeys != smallKeys || bigKeys != 3 {
		t.Errorf("DEL of a big collection: %.0f requests, %d keys; of a small one: %.0f, %d", bigReq, bigKeys, smallReq, smallKeys)
	}
	if err := d.collectRound(context.Background(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := countPrefix(t, d, d.keys.DataPrefix(bigObj)); n != 0 {
		t.Fatalf("%d elements left after collection", n)
	}
	if n := countPrefix(t, d, d.keys.GCPrefix()); n != 0 {
		t.Fatalf("%d queue entries left", n)
	}
}
