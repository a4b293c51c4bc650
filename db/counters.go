package db

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/titan-kv/titan/encoding"
)

// Key counters: DBSIZE and INFO keyspace read them instead of scanning.
// Every write of a metadata key goes through setMeta or delMeta, which add
// the change of the database's counts to one of encoding.CounterShards
// shards (read, then written, in the command's transaction). Transactions
// of one process in flight at once write different shards (counterSlots),
// so the counters are never a hot key; when transactions of two processes
// do meet on a shard, the write conflict retries one of them, so no change
// is lost or counted twice. A read merges the shards with one BatchGet.
// RepairCounts recomputes them.

// counterSlots hands this process's transactions the counter shards they
// write, so that two transactions of one process never write the same
// shard while both are in flight (they would conflict and one would run
// again). A shard is free again when the transaction that claimed it has
// committed (Tx.commit) before the claiming transaction took its start
// timestamp (Tx.begun: a shard committed after that start would conflict),
// or slotLease after the claim for a transaction that never let it go.
// Claims go round the shards, from a random one per process, so each
// process's writes spread over every shard instead of piling on the few
// free ones: processes rarely meet on a shard, and no shard becomes a hot
// key (many versions of one key slow its reads, in TiKV until its GC, in
// the embedded store until a compaction).
type counterSlots struct {
	mu    sync.Mutex
	next  int
	slots [encoding.CounterShards]counterSlot
}

type counterSlot struct {
	held  bool
	since time.Time
	// released is when the last holder let the slot go, unix ms.
	released int64
}

// slotLease is how long a claimed shard stays claimed at most.
const slotLease = time.Minute

func newCounterSlots() *counterSlots {
	return &counterSlots{next: rand.IntN(encoding.CounterShards)}
}

// counterClaim is the shard one transaction writes its counts to.
type counterClaim struct {
	shard uint8
	// set once the shard is picked; held while this transaction holds
	// it in counterSlots.
	set, held bool
}

// claim picks a shard for a transaction that took its start timestamp
// after unix ms begun: the next one round from the last claim whose last
// holder was done before that, else the first one not held, else a random
// one.
func (s *counterSlots) claim(begun int64) counterClaim {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	fallback := -1
	for i := range encoding.CounterShards {
		j := (s.next + i) % encoding.CounterShards
		sl := &s.slots[j]
		if sl.held && now.Sub(sl.since) <= slotLease {
			continue
		}
		if sl.held || sl.released < begun {
			return s.take(j, now)
		}
		if fallback < 0 {
			fallback = j
		}
	}
	if fallback >= 0 {
		return s.take(fallback, now)
	}
	return counterClaim{shard: uint8(rand.IntN(encoding.CounterShards)), set: true}
}

// take claims shard j. s.mu is held.
func (s *counterSlots) take(j int, now time.Time) counterClaim {
	s.slots[j] = counterSlot{held: true, since: now}
	s.next = (j + 1) % encoding.CounterShards
	return counterClaim{shard: uint8(j), set: true, held: true}
}

// claimCounter claims the transaction's shard, once.
func (tx *Tx) claimCounter() uint8 {
	if !tx.counter.set {
		tx.counter = tx.d.counterSlots.claim(tx.begun)
	}
	return tx.counter.shard
}

// counterKeys returns the counter shard keys the write jobs among jobs
// may update (the transaction's shard of each database they address),
// claiming the shard: a batch reads them with its metadata in one
// BatchGet, so counting costs no request of its own. None when every job
// only reads.
func (tx *Tx) counterKeys(jobs []*Job) [][]byte {
	var keys [][]byte
	for _, j := range jobs {
		if j.ReadOnly {
			continue
		}
		k := tx.d.keys.Counter(tx.Physical(j.DB), tx.claimCounter())
		if !slices.ContainsFunc(keys, func(o []byte) bool { return bytes.Equal(o, k) }) {
			keys = append(keys, k)
		}
	}
	return keys
}

// releaseCounter frees the shard tx claimed, if any.
func (tx *Tx) releaseCounter() {
	if c := tx.counter; c.held {
		s := tx.d.counterSlots
		s.mu.Lock()
		s.slots[c.shard] = counterSlot{released: time.Now().UnixMilli()}
		s.mu.Unlock()
	}
	tx.counter = counterClaim{}
}

