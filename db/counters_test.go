package db

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/store"
)

// recount counts database db's metadata by scanning it.
func recount(t *testing.T, d *DB, db uint16) encoding.Counts {
	t.Helper()
	var c encoding.Counts
	err := d.View(context.Background(), db, func(tx *Tx) error {
		p := d.keys.MetaPrefix(db)
		return tx.scan(p, encoding.PrefixEnd(p), 0, func(_, v []byte) (bool, error) {
			m, err := encoding.DecodeMeta(v)
			c = c.Add(encoding.CountsOf(m))
			return err == nil, err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func counted(t *testing.T, d *DB, db uint16) encoding.Counts {
	t.Helper()
	var c encoding.Counts
	err := d.View(context.Background(), db, func(tx *Tx) (err error) {
		c, err = tx.Keyspace().Counts()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCountsNoDrift runs a randomized mixed workload (creates, overwrites,
// deletes, TTL changes, renames and copies across databases, collections
// emptied, jobs rolled back inside a batch, flushes and the expirer) from
// three DBs over one store, several writers each, and checks that the key
// counters equal a recount of every database and that a repair finds
// nothing to correct.
func TestCountsNoDrift(t *testing.T) {
	st := openStore(t, store.Options{})
	var dbs []*DB
	for i := range 3 {
		d := New(st, Options{Batch: BatchOptions{Enabled: i != 2}}, nil)
		t.Cleanup(func() { d.Close() })
		dbs = append(dbs, d)
	}
	ctx := context.Background()
	deadline := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	var failed sync.Once
	for w := range 9 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := dbs[w%3]
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for n := 0; time.Now().Before(deadline); n++ {
				db := uint16(r.IntN(2))
				key := []byte(fmt.Sprintf("k%d", r.IntN(40)))
				other := []byte(fmt.Sprintf("k%d", r.IntN(40)))
				var fn func(tx *Tx) error
				switch op := r.IntN(14); op {
				case 0, 1:
					o := SetOptions{}
					if r.IntN(2) == 0 {
						o.ExpireAt = time.Now().UnixMilli() + int64(r.IntN(300))
					}
					fn = func(tx *Tx) error { _, err := tx.String(key).Set([]byte("v"), o); return err }
				case 2:
					fn = func(tx *Tx) error { _, err := tx.Key(key).Delete(); return err }
				case 3:
					fn = func(tx *Tx) error {
						_, err := tx.Key(key).ExpireAt(time.Now().UnixMilli()+int64(r.IntN(300))-50, ExpireFlags{})
						return err
					}
				case 4:
					fn = func(tx *Tx) error { _, err := tx.Key(key).Persist(); return err }
				case 5:
					fn = func(tx *Tx) error {
						_, err := tx.Key(key).Rename(other, r.IntN(2) == 0)
						if err == ErrNoSuchKey {
							err = nil
						}
						return err
					}
				case 6:
					fn = func(tx *Tx) error { _, err := tx.Key(key).Copy(other, uint16(r.IntN(2)), true); return err }
				case 7:
					fn = func(tx *Tx) error { _, err := tx.Set(key).Add(toBytes("a", "b")); return err }
				case 8:
					fn = func(tx *Tx) error { _, err := tx.Set(key).Rem(toBytes("a", "b")); return err }
				case 9:
					fn = func(tx *Tx) error { _, err := tx.List(key).Push(toBytes("x"), true, false); return err }
				case 10:
					fn = func(tx *Tx) error { _, _, err := tx.List(key).Pop(true, 1); return err }
				case 11:
					fn = func(tx *Tx) error { _, err := tx.Hash(key).Set(toBytes("f", "v")); return err }
				case 12:
					// A job that writes, then fails: rolled back alone.
					fn = func(tx *Tx) error {
						if _, err := tx.String(other).Set([]byte("x"), SetOptions{}); err != nil {
							return err
						}
						return UserError("ERR rolled back")
					}
				case 13:
					if r.IntN(20) == 0 {
						fn = func(tx *Tx) error { _, err := tx.Keyspace().Flush(nil, 7); return err }
					} else {
						if _, err := d.ExpireDue(ctx, 0, 16); err != nil {
							failed.Do(func() { t.Error(err) })
						}
						continue
					}
				}
				jobs := []*Job{{DB: db, Keys: [][]byte{key, other}, Fn: fn}}
				if r.IntN(3) == 0 { // a pipeline of two
					jobs = append(jobs, &Job{DB: db, Keys: [][]byte{other}, Fn: func(tx *Tx) error {
						_, err := tx.String(other).Set([]byte("p"), SetOptions{NX: true})
						return err
					}})
				}
				d.Do(ctx, jobs...)
				for _, j := range jobs {
					if j.Err != nil && !IsUserError(j.Err) {
						failed.Do(func() { t.Errorf("op: %v", j.Err) })
					}
				}
			}
		}()
	}
	wg.Wait()
	for db := range uint16(2) {
		want, got := recount(t, dbs[0], db), counted(t, dbs[1], db)
		if got != want {
			t.Errorf("db %d: counters %+v, recount %+v", db, got, want)
		}
		if want.Keys == 0 {
			t.Errorf("db %d: the workload left no key", db)
		}
		fix, err := dbs[2].RepairCounts(ctx, db)
		if err != nil || fix != (encoding.Counts{}) {
			t.Errorf("db %d: repair corrected %+v, %v", db, fix, err)
		}
	}
}

// TestRepairCounts: a counter made wrong is corrected by the repair,
// through the repair shard.
func TestRepairCounts(t *testing.T) {
	d := openTest(t, false)
	ctx := context.Background()
	for i := range 10 {
		update(t, d, func(tx *Tx) error {
			_, err := tx.String([]byte(fmt.Sprint(i))).Set([]byte("v"), SetOptions{ExpireAt: tx.now + 60_000})
			return err
		})
	}
	update(t, d, func(tx *Tx) error {
		return tx.set(d.keys.Counter(0, 3), encoding.EncodeCounts(encoding.Counts{Keys: 1000}))
	})
	if c := counted(t, d, 0); c.Keys < 1000 {
		t.Fatalf("counts after damage %+v", c)
	}
	if _, err := d.RepairCounts(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if c, want := counted(t, d, 0), recount(t, d, 0); c != want || c.Keys != 10 || c.Expires != 10 {
		t.Fatalf("after repair %+v, recount %+v", c, want)
	}
	if fix, err := d.RepairCounts(ctx, 0); err != nil || fix != (encoding.Counts{}) {
		t.Fatalf("second repair: %+v %v", fix, err)
	}
}

// TestCounterShardReadWithMetadata: a command creating a key reads its
// counter shard in the BatchGet of its metadata, with batching on and off:
// counting costs no request of its own.
func TestCounterShardReadWithMetadata(t *testing.T) {
	for _, batch := range []bool{true, false} {
		t.Run(fmt.Sprint("batch=", batch), func(t *testing.T) {
			m := metrics.New()
			d := openDB(t, Options{Batch: BatchOptions{Enabled: batch}}, m)
			ctx := context.Background()
			before := gather(t, m)
			for _, k := range []string{"a", "b"} {
				j := &Job{Keys: toBytes(k), Fn: func(tx *Tx) error {
					_, err := tx.String([]byte(k)).Set([]byte("v"), SetOptions{})
					return err
				}}
				d.Do(ctx, j)
				if j.Err != nil {
					t.Fatal(j.Err)
				}
			}
			after := gather(t, m)
			for typ, want := range map[string]float64{"Get": 0, "BatchGet": 2, "Prewrite": 2, "Commit": 2} {
				name := "titan_tikv_requests_total " + typ
				if n := after[name] - before[name]; n != want {
					t.Errorf("%s requests: %g, want %g", typ, n, want)
				}
			}
			if c := counted(t, d, 0); c.Keys != 2 {
				t.Errorf("counted %+v, want 2 keys", c)
			}
		})
	}
}

// TestCounterClaims: transactions in flight at once get distinct shards;
// a shard released after a transaction took its start timestamp is not
// given to it (its commit would conflict); claims go round the shards.
func TestCounterClaims(t *testing.T) {
	s := newCounterSlots()
	now := time.Now().UnixMilli()
	held := map[uint8]bool{}
	var claims []counterClaim
	for range encoding.CounterShards {
		c := s.claim(now)
		if !c.held || held[c.shard] {
			t.Fatalf("claim %+v while %v are held", c, held)
		}
		held[c.shard] = true
		claims = append(claims, c)
	}
	// Every shard held: the next claim shares one, unheld.
	if c := s.claim(now); c.held || !c.set {
		t.Fatalf("claim with every shard held: %+v", c)
	}
	release := func(c counterClaim) {
		tx := &Tx{d: &DB{counterSlots: s}, counter: c}
		tx.releaseCounter()
	}
	release(claims[5])
	if c := s.claim(time.Now().UnixMilli() + 1); !c.held || c.shard != claims[5].shard {
		t.Fatalf("claimed %+v, want shard %d, the one released", c, claims[5].shard)
	}
	// Released now: not free for a transaction that began before, while
	// other shards are.
	s = newCounterSlots()
	a := s.claim(now)
	release(a)
	for range encoding.CounterShards - 1 {
		if c := s.claim(now - 1); c.shard == a.shard {
			t.Fatalf("claimed %+v, released after the transaction began", c)
		}
	}
	// Round: after releasing everything, successive claims move on.
	s = newCounterSlots()
	later := time.Now().UnixMilli() + 1
	seen := map[uint8]bool{}
	for range 8 {
		c := s.claim(later)
		seen[c.shard] = true
		release(c)
	}
	if len(seen) != 8 {
		t.Errorf("8 claims in turn used shards %v, want 8 distinct", seen)
	}
}

// TestKeyCountsIndex: INFO keyspace's read (KeyCounts) finds the shards
// of every database through the counter index, in one Scan and one
// BatchGet; a store whose shards were written before the index existed is
// indexed by the repair.
func TestKeyCountsIndex(t *testing.T) {
	m := metrics.New()
	d := openDB(t, Options{}, m)
	ctx := context.Background()
	for db, n := range map[uint16]int{0: 3, 3: 2, 15: 1} {
		for i := range n {
			if err := d.Update(ctx, db, func(tx *Tx) error {
				_, err := tx.String([]byte(fmt.Sprint(i))).Set([]byte("v"), SetOptions{ExpireAt: tx.now + 60_000})
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(what string, want map[int]int64) {
		t.Helper()
		before := gather(t, m)
		got, err := d.KeyCounts(ctx, 16)
		if err != nil {
			t.Fatal(err)
		}
		after := gather(t, m)
		for db, c := range got {
			if c.Keys != want[db] || c.Expires != want[db] {
				t.Errorf("%s: db %d counts %+v, want %d keys with an expiry", what, db, c, want[db])
			}
		}
		if n := after["titan_tikv_requests_total Scan"] - before["titan_tikv_requests_total Scan"]; n != 1 {
			t.Errorf("%s: %g Scans, want 1", what, n)
		}
		if n := after["titan_tikv_requests_total Get"] - before["titan_tikv_requests_total Get"] +
			after["titan_tikv_requests_total BatchGet"] - before["titan_tikv_requests_total BatchGet"]; n > 1 {
			t.Errorf("%s: %g Gets and BatchGets, want at most 1", what, n)
		}
	}
	want := map[int]int64{0: 3, 3: 2, 15: 1}
	check("indexed", want)
	// A store from before the index: the index is gone.
	update(t, d, func(tx *Tx) error {
		from, to := d.keys.CounterIndexRange(0, 15)
		return tx.scan(from, to, 0, func(k, _ []byte) (bool, error) { return true, tx.del(bytes.Clone(k)) })
	})
	check("index deleted", nil)
	for db := range uint16(16) {
		if fix, err := d.RepairCounts(ctx, db); err != nil || fix != (encoding.Counts{}) {
			t.Fatalf("repair of db %d: %+v %v", db, fix, err)
		}
	}
	check("repaired", want)
}

// warmCounterShards writes every key counter shard of database 0 once, so
// that a test counting the keys a command writes does not also see the
// shard's first counter index entry.
func warmCounterShards(t *testing.T, d *DB) {
	t.Helper()
	for i := range encoding.CounterShards {
		update(t, d, func(tx *Tx) error {
			_, err := tx.String([]byte(fmt.Sprint("warm", i))).Set([]byte("v"), SetOptions{})
			if err == nil {
				_, err = tx.Key([]byte(fmt.Sprint("warm", i))).Delete()
			}
			return err
		})
	}
}
