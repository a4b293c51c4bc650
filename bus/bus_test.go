package bus

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/titan-kv/titan/db"
)

// memRegistry is a registry in memory, with leases.
type memRegistry struct {
	mu      sync.Mutex
	members map[string]db.Member
	until   map[string]time.Time
}

func newMemRegistry() *memRegistry {
	return &memRegistry{members: map[string]db.Member{}, until: map[string]time.Time{}}
}

func (r *memRegistry) RegisterInstance(_ context.Context, me db.Member, ttl time.Duration) ([]db.Member, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.members[me.ID] = me
	r.until[me.ID] = time.Now().Add(ttl)
	var live []db.Member
	for mid, m := range r.members {
		if time.Now().Before(r.until[mid]) {
			live = append(live, m)
		}
	}
	return live, nil
}

func (r *memRegistry) UnregisterInstance(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.members, id)
	return nil
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBroadcastAndCall: three buses find each other through the registry;
// broadcasts arrive in order; calls collect every peer's reply; a bus
// that stops without leaving drops out when its lease ends.
func TestBroadcastAndCall(t *testing.T) {
	reg := newMemRegistry()
	var mu sync.Mutex
	got := map[int][]string{}
	buses := make([]*Bus, 3)
	for i := range buses {
		b := New(Options{LeaseTTL: 300 * time.Millisecond}, reg, nil)
		b.Handle(1, func(p []byte) []byte {
			mu.Lock()
			got[i] = append(got[i], string(p))
			mu.Unlock()
			return nil
		})
		b.Handle(2, func(p []byte) []byte { return []byte(fmt.Sprintf("%d:%s", i, p)) })
		if err := b.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		buses[i] = b
		t.Cleanup(b.Close)
	}
	waitFor(t, "peers", func() bool { return buses[0].Peers() == 2 && buses[1].Peers() == 2 && buses[2].Peers() == 2 })
	for n := range 1000 {
		buses[0].Broadcast(1, []byte(fmt.Sprint(n)))
	}
	waitFor(t, "broadcasts", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got[1]) == 1000 && len(got[2]) == 1000
	})
	mu.Lock()
	for i := 1; i <= 2; i++ {
		for n, s := range got[i] {
			if s != fmt.Sprint(n) {
				t.Fatalf("bus %d: message %d is %q: out of order", i, n, s)
			}
		}
	}
	if len(got[0]) != 0 {
		t.Fatal("a broadcast reached its sender")
	}
	mu.Unlock()
	replies := buses[1].Call(context.Background(), 2, []byte("x"))
	if len(replies) != 2 {
		t.Fatalf("replies = %q", replies)
	}
	buses[2].Stop()
	waitFor(t, "the stopped bus to drop out", func() bool { return buses[0].Peers() == 1 })
	if r := buses[0].Call(context.Background(), 2, []byte("y")); len(r) != 1 || string(r[0]) != "1:y" {
		t.Fatalf("replies = %q", r)
	}
}
