package keyscan

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
)

// pages is a source whose shard i answers SCAN from a script: cursor "0"
// gives page 0 and cursor "k" page k; the last page returns cursor "0".
type pages struct {
	shards [][][]string // shard -> page -> keys
	calls  atomic.Int64
	// failures makes a shard's SCAN fail this many times first.
	failures map[int]*atomic.Int64
	reply    func(shard int) (resp.Value, bool) // overrides the reply when ok
}

func (p *pages) Shards() []string {
	out := make([]string, len(p.shards))
	for i := range out {
		out[i] = fmt.Sprintf("shard%d:1", i)
	}
	return out
}
func (p *pages) Group([]byte) int { return 0 }
func (p *pages) Routed() bool     { return false }
func (p *pages) Close()           {}
func (p *pages) Do(context.Context, int, [][]byte) (resp.Value, error) {
	return resp.Value{}, errors.New("not used")
}
func (p *pages) GroupPipeline(context.Context, int, [][][]byte) ([]resp.Value, error) {
	return nil, errors.New("not used")
}

func (p *pages) ShardPipeline(_ context.Context, shard int, cmds [][][]byte) ([]resp.Value, error) {
	p.calls.Add(1)
	if f := p.failures[shard]; f != nil && f.Add(-1) >= 0 {
		return nil, errors.New("connection refused")
	}
	if p.reply != nil {
		if v, ok := p.reply(shard); ok {
			return []resp.Value{v}, nil
		}
	}
	if len(cmds) != 1 || string(cmds[0][0]) != "SCAN" || string(cmds[0][2]) != "COUNT" {
		return nil, fmt.Errorf("unexpected %q", cmds)
	}
	var page int
	fmt.Sscan(string(cmds[0][1]), &page)
	next := "0"
	if page+1 < len(p.shards[shard]) {
		next = fmt.Sprint(page + 1)
	}
	var keys []resp.Value
	for _, k := range p.shards[shard][page] {
		keys = append(keys, resp.Bulk([]byte(k)))
	}
	return []resp.Value{resp.Arr([]resp.Value{resp.Bulk([]byte(next)), resp.Arr(keys)})}, nil
}

func TestRunVisitsEveryKeyOnce(t *testing.T) {
	src := &pages{shards: [][][]string{
		{{"a1", "a2"}, {}, {"a3", "__dualwrite:dirty"}},
		{{"b1"}},
		{{"c1", "__dualwrite:tmp:c2"}, {"c3"}},
	}}
	var mu sync.Mutex
	var seen []string
	var scanned []string
	err := Run(context.Background(), Config{Source: src, Workers: 3, Count: 10,
		Scanned: func(b Batch) {
			mu.Lock()
			scanned = append(scanned, fmt.Sprintf("%d/%d->%s", b.Shard, b.Seq, b.Next))
			mu.Unlock()
		}}, func(_ context.Context, b Batch) error {
		mu.Lock()
		defer mu.Unlock()
		for _, k := range b.Keys {
			seen = append(seen, string(k))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(seen)
	if got := strings.Join(seen, " "); got != "a1 a2 a3 b1 c1 c3" {
		t.Errorf("keys %q: want every key once, without reserved keys", got)
	}
	sort.Strings(scanned)
	if got := strings.Join(scanned, " "); got != "0/0->1 0/1->2 0/2->0 1/0->0 2/0->1 2/1->0" {
		t.Errorf("batches %s", got)
	}
}

func TestRunStartsWhereTold(t *testing.T) {
	src := &pages{shards: [][][]string{{{"a1"}, {"a2"}, {"a3"}}, {{"b1"}}, {{"c1"}}}}
	var mu sync.Mutex
	var seen []string
	err := Run(context.Background(), Config{Source: src, Workers: 1, Count: 1,
		Start: func(shard int) (string, bool) {
			switch shard {
			case 0:
				return "2", true // resume: pages 0 and 1 were done
			case 1:
				return "", false // finished shard
			}
			return "0", true
		}}, func(_ context.Context, b Batch) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("%s@%d", b.Keys[0], b.Seq))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(seen)
	if got := strings.Join(seen, " "); got != "a3@0 c1@0" {
		t.Errorf("visited %s, want a3 (resumed; numbered from 0) and c1", got)
	}
}

func TestRunRetriesScan(t *testing.T) {
	src := &pages{shards: [][][]string{{{"a1"}}}, failures: map[int]*atomic.Int64{0: {}}}
	src.failures[0].Store(2)
	var n atomic.Int64
	err := Run(context.Background(), Config{Source: src, Workers: 1, Count: 1}, func(_ context.Context, b Batch) error {
		n.Add(int64(len(b.Keys)))
		return nil
	})
	if err != nil || n.Load() != 1 {
		t.Fatalf("after two failed SCANs: %v, %d keys", err, n.Load())
	}

	src = &pages{shards: [][][]string{{{"a1"}}}, failures: map[int]*atomic.Int64{0: {}}}
	src.failures[0].Store(3)
	err = Run(context.Background(), Config{Source: src, Workers: 1, Count: 1}, func(context.Context, Batch) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "scan shard0:1") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("after three failed SCANs: %v", err)
	}
}

func TestRunStopsAtFirstError(t *testing.T) {
	// Shard 0 has many pages; the work function fails on the first batch.
	var many [][]string
	for i := 0; i < 1000; i++ {
		many = append(many, []string{fmt.Sprint("k", i)})
	}
	src := &pages{shards: [][][]string{many}}
	boom := errors.New("boom")
	var calls atomic.Int64
	err := Run(context.Background(), Config{Source: src, Workers: 2, Count: 1}, func(context.Context, Batch) error {
		calls.Add(1)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if src.calls.Load() > 100 || calls.Load() > 10 {
		t.Errorf("kept going after the error: %d SCANs, %d batches worked", src.calls.Load(), calls.Load())
	}

	// A malformed SCAN reply is an error too.
	src = &pages{shards: [][][]string{{{"a"}}}, reply: func(int) (resp.Value, bool) { return resp.Err("ERR nope"), true }}
	src.failures = map[int]*atomic.Int64{}
	err = Run(context.Background(), Config{Source: src, Workers: 1, Count: 1}, func(context.Context, Batch) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "unexpected SCAN reply") {
		t.Fatalf("error reply to SCAN: %v", err)
	}
}

func TestRunCancelled(t *testing.T) {
	src := &pages{shards: [][][]string{{{"a"}}}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Run(ctx, Config{Source: src, Workers: 1, Count: 1}, func(context.Context, Batch) error {
		t.Error("work called after cancel")
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
