package db

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	tikverr "github.com/tikv/client-go/v2/error"

	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/store"
)

// lockRequests is the PessimisticLock request counter as gather names it.
const lockRequests = "titan_tikv_requests_total PessimisticLock"

// xaddJob is an XADD to key as the command table makes it: a Lock job.
func xaddJob(key string, before func()) *Job {
	return &Job{Keys: toBytes(key), Lock: true, Fn: func(tx *Tx) error {
		if before != nil {
			before()
		}
		_, _, err := tx.Stream([]byte(key)).Add(XAddArgs{ID: IDSpec{Auto: true}, Fields: toBytes("f", "v")})
		return err
	}}
}

// TestHotLockOnlyWhenContended: a stream writer sends no pessimistic lock
// request while its stream has seen no conflict; a conflict (another
// instance committed the stream meanwhile) marks the stream contended,
// and the run again, like the next batches, locks it first.
func TestHotLockOnlyWhenContended(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, store.Options{SplitKeys: -1})
	m := metrics.New()
	a, b := New(st, Options{}, m), New(st, Options{}, nil)
	t.Cleanup(func() { a.Close(); b.Close() })

	for range 3 {
		j := xaddJob("s", nil)
		a.Do(ctx, j)
		if j.Err != nil {
			t.Fatal(j.Err)
		}
	}
	if n := gather(t, m)[lockRequests]; n != 0 {
		t.Fatalf("uncontended stream: %v pessimistic lock requests, want 0", n)
	}
	if got := a.hot.contendedOf(a.metaKeys(xaddJob("s", nil))); len(got) != 0 {
		t.Fatalf("uncontended stream marked contended")
	}

	// The first run of a's job (XADD to s and to a new stream t) reads
	// s, then b's XADD commits to s: a's commit conflicts on s's
	// metadata, and its second run locks s, not t.
	runs := 0
	j := &Job{Keys: toBytes("s", "t"), Lock: true, Fn: func(tx *Tx) error {
		runs++
		if runs == 1 {
			o := &Job{Keys: toBytes("s"), Lock: true, Fn: func(tx *Tx) error {
				_, _, err := tx.Stream([]byte("s")).Add(XAddArgs{ID: IDSpec{ID: StreamID{Ms: 1 << 50}}, Fields: toBytes("f", "v")})
				return err
			}}
			b.Do(ctx, o)
			if o.Err != nil {
				t.Error(o.Err)
			}
		}
		for _, k := range []string{"s", "t"} {
			if _, _, err := tx.Stream([]byte(k)).Add(XAddArgs{ID: IDSpec{Auto: true}, Fields: toBytes("f", "v")}); err != nil {
				return err
			}
		}
		return nil
	}}
	a.Do(ctx, j)
	if j.Err != nil {
		t.Fatal(j.Err)
	}
	if runs != 2 {
		t.Fatalf("XADD ran %d times, want 2 (a conflict, then a locked run)", runs)
	}
	if got := toStrs(a.hot.contendedOf(a.metaKeys(j))); !slices.Equal(got, toStrs(a.metaKeys(xaddJob("s", nil)))) {
		t.Fatalf("contended after a conflict on s: %q, want s's metadata alone", got)
	}
	locks := gather(t, m)[lockRequests]
	if locks == 0 {
		t.Fatal("the run after the conflict sent no pessimistic lock request")
	}
	j = xaddJob("s", nil)
	a.Do(ctx, j)
	if j.Err != nil {
		t.Fatal(j.Err)
	}
	if n := gather(t, m)[lockRequests]; n <= locks {
		t.Fatal("a contended stream's next writer did not lock it")
	}
	// Another stream is still written without a lock.
	locks = gather(t, m)[lockRequests]
	j = xaddJob("t", nil)
	a.Do(ctx, j)
	if j.Err != nil {
		t.Fatal(j.Err)
	}
	if n := gather(t, m)[lockRequests]; n != locks {
		t.Fatal("an uncontended stream was locked")
	}
	var n int64
	readView(t, a, func(tx *Tx) (err error) { n, err = tx.Stream([]byte("s")).Len(); return err })
	if n != 6 {
		t.Fatalf("XLEN %d, want 6", n)
	}
}

// TestNoteConflict: a conflict marks the stream key it names, none when
// it names the transaction's counter shard, all of the transaction's
// stream keys when it names another key or none.
func TestNoteConflict(t *testing.T) {
	d := openTest(t, false)
	lockable := d.metaKeys(&Job{Keys: toBytes("a", "b")})
	conflict := func(key []byte) error {
		return fmt.Errorf("commit: %w", &tikverr.ErrWriteConflict{WriteConflict: &kvrpcpb.WriteConflict{Key: key}})
	}
	for _, c := range []struct {
		name string
		err  error
		want [][]byte
	}{
		{"stream key", conflict(lockable[1]), lockable[1:]},
		{"counter shard", conflict(d.keys.Counter(0, 3)), nil},
		{"entry key", conflict([]byte("titan:Dsomething")), lockable},
		{"no key", conflict(nil), lockable},
	} {
		d.hot = newHotLocks()
		tx := &Tx{d: d, lockable: lockable, wrote: []uint16{0}, counter: counterClaim{set: true, shard: 3}}
		tx.noteConflict(c.err)
		if got := d.hot.contendedOf(lockable); !slices.EqualFunc(got, c.want, bytes.Equal) {
			t.Errorf("%s: contended %q, want %q", c.name, got, c.want)
		}
	}
}

// TestHotLockNoConflictStorm: two instances with batching on append to
// one stream at once. Each pays a conflict or two before it locks the
// stream, then none: every XADD lands once, and the conflicts stay few.
func TestHotLockNoConflictStorm(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, store.Options{})
	ms := []*metrics.Metrics{metrics.New(), metrics.New()}
	var dbs []*DB
	for _, m := range ms {
		d := New(st, Options{Batch: BatchOptions{Enabled: true}}, m)
		t.Cleanup(func() { d.Close() })
		dbs = append(dbs, d)
	}
	const writers, each = 4, 40
	var wg sync.WaitGroup
	var failed atomic.Int64
	for _, d := range dbs {
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					j := xaddJob("hot", nil)
					d.Do(ctx, j)
					if j.Err != nil {
						failed.Add(1)
						t.Error(j.Err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.FailNow()
	}
	var n int64
	readView(t, dbs[0], func(tx *Tx) (err error) { n, err = tx.Stream([]byte("hot")).Len(); return err })
	if want := int64(len(dbs) * writers * each); n != want {
		t.Fatalf("XLEN %d, want %d", n, want)
	}
	conflicts := 0.0
	for _, m := range ms {
		conflicts += gather(t, m)["titan_txn_conflicts_total"]
	}
	// Each instance has at most one batch on the key in flight (the
	// batcher's latches), so it meets a conflict or two before it locks.
	if conflicts > 6 {
		t.Fatalf("%v commit conflicts: the instances did not switch to locking the stream", conflicts)
	}
	t.Logf("%v commit conflicts, %v + %v pessimistic lock requests", conflicts,
		gather(t, ms[0])[lockRequests], gather(t, ms[1])[lockRequests])
}
