package background

import (
	"context"
	"time"
)

// versionsChunk is how many live keys one MVCC GC step of the embedded
// store covers: small, because the step holds the store's global lock.
const versionsChunk = 256

// versionsRound walks the embedded store's key space a few chunks at a
// time (store.CollectVersions), removing the MVCC history older than
// GCLifeTime. The walk goes on where the previous round stopped and starts
// over at the end of the key space. It is the embedded store's stand-in for
// TiKV's own GC, which the safe point task drives on a cluster.
func (b *Tasks) versionsRound(ctx context.Context, deadline time.Time) error {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	before := time.Now().Add(-b.o.GCLifeTime)
	for range b.o.VersionsChunks {
		next, err := b.st.CollectVersions(ctx, b.versionsCursor, versionsChunk, before)
		if next != nil || err == nil {
			// A chunk that failed (an old lock) is left for the next pass.
			b.versionsCursor = next
		}
		if err != nil || next == nil {
			return err
		}
	}
	return nil
}
