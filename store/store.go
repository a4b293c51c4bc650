// Package store opens the TiKV store titan keeps its data in: the
// embedded client-go MVCC store (one process, on disk or in memory) or a
// real cluster through PD. It also holds the RPC interceptors.
package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tikv/client-go/v2/oracle"
	"github.com/tikv/client-go/v2/testutils"
	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"
	"github.com/tikv/client-go/v2/txnkv"
)

// Options configures Open.
type Options struct {
	// Address is "" for the embedded store, or "tikv://pd1:2379,pd2:2379".
	Address string
	// DataDir holds the embedded store; "" keeps it in memory (tests).
	DataDir string
	// RPCDelay is added to every request the embedded store serves, to
	// imitate a real cluster's network.
	RPCDelay time.Duration
	// Fault, when set, is asked before every request the embedded store
	// serves; while it returns an error, requests are answered like an
	// overloaded TiKV answers them. Tests use it to take the store down.
	Fault func(*tikvrpc.Request) error
}

// Store is an open TiKV store, embedded or a cluster. Several titan
// databases (db.DB) may share one Store; closing them leaves it open.
type Store struct {
	kv       *tikv.KVStore
	closeFn  func() error
	embedded bool
	// mvcc is the embedded store's MVCC layer (nil for a cluster), for
	// CollectVersions.
	mvcc testutils.MVCCStore
}

// Open opens the store named in o. ctx bounds connecting to PD.
func Open(ctx context.Context, o Options) (*Store, error) {
	switch {
	case o.Address == "":
		return openEmbedded(o)
	case strings.HasPrefix(o.Address, "tikv://"):
		return openCluster(ctx, o.Address)
	default:
		return nil, fmt.Errorf("store %q: want empty (embedded) or tikv://pd1:2379,pd2:2379", o.Address)
	}
}

// KV returns the client-go store transactions begin on.
func (s *Store) KV() *tikv.KVStore { return s.kv }

// Embedded reports whether this is the in-process store.
func (s *Store) Embedded() bool { return s.embedded }

// Close closes the store. Every database over it must be closed first.
func (s *Store) Close() error {
	if err := s.closeFn(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// AdvanceSafePoint moves TiKV's GC safe point to at, so TiKV may drop MVCC
// versions older than that, and returns the safe point now in force.
func (s *Store) AdvanceSafePoint(ctx context.Context, at time.Time) (time.Time, error) {
	sp, err := s.kv.GC(ctx, oracle.GoTimeToTS(at))
	if err != nil {
		return time.Time{}, fmt.Errorf("advance gc safe point: %w", err)
	}
	return oracle.GetTimeFromTS(sp), nil
}

func openCluster(ctx context.Context, address string) (*Store, error) {
	u, err := url.Parse(address)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("store %q: want tikv://pd1:2379,pd2:2379", address)
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
			return nil, fmt.Errorf("connect to PD %v: %w", pds, r.err)
		}
		return &Store{kv: r.c.KVStore, closeFn: r.c.Close}, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("connect to PD %v: %w", pds, ctx.Err())
	}
}

// openEmbedded opens client-go's MVCC store with a single region on a
// single store, in o.DataDir/kv (in memory when DataDir is "").
//
// It builds the KVStore itself rather than with client-go's test
// constructor, for one difference: client-go commits the secondary keys
// of a transaction (all but the batch holding the primary key) on the
// store's goroutine pool, after Commit returned. A read that meets one of
// those locks makes the embedded store resolve it by scanning its whole
// key space under its global lock, stalling every request. syncPool runs
// that work before Commit returns, so no reader meets our own committed
// transaction's locks, and no process-global client-go setting is needed.
//
// The test constructor also wraps the client in client-go's API v1 codec;
// that codec passes keys through unchanged and only rewrites the ranges
// of EpochNotMatch/KeyNotInRegion region errors, which a single region
// that never splits does not produce, so the client is used unwrapped.
// The PD client keeps its codec, as in a cluster: region boundaries
// travel in TiKV's memcomparable form.
func openEmbedded(o Options) (*Store, error) {
	path := o.DataDir
	if path != "" {
		path = filepath.Join(path, "kv")
		if err := os.MkdirAll(path, 0o755); err != nil {
			return nil, fmt.Errorf("embedded store: %w", err)
		}
	}
	// The only public way to client-go's MVCC store.
	client, cluster, pd, err := testutils.NewMockTiKV(path, nil)
	if err != nil {
		return nil, fmt.Errorf("embedded store in %q: %w", path, err)
	}
	testutils.BootstrapWithSingleStore(cluster)
	var rpc tikv.Client = client
	if o.RPCDelay > 0 || o.Fault != nil {
		rpc = &faultClient{Client: client, delay: o.RPCDelay, fault: o.Fault}
	}
	kv, err := tikv.NewKVStore(embeddedUUID(), tikv.NewCodecPDClient(tikv.ModeTxn, pd),
		tikv.NewMockSafePointKV(), rpc, tikv.WithPool(syncPool{}))
	if err != nil {
		client.Close()
		pd.Close()
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	return &Store{kv: kv, closeFn: kv.Close, embedded: true, mvcc: client.MvccStore}, nil
}

// embeddedUUID names one embedded store in client-go's registries.
func embeddedUUID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "titan-embedded-" + hex.EncodeToString(b)
}

// syncPool is the embedded store's goroutine pool: it runs work at once,
// on the caller's goroutine (see openEmbedded for why).
type syncPool struct{}

// Run runs f and returns when it is done.
func (syncPool) Run(f func()) error {
	f()
	return nil
}

// Close does nothing: no work is ever left running.
func (syncPool) Close() {}
