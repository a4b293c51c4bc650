// Package retry holds the context-aware waiting shared by the backfill,
// the verifier and the proxy's repair worker.
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

// Do calls f up to attempts times, waiting 200ms, 400ms, ... between
// tries, until it succeeds or ctx ends. It returns f's last error (joined
// with ctx's error when ctx ended during a wait).
func Do(ctx context.Context, attempts int, f func() error) error {
	var err error
	for i := 0; i < attempts; i++ {
		if err = f(); err == nil || ctx.Err() != nil {
			return err
		}
		if i == attempts-1 {
			break
		}
		if !Sleep(ctx, time.Duration(200*(i+1))*time.Millisecond) {
			return errors.Join(err, ctx.Err())
		}
	}
	return err
}
