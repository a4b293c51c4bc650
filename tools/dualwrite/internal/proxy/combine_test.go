package proxy

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
)

// TestCombinerGroupsConcurrentBatches: batches sent while maxSending
// pipelines are in flight go out together in the next pipeline, each
// caller gets its own replies, and a batch whose caller gives up before it
// is sent is never sent.
func TestCombinerGroupsConcurrentBatches(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var pipelines [][]string
	c := &combiner{timeout: time.Second, send: func(_ context.Context, ops []*op) ([]resp.Value, error) {
		<-release
		mu.Lock()
		var keys []string
		for _, o := range ops {
			keys = append(keys, o.key)
		}
		pipelines = append(pipelines, keys)
		mu.Unlock()
		vs := make([]resp.Value, len(ops))
		for i, o := range ops {
			vs[i] = resp.Bulk([]byte(o.key))
		}
		return vs, nil
	}}
	call := func(keys ...string) ([]resp.Value, error) {
		var ops []*op
		for _, k := range keys {
			ops = append(ops, &op{key: k})
		}
		return c.do(context.Background(), ops)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	start := func(keys ...string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vs, err := call(keys...)
			if err == nil && len(vs) != len(keys) {
				err = fmt.Errorf("%d replies for %d writes", len(vs), len(keys))
			}
			for i := range vs {
				if err == nil && string(vs[i].Str) != keys[i] {
					err = fmt.Errorf("reply %q for write of %q", vs[i].Str, keys[i])
				}
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	// maxSending senders block in flight; the rest queue behind them.
	for i := range maxSending {
		start(fmt.Sprint("inflight", i))
	}
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.sending == maxSending })
	for i := range 6 {
		start(fmt.Sprint("q", i), fmt.Sprint("r", i))
	}
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return len(c.queue) == 6 })
	// A caller that gives up while queued is withdrawn.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.do(ctx, []*op{{key: "gone"}}); err == nil {
		t.Error("a withdrawn batch reported success")
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	total := 0
	for _, p := range pipelines {
		total += len(p)
		for _, k := range p {
			if k == "gone" {
				t.Error("a withdrawn batch was sent")
			}
		}
	}
	if total != maxSending+12 || len(pipelines) > maxSending+2 {
		t.Errorf("pipelines %q: want the %d writes in at most %d pipelines", pipelines, maxSending+12, maxSending+2)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}
