// Package retry is dualwrite's one helper for waiting and trying again:
// the backfill's batches, SCAN, the proxy's repair worker, Redis Cluster's
// TRYAGAIN and the tests' polling all wait through it, and every wait ends
// early when its context does.
package retry

import (
	"context"
	"errors"
	"time"
)

// Sleep waits for d; it returns false, early, when ctx ends first.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Backoff is a schedule of waits between tries: the first wait is Initial
// and each following one doubles, up to Max. A Max below Initial (or 0)
// keeps every wait at Initial. A new Backoff starts at Initial; Reset
// starts it over.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration

	next time.Duration
}

// Wait sleeps for the current delay of the schedule and moves on to the
// next one. It returns false, early, when ctx ends first.
func (b *Backoff) Wait(ctx context.Context) bool {
	if b.next == 0 {
		b.next = b.Initial
	}
	d := b.next
	b.next = min(2*d, max(b.Max, b.Initial))
	return Sleep(ctx, d)
}

// Reset makes the next Wait sleep Initial again (after a success).
func (b *Backoff) Reset() { b.next = 0 }

// Do calls f until it succeeds, ctx ends, or it was called attempts times
// (attempts <= 0: no limit), waiting by the schedule of b between tries.
// It returns f's last error, joined with ctx's error when ctx ended during
// a wait.
func (b Backoff) Do(ctx context.Context, attempts int, f func() error) error {
	b.Reset()
	for i := 1; ; i++ {
		err := f()
		if err == nil || ctx.Err() != nil || (attempts > 0 && i >= attempts) {
			return err
		}
		if !b.Wait(ctx) {
			return errors.Join(err, ctx.Err())
		}
	}
}

// Default is the schedule of Do: 200ms, 400ms, 800ms... up to 5s.
var Default = Backoff{Initial: 200 * time.Millisecond, Max: 5 * time.Second}

// Do calls f up to attempts times with the Default schedule (see
// Backoff.Do).
func Do(ctx context.Context, attempts int, f func() error) error {
	return Default.Do(ctx, attempts, f)
}