// count adds delta to database db's counts.
func (tx *Tx) count(db uint16, delta encoding.Counts) error {
	if delta == (encoding.Counts{}) {
		return nil
	}
	shard := tx.claimCounter()
	k := tx.d.keys.Counter(db, shard)
	raw, err := tx.get(k)
	if err != nil {
		return err
	}
	if raw == nil {
		// The shard's first write: index it (counts).
		if err := tx.set(tx.d.keys.CounterIndex(db, shard), nil); err != nil {
			return err
		}
	}
	c, err := encoding.DecodeCounts(raw)
	if err != nil {
		return fmt.Errorf("db %d counter: %w", db, err)
	}
	return tx.set(k, encoding.EncodeCounts(c.Add(delta)))
}

// storedMeta returns the metadata stored at mk, expired or not (nil when
// there is none).
func (tx *Tx) storedMeta(mk []byte) (*encoding.Meta, error) {
	raw, err := tx.get(mk)
	if err != nil || raw == nil {
		return nil, err
	}
	m, err := encoding.DecodeMeta(raw)
	if err != nil {
		return nil, fmt.Errorf("meta %q: %w", mk, err)
	}
	return m, nil
}

// setMeta writes m as the metadata of key in database db, counting the
// change.
func (tx *Tx) setMeta(db uint16, key []byte, m *encoding.Meta) error {
	tx.wroteDB(db)
	mk := tx.d.keys.Meta(db, key)
	old, err := tx.storedMeta(mk)
	if err != nil {
		return err
	}
	if err := tx.count(db, encoding.CountsOf(m).Sub(encoding.CountsOf(old))); err != nil {
		return err
	}
	return tx.set(mk, encoding.EncodeMeta(m))
}

// delMeta deletes the metadata of key in database db, counting the change.
// old is the stored metadata when the caller has it (expired or not), nil
// to read it.
func (tx *Tx) delMeta(db uint16, key []byte, old *encoding.Meta) error {
	tx.wroteDB(db)
	mk := tx.d.keys.Meta(db, key)
	if old == nil {
		var err error
		if old, err = tx.storedMeta(mk); err != nil {
			return err
		}
	}
	if err := tx.count(db, encoding.CountsOf(nil).Sub(encoding.CountsOf(old))); err != nil {
		return err
	}
	return tx.del(mk)
}

// counts merges the counter shards (the repair shard included) of
// databases lo to hi. One database's 65 shards are one BatchGet. For
// several (INFO keyspace), a Scan of the counter index first finds the
// shards that exist, then one BatchGet reads them: the cost follows the
// databases in use, not the databases configured, and the index entries
// (written once each) are cheap to scan where the shards, rewritten by
// every counting transaction, carry many MVCC versions a scan would step
// over (point reads do not).
func (tx *Tx) counts(lo, hi uint16) ([]encoding.Counts, error) {
	var keys [][]byte
	var dbs []uint16 // the database of each key
	if lo == hi {
		keys = tx.shardKeys(lo)
		dbs = slices.Repeat([]uint16{lo}, len(keys))
	} else {
		from, to := tx.d.keys.CounterIndexRange(lo, hi)
		it, err := tx.iter(from, to, scanBatch((int(hi)-int(lo)+1)*(encoding.CounterShards+1)))
		if err != nil {
			return nil, err
		}
		err = walk(it, 0, func([]byte) bool { return true }, func(k, _ []byte) (bool, error) {
			db, shard, err := tx.d.keys.DecodeCounterIndexKey(k)
			keys, dbs = append(keys, tx.d.keys.Counter(db, shard)), append(dbs, db)
			return err == nil, err
		})
		it.Close()
		if err != nil {
			return nil, fmt.Errorf("key counter index: %w", err)
		}
	}
	// The mapping rides along while unread (KeyCounts verifies it).
	if err := tx.prefetch(append(slices.Clip(keys), tx.mapKeys()...)); err != nil {
		return nil, err
	}
	out := make([]encoding.Counts, int(hi)-int(lo)+1)
	for i, k := range keys {
		raw, err := tx.get(k)
		if err != nil {
			return nil, err
		}
		c, err := encoding.DecodeCounts(raw)
		if err != nil {
			return nil, fmt.Errorf("counter %q: %w", k, err)
		}
		out[dbs[i]-lo] = out[dbs[i]-lo].Add(c)
	}
	return out, nil
}

