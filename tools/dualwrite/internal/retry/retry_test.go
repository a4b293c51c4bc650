package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBackoffSchedule(t *testing.T) {
	for _, c := range []struct {
		b    Backoff
		want []time.Duration
	}{
		{Backoff{Initial: 1, Max: 5}, []time.Duration{1, 2, 4, 5, 5}},
		{Backoff{Initial: 3}, []time.Duration{3, 3, 3}},
		{Backoff{Initial: 4, Max: 2}, []time.Duration{4, 4}},
	} {
		b := c.b
		for i, want := range c.want {
			start := b.next
			if start == 0 {
				start = b.Initial
			}
			if start != want {
				t.Fatalf("%+v: wait %d is %v, want %v", c.b, i, start, want)
			}
			b.Wait(context.Background())
		}
		b.Reset()
		if b.Wait(context.Background()); b.next != min(2*c.b.Initial, max(c.b.Max, c.b.Initial)) {
			t.Errorf("%+v: Reset did not restart the schedule (next %v)", c.b, b.next)
		}
	}
}

func TestDoAttempts(t *testing.T) {
	b := Backoff{Initial: time.Millisecond}
	calls := 0
	fail := errors.New("fail")
	if err := b.Do(context.Background(), 3, func() error { calls++; return fail }); !errors.Is(err, fail) || calls != 3 {
		t.Fatalf("Do = %v after %d calls, want fail after 3", err, calls)
	}
	calls = 0
	if err := b.Do(context.Background(), 0, func() error {
		if calls++; calls < 5 {
			return fail
		}
		return nil
	}); err != nil || calls != 5 {
		t.Fatalf("unlimited Do = %v after %d calls, want nil after 5", err, calls)
	}
}

func TestDoStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	fail := errors.New("fail")
	start := time.Now()
	err := Backoff{Initial: time.Hour}.Do(ctx, 0, func() error { return fail })
	if !errors.Is(err, fail) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do = %v, want fail joined with the deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Do waited %v past its context", d)
	}
	if Sleep(ctx, time.Hour) {
		t.Fatal("Sleep on an ended context returned true")
	}
}
