package db

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"maps"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// BatchOptions configures the write batcher (group commit).
type BatchOptions struct {
	// Enabled turns batching on; off, every command runs in its own
	// transaction on the caller's goroutine.
	Enabled bool
	// MaxCommands bounds the commands in one shared transaction.
	MaxCommands int
	// Workers is the number of batches in flight at once. Commands queue
	// while that many are running, so the next batch grows with the load.
	Workers int
}

// Job is one command's work: Fn runs inside a transaction, possibly shared
// with other jobs, and possibly more than once (after a conflict), so it
// must only record its result, never act on the outside world.
type Job struct {
	// DB is the logical database the command addresses (what SELECT
	// names; the transaction maps it, dbmap.go).
	DB uint16
	// Keys are the command's user keys; the first routes the job, and all
	// have their metadata read in one request before the batch runs.
	Keys [][]byte
	// ReadOnly jobs never write.
	ReadOnly bool
	// Fn does the work. A UserError result rolls back only this job.
	Fn func(*Tx) error
	// NoPlan keeps the job out of the batch's planning pass, for work with
	// effects outside the transaction (a Lua script: its run time, SCRIPT
	// KILL, metrics), and for work that reads nothing but the metadata of
	// its Keys (string commands: the pass would only run it twice): it
	// then reads what it needs when it runs.
	NoPlan bool
	// Stage are values (of arguments) Fn may store as whole strings: those
	// over StageMin are written ahead in transactions of their own
	// (strings_stage.go).
	Stage [][]byte
	// Lock makes the job's batch take TiKV's pessimistic lock on the
	// metadata of its Keys before it reads, while they are contended
	// (hotlock.go): for keys every instance may write at once, such as a
	// stream's.
	Lock bool
	// Conn identifies the connection the job comes from (0: none): the
	// batcher tracks how often each submits, to start batches of more
	// than one command under load.
	Conn int64
	// Err is Fn's final result, set before Do returns.
	Err error
}

// Do runs a group of jobs in order and sets each job's Err. With batching
// on, the group shares a transaction with other connections' jobs; a
// failure of another job never changes these jobs' outcome, because a
// failing batch is retried job by job.
func (d *DB) Do(ctx context.Context, jobs ...*Job) {
	if len(jobs) == 0 {
		return
	}
	defer d.stageJobs(ctx, jobs)()
	if !d.batcher.enabled() || (len(jobs) == 1 && len(jobs[0].Keys) == 0 && jobs[0].ReadOnly) {
		d.runAlone(ctx, jobs)
		return
	}
	g := d.newGroup(jobs)
	g.lead = make(chan *batch, 1)
	if !d.batcher.submit(g) {
		d.runAlone(ctx, jobs)
		return
	}
	// The batch owns the jobs until done, whatever ctx says, so that Err
	// is set exactly once. Meanwhile this goroutine may be handed the
	// batch it belongs to, to run it.
	select {
	case bt := <-g.lead:
		d.batcher.run(bt)
	case <-g.done:
	}
}

// Pending is a group of jobs Submit handed to the batcher.
type Pending struct{ g *group }

// Done is closed once every job's Err is set.
func (p *Pending) Done() <-chan struct{} { return p.g.done }

