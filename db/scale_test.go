package db

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestKeyspaceAtScale measures DBSIZE, INFO keyspace's read, RANDOMKEY
// and SCAN on a database of n keys written straight through the db
// package, then after a FLUSHDB of all of them. n is TITAN_SCALE_KEYS
// (default 20,000, 2,000 under the race detector; the figures of docs/OPERATIONS.md use 1,000,000).
// The bounds are loose for a loaded machine (ten times looser under the
// race detector); the figures are logged.
func TestKeyspaceAtScale(t *testing.T) {
	n := 20_000 / slowdown
	if v := os.Getenv("TITAN_SCALE_KEYS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	if testing.Short() {
		n = 2000
	}
	d := openTest(t, false)
	ctx := context.Background()
	start := time.Now()
	const per = 5000
	for i := 0; i < n; i += per {
		update(t, d, func(tx *Tx) error {
			for j := i; j < min(i+per, n); j++ {
				if _, err := tx.String([]byte(fmt.Sprintf("key:%09d", j))).Set([]byte("v"), SetOptions{}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	t.Logf("wrote %d keys in %v", n, time.Since(start))
	timed := func(what string, limit time.Duration, fn func(tx *Tx) error) {
		t.Helper()
		best := time.Hour
		for range 5 {
			start := time.Now()
			if err := d.View(ctx, 0, fn); err != nil {
				t.Fatal(err)
			}
			best = min(best, time.Since(start))
		}
		t.Logf("%s: %v (best of 5)", what, best)
		if limit *= slowdown; best > limit {
			t.Errorf("%s took %v, want under %v", what, best, limit)
		}
	}
	timed("DBSIZE", 20*time.Millisecond, func(tx *Tx) error {
		c, err := tx.Keyspace().Counts()
		if err == nil && c.Keys != int64(n) {
			t.Errorf("DBSIZE = %d, want %d", c.Keys, n)
		}
		return err
	})
	timed("INFO keyspace (16 databases)", 20*time.Millisecond, func(tx *Tx) error {
		_, err := d.KeyCounts(ctx, 16)
		return err
	})
	start = time.Now()
	var from []byte
	for {
		if err := d.Update(ctx, 0, func(tx *Tx) (err error) { from, err = tx.Keyspace().Flush(from, 1000); return err }); err != nil {
			t.Fatal(err)
		}
		if from == nil {
			break
		}
	}
	t.Logf("FLUSHDB of %d keys: %v", n, time.Since(start))
	timed("RANDOMKEY after FLUSHDB", 20*time.Millisecond, func(tx *Tx) error {
		k, err := tx.Keyspace().RandomKey()
		if k != nil {
			t.Errorf("RANDOMKEY after FLUSHDB = %q", k)
		}
		return err
	})
	timed("SCAN over the deleted keys", 20*time.Millisecond, func(tx *Tx) error {
		p, err := tx.Keyspace().Scan(nil, 10, nil, 0)
		if len(p.Items) != 0 || p.Next != nil {
			t.Errorf("SCAN after FLUSHDB = %q next %q", p.Items, p.Next)
		}
		return err
	})
}

// TestTombstonesAtScale measures SCAN and RANDOMKEY over n deleted keys
// (DEL, not FLUSHDB) lying between a few live keys. n is TITAN_SCALE_KEYS;
// skipped without it.
func TestTombstonesAtScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TITAN_SCALE_KEYS"))
	if n <= 0 {
		t.Skip("TITAN_SCALE_KEYS not set")
	}
	d := openTest(t, false)
	ctx := context.Background()
	start := time.Now()
	const per = 5000
	write := func(del bool) {
		for i := 0; i < n; i += per {
			update(t, d, func(tx *Tx) error {
				for j := i; j < min(i+per, n); j++ {
					k := []byte(fmt.Sprintf("key:%09d", j))
					var err error
					if del {
						_, err = tx.Key(k).Delete()
					} else {
						_, err = tx.String(k).Set([]byte("v"), SetOptions{})
					}
					if err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	write(false)
	live := []string{"a", "key:000500000x", "z"}
	update(t, d, func(tx *Tx) error {
		for _, k := range live {
			if _, err := tx.String([]byte(k)).Set([]byte("v"), SetOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
	t.Logf("wrote %d keys in %v", n, time.Since(start))
	start = time.Now()
	write(true)
	t.Logf("deleted %d keys in %v", n, time.Since(start))

	var cursor []byte
	calls, worst, got := 0, time.Duration(0), 0
	var times []time.Duration
	start = time.Now()
	for {
		t0 := time.Now()
		var p ScanPage[[]byte]
		if err := d.View(ctx, 0, func(tx *Tx) (err error) { p, err = tx.Keyspace().Scan(cursor, 10, nil, 0); return err }); err != nil {
			t.Fatal(err)
		}
		worst = max(worst, time.Since(t0))
		times = append(times, time.Since(t0))
		calls++
		got += len(p.Items)
		if cursor = p.Next; cursor == nil {
			break
		}
	}
	slices.Sort(times)
	t.Logf("SCAN COUNT 10 over %d deleted keys: %d calls, %d keys, %v in all, median call %v, p99 %v, worst %v",
		n, calls, got, time.Since(start), times[len(times)/2], times[len(times)*99/100], worst)
	if got != len(live) {
		t.Errorf("SCAN returned %d keys, want %d", got, len(live))
	}
	var rk []time.Duration
	for range 20 {
		t0 := time.Now()
		var k []byte
		if err := d.View(ctx, 0, func(tx *Tx) (err error) { k, err = tx.Keyspace().RandomKey(); return err }); err != nil {
			t.Fatal(err)
		}
		rk = append(rk, time.Since(t0))
		if !slices.Contains(live, string(k)) {
			t.Errorf("RANDOMKEY = %q, want a live key", k)
		}
	}
	slices.Sort(rk)
	t.Logf("RANDOMKEY over %d deleted keys: median %v, worst of 20 %v", n, rk[len(rk)/2], rk[len(rk)-1])

	// A set of n/10 members, all but 3 removed: SSCAN.
	m := n / 10
	member := func(i int) []byte { return []byte(fmt.Sprintf("m%09d", i)) }
	for del := range 2 {
		for i := 0; i < m; i += per {
			update(t, d, func(tx *Tx) error {
				var ms [][]byte
				for j := i; j < min(i+per, m); j++ {
					if del == 0 || j%(m/3) != 1 {
						ms = append(ms, member(j))
					}
				}
				var err error
				if del == 0 {
					_, err = tx.Set([]byte("set")).Add(ms)
				} else {
					_, err = tx.Set([]byte("set")).Rem(ms)
				}
				return err
			})
		}
	}
	times, got, calls, cursor = nil, 0, 0, nil
	start = time.Now()
	for {
		t0 := time.Now()
		var p ScanPage[[]byte]
		if err := d.View(ctx, 0, func(tx *Tx) (err error) { p, err = tx.Set([]byte("set")).Scan(cursor, 10, nil); return err }); err != nil {
			t.Fatal(err)
		}
		times = append(times, time.Since(t0))
		calls++
		got += len(p.Items)
		if cursor = p.Next; cursor == nil {
			break
		}
	}
	slices.Sort(times)
	t.Logf("SSCAN COUNT 10 over %d removed members: %d calls, %d members, %v in all, median call %v, p99 %v, worst %v",
		m, calls, got, time.Since(start), times[len(times)/2], times[len(times)*99/100], times[len(times)-1])
	if got != 3 {
		t.Errorf("SSCAN returned %d members, want 3", got)
	}
}
