// Package store opens the TiKV store titan keeps its data in: the
// embedded client-go MVCC store (one process, on disk or in memory) or a
// real cluster through PD. It also holds the RPC interceptors.
package store

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tikv/client-go/v2/config"
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

	// The embedded store as a many-region cluster (tests):

	// Regions is how many regions the embedded store starts with (0 or
	// 1: one), split at the boundaries of titan's key ranges under
	// KeyPrefix.
	Regions int
	// KeyPrefix is titan's namespace and colon ("titan:" when empty):
	// where the initial and running splits fall.
	KeyPrefix string
	// SplitInterval, when positive, splits a region every interval while
	// the store is open, at a key read after a random point.
	SplitInterval time.Duration
	// SplitKeys is the embedded store's region size: a region that took
	// this many versions (puts and deletes) is split in two (0:
	// DefaultSplitKeys; negative: never, one region unless Regions says
	// otherwise).
	SplitKeys int
	// FaultRate is the share of requests (0 to 1) answered with an
	// injected NotLeader, EpochNotMatch, ServerIsBusy or, for reads, a
	// timed-out RPC.
	FaultRate float64

	// TLS secures the connections to PD and TiKV (a cluster only).
	TLS TLS
}

// TLS is client-go's security config: the CA of the cluster's
// certificates and this client's certificate and key (PEM files).
type TLS struct {
	CA, Cert, Key string
}

