package background

import (
	"context"
	"fmt"
	"testing"
	"time"

	tikverr "github.com/tikv/client-go/v2/error"
	"github.com/tikv/client-go/v2/oracle"

	"github.com/titan-kv/titan/db"
)

// TestVersionsRound: rounds of the embedded store's MVCC GC walk the key
// space a bounded number of chunks at a time, go on where the last one
// stopped, and remove the history older than the lifetime.
func TestVersionsRound(t *testing.T) {
	st := openStore(t)
	d := openDB(t, st, nil)
	const n = 600  // 3 chunks of 256 live keys
	var old uint64 // a time between the two versions of every key
	for v := range 2 {
		if v == 1 {
			time.Sleep(5 * time.Millisecond)
			old = oracle.GoTimeToTS(time.Now())
			time.Sleep(5 * time.Millisecond)
		}
		update(t, d, func(tx *db.Tx) error {
			for i := range n {
				if err := setString(tx, fmt.Sprintf("k%03d", i), fmt.Sprint(v), 0); err != nil {
					return err
				}
			}
			return nil
		})
	}
	time.Sleep(5 * time.Millisecond)

	o := testOptions
	o.GCLifeTime, o.VersionsChunks = time.Millisecond, 2
	b := New(st, d, o, nil)
	// The first versions of the first and the last key are gone after the
	// round that covers them, and only then.
	firstKey, lastKey := keys.Meta(0, []byte("k000")), keys.Meta(0, []byte(fmt.Sprintf("k%03d", n-1)))
	history := func(k []byte) bool {
		_, err := st.KV().GetSnapshot(old).Get(context.Background(), k)
		if err != nil && !tikverr.IsErrNotFound(err) {
			t.Fatal(err)
		}
		return err == nil
	}
	if !history(firstKey) || !history(lastKey) {
		t.Fatal("no history before the rounds")
	}
	if err := b.versionsRound(context.Background(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if b.versionsCursor == nil || history(firstKey) || !history(lastKey) {
		t.Fatalf("after one round of 2 chunks: cursor %q, history of the first key %v, of the last %v",
			b.versionsCursor, history(firstKey), history(lastKey))
	}
	if err := b.versionsRound(context.Background(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if history(lastKey) {
		t.Fatal("the second round left the last key's history")
	}
	update(t, d, func(tx *db.Tx) error {
		v, err := getString(tx, "k000")
		if string(v) != "1" {
			t.Errorf("after GC: k000 = %q %v", v, err)
		}
		return err
	})
}

// TestVersionsRoundCollectsDeletesFirst: a round collects the regions
// that took deletes before its walk, so the tombstones of keys deleted at
// the end of the key space go in the first round, though its walk covers
// only the first chunk.
func TestVersionsRoundCollectsDeletesFirst(t *testing.T) {
	st := openStore(t)
	d := openDB(t, st, nil)
	const n = 600
	update(t, d, func(tx *db.Tx) error {
		for i := range n {
			if err := setString(tx, fmt.Sprintf("k%03d", i), "v", 0); err != nil {
				return err
			}
		}
		return nil
	})
	time.Sleep(5 * time.Millisecond)
	before := oracle.GoTimeToTS(time.Now())
	time.Sleep(5 * time.Millisecond)
	update(t, d, func(tx *db.Tx) error {
		for i := n - 10; i < n; i++ {
			if _, err := del(tx, fmt.Sprintf("k%03d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	time.Sleep(5 * time.Millisecond)
	last := keys.Meta(0, []byte(fmt.Sprintf("k%03d", n-1)))
	history := func() bool {
		_, err := st.KV().GetSnapshot(before).Get(context.Background(), last)
		if err != nil && !tikverr.IsErrNotFound(err) {
			t.Fatal(err)
		}
		return err == nil
	}
	if !history() {
		t.Fatal("no history of the deleted key before the round")
	}
	o := testOptions
	o.GCLifeTime, o.VersionsChunks = time.Millisecond, 1
	b := New(st, d, o, nil)
	if err := b.versionsRound(context.Background(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if history() {
		t.Fatal("the round left the deleted key's history")
	}
}

// TestVersionsKeepEmbeddedLifeTime: on the embedded store the versions
// task keeps EmbeddedLifeTime of history when that is less than
// GCLifeTime: an overwritten version older than it goes although
// GCLifeTime (10 minutes) would keep it; the newest one older than it
// stays, so reads after the safe point stay exact.
func TestVersionsKeepEmbeddedLifeTime(t *testing.T) {
	if got, want := EmbeddedLifeTime(30*time.Second), 70*time.Second; got != want {
		t.Fatalf("EmbeddedLifeTime(30s) = %s, want %s", got, want)
	}
	st := openStore(t)
	d := openDB(t, st, nil)
	set := func(v string) uint64 {
		update(t, d, func(tx *db.Tx) error { return setString(tx, "k", v, 0) })
		time.Sleep(5 * time.Millisecond)
		return oracle.GoTimeToTS(time.Now())
	}
	k := keys.Meta(0, []byte("k"))
	history := func(at uint64) bool {
		_, err := st.KV().GetSnapshot(at).Get(context.Background(), k)
		if err != nil && !tikverr.IsErrNotFound(err) {
			t.Fatal(err)
		}
		return err == nil
	}
	first := set("1")
	second := set("2")
	time.Sleep(300 * time.Millisecond)
	set("3")
	o := testOptions
	o.GCLifeTime, o.EmbeddedLifeTime = 10*time.Minute, 200*time.Millisecond
	b := New(st, d, o, nil)
	if err := b.versionsRound(context.Background(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if history(first) {
		t.Fatal("the version older than EmbeddedLifeTime is still there")
	}
	if !history(second) {
		t.Fatal("the newest version older than EmbeddedLifeTime is gone")
	}
	// GCLifeTime still bounds it.
	o.GCLifeTime, o.EmbeddedLifeTime = time.Minute, time.Hour
	if got := New(st, d, o, nil).historyKept(); got != time.Minute {
		t.Fatalf("history kept %s, want GCLifeTime (1m)", got)
	}
}

// TestVersionsSafePointWaitsForRepair: while a key counter repair runs
// (its scan is not bounded by the command timeout), the embedded store's
// safe point stays at or before the repair's start.
func TestVersionsSafePointWaitsForRepair(t *testing.T) {
	o := testOptions
	o.GCLifeTime, o.EmbeddedLifeTime = 10*time.Minute, time.Minute
	b := New(nil, nil, o, nil)
	now := time.Now()
	if got := b.safePoint(now); !got.Equal(now.Add(-time.Minute)) {
		t.Fatalf("safe point %s before now, want 1m", now.Sub(got))
	}
	started := now.Add(-time.Hour)
	b.repairSince.Store(started.UnixNano())
	if got := b.safePoint(now); !got.Equal(started) {
		t.Fatalf("safe point %s before now while a repair runs since 1h, want 1h", now.Sub(got))
	}
	b.repairSince.Store(now.Add(-time.Second).UnixNano())
	if got := b.safePoint(now); !got.Equal(now.Add(-time.Minute)) {
		t.Fatalf("safe point %s before now while a repair runs since 1s, want 1m", now.Sub(got))
	}
}
