package instancetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/titan-kv/titan/conf"
)

// TestStreamGoneAcrossInstances: an XREADGROUP blocked on one instance
// answers that its stream is gone as soon as another instance deletes,
// overwrites or renames the stream: the change goes over the bus, not
// only to the re-check (set to a minute here so that it cannot answer).
func TestStreamGoneAcrossInstances(t *testing.T) {
	ctx := context.Background()
	g := Start(t, 2, Options{Config: func(c *conf.Config) { c.Bus.RecheckInterval.Duration = time.Minute }})
	a := redis.NewClient(&redis.Options{Addr: g.Addr(0), ReadTimeout: 30 * time.Second})
	// Instance 1 started last: its bus knows instance 0 from its start.
	b := redis.NewClient(&redis.Options{Addr: g.Addr(1)})
	defer a.Close()
	defer b.Close()
	for _, c := range []struct {
		name   string
		remove func() error
	}{
		{"DEL", func() error { return b.Del(ctx, "s").Err() }},
		{"SET", func() error { return b.Set(ctx, "s", "x", 0).Err() }},
		{"RENAME", func() error { return b.Rename(ctx, "s", "s2").Err() }},
	} {
		b.Del(ctx, "s", "s2")
		if err := b.XGroupCreateMkStream(ctx, "s", "g", "$").Err(); err != nil {
			t.Fatal(err)
		}
		got := make(chan error, 1)
		go func() {
			got <- a.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"s", ">"}, Block: 20 * time.Second}).Err()
		}()
		time.Sleep(300 * time.Millisecond) // blocked
		removed := time.Now()
		if err := c.remove(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-got:
			if err == nil || !strings.HasPrefix(err.Error(), "UNBLOCKED the stream key no longer exists") {
				t.Errorf("%s: XREADGROUP answered %v", c.name, err)
			}
			t.Logf("%s: answered %v after the removal", c.name, time.Since(removed))
		case <-time.After(3 * time.Second):
			t.Fatalf("%s on instance 1: XREADGROUP blocked on instance 0 not answered within 3 s", c.name)
		}
	}
}
