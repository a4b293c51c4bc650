// Package background runs the tasks one titan process at a time does for
// every process sharing the store: the active expirer, the collector of
// dropped collections' elements, the collector of expired SCAN cursors,
// the repair of the key counters, and the TiKV GC safe point (on the
// embedded store: its MVCC garbage collection, versions.go). A lease kept
// in the store picks the process that runs each task. This package decides
// when and where a task runs and how much it does per round; the
// transactions themselves are package db's (TryLease, ExpireDue,
// NextDropped, CollectChunk).
package background

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/store"
)

// Options configures the background tasks.
type Options struct {
	// Disabled turns every background task off in this process.
	Disabled bool
	// InstanceID names this process in leases; it must be unique. ""
	// generates one from the host name and process id.
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
	// CursorInterval is the pause between rounds of the collector of
	// expired SCAN cursor records.
	CursorInterval time.Duration
	// RepairInterval is the pause between recounts of the key counters
	// (the first runs when a process takes the lease).
	RepairInterval time.Duration
	// Databases is how many databases the key counter repair recounts.
	Databases int
	// VersionsChunks bounds the chunks of 256 keys one round of the
	// embedded store's MVCC GC covers (one round per GCInterval).
	VersionsChunks int
	// EmbeddedLifeTime is how much MVCC history the embedded store keeps
	// when that is less than GCLifeTime (0: GCLifeTime); see
	// EmbeddedLifeTime.
	EmbeddedLifeTime time.Duration
}

func (o *Options) defaults() {
	if o.InstanceID == "" {
		o.InstanceID = NewInstanceID()
	}
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
	if o.CursorInterval <= 0 {
		o.CursorInterval = time.Minute
	}
	if o.RepairInterval <= 0 {
		o.RepairInterval = time.Hour
	}
	if o.Databases <= 0 {
		o.Databases = 16
	}
	if o.VersionsChunks <= 0 {
		o.VersionsChunks = 16
	}
}

// NewInstanceID returns a name for this process, unique among the
// processes sharing a store: host name, process id and a random suffix.
func NewInstanceID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Tasks runs the background tasks of one titan process.
type Tasks struct {
	st      *store.Store
	d       *db.DB
	o       Options
	metrics *metrics.Metrics

	// Used only by the expire task's goroutine: see expireRound.
	expireWatermark int64
	expireRounds    int
	// Used only by the cursors task's goroutine: see cursorRound.
	cursorWatermark uint64
	cursorRounds    int
	// Used only by the versions task's goroutine: where its walk goes on.
	versionsCursor []byte
	// repairSince is when the running key counter repair began (unix
	// nanoseconds; 0: none runs): its scan is the one transaction of this
	// process not bounded by the command timeout, and the embedded
	// store's MVCC GC keeps the history it reads (historyKept).
	repairSince atomic.Int64
}

// New returns the background tasks of the process serving d over st,
// counting in m (may be nil). Nothing runs before Run.
func New(st *store.Store, d *db.DB, o Options, m *metrics.Metrics) *Tasks {
	o.defaults()
	return &Tasks{st: st, d: d, o: o, metrics: m}
}

// task is one leader-elected job: a round runs every interval.
type task struct {
	name     string
	interval time.Duration
	round    func(ctx context.Context, deadline time.Time) error
}

// Run runs the tasks until ctx ends, then releases their leases.
func (b *Tasks) Run(ctx context.Context) {
	if b.o.Disabled {
		return
	}
	tasks := []task{
		{"expire", b.o.ExpireInterval, b.expireRound},
		{"gc", b.o.GCInterval, b.collectRound},
		{"cursors", b.o.CursorInterval, b.cursorRound},
		{"counts", b.o.RepairInterval, b.repairRound},
	}
	// The safe point is TiKV's: the embedded store has no GC of its own,
	// and a lock scan over it blocks every other request while it runs.
	if b.o.SafePointInterval > 0 && !b.st.Embedded() {
		tasks = append(tasks, task{"safepoint", b.o.SafePointInterval, b.safePointRound})
	}
	if b.st.Embedded() {
		tasks = append(tasks, task{"versions", b.o.GCInterval, b.versionsRound})
	}
	done := make(chan struct{})
	for _, t := range tasks {
		go func() {
			defer func() { done <- struct{}{} }()
			b.runTask(ctx, t)
		}()
	}
	for range tasks {
		<-done
	}
}

// runTask takes or renews the task's lease every LeaseTTL/3 and, while it
// holds it, runs a round every interval. A round stops by LeaseTTL/2 after
// the renewal, so it always ends while the lease is still ours.
func (b *Tasks) runTask(ctx context.Context, t task) {
	tick := time.NewTicker(min(t.interval, b.o.LeaseTTL/3))
	defer tick.Stop()
	var lastRun time.Time
	for {
		select {
		case <-ctx.Done():
			logErr("release lease", b.d.ReleaseLease(context.Background(), t.name, b.o.InstanceID), "task", t.name)
			return
		case <-tick.C:
		}
		renewed := time.Now()
		leader, err := b.d.TryLease(ctx, t.name, b.o.InstanceID, b.o.LeaseTTL)
		logErr("background lease", err, "task", t.name)
		if b.metrics != nil {
			v := 0.0
			if leader {
				v = 1
			}
			b.metrics.TaskLeader.WithLabelValues(t.name).Set(v)
		}
		if !leader || time.Since(lastRun) < t.interval {
			continue
		}
		lastRun = time.Now()
		err = t.round(ctx, renewed.Add(b.o.LeaseTTL/2))
		logErr("background task", err, "task", t.name)
		if b.metrics != nil {
			result := "ok"
			if err != nil {
				result = "error"
			}
			b.metrics.TaskRuns.WithLabelValues(t.name, result).Inc()
		}
	}
}

func logErr(msg string, err error, args ...any) {
	if err != nil && !errors.Is(err, context.Canceled) {
		slog.Warn(msg, append(args, "err", err)...)
	}
}