// shardKeys returns the keys of database db's counter shards, the repair
// shard last.
func (tx *Tx) shardKeys(db uint16) [][]byte { return tx.d.shardKeys(db) }

func (d *DB) shardKeys(db uint16) [][]byte {
	keys := make([][]byte, 0, encoding.CounterShards+1)
	for s := 0; s <= encoding.CounterShards; s++ {
		keys = append(keys, d.keys.Counter(db, uint8(s)))
	}
	return keys
}

// KeyCounts returns the counts of logical databases 0 to n-1 (INFO
// keyspace), in one read (the SWAPDB mapping rides in its BatchGet).
func (d *DB) KeyCounts(ctx context.Context, n int) ([]encoding.Counts, error) {
	var out []encoding.Counts
	err := d.View(ctx, 0, func(tx *Tx) error {
		phys, err := tx.counts(0, uint16(n-1))
		if err != nil {
			return err
		}
		if err := tx.verifyMap(); err != nil {
			return err
		}
		out = make([]encoding.Counts, n)
		for l := range out {
			if p := int(tx.Physical(uint16(l))); p < n {
				out[l] = phys[p]
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("key counts: %w", err)
	}
	return out, nil
}

// RepairCounts recomputes database db's counts from its metadata and
// corrects them through the repair shard, which only this repair writes.
// It reads the metadata and the shards in the transaction's snapshot, so
// changes committed after it started stay counted in their shards; two
// repairs conflict on the repair shard. It returns the correction made
// (zero when the counters were right). Its cost is a scan of the
// database's metadata in one transaction: it runs in the background.
func (d *DB) RepairCounts(ctx context.Context, db uint16) (encoding.Counts, error) {
	var fix encoding.Counts
	err := d.Update(ctx, db, func(tx *Tx) error {
		var real encoding.Counts
		prefix := d.keys.MetaPrefix(db)
		err := tx.rangeScan(prefix, encoding.PrefixEnd(prefix), 0, false, func(k, v []byte) (bool, error) {
			m, err := encoding.DecodeMeta(v)
			if err != nil {
				return false, fmt.Errorf("meta %q: %w", k, err)
			}
			real = real.Add(encoding.CountsOf(m))
			return true, nil
		})
		if err != nil {
			return err
		}
		cur, err := tx.counts(db, db)
		if err != nil {
			return err
		}
		fix = real.Sub(cur[0])
		if fix != (encoding.Counts{}) {
			k := d.keys.Counter(db, encoding.CounterShards)
			raw, err := tx.get(k)
			if err != nil {
				return err
			}
			c, err := encoding.DecodeCounts(raw)
			if err != nil {
				return err
			}
			if err := tx.set(k, encoding.EncodeCounts(c.Add(fix))); err != nil {
				return err
			}
		}
		return tx.indexShards(db)
	})
	if err != nil {
		return encoding.Counts{}, fmt.Errorf("repair counts of db %d: %w", db, err)
	}
	return fix, nil
}

// indexShards writes the missing counter index entries of database db's
// shards (the repair shard's, and those of a store written before the
// index existed): one BatchGet of the index entries of the shards that
// exist. The shards are in the transaction's cache (counts read them).
func (tx *Tx) indexShards(db uint16) error {
	var missing [][]byte
	for s, k := range tx.shardKeys(db) {
		raw, err := tx.get(k)
		if err != nil {
			return err
		}
		if raw != nil {
			missing = append(missing, tx.d.keys.CounterIndex(db, uint8(s)))
		}
	}
	if err := tx.prefetch(missing); err != nil {
		return err
	}
	for _, k := range missing {
		raw, err := tx.get(k)
		if err != nil {
			return err
		}
		if raw == nil {
			if err := tx.set(k, nil); err != nil {
				return err
			}
		}
	}
	return nil
}
