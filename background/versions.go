package background

import (
	"context"
	"errors"
	"time"
)

// versionsChunk is how many live keys one MVCC GC step of the embedded
// store covers: small, because the step holds the store's global lock.
const versionsChunk = 256

// versionsRound walks the embedded store's key space a few chunks at a
// time (store.CollectVersions), removing the MVCC history older than
// GCLifeTime. The walk goes on where the previous round stopped and starts
// over at the end of the key space; before that, up to VersionsChunks
// regions holding deletes older than the safe point are collected whole
// (store.CollectDeleted). It is the embedded store's stand-in for
// TiKV's own GC, which the safe point task drives on a cluster.
func (b *Tasks) versionsRound(ctx context.Context, deadline time.Time) error {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	before := b.safePoint(time.Now())
	// First the regions that took deletes, all older than the safe point:
	// their tombstones go now rather than when the walk comes by, so
	// scans stop stepping over them soon after GCLifeTime.
	// A region that failed (an old lock) is left for a later round, and
	// the walk goes on.
	_, delErr := b.st.CollectDeleted(ctx, before, b.o.VersionsChunks)
	for range b.o.VersionsChunks {
		next, err := b.st.CollectVersions(ctx, b.versionsCursor, versionsChunk, before)
		if next != nil || err == nil {
			// A chunk that failed (an old lock) is left for the next pass.
			b.versionsCursor = next
		}
		if err != nil || next == nil {
			return errors.Join(delErr, err)
		}
	}
	return delErr
}

// EmbeddedLifeTime is the MVCC history the embedded store needs, for
// commands that time out after commandTimeout: its only readers and
// writers are this process's transactions, each bounded by the command
// timeout, and the long-string reader (db.ValueReader), which reads at its
// transaction's start for another command timeout at most. GC keeps the
// newest version at or below the safe point, so every read at a later
// timestamp stays exact, and a write that started later still meets the
// versions it conflicts with. A cluster's history (GCLifeTime, 10 minutes
// as TiKV's) is there for other clients too; on the embedded store it
// only made LevelDB larger, and every write's compaction costlier, the
// longer and faster it was written (tools/bench -aged).
func EmbeddedLifeTime(commandTimeout time.Duration) time.Duration {
	return 2*commandTimeout + 10*time.Second
}

// safePoint is the versions task's safe point at now: historyKept
// behind, and never after the start of a running key counter repair,
// whose scan may outlast the command timeout.
func (b *Tasks) safePoint(now time.Time) time.Time {
	sp := now.Add(-b.historyKept())
	if since := b.repairSince.Load(); since != 0 && sp.After(time.Unix(0, since)) {
		sp = time.Unix(0, since)
	}
	return sp
}

// historyKept is how far behind now the versions task's safe point is.
func (b *Tasks) historyKept() time.Duration {
	if b.o.EmbeddedLifeTime > 0 {
		return min(b.o.GCLifeTime, b.o.EmbeddedLifeTime)
	}
	return b.o.GCLifeTime
}
