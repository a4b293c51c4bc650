package db

import (
	"context"
	"fmt"
	"math/rand/v2"
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
// again). Each process starts at a random shard and each claim after the
// last one claimed (every shard then holds 1/64 of the versions: on the
// embedded store, reading a key costs more the more often it was written
// since the last compaction); two processes meet on a shard only when
// both happen to hold it at once, which a retry resolves. A shard is free again when the transaction that
// claimed it has committed (Tx.commit) before the claiming transaction
// began, or slotLease after the claim for a transaction that never
// committed.
type counterSlots struct {
	mu    sync.Mutex
	base  int
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
	return &counterSlots{base: rand.IntN(encoding.CounterShards)}
}

// counterClaim is the shard one transaction writes its counts to.
type counterClaim struct {
	shard uint8
	// set once the shard is picked; held while this transaction holds
	// it in counterSlots.
	set, held bool
}

// claim picks a shard for a transaction that began at unix ms begun: one
// whose last holder was done before that, else any one not held, else a
// random one.
func (s *counterSlots) claim(begun int64) counterClaim {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	fallback := -1
	for i := range encoding.CounterShards {
		j := (s.base + i) % encoding.CounterShards
		sl := &s.slots[j]
		if sl.held && now.Sub(sl.since) <= slotLease {
			continue
		}
		if sl.held || sl.released < begun {
			s.base = j + 1 // the next claim starts after it: writes spread over every shard
			*sl = counterSlot{held: true, since: now}
			return counterClaim{shard: uint8(j), set: true, held: true}
		}
		if fallback < 0 {
			fallback = j
		}
	}
	if fallback >= 0 {
		s.slots[fallback] = counterSlot{held: true, since: now}
		return counterClaim{shard: uint8(fallback), set: true, held: true}
	}
	return counterClaim{shard: uint8(rand.IntN(encoding.CounterShards)), set: true}
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
	if !tx.counter.set {
		tx.counter = tx.d.counterSlots.claim(tx.now)
	}
	k := tx.d.keys.Counter(db, tx.counter.shard)
	raw, err := tx.get(k)
	if err != nil {
		return err
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

// counts merges database db's counter shards (the repair shard included).
func (tx *Tx) counts(dbs ...uint16) ([]encoding.Counts, error) {
	keys := make([][]byte, 0, len(dbs)*(encoding.CounterShards+1))
	for _, db := range dbs {
		for s := 0; s <= encoding.CounterShards; s++ {
			keys = append(keys, tx.d.keys.Counter(db, uint8(s)))
		}
	}
	if err := tx.prefetch(keys); err != nil {
		return nil, err
	}
	out := make([]encoding.Counts, len(dbs))
	for i, k := range keys {
		raw, err := tx.get(k)
		if err != nil {
			return nil, err
		}
		c, err := encoding.DecodeCounts(raw)
		if err != nil {
			return nil, fmt.Errorf("counter %q: %w", k, err)
		}
		db := i / (encoding.CounterShards + 1)
		out[db] = out[db].Add(c)
	}
	return out, nil
}

// KeyCounts returns the counts of databases 0 to n-1 (INFO keyspace), in
// one read.
func (d *DB) KeyCounts(ctx context.Context, n int) ([]encoding.Counts, error) {
	dbs := make([]uint16, n)
	for i := range dbs {
		dbs[i] = uint16(i)
	}
	var out []encoding.Counts
	err := d.View(ctx, 0, func(tx *Tx) (err error) {
		out, err = tx.counts(dbs...)
		return err
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
		cur, err := tx.counts(db)
		if err != nil {
			return err
		}
		fix = real.Sub(cur[0])
		if fix == (encoding.Counts{}) {
			return nil
		}
		k := d.keys.Counter(db, encoding.CounterShards)
		raw, err := tx.get(k)
		if err != nil {
			return err
		}
		c, err := encoding.DecodeCounts(raw)
		if err != nil {
			return err
		}
		return tx.set(k, encoding.EncodeCounts(c.Add(fix)))
	})
	if err != nil {
		return encoding.Counts{}, fmt.Errorf("repair counts of db %d: %w", db, err)
	}
	return fix, nil
}
