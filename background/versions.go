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
	before := time.Now().Add(-b.o.GCLifeTime)
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
