package db

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tikv/client-go/v2/oracle"

	"github.com/titan-kv/titan/encoding"
)

// BackgroundOptions configures the tasks that run on one titan process at
// a time, chosen by a lease kept in TiKV.
type BackgroundOptions struct {
	// Disabled turns every background task off in this process.
	Disabled bool
	// InstanceID names this process in leases; it must be unique.
	InstanceID string
	// LeaseTTL is how long a leader keeps a task without renewing it.
	LeaseTTL time.Duration
	// ExpireInterval is the pause between rounds of the active expirer.
	ExpireInterval time.Duration
	// ExpireBatch bounds the keys one expirer transaction removes.
	ExpireBatch int
	// GCInterval is the pause between rounds of the collector.
	GCInterval time.Duration
	// GCRate bounds the element keys the collector deletes per second.
	GCRate int
	// SafePointInterval is the pause between moves of the TiKV GC safe
	// point; 0 disables them.
	SafePointInterval time.Duration
	// GCLifeTime is how much MVCC history is kept behind the safe point.
	GCLifeTime time.Duration
}

func (o *BackgroundOptions) defaults() {
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 10 * time.Second
	}
	if o.ExpireInterval <= 0 {
		o.ExpireInterval = time.Second
	}
	if o.ExpireBatch <= 0 {
		o.ExpireBatch = 256
	}
	if o.GCInterval <= 0 {
		o.GCInterval = time.Second
	}
	if o.GCRate <= 0 {
		o.GCRate = 50000
	}
	if o.GCLifeTime <= 0 {
		o.GCLifeTime = 10 * time.Minute
	}
}

// RunBackground runs the leader-elected background tasks until ctx ends.
func (d *DB) RunBackground(ctx context.Context) {
	o := d.opts.Background
	if o.Disabled {
		return
	}
	o.defaults()
	tasks := []struct {
		name     string
		interval time.Duration
		round    func(context.Context, time.Time) error
	}{
		{"expire", o.ExpireInterval, d.expireRound},
		{"gc", o.GCInterval, d.collectRound},
	}
	// The safe point is TiKV's: the embedded store has no GC of its own,
	// and a lock scan over it blocks every other request while it runs.
	if o.SafePointInterval > 0 && !d.embedded {
		tasks = append(tasks, struct {
			name     string
			interval time.Duration
			round    func(context.Context, time.Time) error
		}{"safepoint", o.SafePointInterval, d.safePointRound})
	}
	done := make(chan struct{})
	for _, t := range tasks {
		go func() {
			defer func() { done <- struct{}{} }()
			d.runTask(ctx, o, t.name, t.interval, t.round)
		}()
	}
	for range tasks {
		<-done
	}
}

// runTask takes or renews the task's lease every LeaseTTL/3 and, while it
// holds it, runs a round every interval. A round stops by LeaseTTL/2 after
// the renewal, so it always ends while the lease is still ours.
func (d *DB) runTask(ctx context.Context, o BackgroundOptions, name string, interval time.Duration, round func(context.Context, time.Time) error) {
	tick := time.NewTicker(min(interval, o.LeaseTTL/3))
	defer tick.Stop()
	var lastRun time.Time
	for {
		select {
		case <-ctx.Done():
			d.releaseLease(name, o.InstanceID)
			return
		case <-tick.C:
		}
		renewed := time.Now()
		leader, err := d.acquireLease(ctx, name, o.InstanceID, o.LeaseTTL)
		logErr("background lease", err, "task", name)
		if d.metrics != nil {
			v := 0.0
			if leader {
				v = 1
			}
			d.metrics.TaskLeader.WithLabelValues(name).Set(v)
		}
		if !leader || time.Since(lastRun) < interval {
			continue
		}
		lastRun = time.Now()
		err = round(ctx, renewed.Add(o.LeaseTTL/2))
		logErr("background task", err, "task", name)
		if d.metrics != nil {
			result := "ok"
			if err != nil {
				result = "error"
			}
			d.metrics.TaskRuns.WithLabelValues(name, result).Inc()
		}
	}
}

// acquireLease takes or renews the lease of task for owner and reports
// whether owner holds it. Several processes may race; the transaction
// conflict picks one.
func (d *DB) acquireLease(ctx context.Context, task, owner string, ttl time.Duration) (bool, error) {
	key := d.keys.System("lease/" + task)
	var held bool
	err := d.Update(ctx, 0, func(tx *Tx) error {
		held = false
		v, err := tx.get(key)
		if err != nil {
			return err
		}
		if cur, until, ok := decodeLease(v); ok && cur != owner && until > tx.now {
			return nil
		}
		held = true
		return tx.set(key, encodeLease(owner, tx.now+ttl.Milliseconds()))
	})
	return held, err
}

func (d *DB) releaseLease(task, owner string) {
	key := d.keys.System("lease/" + task)
	err := d.Update(context.Background(), 0, func(tx *Tx) error {
		v, err := tx.get(key)
		if err != nil {
			return err
		}
		if cur, _, ok := decodeLease(v); ok && cur == owner {
			return tx.del(key)
		}
		return nil
	})
	logErr("release lease", err, "task", task)
}

func encodeLease(owner string, until int64) []byte {
	return append(encoding.EncodeInt64(until), owner...)
}

func decodeLease(v []byte) (owner string, until int64, ok bool) {
	if len(v) < 8 {
		return "", 0, false
	}
	until, _ = encoding.DecodeInt64(v[:8])
	return string(v[8:]), until, true
}

// rawMeta reads key's metadata whether or not it expired.
func (tx *Tx) rawMeta(key []byte) (*encoding.Meta, error) {
	raw, err := tx.get(tx.d.keys.Meta(tx.DB, key))
	if err != nil || raw == nil {
		return nil, err
	}
	return encoding.DecodeMeta(raw)
}

