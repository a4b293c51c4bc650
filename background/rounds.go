package background

import (
	"context"
	"log/slog"
	"time"
)

// expireSkew is how far behind the leader's clock another process's clock
// may be and still have its expiry index entries found at once.
const expireSkew = 5 * time.Second

// expireRescan is how often (in rounds) the expirer walks the whole index
// instead of starting from its watermark.
const expireRescan = 60

// expireRound removes keys whose expiry passed, walking the expiry index
// in time order, one bounded transaction at a time, until none is due or
// the deadline passes.
func (b *Tasks) expireRound(ctx context.Context, deadline time.Time) error {
	// Processed entries stay behind as MVCC tombstones until the GC safe
	// point passes them; start from a little before the last round's
	// watermark rather than from the first entry, and rescan everything
	// now and then for entries written late by a process with a slow clock.
	if on, err := b.d.ActiveExpire(ctx); err != nil || !on {
		return err // paused by DEBUG SET-ACTIVE-EXPIRE 0
	}
	b.expireRounds++
	var since int64
	if wm := b.expireWatermark; wm > 0 && b.expireRounds%expireRescan != 0 {
		since = wm - expireSkew.Milliseconds()
	}
	for ctx.Err() == nil && time.Now().Before(deadline) {
		r, err := b.d.ExpireDue(ctx, since, b.o.ExpireBatch)
		if err != nil {
			return err
		}
		if b.metrics != nil {
			b.metrics.KeysExpired.Add(float64(r.Keys))
		}
		if r.Entries < b.o.ExpireBatch {
			b.expireWatermark = r.Now
			return nil
		}
	}
	return ctx.Err()
}

// collectChunk bounds the elements one collector transaction deletes.
const collectChunk = 512

// collectRound deletes the elements of dropped collections, at most
// GCRate keys per second of GCInterval, until none is left or the
// deadline passes.
func (b *Tasks) collectRound(ctx context.Context, deadline time.Time) error {
	budget := max(int(float64(b.o.GCRate)*b.o.GCInterval.Seconds()), 1)
	for budget > 0 && ctx.Err() == nil && time.Now().Before(deadline) {
		obj, err := b.d.NextDropped(ctx)
		if err != nil || obj == nil {
			return err
		}
		for budget > 0 && ctx.Err() == nil && time.Now().Before(deadline) {
			n, done, err := b.d.CollectChunk(ctx, obj, min(collectChunk, budget))
			budget -= n
			if b.metrics != nil {
				b.metrics.GCKeysDeleted.Add(float64(n))
				if done {
					b.metrics.GCObjects.Inc()
				}
			}
			if err != nil {
				return err
			}
			if done {
				break
			}
		}
	}
	return ctx.Err()
}

// safePointRound moves the TiKV GC safe point to GCLifeTime ago, so TiKV
// drops MVCC versions older than that (there is no TiDB to do it).
func (b *Tasks) safePointRound(ctx context.Context, _ time.Time) error {
	sp, err := b.st.AdvanceSafePoint(ctx, time.Now().Add(-b.o.GCLifeTime))
	if err != nil {
		return err
	}
	if b.metrics != nil {
		b.metrics.GCSafePoint.Set(float64(sp.Unix()))
	}
	slog.Debug("gc safe point advanced", "safepoint", sp)
	return nil
}

// cursorBatch bounds the cursor records one transaction examines.
const cursorBatch = 512

// cursorRescan is how often (in rounds) the cursor collector walks every
// record instead of starting from the first one it kept last time.
const cursorRescan = 60

// cursorRound deletes expired SCAN cursor records, one bounded
// transaction at a time, until none is left or the deadline passes.
// Deleted records stay behind as MVCC tombstones until the GC safe point
// passes them, so a round starts from the first record the last complete
// round kept (every cursorRescan rounds, from the first record).
func (b *Tasks) cursorRound(ctx context.Context, deadline time.Time) error {
	b.cursorRounds++
	from := b.cursorWatermark
	if b.cursorRounds%cursorRescan == 0 {
		from = 0
	}
	var firstKept uint64
	for ctx.Err() == nil && time.Now().Before(deadline) {
		next, _, kept, err := b.d.CollectCursors(ctx, from, cursorBatch)
		if err != nil {
			return err
		}
		if firstKept == 0 {
			firstKept = kept
		}
		if next == 0 {
			// Complete: the next round starts at the first record kept,
			// or, with none kept, where this one ended.
			b.cursorWatermark = firstKept
			if firstKept == 0 {
				b.cursorWatermark = from
			}
			return nil
		}
		from = next
	}
	return ctx.Err()
}

// repairRound recounts the keys of every database and corrects the key
// counters where they drifted (they should not: a correction is logged).
func (b *Tasks) repairRound(ctx context.Context, _ time.Time) error {
	b.repairSince.Store(time.Now().UnixNano())
	defer b.repairSince.Store(0)
	for i := range b.o.Databases {
		fix, err := b.d.RepairCounts(ctx, uint16(i))
		if err != nil {
			return err
		}
		if fix.Keys != 0 || fix.Expires != 0 || fix.ExpireSum != 0 {
			slog.Warn("key counters corrected", "db", i, "keys", fix.Keys, "expires", fix.Expires)
		}
	}
	return nil
}
