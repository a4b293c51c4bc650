package instancetest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/titan-kv/titan/store"
)

// TestSwapDBUnderSteadyWrites: writers on two other instances push to
// their lists in logical databases 0 and 1 without pause while instance 2
// runs SWAPDB 0 1 again and again. Every SWAPDB succeeds within a bound,
// and against a model: a writer's push lands in the physical database
// its logical one maps to after e swaps, e between the swaps answered
// before the push was sent and those sent before it was answered; no
// acknowledged push is lost, none is applied twice, each list keeps its
// writer's order.
func TestSwapDBUnderSteadyWrites(t *testing.T) {
	ctx := context.Background()
	g := Start(t, 3, Options{Store: store.Options{RPCDelay: time.Millisecond}})
	const perInstance = 8                        // writers on each of instances 0 and 1
	swaps, swapBound := 24, 500*time.Millisecond // swaps: even, the final mapping is the identity
	if slowdown > 1 {
		// The race detector: every swap takes ten times as long, and
		// some far longer on a loaded machine.
		swaps, swapBound = 8, 8*time.Second
	}
	type push struct{ lo, hi int64 } // the swap count's bounds at the push
	var (
		sent, done atomic.Int64 // SWAPDBs sent, SWAPDBs answered
		stop       atomic.Bool
		wg         sync.WaitGroup
		writes     atomic.Int64
	)
	writers := 2 * perInstance
	pushes := make([][]push, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dbClient(g.Addr(w%2), w%3%2) // logical database w%3%2
			defer c.Close()
			key := fmt.Sprintf("l%d", w)
			for i := 0; !stop.Load(); i++ {
				lo := done.Load()
				if err := c.RPush(ctx, key, i).Err(); err != nil {
					t.Errorf("writer %d push %d: %v", w, i, err)
					return
				}
				pushes[w] = append(pushes[w], push{lo, sent.Load()})
				writes.Add(1)
			}
		}()
	}
	// Instance 2 started last: its bus knows the others from its start
	// (theirs learn of it at their next registry refresh).
	s := dbClient(g.Addr(2), 0)
	defer s.Close()
	time.Sleep(100 * time.Millisecond) // the writers are writing
	var took []time.Duration
	for i := range swaps {
		sent.Add(1)
		start := time.Now()
		err := s.Do(ctx, "SWAPDB", 0, 1).Err()
		d := time.Since(start)
		if err != nil {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("SWAPDB %d failed after %v under writes: %v", i, d, err)
		}
		done.Add(1)
		took = append(took, d)
		if d > swapBound {
			t.Errorf("SWAPDB %d took %v, over %v", i, d, swapBound)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	slices.Sort(took)
	t.Logf("%d SWAPDBs under %d pushes: median %v, slowest %v", swaps, writes.Load(), took[len(took)/2], took[len(took)-1])

	// The final mapping is the identity: logical p is physical p.
	found := make([][]int, writers) // writer w's push i landed in found[w][i]: 1 + physical db
	for w := range writers {
		found[w] = make([]int, len(pushes[w]))
	}
	for p := range 2 {
		c := dbClient(g.Addr(0), p)
		for w := range writers {
			vals, err := c.LRange(ctx, fmt.Sprintf("l%d", w), 0, -1).Result()
			if err != nil {
				t.Fatal(err)
			}
			prev := -1
			for _, v := range vals {
				i, err := strconv.Atoi(v)
				if err != nil || i < 0 || i >= len(pushes[w]) {
					t.Fatalf("db %d list l%d holds %q, not a push of its writer", p, w, v)
				}
				if i <= prev {
					t.Errorf("db %d list l%d: push %d after push %d", p, w, i, prev)
				}
				prev = i
				if found[w][i] != 0 {
					t.Errorf("writer %d push %d found in db %d and db %d", w, i, found[w][i]-1, p)
				}
				found[w][i] = 1 + p
			}
		}
		c.Close()
	}
	var wrong []string
	for w := range writers {
		logical := w % 3 % 2
		for i, ps := range pushes[w] {
			if found[w][i] == 0 {
				t.Errorf("writer %d push %d (acknowledged) is lost", w, i)
				continue
			}
			// After e swaps, logical l is physical l^(e%2).
			parity := int64((found[w][i] - 1) ^ logical)
			if ps.lo == ps.hi && ps.lo%2 != parity {
				wrong = append(wrong, fmt.Sprintf("writer %d (db %d) push %d in db %d after %d swaps", w, logical, i, found[w][i]-1, ps.lo))
			}
		}
	}
	if len(wrong) > 0 {
		t.Errorf("%d pushes landed in the wrong database, e.g. %s", len(wrong), strings.Join(wrong[:min(5, len(wrong))], "; "))
	}
}
