package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tikv/client-go/v2/kv"

	"github.com/titan-kv/titan/encoding"
)

// SWAPDB swaps a mapping, never the data. Keys carry a physical database
// number; the mapping from logical databases (what SELECT names) to
// physical numbers is one system key, `dbmap` (encoding.DBMap; absent:
// the identity). Each DB caches the mapping it saw last (DB.dbmap).
//
//   - Every job's transaction maps its database with the cache, and reads
//     the mapping key in the BatchGet that prefetches its metadata
//     (verifyMap): a different epoch there replaces the transaction's
//     mapping (and the cache) before any job runs, so a command always
//     reads and writes through the mapping of its own snapshot.
//   - A write must not commit into a physical database whose logical
//     number a SWAPDB changed after the writer's snapshot (write skew:
//     TiKV only detects write-write conflicts). So every transaction that
//     writes metadata of physical database p also writes, or lock-only
//     mutates, its key counter shard of p (guardWrites), and SWAPDB
//     lock-only mutates every counter shard of both physical databases:
//     the two always conflict, whichever commits second retries, and a
//     retry reads the new mapping. Writers do not meet each other there:
//     the shards are spread per transaction (counterSlots).

// dbMapKey names the mapping's system key.
const dbMapKey = "dbmap"

func (d *DB) mapKey() []byte { return d.mapKeyB }

// errMapChanged restarts a job that used a stale mapping before reading
// the snapshot's (a keyless job, lazyMap).
var errMapChanged = errors.New("the database mapping changed (SWAPDB): run again")

// currentMap is the mapping this DB saw last (nil: the identity).
func (d *DB) currentMap() *encoding.DBMap { return d.dbmap.Load() }

// noteMap makes m the cached mapping unless the cache is as new.
func (d *DB) noteMap(m *encoding.DBMap) {
	for {
		cur := d.dbmap.Load()
		if cur != nil && cur.Epoch >= m.Epoch {
			return
		}
		if d.dbmap.CompareAndSwap(cur, m) {
			d.swapWait.changed()
			return
		}
	}
}

// ReloadDBMap reads the mapping from the store into the cache (another
// instance announced a SWAPDB).
func (d *DB) ReloadDBMap(ctx context.Context) error {
	return d.View(ctx, 0, func(tx *Tx) error { return tx.verifyMap() })
}

// MapEpoch returns the epoch of the cached mapping.
func (d *DB) MapEpoch() uint64 { return epochOf(d.currentMap()) }

func epochOf(m *encoding.DBMap) uint64 {
	if m == nil {
		return 0
	}
	return m.Epoch
}

// use makes logical database l the one the transaction addresses, through
// the transaction's mapping.
func (tx *Tx) use(l uint16) {
	tx.logical, tx.mapped = l, true
	tx.DB = tx.dbm.Physical(l)
}

// Select makes logical database l the one the transaction addresses,
// through the mapping of the transaction's snapshot (read once per
// transaction; free when the prefetch carried it, as for every job).
func (tx *Tx) Select(l uint16) error {
	if err := tx.verifyMap(); err != nil {
		return err
	}
	tx.use(l)
	return nil
}

// Logical returns the logical database the transaction addresses.
func (tx *Tx) Logical() uint16 { return tx.logical }

// Physical returns logical database l's physical number in the
// transaction's mapping.
func (tx *Tx) Physical(l uint16) uint16 { return tx.dbm.Physical(l) }

// SwappedAt returns the epoch of the last swap of logical database l in
// the transaction's mapping (WATCH records it, EXEC compares).
func (tx *Tx) SwappedAt(l uint16) (uint64, error) {
	if err := tx.verifyMap(); err != nil {
		return 0, err
	}
	return tx.dbm.SwappedAt(l), nil
}

// mapKeys is the mapping key while the transaction has not read it: a
// prefetch adds it to its BatchGet.
func (tx *Tx) mapKeys() [][]byte {
	if tx.mapOK {
		return nil
	}
	return [][]byte{tx.d.mapKey()}
}

// verifyMap reads the mapping in the transaction's snapshot (from the
// cache when a prefetch carried it) and uses it from then on. In lazy
// mode (lazyMap: a job without keys, which may have used the cached
// mapping already) a different mapping restarts the job.
func (tx *Tx) verifyMap() error {
	if tx.mapOK {
		return nil
	}
	lazy := tx.lazyMap
	tx.lazyMap = false
	raw, err := tx.get(tx.d.mapKey())
	if err != nil {
		return err
	}
	if encoding.DBMapEpoch(raw) != epochOf(tx.dbm) {
		m, err := encoding.DecodeDBMap(raw)
		if err != nil {
			return err
		}
		tx.dbm = m
		tx.d.noteMap(m)
		if lazy {
			return errMapChanged
		}
	}
	tx.mapOK = true
	if tx.mapped {
		tx.use(tx.logical)
	}
	return nil
}

// wroteDB records that the transaction writes metadata of physical
// database p (guardWrites).
func (tx *Tx) wroteDB(p uint16) {
	if !slices.Contains(tx.wrote, p) {
		tx.wrote = append(tx.wrote, p)
	}
}

// guardWrites lock-only mutates the transaction's counter shard of every
// physical database it wrote (a no-op on a shard it writes anyway), so
// that it conflicts with a SWAPDB of that database committed after its
// snapshot. A pessimistic transaction (one that took hot locks,
// hotlock.go) takes real pessimistic locks instead: a lock flag alone
// would make its prewrite look for a pessimistic lock that was never
// taken.
func (tx *Tx) guardWrites() error {
	keys := make([][]byte, 0, len(tx.wrote))
	for _, p := range tx.wrote {
		keys = append(keys, tx.d.keys.Counter(p, tx.claimCounter()))
	}
	if !tx.t.IsPessimistic() {
		for _, k := range keys {
			tx.lock(k)
		}
		return nil
	}
	if len(keys) == 0 {
		return nil
	}
	lc := kv.NewLockCtx(tx.t.StartTS(), kv.LockAlwaysWait, time.Now())
	if err := tx.t.LockKeys(tx.ctx, lc, keys...); err != nil {
		return fmt.Errorf("lock counter shards: %w", err)
	}
	return nil
}

// Swap swaps logical databases a and b (SWAPDB): it rewrites the mapping
// and lock-only mutates every counter shard of both physical databases,
// 2 x 65 keys whatever the data. A same-database swap changes nothing.
func (ks Keyspace) Swap(a, b uint16) error {
	tx := ks.tx
	if err := tx.verifyMap(); err != nil {
		return err
	}
	if a == b {
		return nil
	}
	for _, p := range []uint16{tx.dbm.Physical(a), tx.dbm.Physical(b)} {
		for _, k := range tx.shardKeys(p) {
			tx.lock(k)
		}
	}
	m := tx.dbm.Swap(a, b)
	if err := tx.set(tx.d.mapKey(), encoding.EncodeDBMap(m)); err != nil {
		return fmt.Errorf("db map: %w", err)
	}
	tx.dbm, tx.newMap = m, m
	tx.use(tx.logical)
	return nil
}

// checkLazy verifies the mapping before the first snapshot read of a job
// in lazy mode: a job without keys (SCAN, DBSIZE, KEYS...) has no
// metadata prefetch to carry the mapping, so its first BatchGet carries
// it (prefetch) or, before a scan or a point read, one read of its own.
func (tx *Tx) checkLazy() error {
	if !tx.lazyMap {
		return nil
	}
	return tx.verifyMap()
}