// Store is an open TiKV store, embedded or a cluster. Several titan
// databases (db.DB) may share one Store; closing them leaves it open.
type Store struct {
	kv       *tikv.KVStore
	closeFn  func() error
	embedded bool
	// regions and faults are the embedded store's test options (nil when
	// off).
	regions *regions
	faults  *faults
	// growth splits the embedded store's regions as they grow and marks
	// those holding deletes (nil: SplitKeys < 0).
	growth *growth
	// hot flushes the embedded store's memtable for a key written over
	// and over (hotkeys.go); nil on a cluster.
	hot *hotKeys
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
		return openCluster(ctx, o.Address, o.TLS)
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

func openCluster(ctx context.Context, address string, t TLS) (*Store, error) {
	u, err := url.Parse(address)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("store %q: want tikv://pd1:2379,pd2:2379", address)
	}
	if t.CA != "" || t.Cert != "" {
		// client-go reads its security config from its global config
		// when it connects to PD and TiKV; one cluster per process.
		config.UpdateGlobal(func(c *config.Config) {
			c.Security = config.NewSecurity(t.CA, t.Cert, t.Key, nil)
		})
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

// openEmbedded opens client-go's MVCC store on a single store, in
// o.DataDir/kv (in memory when DataDir is ""): one region to start with,
// split as it grows (growth.go) unless o.SplitKeys < 0.
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
// that never splits does not produce: the client is wrapped only when
// regions split (SplitKeys >= 0 or the test region options).
// The PD client keeps its codec, as in a cluster: region boundaries
// travel in TiKV's memcomparable form.
func openEmbedded(o Options) (*Store, error) {
	path := o.DataDir
	unlock := func() {}
	if path != "" {
		path = filepath.Join(path, "kv")
		if err := os.MkdirAll(path, 0o755); err != nil {
			return nil, fmt.Errorf("embedded store: %w", err)
		}
		var err error
		if unlock, err = lockDataDir(o.DataDir); err != nil {
			return nil, err
		}
	}
	// The only public way to client-go's MVCC store.
	client, cluster, pd, err := testutils.NewMockTiKV(path, nil)
	if err != nil {
		unlock()
		return nil, fmt.Errorf("embedded store in %q: %w", path, err)
	}
	if path != "" {
		// Set before the first request: nothing reads it concurrently yet.
		if lo, err := leveldbOptions(client.MvccStore); err != nil {
			slog.Warn("embedded store keeps goleveldb's 4 MB write buffer", "err", err)
		} else {
			lo.WriteBuffer = EmbeddedWriteBuffer
		}
	}
	prefix := []byte(o.KeyPrefix)
	if len(prefix) == 0 {
		prefix = []byte("titan:")
	}
	st := &Store{embedded: true}
	// ResolveLock key by key, not by walking the region (resolve.go);
	// lock waits outside the store's global lock (lockwait.go).
	var rpc tikv.Client = newLockWaitClient(newResolveClient(client, client.MvccStore))
	if o.Regions > 1 || o.SplitInterval > 0 || o.FaultRate > 0 || o.SplitKeys >= 0 {
		// Region errors now carry ranges: decode them as a cluster's are.
		rpc = &codecClient{Client: rpc, codec: tikv.NewCodecV1(tikv.ModeTxn)}
		st.regions = &regions{cluster: cluster, prefix: prefix}
	}
	if o.SplitKeys >= 0 {
		n := o.SplitKeys
		if n == 0 {
			n = DefaultSplitKeys
		}
		st.growth = &growth{regions: st.regions, splitKeys: max(n, 2), byRegion: map[uint64]*regionGrowth{}}
		rpc = growthClient{Client: rpc, g: st.growth}
	}
	// A key written over and over flushes the memtable (hotkeys.go).
	if db, err := levelDB(client.MvccStore); err != nil {
		slog.Warn("embedded store: no memtable flush for hot keys", "err", err)
	} else {
		st.hot = newHotKeys(db)
		rpc = hotClient{Client: rpc, h: st.hot}
	}
	if o.Regions > 1 {
		testutils.BootstrapWithMultiRegions(cluster, initialSplits(prefix, o.Regions)...)
	} else {
		testutils.BootstrapWithSingleStore(cluster)
	}
	if o.FaultRate > 0 {
		st.faults = &faults{rate: o.FaultRate, rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
	}
	if o.RPCDelay > 0 || o.Fault != nil || st.faults != nil {
		rpc = &faultClient{Client: rpc, delay: o.RPCDelay, fault: o.Fault, faults: st.faults}
	}
	rpc = deadlineClient{Client: rpc}
	kv, err := tikv.NewKVStore(embeddedUUID(), tikv.NewCodecPDClient(tikv.ModeTxn, pd),
		tikv.NewMockSafePointKV(), rpc, tikv.WithPool(syncPool{}))
	if err != nil {
		client.Close()
		pd.Close()
		unlock()
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	closeKV := func() error {
		defer unlock()
		return kv.Close()
	}
	st.kv, st.closeFn, st.embedded, st.mvcc = kv, closeKV, true, client.MvccStore
	if path != "" {
		if c, err := blockCache(client.MvccStore); err != nil {
			slog.Warn("embedded store keeps client-go's 600 MB block cache", "err", err)
		} else {
			c.SetCapacity(EmbeddedBlockCache)
		}
	}
	var loops sync.WaitGroup
	ctx, stop := context.WithCancel(context.Background())
	if o.SplitInterval > 0 {
		loops.Add(1)
		go func() { defer loops.Done(); st.regions.splitLoop(ctx, kv, o.SplitInterval) }()
	}
	if st.growth != nil && o.DataDir != "" {
		// A reopened store is one region again: split what it holds.
		loops.Add(1)
		go func() {
			defer loops.Done()
			if err := st.growth.splitExisting(ctx, kv); err != nil && ctx.Err() == nil {
				slog.Warn("embedded store: split existing regions", "err", err)
			}
		}()
	}
	st.closeFn = func() error { stop(); loops.Wait(); return closeKV() }
	return st, nil
}

// embeddedUUID names one embedded store in client-go's registries.
func embeddedUUID() string {
	b := make([]byte, 8)
	crand.Read(b)
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

// ErrDataDirInUse refuses to open a data directory another process (or
// another store in this process) has open.
var ErrDataDirInUse = errors.New("data directory is in use by another titan process")

// lockDataDir takes an exclusive lock on dir (a file titan.lock in it),
// held until unlock. The lock goes away with the process, so a crashed
// titan never leaves it behind.
func lockDataDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, "titan.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", dir, ErrDataDirInUse)
		}
		return nil, fmt.Errorf("lock data directory %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}
