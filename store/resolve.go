package store

import (
	"context"
	"sync"
	"time"

	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	"github.com/tikv/client-go/v2/testutils"
	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"
)

// resolveClient serves the embedded store's ResolveLock requests key by
// key. client-go's MVCC store answers every ResolveLock by walking the
// whole region — every version of every key — under its global lock,
// ignoring the request's keys: with a region of a million keys (a
// stream's entries: puts never split a region, growth.go) each resolve
// stalled every request of the store for a second or more. A reader meets
// such locks in the normal course of things: a transaction commits its
// primary key, then its secondaries, and a reader of another titan
// process (a batch that took a stream's hot lock the moment the primary
// committed, hotlock.go) meets the secondaries in between.
//
// So the client remembers the keys it saw locked in answers (reads,
// prewrites, pessimistic locks, lock scans), by the locking transaction,
// and resolves a ResolveLock of that transaction on those keys only, plus
// the keys the request names (which the MVCC store ignores). That is what TiKV's resolve does for what
// the caller needs: the locks it met are resolved, and any other lock of
// the transaction, met later, is resolved then (or committed by its owner
// meanwhile). Each remembered key is resolved once (lockKeys.take). A
// resolve of a transaction whose locks were never seen walks the region
// as before, and batch resolves (TxnInfos, the GC's) are passed on
// untouched.
type resolveClient struct {
	tikv.Client
	mvcc testutils.MVCCStore
	seen *lockKeys
}

// lockKeys are the keys seen locked, by locking transaction. An entry
// lives while its transaction's locks are being resolved: once taken, it
// stays (empty) for lockKeysTaken, so that the resolves of other readers
// that met the same locks meanwhile find them done instead of walking the
// region; an entry never taken (its owner committed, no one resolved) goes
// after lockKeysAge. Expired entries are dropped at most every
// lockKeysSweep, and never more than lockKeysMax transactions are kept
// (the resolve of one not kept walks the region, as before).
type lockKeys struct {
	mu    sync.Mutex
	byTxn map[uint64]*txnLocks
	swept time.Time
	now   func() time.Time // time.Now; tests move it
}

type txnLocks struct {
	keys map[string]struct{}
	at   time.Time // the last lock noted
	// taken is when a resolve took the last keys (zero: keys are left).
	taken time.Time
}

const (
	lockKeysMax   = 4096
	lockKeysAge   = time.Minute
	lockKeysTaken = 5 * time.Second
	lockKeysSweep = time.Second
)

func newLockKeys() *lockKeys {
	return &lockKeys{byTxn: make(map[uint64]*txnLocks), now: time.Now}
}

func newResolveClient(c tikv.Client, mvcc testutils.MVCCStore) resolveClient {
	return resolveClient{Client: c, mvcc: mvcc, seen: newLockKeys()}
}

func (c resolveClient) SendRequest(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	if req.Type == tikvrpc.CmdResolveLock {
		if resp, ok := c.resolve(req.ResolveLock()); ok {
			return resp, nil
		}
	}
	resp, err := c.Client.SendRequest(ctx, addr, req, timeout)
	if err == nil && resp != nil {
		c.seen.note(resp.Resp)
	}
	return resp, err
}

// resolve resolves the keys of r's transaction it knows; false when it
// never saw that transaction's locks (the region is walked).
func (c resolveClient) resolve(r *kvrpcpb.ResolveLockRequest) (*tikvrpc.Response, bool) {
	if len(r.TxnInfos) > 0 {
		return nil, false
	}
	keys, known := c.seen.take(r.StartVersion)
	for _, k := range r.Keys {
		keys = append(keys, string(k))
	}
	if len(keys) == 0 && !known {
		return nil, false
	}
	for _, k := range keys {
		end := append([]byte(k), 0)
		if err := c.mvcc.ResolveLock([]byte(k), end, r.StartVersion, r.CommitVersion); err != nil {
			// Answer as the store does: the caller reports it.
			return &tikvrpc.Response{Resp: &kvrpcpb.ResolveLockResponse{Error: &kvrpcpb.KeyError{Abort: err.Error()}}}, true
		}
	}
	return &tikvrpc.Response{Resp: &kvrpcpb.ResolveLockResponse{}}, true
}

// note remembers the locks an answer reports.
func (s *lockKeys) note(resp any) {
	var locks []*kvrpcpb.LockInfo
	addErr := func(e *kvrpcpb.KeyError) {
		if l := e.GetLocked(); l != nil {
			locks = append(locks, l)
		}
	}
	switch r := resp.(type) {
	case *kvrpcpb.GetResponse:
		addErr(r.Error)
	case *kvrpcpb.BatchGetResponse:
		addErr(r.Error)
		for _, p := range r.Pairs {
			addErr(p.Error)
		}
	case *kvrpcpb.ScanResponse:
		addErr(r.Error)
		for _, p := range r.Pairs {
			addErr(p.Error)
		}
	case *kvrpcpb.PrewriteResponse:
		for _, e := range r.Errors {
			addErr(e)
		}
	case *kvrpcpb.PessimisticLockResponse:
		for _, e := range r.Errors {
			addErr(e)
		}
	case *kvrpcpb.ScanLockResponse:
		locks = r.Locks
	case *kvrpcpb.CheckSecondaryLocksResponse:
		locks = r.Locks
	}
	if len(locks) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweep(now, len(s.byTxn) >= lockKeysMax)
	for _, l := range locks {
		t := s.byTxn[l.LockVersion]
		if t == nil {
			if len(s.byTxn) >= lockKeysMax {
				continue // full of live entries: that resolve walks the region
			}
			t = &txnLocks{keys: make(map[string]struct{})}
			s.byTxn[l.LockVersion] = t
		}
		t.keys[string(l.Key)] = struct{}{}
		t.at, t.taken = now, time.Time{}
	}
}

// sweep drops the expired entries, at most every lockKeysSweep unless
// full. s.mu is held.
func (s *lockKeys) sweep(now time.Time, full bool) {
	if !full && now.Sub(s.swept) < lockKeysSweep {
		return
	}
	s.swept = now
	for ts, t := range s.byTxn {
		if now.Sub(t.at) > lockKeysAge || (!t.taken.IsZero() && now.Sub(t.taken) > lockKeysTaken) {
			delete(s.byTxn, ts)
		}
	}
}

// take returns the keys seen locked by the transaction ts since the last
// take, and forgets them: each is resolved once, however many readers of
// a big transaction ask (keeping them made every resolve of a transaction
// of 100,000 keys resolve all of them again). known reports whether the
// transaction's locks were ever seen: a resolve that finds its keys taken
// by a concurrent one has nothing to do (a reader that meets a lock again
// notes it before it resolves again).
func (s *lockKeys) take(ts uint64) (keys []string, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweep(now, false)
	t := s.byTxn[ts]
	if t == nil {
		return nil, false
	}
	keys = make([]string, 0, len(t.keys))
	for k := range t.keys {
		keys = append(keys, k)
	}
	clear(t.keys)
	if t.taken.IsZero() {
		t.taken = now
	}
	return keys, true
}
