package db

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"
)

// BatchOptions configures the write batcher (group commit).
type BatchOptions struct {
	// Enabled turns batching on; off, every command runs in its own
	// transaction on the caller's goroutine.
	Enabled bool
	// MaxCommands bounds the commands in one shared transaction.
	MaxCommands int
	// Wait is how long a worker waits for more commands before it starts a
	// batch; 0 starts at once with whatever is queued (group commit).
	Wait time.Duration
	// Workers is the number of batches in flight at once. Commands are
	// routed to a worker by their first key, so writers of one key share
	// batches instead of conflicting in TiKV.
	Workers int
}

// Job is one command's work: Fn runs inside a transaction, possibly shared
// with other jobs, and possibly more than once (after a conflict), so it
// must only record its result, never act on the outside world.
type Job struct {
	// DB is the database index the command addresses.
	DB uint16
	// Keys are the command's user keys; the first routes the job, and all
	// have their metadata read in one request before the batch runs.
	Keys [][]byte
	// ReadOnly jobs never write.
	ReadOnly bool
	// Fn does the work. A UserError result rolls back only this job.
	Fn func(*Tx) error
	// Err is Fn's final result, set before Do returns.
	Err error
}

// Do runs a group of jobs in order and sets each job's Err. With batching
// on, the group shares a transaction with other connections' jobs routed
// to the same worker; a failure of another job never changes these jobs'
// outcome, because a failing batch is retried job by job.
func (d *DB) Do(ctx context.Context, jobs ...*Job) {
	if len(jobs) == 0 {
		return
	}
	if !d.batcher.enabled() || (len(jobs) == 1 && len(jobs[0].Keys) == 0) {
		d.runAlone(ctx, jobs)
		return
	}
	g := &group{jobs: jobs, done: make(chan struct{})}
	if !d.batcher.submit(ctx, g) {
		d.runAlone(ctx, jobs)
		return
	}
	select {
	case <-g.done:
	case <-ctx.Done():
		// The worker still owns the jobs; wait so Err is set exactly once.
		<-g.done
	}
}

// runAlone runs each job in a transaction of its own. Writers of the same
// key in this process still take turns (a striped lock per key), so that
// they do not turn into a storm of write conflicts in TiKV.
func (d *DB) runAlone(ctx context.Context, jobs []*Job) {
	for _, j := range jobs {
		if !j.ReadOnly {
			unlock := d.latches.lock(j.DB, j.Keys)
			d.runOne(ctx, j)
			unlock()
			continue
		}
		d.runOne(ctx, j)
	}
}

func (d *DB) runOne(ctx context.Context, j *Job) {
	ctx, cancel := context.WithTimeout(ctx, d.opts.CommandTimeout)
	defer cancel()
	{
		fn := func(tx *Tx) error {
			if err := tx.prefetch(d.metaKeys(j)); err != nil {
				return err
			}
			return safely(j.Fn, tx)
		}
		if j.ReadOnly {
			j.Err = d.View(ctx, j.DB, fn)
		} else {
			j.Err = d.Update(ctx, j.DB, fn)
		}
	}
}

// latches are striped per-key locks ordering this process's writers.
type latches struct {
	seed maphash.Seed
	mu   [1024]sync.Mutex
}

func newLatches() *latches { return &latches{seed: maphash.MakeSeed()} }

// lock takes the latches of keys in slot order (no deadlocks) and returns
// the function that releases them.
func (l *latches) lock(db uint16, keys [][]byte) func() {
	if len(keys) == 0 {
		return func() {}
	}
	slots := make([]int, 0, len(keys))
	for _, k := range keys {
		var h maphash.Hash
		h.SetSeed(l.seed)
		h.WriteByte(byte(db))
		h.WriteByte(byte(db >> 8))
		h.Write(k)
		slots = append(slots, int(h.Sum64()%uint64(len(l.mu))))
	}
	slices.Sort(slots)
	slots = slices.Compact(slots)
	for _, s := range slots {
		l.mu[s].Lock()
	}
	return func() {
		for _, s := range slots {
			l.mu[s].Unlock()
		}
	}
}

func (d *DB) metaKeys(jobs ...*Job) [][]byte {
	var keys [][]byte
	for _, j := range jobs {
		for _, k := range j.Keys {
			keys = append(keys, d.keys.Meta(j.DB, k))
		}
	}
	return keys
}

// Sub runs fn as a unit inside tx: if fn fails, everything it wrote is
// rolled back and the rest of the transaction is kept.
func (tx *Tx) Sub(fn func(*Tx) error) error {
	mb := tx.t.GetMemBuffer()
	h := mb.Staging()
	n := len(tx.changes)
	if err := safely(fn, tx); err != nil {
		mb.Cleanup(h)
		tx.changes = tx.changes[:n]
		return err
	}
	mb.Release(h)
	return nil
}

