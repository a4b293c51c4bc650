package db

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/titan-kv/titan/encoding"
)

// xaddBulk appends entries with IDs from+1 .. from+n, 1000 per
// transaction.
func xaddBulk(t testing.TB, d *DB, key string, from, n int) {
	t.Helper()
	for lo := 0; lo < n; lo += 1000 {
		err := tryUpdate(d, func(tx *Tx) error {
			for i := lo; i < min(lo+1000, n); i++ {
				id := StreamID{Ms: uint64(from + i + 1)}
				if _, _, err := tx.Stream([]byte(key)).Add(XAddArgs{ID: IDSpec{ID: id}, Fields: toBytes("f", strconv.Itoa(from+i+1))}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestStreamBigTrimCollected: a trim of more than directTrimMax entries
// writes O(1) keys (the entries are still in the store after it), the
// stream commands see the trimmed stream at once, and the collector
// removes the entries later, nothing else.
func TestStreamBigTrimCollected(t *testing.T) {
	ctx := context.Background()
	d, cost := openCostTest(t)
	k, g := []byte("s"), []byte("g")
	xaddBulk(t, d, "s", 0, 3000)
	var obj encoding.ObjectID
	err := tryUpdate(d, func(tx *Tx) error {
		if err := tx.Stream(k).CreateGroup(g, GroupID{}, false, -1); err != nil {
			return err
		}
		_, _, err := tx.Stream(k).ReadGroup(ReadGroupArgs{Group: g, Consumer: []byte("c"), New: true, Count: 5})
		m, _ := tx.meta(k)
		obj = m.Object
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	entries := d.keys.Data(obj, encoding.StreamEntryPrefix())
	trim := func(spec TrimSpec) (n int64, c string) {
		t.Helper()
		c = cost(false, []string{"s"}, func(tx *Tx) error {
			var err error
			n, err = tx.Stream(k).Trim(spec)
			return err
		})
		return n, c
	}
	// MAXLEN: the cut is found from the nearer end (10 keys from the top).
	if n, c := trim(TrimSpec{MaxLen: 10}); n != 2990 || c != "BatchGet=1 Scan=1 Prewrite=1 Commit=1" {
		t.Errorf("XTRIM MAXLEN 10 removed %d, cost %s", n, c)
	}
	if n := countPrefix(t, d, entries); n != 3000 {
		t.Errorf("%d entries in the store right after the trim, want all 3000 (left to the collector)", n)
	}
	readView(t, d, func(tx *Tx) error {
		s := tx.Stream(k)
		if n, _ := s.Len(); n != 10 {
			t.Errorf("XLEN %d", n)
		}
		all, _ := s.Range(StreamID{}, encoding.MaxStreamID, -1, false)
		rev, _ := s.Range(StreamID{}, encoding.MaxStreamID, -1, true)
		if len(all) != 10 || all[0].ID.Ms != 2991 || len(rev) != 10 || rev[9].ID.Ms != 2991 {
			t.Errorf("XRANGE %d entries from %v, XREVRANGE %d", len(all), all[0].ID, len(rev))
		}
		in, err := s.Info(false, 0)
		if err != nil || in.First.ID.Ms != 2991 || in.FirstID.Ms != 2991 || in.Length != 10 {
			t.Errorf("XINFO: %+v %v", in, err)
		}
		return nil
	})
	// The PEL's entries were trimmed: history answers them deleted.
	if err := tryUpdate(d, func(tx *Tx) error {
		hist, _, err := tx.Stream(k).ReadGroup(ReadGroupArgs{Group: g, Consumer: []byte("c"), Count: 10})
		if err == nil && (len(hist) != 5 || hist[0].Fields != nil) {
			t.Errorf("XREADGROUP history: %v", hist)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := tryUpdate(d, func(tx *Tx) error {
		n, err := tx.Stream(k).Del([]StreamID{{Ms: 5}, {Ms: 2995}})
		if n != 1 {
			t.Errorf("XDEL of a trimmed and a live entry deleted %d", n)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// MINID counts what it removes; MAXLEN 0 removes everything.
	xaddBulk(t, d, "s", 3000, 1000)
	if n, _ := trim(TrimSpec{MinID: true, Threshold: StreamID{Ms: 3600}}); n != 608 {
		t.Errorf("XTRIM MINID 3600 removed %d, want 608", n)
	}
	if n, _ := trim(TrimSpec{MaxLen: 0}); n != 401 {
		t.Errorf("XTRIM MAXLEN 0 removed %d, want 401", n)
	}
	xaddBulk(t, d, "s", 5000, 1)
	if err := tryUpdate(d, func(tx *Tx) error { _, err := tx.Key(k).Copy([]byte("copy"), 0, false); return err }); err != nil {
		t.Fatal(err)
	}
	readView(t, d, func(tx *Tx) error {
		for _, key := range []string{"s", "copy"} {
			all, _ := tx.Stream([]byte(key)).Range(StreamID{}, encoding.MaxStreamID, -1, false)
			if len(all) != 1 || all[0].ID.Ms != 5001 {
				t.Errorf("%s after emptying and one XADD: %v", key, all)
			}
		}
		m, _ := tx.meta([]byte("copy"))
		if n := countPrefix(t, d, d.keys.Data(m.Object, encoding.StreamEntryPrefix())); n != 1 {
			t.Errorf("COPY copied %d entries, want the visible one", n)
		}
		return nil
	})
	if err := d.collectRound(ctx, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := countPrefix(t, d, entries); n != 1 {
		t.Errorf("%d entries in the store after collection, want 1", n)
	}
	if n := countPrefix(t, d, d.keys.GCPrefix()); n != 0 {
		t.Errorf("%d collector entries left", n)
	}
	readView(t, d, func(tx *Tx) error {
		gs, err := tx.Stream(k).GroupsInfo()
		if err != nil || len(gs) != 1 || gs[0].Pending != 5 {
			t.Errorf("groups after collection: %+v %v", gs, err)
		}
		return nil
	})
	// DEL of a stream is O(1): one metadata delete and a queue entry.
	if c := cost(false, []string{"s"}, func(tx *Tx) error { _, err := tx.Key(k).Delete(); return err }); c != "BatchGet=1 Prewrite=1 Commit=1" {
		t.Errorf("DEL costs %s", c)
	}
	if err := d.collectRound(ctx, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := countPrefix(t, d, d.keys.DataPrefix(obj)); n != 0 {
		t.Errorf("%d keys of the deleted stream left after collection", n)
	}
}

// TestStreamTrimScale (TITAN_STREAM_TRIM_ENTRIES=1000000) times a trim
// of a big stream and its collection.
func TestStreamTrimScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TITAN_STREAM_TRIM_ENTRIES"))
	if n == 0 {
		t.Skip("set TITAN_STREAM_TRIM_ENTRIES to run")
	}
	ctx := context.Background()
	d, cost := openCostTest(t)
	start := time.Now()
	xaddBulk(t, d, "s", 0, n)
	t.Logf("%d XADDs: %v", n, time.Since(start))
	for _, spec := range []TrimSpec{{MaxLen: int64(n) - 10}, {MinID: true, Threshold: StreamID{Ms: uint64(n / 2)}}, {MaxLen: 100}, {MaxLen: 0}} {
		start = time.Now()
		var removed int64
		c := cost(false, []string{"s"}, func(tx *Tx) error {
			var err error
			removed, err = tx.Stream([]byte("s")).Trim(spec)
			return err
		})
		t.Logf("XTRIM %+v: removed %d in %v, %s", spec, removed, time.Since(start), c)
	}
	start = time.Now()
	if err := d.collectRound(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	t.Logf("collected in %v", time.Since(start))
}
