package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pingcap/kvproto/pkg/errorpb"
	"github.com/tikv/client-go/v2/testutils"
	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"
	"github.com/tikv/client-go/v2/util/codec"
)

// The embedded store as a many-region cluster would behave, for tests:
// several regions from the start (Options.Regions), regions split while
// traffic runs (Options.SplitInterval), and requests answered with the
// errors a real cluster returns (Options.FaultRate).

// initialSplits returns the keys the embedded store's key space is split
// at to start with n regions: the boundaries of titan's key ranges under
// prefix (the namespace and its colon), then points inside the metadata
// and element ranges.
func initialSplits(prefix []byte, n int) [][]byte {
	var cands [][]byte
	add := func(s string) { cands = append(cands, append(bytes.Clone(prefix), s...)) }
	for _, tag := range []string{"M", "D", "E", "G", "N", "S", "C"} {
		add(tag)
	}
	for _, c := range "0123456789abcdefghijklmnopqrstuvwxyz" {
		add("M\x00\x00" + string(c))
	}
	for i := 1; i < 16; i++ {
		add("D" + string(rune(i*16)))
	}
	if n-1 < len(cands) {
		// Spread the picks over the candidates.
		picked := make([][]byte, 0, n-1)
		for i := range n - 1 {
			picked = append(picked, cands[i*len(cands)/(n-1)])
		}
		cands = picked
	}
	return cands
}

// regions splits the embedded store's regions.
type regions struct {
	cluster *testutils.MockCluster
	prefix  []byte
	splits  atomic.Int64
}

// split splits the region holding key at key and returns the id of the
// new region, which starts at key (the old one keeps the keys before);
// it does nothing (ok false) when key already starts a region.
func (r *regions) split(key []byte) (right uint64, ok bool) {
	enc := codec.EncodeBytes(nil, key)
	region, peer, _ := r.cluster.GetRegionByKey(enc)
	if region == nil || peer == nil || bytes.Equal(region.GetStartKey(), enc) {
		return 0, false
	}
	ids := r.cluster.AllocIDs(2)
	r.cluster.Split(region.GetId(), ids[0], key, []uint64{ids[1]}, ids[1])
	r.splits.Add(1)
	return ids[0], true
}

// splitLoop splits a region every interval, at a key read from the store
// after a random point of the key space under the prefix, until ctx ends.
func (r *regions) splitLoop(ctx context.Context, kv *tikv.KVStore, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		key, err := r.randomKey(kv)
		if err != nil {
			slog.Debug("embedded store split", "err", err)
			continue
		}
		if key != nil {
			r.split(key)
		}
	}
}

// randomKey returns the first key after a random point under the prefix.
func (r *regions) randomKey(kv *tikv.KVStore) ([]byte, error) {
	ts, err := kv.CurrentTimestamp("global")
	if err != nil {
		return nil, fmt.Errorf("timestamp: %w", err)
	}
	tags := "MDEGNC"
	from := append(bytes.Clone(r.prefix), tags[rand.IntN(len(tags))])
	from = append(from, byte(rand.IntN(256)), byte(rand.IntN(256)), byte(rand.IntN(256)))
	it, err := kv.GetSnapshot(ts).Iter(from, append(bytes.Clone(r.prefix), 0xff))
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	defer it.Close()
	if !it.Valid() {
		return nil, nil
	}
	return bytes.Clone(it.Key()), nil
}

// faults answers a share of the embedded store's requests with the errors
// a real cluster returns: NotLeader, EpochNotMatch (both make client-go
// reload the region and retry), ServerIsBusy (client-go backs off, 1-2 s)
// and timeouts: the request is held for faultTimeout, then answered with
// StaleCommand, as TiKV answers a command that timed out in raft (client-go
// backs off and retries). A failed RPC is not injected: client-go would
// mark the embedded store unreachable and its health check never
// succeeds; and a commit whose RPC fails is undetermined.
type faults struct {
	rate float64
	mu   sync.Mutex
	rnd  *rand.Rand
	// Injected counts the injected errors.
	injected atomic.Int64
}

// faultTimeout is how long an injected timeout holds its request.
const faultTimeout = 20 * time.Millisecond

// pick returns the injected response or RPC error for req; both nil to
// serve it.
func (f *faults) pick(req *tikvrpc.Request) (*tikvrpc.Response, error) {
	f.mu.Lock()
	hit, kind := f.rnd.Float64() < f.rate, f.rnd.IntN(100)
	f.mu.Unlock()
	if !hit {
		return nil, nil
	}
	var e *errorpb.Error
	switch {
	case kind < 45:
		e = &errorpb.Error{Message: "injected", NotLeader: &errorpb.NotLeader{RegionId: req.RegionId}}
	case kind < 90:
		e = &errorpb.Error{Message: "injected", EpochNotMatch: &errorpb.EpochNotMatch{}}
	case kind < 95:
		e = &errorpb.Error{Message: "injected", ServerIsBusy: &errorpb.ServerIsBusy{Reason: "injected"}}
	default:
		time.Sleep(faultTimeout)
		e = &errorpb.Error{Message: "injected timeout", StaleCommand: &errorpb.StaleCommand{}}
	}
	resp, err := tikvrpc.GenRegionErrorResp(req, e)
	if err != nil { // a request type without region errors: serve it
		return nil, nil
	}
	f.injected.Add(1)
	return resp, nil
}

// codecClient encodes requests and decodes responses with client-go's
// API v1 codec, as client-go's test constructor does: with several
// regions, the region errors of the embedded store carry region ranges in
// TiKV's encoded form, which the region cache needs decoded.
type codecClient struct {
	tikv.Client
	codec interface {
		EncodeRequest(*tikvrpc.Request) (*tikvrpc.Request, error)
		DecodeResponse(*tikvrpc.Request, *tikvrpc.Response) (*tikvrpc.Response, error)
	}
}

// SendRequest implements tikv.Client.
func (c *codecClient) SendRequest(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	req, err := c.codec.EncodeRequest(req)
	if err != nil {
		return nil, err
	}
	resp, err := c.Client.SendRequest(ctx, addr, req, timeout)
	if err != nil {
		return nil, err
	}
	return c.codec.DecodeResponse(req, resp)
}

// ErrNoTestRegions refuses a split of a store whose regions titan does not
// manage (a cluster, or the embedded store with SplitKeys < 0 and no test
// region options).
var ErrNoTestRegions = errors.New("not an embedded store with test regions")

// Split splits the embedded store's region holding key at key (tests).
func (s *Store) Split(key []byte) error {
	if s.regions == nil {
		return ErrNoTestRegions
	}
	s.regions.split(key)
	return nil
}

// Stats reports what the embedded store's test options did: regions
// split while running and errors injected.
type Stats struct {
	Splits, Faults int64
}

// Stats returns the embedded store's split and fault counts.
func (s *Store) Stats() Stats {
	var st Stats
	if s.regions != nil {
		st.Splits = s.regions.splits.Load()
	}
	if s.faults != nil {
		st.Faults = s.faults.injected.Load()
	}
	return st
}
