package replica

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/tools/dualwrite/internal/copier"
	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/retry"
)

// Snapshot batches: at most this many keys or bytes of payload per
// pipeline sent to titan.
const (
	restoreTimeout    = time.Minute
	restoreBatchKeys  = 128
	restoreBatchBytes = 4 << 20
)

// restore reads the snapshot at path (mapped, not loaded, so its size is
// bounded by the disk, not memory) and restores every key that has not
// expired into titan with RESTORE ... REPLACE ABSTTL, in pipelined batches
// on RestoreWorkers connections. A batch titan fails is retried until ctx
// ends; a key titan refuses is logged and counted.
func (l *Link) restore(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if fi.Size() == 0 {
		return errors.New("snapshot: empty")
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("snapshot: mmap: %w", err)
	}
	defer syscall.Munmap(data)

	// A batch may restore a collection of millions of elements in one
	// titan transaction: give it titan's own command timeout (30 s) and
	// more, not the per-command --timeout, or it is retried forever.
	pool := resp.NewPool(l.o.Titan, l.o.RestoreWorkers, max(l.o.Timeout, restoreTimeout))
	defer pool.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan [][][]byte, l.o.RestoreWorkers)
	var wg sync.WaitGroup
	for range l.o.RestoreWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				l.restoreBatch(ctx, pool, b)
			}
		}()
	}

	now := time.Now().UnixMilli()
	var cur [][][]byte
	curDB, size := -1, 0
	flush := func() {
		if len(cur) > 1 {
			select {
			case batches <- cur:
			case <-ctx.Done():
			}
		}
		cur, size = nil, 0
	}
	walkErr := encoding.WalkRDBRaw(data, func(e encoding.RDBEntry) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if e.ExpireAt > 0 && e.ExpireAt <= now {
			return nil
		}
		if len(e.Payload) > bigPayload {
			// One RESTORE would be one huge titan transaction (holding
			// the store while it commits): stream it in pages instead.
			l.restoreBig(ctx, pool, e, now)
			return nil
		}
		if e.DB != curDB || len(cur) > restoreBatchKeys || size >= restoreBatchBytes {
			flush()
			cur, curDB = [][][]byte{resp.Args("SELECT", strconv.Itoa(e.DB))}, e.DB
		}
		args := [][]byte{[]byte("RESTORE"), e.Key, strconv.AppendInt(nil, e.ExpireAt, 10), e.Payload, []byte("REPLACE")}
		if e.ExpireAt > 0 {
			args = append(args, []byte("ABSTTL"))
		}
		cur = append(cur, args)
		size += len(e.Payload) + len(e.Key)
		return nil
	})
	flush()
	close(batches)
	wg.Wait()
	if walkErr != nil {
		return fmt.Errorf("snapshot: %w", walkErr)
	}
	return ctx.Err()
}

// bigPayload is the size above which a key of the snapshot is written
// page by page (copier.WriteSnapshots) instead of with one RESTORE.
const bigPayload = 1 << 20

// restoreBig writes a big key of the snapshot into a temporary key page
// by page and renames it into place, retrying until titan takes it or ctx
// ends; a value it cannot decode goes by RESTORE like the others.
func (l *Link) restoreBig(ctx context.Context, pool *resp.Pool, e encoding.RDBEntry, now int64) {
	pttl := int64(-1)
	if e.ExpireAt > 0 {
		pttl = e.ExpireAt - now
	}
	key := append([]byte(nil), e.Key...)
	cp := copier.Copier{Page: 512, ID: copier.NewID()}
	dst := dbPipe{pool: pool, db: e.DB}
	bo := retry.Backoff{Initial: 100 * time.Millisecond, Max: 5 * time.Second}
	for ctx.Err() == nil {
		snap, err := copier.SnapshotFromDump(key, e.Payload, false, pttl, time.UnixMilli(now))
		if err != nil {
			args := [][]byte{[]byte("RESTORE"), key, strconv.AppendInt(nil, e.ExpireAt, 10), e.Payload, []byte("REPLACE")}
			if e.ExpireAt > 0 {
				args = append(args, []byte("ABSTTL"))
			}
			l.restoreBatch(ctx, pool, [][][]byte{resp.Args("SELECT", strconv.Itoa(e.DB)), args})
			return
		}
		if _, err = cp.WriteSnapshots(ctx, dst, []*copier.Snapshot{snap}); err == nil {
			l.o.Metrics.ReplKeysRestored.WithLabelValues(l.shard).Inc()
			return
		}
		l.o.Log.Warn("replicate: restore of a big key failed, retrying", "master", l.o.Master, "key", string(key), "err", err)
		bo.Wait(ctx)
	}
}

// dbPipe sends pipelines to one database of titan.
type dbPipe struct {
	pool *resp.Pool
	db   int
}

func (d dbPipe) Pipeline(ctx context.Context, cmds [][][]byte) ([]resp.Value, error) {
	vs, err := d.pool.Pipeline(ctx, append([][][]byte{resp.Args("SELECT", strconv.Itoa(d.db))}, cmds...))
	if err != nil {
		return nil, err
	}
	if vs[0].IsError() {
		return nil, fmt.Errorf("select %d: %s", d.db, vs[0].Str)
	}
	return vs[1:], nil
}

// restoreBatch sends one batch until titan takes it or ctx ends.
func (l *Link) restoreBatch(ctx context.Context, pool *resp.Pool, b [][][]byte) {
	bo := retry.Backoff{Initial: 100 * time.Millisecond, Max: 5 * time.Second}
	for ctx.Err() == nil {
		vs, err := pool.Pipeline(ctx, b)
		if err != nil {
			l.o.Log.Warn("replicate: restore batch failed, retrying", "master", l.o.Master, "err", err)
			bo.Wait(ctx)
			continue
		}
		if vs[0].IsError() { // SELECT
			l.o.Log.Error("replicate: titan refused a database of the snapshot", "master", l.o.Master, "err", vs[0].String())
			return
		}
		restored := 0
		for i, v := range vs[1:] {
			if v.IsError() {
				l.o.Log.Error("replicate: titan refused a key of the snapshot", "master", l.o.Master, "key", string(b[i+1][1]), "err", v.String())
				continue
			}
			restored++
		}
		l.o.Metrics.ReplKeysRestored.WithLabelValues(l.shard).Add(float64(restored))
		return
	}
}
