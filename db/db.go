// Package db implements Redis data types over TiKV transactions: the store
// (embedded or a real cluster), the transaction helper with retries, the
// write batcher, expiry, and the background collector. Byte layouts come
// from package encoding; replies are built by package command.
package db

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pingcap/kvproto/pkg/errorpb"
	"github.com/tikv/client-go/v2/kv"
	"github.com/tikv/client-go/v2/testutils"
	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"
	"github.com/tikv/client-go/v2/txnkv"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/metrics"
)

// Options configures a DB.
type Options struct {
	// Store is "" for the embedded store, or "tikv://pd1:2379,pd2:2379".
	Store string
	// DataDir holds the embedded store; "" keeps it in memory (tests).
	DataDir string
	// Namespace prefixes every key, so several deployments can share a cluster.
	Namespace string
	// RPCDelay is added to every request the embedded store serves, to
	// imitate a real cluster's network.
	RPCDelay time.Duration
	// MaxRetries bounds the retries of a transaction after write conflicts.
	MaxRetries int
	// CommandTimeout bounds the time a command (or a batch) may spend in
	// the store, retries included; 0 means 30s.
	CommandTimeout time.Duration
	// OnePC and AsyncCommit enable client-go's commit optimisations.
	OnePC, AsyncCommit bool
	// Batch configures the write batcher.
	Batch BatchOptions
	// Background configures expiry, the collector and the safe point.
	Background BackgroundOptions

	// fault, when set, fails embedded-store requests while it returns an
	// error: tests use it to take the store down.
	fault func() error
}

// DB is titan's data layer over one TiKV store.
type DB struct {
	store    *tikv.KVStore
	closeFn  func() error
	keys     encoding.Keys
	opts     Options
	metrics  *metrics.Metrics
	batcher  *batcher
	latches  *latches
	embedded bool

	// Used only by the expire task's goroutine: see expireRound.
	expireWatermark int64
	expireRounds    int
}

// Open connects to the store named in opts.
func Open(ctx context.Context, opts Options, m *metrics.Metrics) (*DB, error) {
	if opts.Namespace == "" {
		opts.Namespace = "titan"
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 30
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 30 * time.Second
	}
	d := &DB{keys: encoding.NewKeys(opts.Namespace), opts: opts, metrics: m}
	var err error
	switch {
	case opts.Store == "":
		err = d.openEmbedded()
	case strings.HasPrefix(opts.Store, "tikv://"):
		err = d.openCluster(ctx)
	default:
		err = fmt.Errorf("store %q: want empty (embedded) or tikv://pd1:2379,pd2:2379", opts.Store)
	}
	if err != nil {
		return nil, err
	}
	d.batcher = newBatcher(d, opts.Batch)
	d.latches = newLatches()
	return d, nil
}

func (d *DB) openEmbedded() error {
	path := d.opts.DataDir
	if path != "" {
		path = filepath.Join(path, "kv")
		if err := os.MkdirAll(path, 0o755); err != nil {
			return fmt.Errorf("embedded store: %w", err)
		}
	}
	client, cluster, pd, err := testutils.NewMockTiKV(path, nil)
	if err != nil {
		return fmt.Errorf("embedded store in %q: %w", path, err)
	}
	testutils.BootstrapWithSingleStore(cluster)
	// Commit every transaction in one batch. With the default 16KB batches
	// client-go commits all but the first batch in the background, and a
	// read that meets one of those locks makes the embedded store resolve
	// it by scanning its whole key space under its global lock, stalling
	// every request. (One process owns the embedded store, so this global
	// client-go setting affects nothing else.)
	kv.TxnCommitBatchSize.Store(embeddedCommitBatch)
	var hijack func(tikv.Client) tikv.Client
	if d.opts.RPCDelay > 0 || d.opts.fault != nil {
		hijack = func(c tikv.Client) tikv.Client {
			return &delayClient{Client: c, delay: d.opts.RPCDelay, fault: d.opts.fault}
		}
	}
	store, err := tikv.NewTestTiKVStore(client, pd, hijack, nil, 0)
	if err != nil {
		return fmt.Errorf("embedded store: %w", err)
	}
	d.store, d.closeFn, d.embedded = store, store.Close, true
	return nil
}

func (d *DB) openCluster(ctx context.Context) error {
	u, err := url.Parse(d.opts.Store)
	if err != nil || u.Host == "" {
		return fmt.Errorf("store %q: want tikv://pd1:2379,pd2:2379", d.opts.Store)
	}
	pds := strings.Split(u.Host, ",")
	type result struct {
		c   *txnkv.Client
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := txnkv.NewClient(pds)
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return fmt.Errorf("connect to PD %v: %w", pds, r.err)
		}
		d.store, d.closeFn = r.c.KVStore, r.c.Close
		return nil
	case <-ctx.Done():
		return fmt.Errorf("connect to PD %v: %w", pds, ctx.Err())
	}
}

// Peer returns another DB over the same store, configured by opts, as a
// second titan process sharing the cluster would be. Closing the peer
// leaves the store open. Tests use it to run several instances in one
// process on the embedded store, which one process owns.
func (d *DB) Peer(opts Options, m *metrics.Metrics) *DB {
	opts.Store, opts.DataDir, opts.RPCDelay = d.opts.Store, d.opts.DataDir, d.opts.RPCDelay
	if opts.Namespace == "" {
		opts.Namespace = d.opts.Namespace
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = d.opts.MaxRetries
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = d.opts.CommandTimeout
	}
	p := &DB{store: d.store, closeFn: func() error { return nil }, keys: encoding.NewKeys(opts.Namespace),
		opts: opts, metrics: m, embedded: d.embedded}
	p.batcher = newBatcher(p, opts.Batch)
	p.latches = newLatches()
	return p
}

// Close stops background work and closes the store.
func (d *DB) Close() error {
	d.batcher.close()
	return d.closeFn()
}

// Embedded reports whether the DB runs on the in-process store.
func (d *DB) Embedded() bool { return d.embedded }

// embeddedCommitBatch is the commit batch size used with the embedded store.
const embeddedCommitBatch = 256 << 20

// delayClient adds a fixed delay to every TiKV request.
type delayClient struct {
	tikv.Client
	delay time.Duration
	fault func() error
}

func (c *delayClient) SendRequest(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	if c.fault != nil {
		if err := c.fault(); err != nil {
			// An overloaded TiKV answers like this; client-go backs off
			// and retries until the command's deadline.
			return tikvrpc.GenRegionErrorResp(req, &errorpb.Error{
				Message: err.Error(), ServerIsBusy: &errorpb.ServerIsBusy{Reason: err.Error()}})
		}
	}
	if c.delay <= 0 {
		return c.Client.SendRequest(ctx, addr, req, timeout)
	}
	t := time.NewTimer(c.delay)
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
		return nil, ctx.Err()
	}
	return c.Client.SendRequest(ctx, addr, req, timeout)
}

// Ping checks that the store answers by reading one key.
func (d *DB) Ping(ctx context.Context) error {
	return d.View(ctx, 0, func(tx *Tx) error {
		_, err := tx.get(d.keys.System("ping"))
		return err
	})
}

func logErr(msg string, err error, args ...any) {
	if err != nil && !errors.Is(err, context.Canceled) {
		slog.Warn(msg, append(args, "err", err)...)
	}
}
