package db

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/titan-kv/titan/encoding"
)

// Staged writes. A string value longer than StageMin is written ahead of
// the command's transaction, in transactions of stageBatch chunks each,
// under a fresh object id that no key refers to yet; the command's
// transaction then only switches the key's metadata to that object. So the
// whole value never sits in one transaction's buffer (client-go's, then
// the embedded store's copies of it), while the switch stays atomic: a
// reader sees the old value until the small commit, then the new one.
//
// While chunks are written, the object's collector queue entry carries a
// time in the future (now + stageLease), which the collector skips: a
// crash mid-write leaves the old value visible and the written chunks to
// the collector once the lease ends. The command's transaction deletes the
// entry when it adopts the object (setValue); an object no command
// adopted (SET NX on an existing key, a failed command) is handed to the
// collector at once after the command.

// StageMin is the length above which SET, MSET and the like write their
// value in transactions of their own before the command's.
const StageMin = stageBatch * encoding.StringChunkSize

// stageBatch is how many chunks one staging transaction writes (4MB).
const stageBatch = 64

// stageLease is how long a staged object is kept from the collector after
// its last staging transaction.
const stageLease = 10 * time.Minute

// staged is a value written ahead under its own object.
type staged struct {
	value []byte
	obj   encoding.ObjectID
}

// stageJobs writes ahead the Stage values of jobs and makes their Fn see
// them. It returns a function to call once the jobs are done, which hands
// the objects no job adopted to the collector. A value whose staging
// fails is written by its command's transaction as usual.
func (d *DB) stageJobs(ctx context.Context, jobs []*Job) (release func()) {
	var all []staged
	for _, j := range jobs {
		if len(j.Stage) == 0 || j.ReadOnly {
			continue
		}
		var mine []staged
		for _, v := range j.Stage {
			if len(v) <= StageMin || len(v) > MaxStringLen {
				continue
			}
			s, err := d.stageValue(ctx, v)
			if err != nil {
				slog.Warn("staging a large value failed, writing it in the command's transaction", "bytes", len(v), "err", err)
				continue
			}
			mine = append(mine, s)
		}
		if len(mine) == 0 {
			continue
		}
		all = append(all, mine...)
		fn := j.Fn
		j.Fn = func(tx *Tx) error {
			tx.staged = mine
			defer func() { tx.staged = nil }()
			return fn(tx)
		}
	}
	if len(all) == 0 {
		return func() {}
	}
	return func() {
		for _, s := range all {
			if err := d.unstage(context.WithoutCancel(ctx), s.obj); err != nil {
				slog.Warn("handing a staged value to the collector failed; it is collected after its lease", "object", s.obj.String(), "err", err)
			}
		}
	}
}

// stageValue writes value's chunks under a fresh object, stageBatch
// chunks per transaction, the object's queue entry kept pending.
func (d *DB) stageValue(ctx context.Context, value []byte) (staged, error) {
	s := staged{value: value}
	n := encoding.StringChunks(int64(len(value)))
	for from := int64(0); from < n; from += stageBatch {
		err := d.Update(ctx, 0, func(tx *Tx) error {
			if from == 0 {
				s.obj = tx.newObject(encoding.TypeString).Object
			}
			lease := tx.now + stageLease.Milliseconds()
			if err := tx.set(d.keys.GC(s.obj), encoding.EncodeInt64(lease)); err != nil {
				return err
			}
			for i := from; i < min(from+stageBatch, n); i++ {
				lo := i * encoding.StringChunkSize
				hi := min(lo+encoding.StringChunkSize, int64(len(value)))
				if err := tx.set(tx.data(&encoding.Meta{Object: s.obj}, encoding.StringChunkSub(i)), value[lo:hi]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			if from > 0 {
				// What was written goes to the collector.
				_ = d.unstage(context.WithoutCancel(ctx), s.obj)
			}
			return s, fmt.Errorf("stage chunks %d of %d: %w", from, n, err)
		}
	}
	return s, nil
}

// unstage hands obj to the collector unless a command adopted it (deleted
// its queue entry).
func (d *DB) unstage(ctx context.Context, obj encoding.ObjectID) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.CommandTimeout)
	defer cancel()
	return d.Update(ctx, 0, func(tx *Tx) error {
		v, err := tx.get(d.keys.GC(obj))
		if err != nil || v == nil {
			return err
		}
		return tx.set(d.keys.GC(obj), encoding.EncodeInt64(tx.now))
	})
}

// adoptStaged makes m hold value if value was staged for this job: m then
// refers to the staged object, whose queue entry is deleted in this
// transaction. It reports whether it did.
func (tx *Tx) adoptStaged(m *encoding.Meta, value []byte) (bool, error) {
	if len(value) == 0 {
		return false, nil
	}
	for _, s := range tx.staged {
		if len(s.value) == len(value) && &s.value[0] == &value[0] {
			m.Chunked, m.Value, m.Object, m.Count = true, nil, s.obj, int64(len(value))
			return true, tx.del(tx.d.keys.GC(s.obj))
		}
	}
	return false, nil
}

// gcPending reports whether a collector queue entry's value says its
// object is still being staged at time now.
func gcPending(v []byte, now int64) bool {
	if len(v) < 8 {
		return false
	}
	at, err := encoding.DecodeInt64(v[:8])
	return err == nil && at > now
}