// expireSkew is how far behind the leader's clock another process's clock
// may be and still have its expiry index entries found at once.
const expireSkew = 5 * time.Second

// expireRound removes keys whose expiry passed, walking the expiry index
// in time order, one bounded transaction at a time.
func (d *DB) expireRound(ctx context.Context, deadline time.Time) error {
	o := d.opts.Background
	o.defaults()
	// Processed entries stay behind as MVCC tombstones until the GC safe
	// point passes them; start from a little before the last round's
	// watermark rather than from the first entry, and rescan everything
	// now and then for entries written late by a process with a slow clock.
	d.expireRounds++
	from := d.keys.ExpirePrefix()
	if wm := d.expireWatermark; wm > 0 && d.expireRounds%60 != 0 {
		from = d.keys.ExpireUntil(wm - expireSkew.Milliseconds())
	}
	for ctx.Err() == nil && time.Now().Before(deadline) {
		var entries, expired int
		var now int64
		err := d.Update(ctx, 0, func(tx *Tx) error {
			entries, expired, now = 0, 0, tx.now
			until := d.keys.ExpireUntil(tx.now + 1)
			var found [][]byte
			err := tx.scan(from, until, o.ExpireBatch, func(k, _ []byte) (bool, error) {
				found = append(found, append([]byte(nil), k...))
				return true, nil
			})
			if err != nil {
				return err
			}
			entries = len(found)
			for _, e := range found {
				at, db, key, err := d.keys.DecodeExpire(e)
				if err != nil {
					return err
				}
				tx.DB = db
				m, err := tx.rawMeta(key)
				if err != nil {
					return err
				}
				if m != nil && m.ExpireAt == at && m.Expired(tx.now) {
					if err := tx.dropObject(m); err != nil {
						return err
					}
					if err := tx.del(d.keys.Meta(db, key)); err != nil {
						return err
					}
					expired++
				}
				if err := tx.del(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("expire: %w", err)
		}
		if d.metrics != nil {
			d.metrics.KeysExpired.Add(float64(expired))
		}
		if entries < o.ExpireBatch {
			d.expireWatermark = now
			return nil
		}
	}
	return ctx.Err()
}

// collectRound deletes the elements of dropped collections, at most
// GCRate keys per second of GCInterval.
func (d *DB) collectRound(ctx context.Context, deadline time.Time) error {
	o := d.opts.Background
	o.defaults()
	budget := max(int(float64(o.GCRate)*o.GCInterval.Seconds()), 1)
	for budget > 0 && ctx.Err() == nil && time.Now().Before(deadline) {
		var id encoding.ObjectID
		var resume []byte
		var found bool
		err := d.View(ctx, 0, func(tx *Tx) error {
			return tx.scan(d.keys.GCPrefix(), encoding.PrefixEnd(d.keys.GCPrefix()), 1, func(k, v []byte) (bool, error) {
				var err error
				id, err = d.keys.DecodeGC(k)
				found = err == nil
				if len(v) > 8 {
					resume = bytes.Clone(v[8:])
				}
				return false, err
			})
		})
		if err != nil || !found {
			return err
		}
		done, n, err := d.collectObject(ctx, deadline, id, resume, budget)
		budget -= n
		if d.metrics != nil {
			d.metrics.GCKeysDeleted.Add(float64(n))
			if done {
				d.metrics.GCObjects.Inc()
			}
		}
		if err != nil {
			return fmt.Errorf("collect object %s: %w", id, err)
		}
	}
	return ctx.Err()
}

// collectObject deletes up to budget elements of object id in chunks,
// starting after the element key resume (where an earlier round stopped;
// the deleted keys before it would otherwise be scanned again). The queue
// entry records the progress and is removed once the object is empty.
func (d *DB) collectObject(ctx context.Context, deadline time.Time, id encoding.ObjectID, resume []byte, budget int) (done bool, deleted int, err error) {
	const chunk = 512
	prefix := d.keys.DataPrefix(id)
	from := prefix
	if resume != nil {
		from = append(bytes.Clone(resume), 0) // the next key after resume
	}
	for deleted < budget && ctx.Err() == nil && time.Now().Before(deadline) {
		limit := min(chunk, budget-deleted)
		var n int
		var last []byte
		err := d.Update(ctx, 0, func(tx *Tx) error {
			n, last = 0, nil
			err := tx.scan(from, encoding.PrefixEnd(prefix), limit, func(k, _ []byte) (bool, error) {
				n++
				last = bytes.Clone(k)
				return true, tx.del(last)
			})
			if err != nil {
				return err
			}
			if n < limit {
				return tx.del(d.keys.GC(id))
			}
			progress := append(encoding.EncodeInt64(tx.now), last...)
			return tx.set(d.keys.GC(id), progress)
		})
		if err != nil {
			return false, deleted, err
		}
		deleted += n
		if n < limit {
			return true, deleted, nil
		}
		from = append(last, 0)
	}
	return false, deleted, nil
}

// safePointRound moves the TiKV GC safe point to GCLifeTime ago, so TiKV
// drops MVCC versions older than that (there is no TiDB to do it).
func (d *DB) safePointRound(ctx context.Context, _ time.Time) error {
	o := d.opts.Background
	o.defaults()
	at := time.Now().Add(-o.GCLifeTime)
	sp, err := d.store.GC(ctx, oracle.GoTimeToTS(at))
	if err != nil {
		return fmt.Errorf("advance gc safe point: %w", err)
	}
	if d.metrics != nil {
		d.metrics.GCSafePoint.Set(float64(oracle.GetTimeFromTS(sp).Unix()))
	}
	slog.Debug("gc safe point advanced", "safepoint", oracle.GetTimeFromTS(sp))
	return nil
}
