package db

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestStagedSet: a value over StageMin set through a job is written ahead
// in transactions of its own and adopted by the command's small commit;
// an object no command adopted (SET NX on an existing key) goes to the
// collector at once, and one whose writer died (no adoption, no release)
// is kept from the collector until its lease ends.
func TestStagedSet(t *testing.T) {
	d := openTest(t, true)
	ctx := context.Background()
	size := 3*StageMin + 12345
	if s, _ := strconv.Atoi(os.Getenv("TITAN_STAGE_BYTES")); s > 0 {
		size = s
	}
	v := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
	set := func(key string, nx bool) error {
		j := &Job{Keys: [][]byte{[]byte(key)}, Stage: [][]byte{v}, Fn: func(tx *Tx) error {
			_, err := tx.String([]byte(key)).Set(v, SetOptions{NX: nx})
			return err
		}}
		d.Do(ctx, j)
		return j.Err
	}
	start := time.Now()
	if err := set("k", false); err != nil {
		t.Fatal(err)
	}
	t.Logf("staged SET of %d bytes: %v", size, time.Since(start))
	readView(t, d, func(tx *Tx) error {
		got, st, err := tx.String([]byte("k")).GetReader()
		if err != nil || got != nil || st == nil || st.Len() != int64(size) {
			t.Fatalf("GetReader: %d bytes, stream %v, %v", len(got), st != nil, err)
		}
		var all []byte
		if err := st.Each(ctx, func(p []byte) error { all = append(all, p...); return nil }); err != nil || !bytes.Equal(all, v) {
			t.Fatalf("streamed value differs (%d bytes), %v", len(all), err)
		}
		return nil
	})
	if o, err := d.NextDropped(ctx); err != nil || o != nil {
		t.Fatalf("collector queue after an adopted SET: %v, %v", o, err)
	}
	// NX on an existing key: the staged object is dropped.
	if err := set("k", true); err != nil {
		t.Fatal(err)
	}
	if o, err := d.NextDropped(ctx); err != nil || o == nil {
		t.Fatalf("the unadopted object is not queued: %v, %v", o, err)
	} else {
		for done := false; !done; {
			if _, done, err = d.CollectChunk(ctx, o, 1024); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A writer that died mid-way: its chunks are pending, not collected.
	if _, err := d.stageValue(ctx, v); err != nil {
		t.Fatal(err)
	}
	if o, err := d.NextDropped(ctx); err != nil || o != nil {
		t.Fatalf("a pending staged object was queued: %v, %v", o, err)
	}
	readView(t, d, func(tx *Tx) error {
		got, err := tx.String([]byte("k")).Get()
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("GET after the NX and the dead writer: %d bytes, %v", len(got), err)
		}
		return nil
	})
}
