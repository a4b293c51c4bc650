package db

import (
	"context"
	"testing"
	"time"

	"github.com/titan-kv/titan/encoding"
)

func xaddN(t *testing.T, d *DB, key string, n int) {
	t.Helper()
	for i := range n {
		err := tryUpdate(d, func(tx *Tx) error {
			_, _, err := tx.Stream([]byte(key)).Add(XAddArgs{ID: IDSpec{ID: StreamID{Ms: uint64(i + 1)}}, Fields: toBytes("f", "v")})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestStreamCosts checks that the stream commands read only what they
// return or change: XADD is one metadata read (a BatchGet: a write reads
// its key counter shard with it) and one commit, XRANGE one scan of what it
// returns, whatever the stream's length.
func TestStreamCosts(t *testing.T) {
	d, cost := openCostTest(t)
	xaddN(t, d, "s", 300)
	k := []byte("s")
	g := []byte("g")
	if err := tryUpdate(d, func(tx *Tx) error { return tx.Stream(k).CreateGroup(g, GroupID{}, false, -1) }); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		ro   bool
		fn   func(tx *Tx) error
		want string
	}{
		{"XADD", false, func(tx *Tx) error {
			_, _, err := tx.Stream(k).Add(XAddArgs{ID: IDSpec{Auto: true}, Fields: toBytes("f", "v")})
			return err
		}, "BatchGet=1 Prewrite=1 Commit=1"},
		{"XLEN", true, func(tx *Tx) error { _, err := tx.Stream(k).Len(); return err }, "BatchGet=1"},
		{"XRANGE COUNT 10", true, func(tx *Tx) error {
			_, err := tx.Stream(k).Range(StreamID{}, encoding.MaxStreamID, 10, false)
			return err
		}, "BatchGet=1 Scan=1"},
		{"XREADGROUP COUNT 10", false, func(tx *Tx) error {
			_, _, err := tx.Stream(k).ReadGroup(ReadGroupArgs{Group: g, Consumer: []byte("c"), New: true, Count: 10})
			return err
		}, "Get=2 BatchGet=2 Scan=1 Prewrite=1 Commit=1"},
		{"XACK 2", false, func(tx *Tx) error {
			_, err := tx.Stream(k).Ack(g, []StreamID{{Ms: 1}, {Ms: 2}})
			return err
		}, "Get=2 BatchGet=2 Prewrite=1 Commit=1"},
		{"XPENDING", true, func(tx *Tx) error { _, err := tx.Stream(k).Pending(g); return err }, "Get=1 BatchGet=1 Scan=3"},
	} {
		if got := cost(c.ro, []string{"s"}, c.fn); got != c.want {
			t.Errorf("%s costs %s, want %s", c.name, got, c.want)
		}
	}
}

// TestStreamGroupDestroyCollected: XGROUP DESTROY hands the group's PEL
// and consumers to the collector, which removes them and nothing else.
func TestStreamGroupDestroyCollected(t *testing.T) {
	ctx := context.Background()
	d := openTest(t, true)
	xaddN(t, d, "s", 50)
	k, g := []byte("s"), []byte("g")
	var obj encoding.ObjectID
	err := tryUpdate(d, func(tx *Tx) error {
		if err := tx.Stream(k).CreateGroup(g, GroupID{}, false, -1); err != nil {
			return err
		}
		_, _, err := tx.Stream(k).ReadGroup(ReadGroupArgs{Group: g, Consumer: []byte("c"), New: true})
		if err != nil {
			return err
		}
		m, err := tx.meta(k)
		obj = m.Object
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	all := d.keys.DataPrefix(obj)
	if n := countPrefix(t, d, all); n != 50+1+50+1+50 {
		t.Fatalf("%d keys before DESTROY", n)
	}
	if err := tryUpdate(d, func(tx *Tx) error { _, err := tx.Stream(k).DestroyGroup(g); return err }); err != nil {
		t.Fatal(err)
	}
	if err := d.collectRound(ctx, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := countPrefix(t, d, all); n != 50 {
		t.Errorf("%d keys after collection, want the 50 entries", n)
	}
	if n := countPrefix(t, d, d.keys.GCPrefix()); n != 0 {
		t.Errorf("%d collector entries left", n)
	}
}

// TestStreamPELFloor: XAUTOCLAIM raises the group's PEL floor to the first
// pending entry, so later PEL scans start past the acknowledged ones; a
// claim of an entry below it (XCLAIM FORCE) lowers it again, and XPENDING
// still sees that entry.
func TestStreamPELFloor(t *testing.T) {
	d := openTest(t, true)
	xaddN(t, d, "s", 300)
	k, g := []byte("s"), []byte("g")
	floor := func() StreamID {
		t.Helper()
		var f StreamID
		err := d.View(context.Background(), 0, func(tx *Tx) error {
			gv, err := tx.Stream(k).metaGroup(g, "")
			if err == nil {
				f = gv.g.PELFloor
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	acked := make([]StreamID, 290)
	for i := range acked {
		acked[i] = StreamID{Ms: uint64(i + 1)}
	}
	err := tryUpdate(d, func(tx *Tx) error {
		st := tx.Stream(k)
		if err := st.CreateGroup(g, GroupID{}, false, -1); err != nil {
			return err
		}
		if _, _, err := st.ReadGroup(ReadGroupArgs{Group: g, Consumer: []byte("c"), New: true}); err != nil {
			return err
		}
		_, err := st.Ack(g, acked)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if f := floor(); !f.IsZero() {
		t.Fatalf("floor %v before any XAUTOCLAIM", f)
	}
	var res *AutoClaimResult
	err = tryUpdate(d, func(tx *Tx) (err error) {
		res, err = tx.Stream(k).AutoClaim(g, AutoClaimArgs{Consumer: []byte("d"), Count: 5, JustID: true})
		return err
	})
	if err != nil || len(res.Claimed) != 5 || res.Claimed[0].ID != (StreamID{Ms: 291}) {
		t.Fatalf("XAUTOCLAIM %+v %v", res, err)
	}
	if f := floor(); f != (StreamID{Ms: 291}) {
		t.Fatalf("floor %v after XAUTOCLAIM, want 291-0", f)
	}
	err = tryUpdate(d, func(tx *Tx) error {
		_, err := tx.Stream(k).Claim(g, ClaimArgs{Consumer: []byte("d"), IDs: []StreamID{{Ms: 5}}, DeliveryTime: -1, RetryCount: -1, Force: true})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if f := floor(); f != (StreamID{Ms: 5}) {
		t.Fatalf("floor %v after XCLAIM FORCE of 5-0", f)
	}
	err = d.View(context.Background(), 0, func(tx *Tx) error {
		ps, err := tx.Stream(k).Pending(g)
		if err == nil && (ps.Count != 11 || ps.Min != (StreamID{Ms: 5}) || ps.Max != (StreamID{Ms: 300})) {
			t.Errorf("XPENDING %+v", ps)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
