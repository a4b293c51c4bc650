package db

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"
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

	if got := timedScan(t, d, fmt.Sprintf("SCAN COUNT 10 over %d deleted keys", n), func(tx *Tx, at []byte) (ScanPage[[]byte], error) {
		return tx.Keyspace().Scan(at, 10, nil, 0)
	}); got != len(live) {
		t.Errorf("SCAN returned %d keys, want %d", got, len(live))
	}
	var rk []time.Duration
	cpu0 := cpuTime()
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
	cpu := (cpuTime() - cpu0) / 20
	slices.Sort(rk)
	t.Logf("RANDOMKEY over %d deleted keys: median %v, worst of 20 %v; CPU %v a call", n, rk[len(rk)/2], rk[len(rk)-1], cpu)

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
	got := timedScan(t, d, fmt.Sprintf("SSCAN COUNT 10 over %d removed members", m), func(tx *Tx, at []byte) (ScanPage[[]byte], error) {
		return tx.Set([]byte("set")).Scan(at, 10, nil)
	})
	if got != 3 {
		t.Errorf("SSCAN returned %d members, want 3", got)
	}
}

// timedScan runs a scan to its end, one page per View, logs the time per
// call and returns how many items it found.
func timedScan(t *testing.T, d *DB, what string, page func(tx *Tx, at []byte) (ScanPage[[]byte], error)) int {
	t.Helper()
	var at []byte
	var times []time.Duration
	got, start, cpu0 := 0, time.Now(), cpuTime()
	for {
		t0 := time.Now()
		var p ScanPage[[]byte]
		if err := d.View(context.Background(), 0, func(tx *Tx) (err error) { p, err = page(tx, at); return err }); err != nil {
			t.Fatal(err)
		}
		times = append(times, time.Since(t0))
		got += len(p.Items)
		if at = p.Next; at == nil {
			break
		}
	}
	cpu := (cpuTime() - cpu0) / time.Duration(len(times))
	slices.Sort(times)
	t.Logf("%s: %d calls, %d items, %v in all, median call %v, p99 %v, worst %v; CPU %v a call",
		what, len(times), got, time.Since(start), times[len(times)/2], times[len(times)*99/100], times[len(times)-1], cpu)
	return got
}

// cpuTime is the CPU time the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
