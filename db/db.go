// Package db implements Redis data types over TiKV transactions: the
// transaction helper with retries, the write batcher, the metadata layer,
// the per-type views, and the transactional steps of the background tasks
// (leases, expiry, collection) that package background schedules. The
// store comes from package store; byte layouts from package encoding.
package db

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/tikv/client-go/v2/tikvrpc/interceptor"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/store"
)

// Options configures a DB.
type Options struct {
	// Namespace prefixes every key, so several deployments can share a cluster.
	Namespace string
	// MaxRetries bounds the retries of a transaction after write conflicts.
	MaxRetries int
	// CommandTimeout bounds the time a command (or a batch) may spend in
	// the store, retries included; 0 means 30s.
	CommandTimeout time.Duration
	// OnePC and AsyncCommit enable client-go's commit optimisations.
	OnePC, AsyncCommit bool
	// Batch configures the write batcher.
	Batch BatchOptions
}

// DB is titan's data layer over one TiKV store. Several DBs may share a
// store, as several titan processes share a cluster.
type DB struct {
	store    *store.Store
	keys     encoding.Keys
	opts     Options
	metrics  *metrics.Metrics
	countRPC interceptor.RPCInterceptor
	batcher  *batcher
	latches  *latches
	health   health
	hooks    hooks
	// counterSlots spreads this process's transactions over the key
	// counter shards (counters.go).
	counterSlots *counterSlots
	// dbmap caches the SWAPDB mapping last seen (dbmap.go); mapKeyB is
	// its system key.
	dbmap   atomic.Pointer[encoding.DBMap]
	mapKeyB []byte
	// swapWait wakes writers waiting for a SWAPDB in progress (swapdb.go).
	swapWait swapWaiters
	// hot paces this process's turns on hot keys (hotlock.go).
	hot *hotLocks
}

// New returns a DB over st, an opened store, counting in m (may be nil).
// Closing the DB leaves st open.
func New(st *store.Store, opts Options, m *metrics.Metrics) *DB {
	if opts.Namespace == "" {
		opts.Namespace = "titan"
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 30
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 30 * time.Second
	}
	// Every transaction's interceptor counts its requests and turns a
	// prewrite's live locks into write conflicts.
	d := &DB{store: st, keys: encoding.NewKeys(opts.Namespace), opts: opts, metrics: m,
		countRPC: interceptor.ChainRPCInterceptors(store.CountRequests(m), store.ConflictOnLiveLocks())}
	d.batcher = newBatcher(d, opts.Batch)
	d.latches = newLatches()
	d.counterSlots = newCounterSlots()
	d.mapKeyB = d.keys.System(dbMapKey)
	d.hot = newHotLocks()
	return d
}

// Close stops the write batcher. The store stays open.
func (d *DB) Close() error {
	d.batcher.close()
	return nil
}

// Embedded reports whether the DB runs on the in-process store.
func (d *DB) Embedded() bool { return d.store.Embedded() }

// Ping checks that the store answers by reading one key.
func (d *DB) Ping(ctx context.Context) error {
	return d.View(ctx, 0, func(tx *Tx) error {
		_, err := tx.get(d.keys.System("ping"))
		return err
	})
}
