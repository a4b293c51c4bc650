// Package keyscan walks the keyspace of every shard of a source with SCAN
// and hands the keys, one batch per SCAN reply, to a pool of workers. The
// backfill (sync) and the verifier are both built on it.
package keyscan

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/titan-kv/titan/tools/dualwrite/internal/copier"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/retry"
	"github.com/titan-kv/titan/tools/dualwrite/internal/source"
)

// Batch is the keys one SCAN call returned on a shard.
type Batch struct {
	Shard int
	// Seq numbers the batches of a shard in scan order, from 0 for the
	// first batch of this Run.
	Seq int
	// Keys are the keys returned, without dualwrite's own (reserved) keys;
	// possibly none.
	Keys [][]byte
	// Next is the cursor after this batch; "0" for the shard's last one.
	Next string
}

// Defaults of Config, also the defaults of the sync and verify flags.
const (
	DefaultWorkers = 8
	DefaultCount   = 256
)

// Config says what to scan and how.
type Config struct {
	Source  source.Source
	Workers int // concurrent calls of the work function (<= 0: DefaultWorkers)
	Count   int // SCAN COUNT (<= 0: DefaultCount)
	// Start returns the cursor to start shard i from, and false to skip
	// the shard. Nil starts every shard from "0".
	Start func(shard int) (cursor string, ok bool)
	// Scanned, if set, is called by the shard's scanner for every batch in
	// scan order, before a worker gets it.
	Scanned func(Batch)
}

// Run scans every shard (one goroutine each, SCAN retried 3 times) and
// calls work for each batch from Workers goroutines. It stops at the first
// error, of a scan or of work, and returns it; when ctx ends it returns
// ctx's cause. Batches still queued when it stops are dropped.
func Run(ctx context.Context, c Config, work func(context.Context, Batch) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	workers := c.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	queue := make(chan Batch, 2*workers)
	var scanners, pool sync.WaitGroup
	for i := range c.Source.Shards() {
		cursor, ok := "0", true
		if c.Start != nil {
			cursor, ok = c.Start(i)
		}
		if !ok {
			continue
		}
		scanners.Add(1)
		go func() {
			defer scanners.Done()
			if err := scanShard(ctx, c, i, cursor, queue); err != nil {
				cancel(err)
			}
		}()
	}
	for w := 0; w < workers; w++ {
		pool.Add(1)
		go func() {
			defer pool.Done()
			for b := range queue {
				if ctx.Err() != nil {
					continue
				}
				if err := work(ctx, b); err != nil {
					cancel(err)
				}
			}
		}()
	}
	scanners.Wait()
	close(queue)
	pool.Wait()
	return context.Cause(ctx)
}

func scanShard(ctx context.Context, c Config, shard int, cursor string, queue chan<- Batch) error {
	addr := c.Source.Shards()[shard]
	n := c.Count
	if n <= 0 {
		n = DefaultCount
	}
	count := []byte(strconv.Itoa(n))
	for seq := 0; ; seq++ {
		if ctx.Err() != nil {
			return nil
		}
		var reply resp.Value
		err := retry.Do(ctx, 3, func() error {
			vs, err := c.Source.ShardPipeline(ctx, shard, [][][]byte{{[]byte("SCAN"), []byte(cursor), []byte("COUNT"), count}})
			if err != nil {
				return err
			}
			if reply = vs[0]; reply.IsError() || len(reply.Elems) != 2 {
				return fmt.Errorf("unexpected SCAN reply %v", reply)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("scan %s: %w", addr, err)
		}
		b := Batch{Shard: shard, Seq: seq, Next: string(reply.Elems[0].Str)}
		for _, e := range reply.Elems[1].Elems {
			if !copier.IsReserved(e.Str) {
				b.Keys = append(b.Keys, e.Str)
			}
		}
		if c.Scanned != nil {
			c.Scanned(b)
		}
		select {
		case queue <- b:
		case <-ctx.Done():
			return nil
		}
		if b.Next == "0" {
			return nil
		}
		cursor = b.Next
	}
}