// Submit hands jobs to the batcher like Do, but returns at once: the
// caller waits on Done (or stops waiting: the batch owns the jobs until
// done). When the group is the first of a batch, lead is called with the
// function that runs the batch, which lead must run on a goroutine of
// its own without waiting for it: so the submitter's goroutine never runs
// a batch, and a batch costs one hand-off instead of one per command.
// Submit returns nil for jobs Do must run: batching off, a lone
// keyless read, values to stage.
func (d *DB) Submit(lead func(run func()), jobs ...*Job) *Pending {
	if len(jobs) == 0 || !d.batcher.enabled() || (len(jobs) == 1 && len(jobs[0].Keys) == 0 && jobs[0].ReadOnly) {
		return nil
	}
	for _, j := range jobs {
		if j.ReadOnly {
			continue
		}
		for _, v := range j.Stage {
			if len(v) > StageMin {
				return nil
			}
		}
	}
	g := d.newGroup(jobs)
	g.leadFn = lead
	if !d.batcher.submit(g) {
		return nil
	}
	return &Pending{g}
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
			if len(j.Keys) == 0 {
				// No metadata to prefetch: the job's first read
				// carries the SWAPDB mapping (checkLazy).
				tx.use(j.DB)
				tx.lazyMap = true
				return safely(j.Fn, tx)
			}
			if err := tx.lockHot([]*Job{j}); err != nil {
				return err
			}
			// The SWAPDB mapping rides in the metadata's BatchGet.
			if err := tx.prefetch(slices.Concat(d.metaKeys(j), tx.counterKeys([]*Job{j}), tx.mapKeys())); err != nil {
				return err
			}
			if err := tx.Select(j.DB); err != nil {
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

// metaKeys are the metadata keys jobs name, through the cached SWAPDB
// mapping (a transaction that finds another one in its snapshot reads
// what it then needs one key at a time).
func (d *DB) metaKeys(jobs ...*Job) [][]byte {
	var keys [][]byte
	m := d.currentMap()
	for _, j := range jobs {
		for _, k := range j.Keys {
			keys = append(keys, d.keys.Meta(m.Physical(j.DB), k))
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

// group is the jobs one connection handed to Do together: they run in
// order in one batch.
type group struct {
	jobs []*Job
	// meta are the metadata keys the jobs name, in job order, for the
	// batch's one BatchGet.
	meta [][]byte
	// latches are the distinct metadata keys with their mode: write when
	// a job of the group writes the key, not when the group only reads it.
	// A slice: most groups name one key or a few.
	latches []latch
	index   map[string]int // the latches by key, for a long group
	// global groups hold a job that writes without naming its keys
	// (FLUSHDB): their batch runs with no other batch in flight.
	global bool
	conn   int64 // Job.Conn of the first job
	done   chan struct{}
	// lead hands the submitter the batch its group is the first of, to
	// run on its own goroutine: a batch never needs a goroutine of its
	// own (whose stack would grow anew, deep into client-go, every time).
	// Made by Do only (Submit sets leadFn instead).
	lead chan *batch
	// leadFn, when set (Submit), is given the batch to run instead of lead.
	leadFn func(run func())
}

func (d *DB) newGroup(jobs []*Job) *group {
	g := &group{jobs: jobs, conn: jobs[0].Conn, done: make(chan struct{})}
	m := d.currentMap()
	for _, j := range jobs {
		if len(j.Keys) == 0 && !j.ReadOnly {
			g.global = true
		}
		for _, k := range j.Keys {
			mk := d.keys.Meta(m.Physical(j.DB), k)
			g.meta = append(g.meta, mk)
			g.latch(string(mk), !j.ReadOnly)
		}
	}
	return g
}

// latch is one key a group holds while its batch is in flight.
type latch struct {
	key   string
	write bool
}

// latch adds key to g's latches, or upgrades it to write.
func (g *group) latch(key string, write bool) {
	i, ok := -1, false
	if g.index != nil {
		i, ok = g.index[key]
	} else {
		for j := range g.latches {
			if g.latches[j].key == key {
				i, ok = j, true
				break
			}
		}
	}
	if ok {
		g.latches[i].write = g.latches[i].write || write
		return
	}
	g.latches = append(g.latches, latch{key, write})
	switch {
	case g.index != nil:
		g.index[key] = len(g.latches) - 1
	case len(g.latches) > 16: // a long pipeline: look keys up in a map
		g.index = make(map[string]int, 2*len(g.latches))
		for j, l := range g.latches {
			g.index[l.key] = j
		}
	}
}

// batch is the groups that share one transaction.
type batch struct {
	groups []*group
	n      int
	// latches are the keys the batch holds while in flight (true:
	// exclusively, false: shared with other readers).
	latches   map[string]bool
	exclusive bool
}

// batcher forms batches from the groups of every connection, whatever
// their keys, and runs up to Workers of them at once. Batches in flight
// never share a key that one of them writes: each holds latches on its
// metadata keys (as TiKV's scheduler latches its commands), and a group
// whose keys are held waits in the queue and joins the next batch formed
// after the holder finished. So titan's own transactions never conflict in
// TiKV and never meet each other's locks, and the writers of a hot key
// queue up and share the next commit. The queue is only as long as the
// load makes it: a group that finds a free slot starts a batch at once, on
// its own goroutine.
type batcher struct {
	d      *DB
	opts   BatchOptions // b.mu; SetBatchOptions changes it
	on     atomic.Bool  // opts.Enabled, read without b.mu
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	idle    sync.Cond // signalled when nothing is in flight or queued
	pending []*group
	// queued counts the commands of pending.
	queued int
	// held counts the in-flight batches reading a key, or is -1 for the
	// one batch writing it.
	held      map[string]int
	inflight  int
	exclusive bool // a global batch is in flight
	closed    bool
	// waking is set while a timer will start the queue (eagerWait or
	// gatherWait).
	waking bool
	// conns are the connections' submission rates.
	conns conns
}

func newBatcher(d *DB, opts BatchOptions) *batcher {
	if opts.MaxCommands <= 0 {
		opts.MaxCommands = 256
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	b := &batcher{d: d, opts: opts, held: make(map[string]int)}
	b.on.Store(opts.Enabled)
	b.idle.L = &b.mu
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return b
}

func (b *batcher) enabled() bool { return b.on.Load() }

// submit queues g and starts what can start now: each batch formed is
// handed to the submitter of its first group (Do), so the batch holding g,
// if it could start, runs on the caller's goroutine. It reports false once
// the batcher is closed.
func (b *batcher) submit(g *group) bool {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return false
	}
	b.pending = append(b.pending, g)
	b.queued += len(g.jobs)
	b.conns.submitted(g.conn, time.Now())
	ready := b.kick()
	b.mu.Unlock()
	b.start(ready)
	return true
}

// kick starts what the queue should start now, or has a timer start it
// later. It starts everything it can once eagerStart commands wait, or,
// with nothing in flight, unless a group of another connection is
// expected within gatherGap (conns.nextSoon): under load, a batch started
// by the first command to arrive would be a transaction for one command
// while the others are on their way (two thirds of the batches of 50
// clients without pipelining were of one command), while a client alone,
// or beside clients that take their time, starts at once. Otherwise the
// timer starts the queue: a batch in flight may take long (a script, a
// big command, a slow store), so the queue waits for it at most
// eagerWait; with nothing in flight, it waits at most gatherWait.
// b.mu is held.
func (b *batcher) kick() []*batch {
	if len(b.pending) == 0 {
		return nil
	}
	if b.queued >= b.eagerStart() || (b.inflight == 0 && !b.conns.nextSoon(time.Now())) {
		return b.schedule()
	}
	if !b.waking {
		b.waking = true
		wait := eagerWait
		if b.inflight == 0 {
			wait = gatherWait
		}
		time.AfterFunc(wait, b.startQueued)
	}
	return nil
}

// start hands each batch formed to the submitter of its first group,
// which runs it on its own goroutine (Do). b.mu must not be held.
func (b *batcher) start(ready []*batch) {
	for _, bt := range ready {
		if g := bt.groups[0]; g.leadFn != nil {
			g.leadFn(func() { b.run(bt) })
		} else {
			g.lead <- bt
		}
	}
}

// eagerWait is the longest a queue short of eagerStart commands waits for
// a batch in flight to finish before it starts a batch of its own.
const eagerWait = 2 * time.Millisecond

// gatherWait is the longest a queue waits, with nothing in flight, for
// the groups of other connections.
const gatherWait = time.Millisecond

// startQueued starts what the queue can start now (eagerWait or
// gatherWait passed).
func (b *batcher) startQueued() {
	b.mu.Lock()
	b.waking = false
	var ready []*batch
	if !b.closed || len(b.pending) > 0 {
		ready = b.schedule()
	}
	b.mu.Unlock()
	b.start(ready)
}

// eagerStart is the number of queued commands that makes a submitter start
// a batch while another one is in flight (8 with the default max-commands).
// Below it, the queue waits for a batch in flight to finish (at most
// eagerWait), which then
// takes the whole queue: under load, batches grow instead of splitting the
// queue into many transactions of one or two commands (each transaction
// has a fixed cost in the store: a timestamp, a prewrite and a commit round
// trip, the counter shard), while a client alone finds nothing in flight
// and starts at once. It is kept small so that with a slow store (round
// trips, not CPU, bound the throughput) several batches still run at once:
// at a quarter of max-commands, 50 clients without pipelining ran one batch
// at a time and batching halved their throughput at 1 ms per request.
func (b *batcher) eagerStart() int {
	return max(1, b.opts.MaxCommands/32)
}

// schedule forms batches from the queue while slots are free. b.mu is held.
func (b *batcher) schedule() []*batch {
	var ready []*batch
	for b.inflight < b.opts.Workers && len(b.pending) > 0 && !b.exclusive {
		bt := b.form()
		if bt == nil {
			break
		}
		b.inflight++
		if bt.exclusive {
			b.exclusive = true
		}
		for k, w := range bt.latches {
			if w {
				b.held[k] = -1
			} else {
				b.held[k]++
			}
		}
		ready = append(ready, bt)
	}
	return ready
}

// form takes from the queue, in order, every group whose keys no batch in
// flight holds, up to MaxCommands. A group left behind blocks its keys for
// the groups after it, so that no one overtakes it on a key. b.mu is held.
func (b *batcher) form() *batch {
	bt := &batch{latches: make(map[string]bool)}
	var blocked map[string]bool // made when a group stays behind
	rest := b.pending[:0]
	stop := false
	for _, g := range b.pending {
		if !stop && bt.n > 0 && bt.n+len(g.jobs) > b.opts.MaxCommands {
			stop = true
		}
		if !stop && g.global && b.inflight > 0 {
			stop = true // waits for every batch in flight; no one overtakes it
		}
		if stop || !b.free(g, blocked) {
			if blocked == nil {
				blocked = make(map[string]bool)
			}
			for _, l := range g.latches {
				blocked[l.key] = true
			}
			rest = append(rest, g)
			continue
		}
		bt.groups = append(bt.groups, g)
		bt.n += len(g.jobs)
		bt.exclusive = bt.exclusive || g.global
		for _, l := range g.latches {
			bt.latches[l.key] = bt.latches[l.key] || l.write
		}
	}
	clear(b.pending[len(rest):])
	b.pending = rest
	b.queued -= bt.n
	if len(bt.groups) == 0 {
		return nil
	}
	return bt
}

// free reports whether g may run now: none of its keys is blocked by an
// earlier group, written by a batch in flight, or (if g writes it) read by
// one.
func (b *batcher) free(g *group, blocked map[string]bool) bool {
	for _, l := range g.latches {
		h := b.held[l.key]
		if blocked[l.key] || h < 0 || (l.write && h > 0) {
			return false
		}
	}
	return true
}

// finish releases bt's latches and starts what can start now.
func (b *batcher) finish(bt *batch) {
	b.mu.Lock()
	for k, w := range bt.latches {
		if w || b.held[k] == 1 {
			delete(b.held, k)
		} else {
			b.held[k]--
		}
	}
	if bt.exclusive {
		b.exclusive = false
	}
	b.inflight--
	for _, g := range bt.groups {
		b.conns.answered(g.conn)
	}
	ready := b.kick()
	if b.inflight == 0 && len(b.pending) == 0 {
		b.idle.Broadcast()
	}
	b.mu.Unlock()
	b.start(ready)
}

// close stops taking groups and waits for the queued and running ones.
func (b *batcher) close() {
	b.mu.Lock()
	b.closed = true
	for b.inflight > 0 || len(b.pending) > 0 {
		b.idle.Wait()
	}
	b.mu.Unlock()
	b.cancel()
}

// errJobFailed aborts a shared transaction when a job fails for a reason
// other than its input.
type errJobFailed struct{ err error }

func (e errJobFailed) Error() string { return e.err.Error() }

// run runs bt in one transaction, then releases its latches and answers
// its groups.
func (b *batcher) run(bt *batch) {
	b.execute(bt)
	b.finish(bt)
	for _, g := range bt.groups {
		close(g.done)
	}
}

func (b *batcher) execute(bt *batch) {
	d := b.d
	if d.metrics != nil {
		d.metrics.BatchSize.Observe(float64(bt.n))
	}
	var (
		readOnly bool
		all      []*Job
		meta     [][]byte
	)
	collect := func() {
		readOnly, all, meta = true, make([]*Job, 0, bt.n), nil
		for _, g := range bt.groups {
			for _, j := range g.jobs {
				readOnly = readOnly && j.ReadOnly
			}
			all = append(all, g.jobs...)
			meta = append(meta, g.meta...)
		}
	}
	collect()
	ctx, cancel := context.WithTimeout(b.ctx, d.opts.CommandTimeout)
	defer cancel()
	err := d.retry(ctx, func() error {
		tx, err := d.begin(ctx)
		if err != nil {
			return err
		}
		// Key counters (counters.go): the shard this batch updates is
		// read with the metadata, in the same BatchGet.
		defer tx.releaseCounter()
		defer tx.releaseHot()
		abort := func() { tx.t.Rollback() }
		if err := tx.lockHot(all); err != nil {
			abort()
			return err
		}
		if tx.hotLocked != nil && b.join(bt, tx.hotLocked) {
			collect() // batch_join.go
		}
		if err := tx.prefetch(slices.Concat(meta, tx.counterKeys(all), tx.mapKeys())); err != nil {
			abort()
			return err
		}
		if err := tx.verifyMap(); err != nil {
			abort()
			return err
		}
		if planned(all) {
			if err := tx.plan(all); err != nil {
				abort()
				return err
			}
		}
		for _, j := range all {
			tx.use(j.DB)
			tx.now = time.Now().UnixMilli()
			j.Err = tx.Sub(j.Fn)
			if j.Err != nil && !IsUserError(j.Err) {
				abort()
				return errJobFailed{j.Err}
			}
		}
		if readOnly {
			abort()
			return nil
		}
		return tx.commit()
	})
	if err == nil {
		return
	}
	// Isolate: a failed batch must not decide the fate of the jobs that had
	// nothing to do with the failure.
	if errors.Is(err, ErrUndetermined) || ctx.Err() != nil {
		// Undetermined: running again could apply a command twice. Out of
		// time: the store is down or overloaded, and running every command
		// again alone would only multiply the wait.
		for _, j := range all {
			j.Err = err
		}
		return
	}
	var jf errJobFailed
	if !errors.As(err, &jf) {
		slog.Warn("batch failed, retrying its commands one by one", "commands", bt.n, "err", err)
	}
	for _, g := range bt.groups {
		d.runAlone(b.ctx, g.jobs)
	}
}

// planned reports whether a batch of jobs gains from a planning pass:
// more than one job, one of which reads more than its keys' metadata.
func planned(jobs []*Job) bool {
	if len(jobs) < 2 {
		return false
	}
	for _, j := range jobs {
		if !j.NoPlan {
			return true
		}
	}
	return false
}

// plan reads in one BatchGet what the jobs will read one key at a time
// (a hash's fields, a set's members, a sorted set's scores...): it runs
// them once in a planning pass that sends nothing — a key missing from
// the cache is recorded and taken as absent, a scan stops the job — then
// throws away everything the pass wrote and fetches the recorded keys.
// Jobs only compute (they may run more than once), so the pass has no
// effect but the read; a read the pass could not foresee (one that
// depends on another) is still made when the job really runs.
func (tx *Tx) plan(jobs []*Job) error {
	mb := tx.t.GetMemBuffer()
	h := mb.Staging()
	objSeq, stale := tx.objSeq, maps.Clone(tx.stale)
	tx.planning = true
	for _, j := range jobs {
		if j.NoPlan {
			continue
		}
		tx.use(j.DB)
		tx.now = time.Now().UnixMilli()
		func() {
			// Answers made up by the pass may trip a job; it runs for real
			// next, where a failure counts.
			defer func() { _ = recover() }()
			_ = j.Fn(tx)
		}()
	}
	tx.planning = false
	mb.Cleanup(h)
	tx.objSeq, tx.stale = objSeq, stale
	keys := tx.planned
	tx.planned = nil
	return tx.prefetch(keys)
}

// gatherGap is the longest expected wait for the next command of another
// connection for which a queue with nothing in flight waits (batcher.kick).
const gatherGap = 500 * time.Microsecond

// conns tracks how often each connection submits, to tell how soon the
// next group of another connection is expected: under load (50 clients,
// each sending a command every few milliseconds) one arrives every 100-200
// µs, while beside a client alone, or one that takes its time, none is
// coming soon.
type conns struct {
	m map[int64]*connRate
	// recent are the last submitters, the only ones nextSoon looks at
	// (so its cost is bounded whatever the number of connections); mark
	// counts nextSoon's passes, to count each connection once.
	recent [64]*connRate
	next   int
	mark   uint64
}

// connRate is one connection's submissions.
type connRate struct {
	last     time.Time     // its last submission
	interval time.Duration // moving average of the time between them
	busy     bool          // its group is queued or in flight
	mark     uint64        // the nextSoon pass that counted it
}

// submitted notes a group of conn submitted at now.
func (cs *conns) submitted(conn int64, now time.Time) {
	if conn == 0 {
		return
	}
	if cs.m == nil {
		cs.m = make(map[int64]*connRate)
	}
	c := cs.m[conn]
	if c == nil {
		if len(cs.m) >= 4096 {
			cs.prune(now)
		}
		c = &connRate{}
		cs.m[conn] = c
	} else {
		t := now.Sub(c.last)
		if c.interval == 0 {
			c.interval = t
		} else {
			c.interval = (3*c.interval + t) / 4
		}
	}
	c.last, c.busy = now, true
	cs.recent[cs.next] = c
	cs.next = (cs.next + 1) % len(cs.recent)
}

// answered notes that conn's group was answered.
func (cs *conns) answered(conn int64) {
	if c := cs.m[conn]; c != nil {
		c.busy = false
	}
}

// nextSoon reports whether a group of a connection not already waiting
// is expected within gatherGap: the sum of the submission rates of the
// idle connections among the recent submitters, active lately (within a
// few of their intervals).
func (cs *conns) nextSoon(now time.Time) bool {
	rate := 0.0 // groups per second
	cs.mark++
	for _, c := range cs.recent {
		if c == nil || c.mark == cs.mark {
			continue
		}
		c.mark = cs.mark
		if c.busy || c.interval <= 0 || now.Sub(c.last) > 4*c.interval {
			continue
		}
		rate += float64(time.Second) / float64(c.interval)
		if rate*gatherGap.Seconds() >= 1 {
			return true
		}
	}
	return false
}

// prune drops the connections idle for a second (closed ones).
func (cs *conns) prune(now time.Time) {
	for id, c := range cs.m {
		if !c.busy && now.Sub(c.last) > time.Second {
			delete(cs.m, id)
		}
	}
}
