package db

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestSetBatchOptionsWhileRunning changes the batcher's knobs (batching
// on and off, workers, batch size) while writers run: every increment
// lands once and the last options are the ones in force.
func TestSetBatchOptionsWhileRunning(t *testing.T) {
	d := openDB(t, Options{Batch: BatchOptions{Enabled: true, Workers: 2, MaxCommands: 8}}, nil)
	ctx := context.Background()
	if err := d.SetBatchOptions(BatchOptions{Workers: 0, MaxCommands: 1}); err == nil {
		t.Fatal("0 workers accepted")
	}
	const writers, incrs = 8, 40
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := []byte("k" + strconv.Itoa(w%3))
			for range incrs {
				j := &Job{Keys: [][]byte{key}, Fn: func(tx *Tx) error {
					_, err := tx.String(key).IncrBy(1)
					return err
				}}
				d.Do(ctx, j)
				if j.Err != nil {
					t.Error(j.Err)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	opts := []BatchOptions{{false, 8, 2}, {true, 1, 1}, {true, 64, 6}, {false, 4, 4}, {true, 3, 1}}
	var last BatchOptions
	for i := 0; ; i++ {
		select {
		case <-done:
		case <-time.After(time.Millisecond):
			last = opts[i%len(opts)]
			if err := d.SetBatchOptions(last); err != nil {
				t.Fatal(err)
			}
			continue
		}
		break
	}
	if got := d.Batching(); got != last {
		t.Errorf("Batching() = %+v, want %+v", got, last)
	}
	total := 0
	for k := range 3 {
		var v []byte
		err := d.View(ctx, 0, func(tx *Tx) error {
			var err error
			v, err = tx.String([]byte("k" + strconv.Itoa(k))).Get()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(string(v))
		total += n
	}
	if total != writers*incrs {
		t.Errorf("%d increments landed, want %d", total, writers*incrs)
	}
}
