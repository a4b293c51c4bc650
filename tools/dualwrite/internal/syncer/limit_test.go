package syncer

import (
	"context"
	"testing"
	"time"
)

// A batch larger than the limiter's burst waits for it one burst at a
// time instead of failing.
func TestWaitKeysAboveBurst(t *testing.T) {
	l := newLimiter(1000) // burst 1000, full at start
	start := time.Now()
	if err := waitKeys(context.Background(), l, 1500); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 400*time.Millisecond || d > 3*time.Second {
		t.Fatalf("1500 keys at 1000/s with a full 1000 burst took %v, want about 500ms", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := waitKeys(ctx, l, 10); err == nil {
		t.Fatal("waitKeys on a cancelled context succeeded")
	}
}
