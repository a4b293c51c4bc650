package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

// TestHotBigKeyRepairConverges: a big hash that titan lacks is repaired
// while a client writes it without pause through the proxy, about a
// thousand times a second (HINCRBY, which a write applied twice would
// show, and HSET). The repair must finish
// while the writes go on, and titan must then hold exactly Redis's hash.
func TestHotBigKeyRepairConverges(t *testing.T) {
	const fields = 5000
	shards := startShards(t, 1)
	tg := startTarget(t)
	rc := shards.pools[0]
	// Seeded behind the proxy's back: titan does not have it.
	for lo := 0; lo < fields; lo += 1000 {
		args := []string{"HSET", "hot"}
		for j := lo; j < lo+1000; j++ {
			args = append(args, "f"+strconv.Itoa(j), strconv.Itoa(j))
		}
		testutil.Do(t, rc, args...)
	}
	testutil.Do(t, rc, "HSET", "hot", "n", "100")
	px := startProxy(t, append(shards.sourceFlags(), "--titan", tg.Addr)...)
	c := testutil.Client(t, px.Addr)

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var writes atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			cmd := resp.Args("HINCRBY", "hot", "n", "1")
			if i%2 == 1 {
				cmd = resp.Args("HSET", "hot", "f"+strconv.Itoa(i%fields), "w"+strconv.Itoa(i))
			}
			if v, err := c.Do(context.Background(), cmd...); err != nil || v.IsError() {
				t.Errorf("%s: %v %v", cmd[0], v, err)
				return
			}
			writes.Add(1)
			time.Sleep(time.Millisecond) // a hot key, not a flood titan cannot follow
		}
	}()
	// The first HINCRBY answers 101 on Redis and 1 on titan: a repair.
	if err := testutil.WaitFor(30*time.Second, func() error {
		if px.metric(t, "dualwrite_repairs_queued_total", "") == 0 {
			return fmt.Errorf("no repair queued yet")
		}
		if n := px.metric(t, "dualwrite_repair_queue_length", ""); n > 0 {
			return fmt.Errorf("%v keys waiting for repair", n)
		}
		return nil
	}); err != nil {
		t.Fatalf("the repair of a key written without pause did not finish: %v\n%s", err, px.logs.String())
	}
	during := writes.Load()
	time.Sleep(300 * time.Millisecond)
	stop()
	wg.Wait()
	if writes.Load() == during {
		t.Fatal("the writer stalled: the repair was not checked under writes")
	}
	px.settle(t)
	tc := testutil.Client(t, tg.Addr)
	want, got := sortedPairs(testutil.Do(t, rc, "HGETALL", "hot")), sortedPairs(testutil.Do(t, tc, "HGETALL", "hot"))
	if len(want) != fields+1 || fmt.Sprint(want) != fmt.Sprint(got) {
		var diff []string
		for i := range min(len(want), len(got)) {
			if want[i] != got[i] && len(diff) < 5 {
				diff = append(diff, want[i]+" vs "+got[i])
			}
		}
		t.Fatalf("titan's hash differs from Redis's after the repair (%d vs %d entries, n: redis %s titan %s): %q",
			len(got), len(want), fieldOf(want, "n"), fieldOf(got, "n"), diff)
	}
	t.Logf("%d writes during the test, %v repairs", writes.Load(), px.metric(t, "dualwrite_repairs_done_total", ""))
}

// sortedPairs turns an HGETALL reply into "field=value" strings, sorted.
func sortedPairs(v resp.Value) []string {
	var out []string
	for i := 0; i+1 < len(v.Elems); i += 2 {
		out = append(out, string(v.Elems[i].Str)+"="+string(v.Elems[i+1].Str))
	}
	sort.Strings(out)
	return out
}

func fieldOf(pairs []string, f string) string {
	for _, p := range pairs {
		if len(p) > len(f) && p[:len(f)+1] == f+"=" {
			return p[len(f)+1:]
		}
	}
	return "(none)"
}