// safely runs fn, turning a panic into an error: a bug hit by one command
// must not take the server and every other client down with it.
func safely(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			slog.Error("command panicked", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("%w: %v", ErrInternal, r)
		}
	}()
	return fn(tx)
}

type group struct {
	jobs []*Job
	done chan struct{}
}

type batcher struct {
	d       *DB
	opts    BatchOptions
	queues  []chan *group
	seed    maphash.Seed
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closeMu sync.RWMutex
	closed  bool
}

func newBatcher(d *DB, opts BatchOptions) *batcher {
	if opts.MaxCommands <= 0 {
		opts.MaxCommands = 256
	}
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	b := &batcher{d: d, opts: opts, seed: maphash.MakeSeed()}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	if !opts.Enabled {
		return b
	}
	b.queues = make([]chan *group, opts.Workers)
	for i := range b.queues {
		b.queues[i] = make(chan *group, 1024)
		b.wg.Add(1)
		go b.work(b.queues[i])
	}
	return b
}

func (b *batcher) enabled() bool { return b.opts.Enabled }

func (b *batcher) submit(ctx context.Context, g *group) bool {
	b.closeMu.RLock()
	defer b.closeMu.RUnlock()
	if b.closed {
		return false
	}
	q := b.queues[0]
	for _, j := range g.jobs {
		if len(j.Keys) > 0 {
			q = b.queues[maphash.Bytes(b.seed, j.Keys[0])%uint64(len(b.queues))]
			break
		}
	}
	select {
	case q <- g:
		return true
	case <-ctx.Done():
		return false
	}
}

// close stops the workers after they finish what is queued.
func (b *batcher) close() {
	b.closeMu.Lock()
	if !b.closed {
		b.closed = true
		for _, q := range b.queues {
			close(q)
		}
	}
	b.closeMu.Unlock()
	b.wg.Wait()
	b.cancel()
}

func (b *batcher) work(q chan *group) {
	defer b.wg.Done()
	for g := range q {
		batch := []*group{g}
		n := len(g.jobs)
		if b.opts.Wait > 0 {
			time.Sleep(b.opts.Wait)
		}
	drain:
		for n < b.opts.MaxCommands {
			select {
			case g, ok := <-q:
				if !ok {
					break drain
				}
				batch = append(batch, g)
				n += len(g.jobs)
			default:
				break drain
			}
		}
		b.run(batch, n)
	}
}

// errJobFailed aborts a shared transaction when a job fails for a reason
// other than its input.
type errJobFailed struct{ err error }

func (e errJobFailed) Error() string { return e.err.Error() }

func (b *batcher) run(batch []*group, n int) {
	d := b.d
	if d.metrics != nil {
		d.metrics.BatchSize.Observe(float64(n))
	}
	readOnly := true
	var all []*Job
	for _, g := range batch {
		for _, j := range g.jobs {
			readOnly = readOnly && j.ReadOnly
			all = append(all, j)
		}
	}
	ctx, cancel := context.WithTimeout(b.ctx, d.opts.CommandTimeout)
	defer cancel()
	err := d.retry(ctx, func() error {
		tx, err := d.begin(ctx)
		if err != nil {
			return err
		}
		if err := tx.prefetch(d.metaKeys(all...)); err != nil {
			tx.t.Rollback()
			return err
		}
		for _, j := range all {
			tx.DB, tx.now = j.DB, time.Now().UnixMilli()
			j.Err = tx.Sub(j.Fn)
			if j.Err != nil && !IsUserError(j.Err) {
				tx.t.Rollback()
				return errJobFailed{j.Err}
			}
		}
		if readOnly {
			tx.t.Rollback()
			return nil
		}
		return tx.commit()
	})
	if err != nil {
		// Isolate: a failed batch must not decide the fate of the jobs
		// that had nothing to do with the failure.
		if errors.Is(err, ErrUndetermined) || ctx.Err() != nil {
			// Undetermined: running again could apply a command twice.
			// Out of time: the store is down or overloaded, and running
			// every command again alone would only multiply the wait.
			for _, j := range all {
				j.Err = err
			}
			for _, g := range batch {
				close(g.done)
			}
			return
		}
		var jf errJobFailed
		if !errors.As(err, &jf) {
			slog.Warn("batch failed, retrying its commands one by one", "commands", n, "err", err)
		}
		for _, g := range batch {
			d.runAlone(b.ctx, g.jobs)
		}
	}
	for _, g := range batch {
		close(g.done)
	}
}
