package store

import (
	"context"
	"sync"
	"time"

	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"
)

// lockWaitClient waits for a pessimistic lock outside the embedded
// store's global lock. client-go's MVCC store stands for TiKV's lock wait
// by sleeping 5 ms in a PessimisticLock request that meets another
// transaction's lock — while it holds the lock every request of the store
// takes. Two batches waiting for a stream's hot lock (hotlock.go) kept
// the whole store asleep most of the time: the holder's own requests
// queued behind their sleeps, turns of the lock took seconds and a waiter
// lost the race for it for 25 s in a row.
//
// So a waiting lock request is sent as a no-wait one, and when it meets
// a lock the client waits here, without holding anything, until a
// request that releases locks (commit, rollback, resolve, cleanup) was
// served or lockWaitMax passed (a status check that rolls back an
// expired lock is not waited for: waiters check their lock's owner at
// every turn, and would wake each other in a loop), then
// answers: client-go checks the lock's owner and asks again, as it does
// after TiKV's wait. A released lock is taken at once, as in TiKV, whose
// waiters are woken by the release.
type lockWaitClient struct {
	tikv.Client
	rel *releases
}

// lockWaitMax is the longest a lock request waits for a release before it
// answers "locked".
const lockWaitMax = 5 * time.Millisecond

// releases signals served requests that may release locks, by key: a
// waiter is woken by a release of one of its keys (or of a whole region,
// a resolve without keys), not by every commit of the store.
type releases struct {
	mu    sync.Mutex
	byKey map[string]chan struct{} // closed at the next release of the key
	all   chan struct{}            // closed at the next release of unknown keys
}

func newLockWaitClient(c tikv.Client) lockWaitClient {
	return lockWaitClient{Client: c, rel: &releases{byKey: make(map[string]chan struct{}), all: make(chan struct{})}}
}

// next returns the channels closed at the next release of key, or of
// keys not named.
func (r *releases) next(key []byte) (<-chan struct{}, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.byKey[string(key)]
	if c == nil {
		c = make(chan struct{})
		r.byKey[string(key)] = c
	}
	return c, r.all
}

// released wakes the waiters of keys; no keys: every waiter.
func (r *releases) released(keys [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(keys) == 0 {
		close(r.all)
		r.all = make(chan struct{})
		for k, c := range r.byKey {
			close(c)
			delete(r.byKey, k)
		}
		return
	}
	for _, k := range keys {
		if c := r.byKey[string(k)]; c != nil {
			close(c)
			delete(r.byKey, string(k))
		}
	}
}

// releasedKeys are the keys a request releases; nil: unknown (all).
func releasedKeys(req *tikvrpc.Request) [][]byte {
	switch req.Type {
	case tikvrpc.CmdCommit:
		return req.Commit().Keys
	case tikvrpc.CmdBatchRollback:
		return req.BatchRollback().Keys
	case tikvrpc.CmdPessimisticRollback:
		return req.PessimisticRollback().Keys
	case tikvrpc.CmdCleanup:
		return [][]byte{req.Cleanup().Key}
	case tikvrpc.CmdResolveLock:
		return req.ResolveLock().Keys
	}
	return nil
}

func (c lockWaitClient) SendRequest(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	switch req.Type {
	case tikvrpc.CmdPessimisticLock:
		if req.PessimisticLock().WaitTimeout != noWait {
			return c.lock(ctx, addr, req, timeout)
		}
	case tikvrpc.CmdCommit, tikvrpc.CmdBatchRollback, tikvrpc.CmdPessimisticRollback, tikvrpc.CmdResolveLock,
		tikvrpc.CmdCleanup:
		resp, err := c.Client.SendRequest(ctx, addr, req, timeout)
		c.rel.released(releasedKeys(req))
		return resp, err
	}
	return c.Client.SendRequest(ctx, addr, req, timeout)
}

// noWait is kvrpcpb's WaitTimeout for "do not wait" (client-go's
// kv.LockNoWait; 0 is client-go's kv.LockAlwaysWait).
const noWait = -1

// lock sends a waiting lock request without the wait, and waits here
// when it met a lock.
func (c lockWaitClient) lock(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	r := req.PessimisticLock()
	if len(r.Mutations) != 1 {
		// titan locks one key per region at a time; several: wait for
		// any release.
		return c.lockOn(ctx, addr, req, timeout, nil)
	}
	return c.lockOn(ctx, addr, req, timeout, r.Mutations[0].Key)
}

// lockOn is lock waiting for releases of key (nil: of any key).
func (c lockWaitClient) lockOn(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration, key []byte) (*tikvrpc.Response, error) {
	r := req.PessimisticLock()
	wait := r.WaitTimeout
	// Before the request: a release during it counts.
	release, any := c.rel.next(key)
	if key == nil {
		release = any
	}
	r.WaitTimeout = noWait
	resp, err := c.Client.SendRequest(ctx, addr, req, timeout)
	r.WaitTimeout = wait
	if err != nil || resp == nil {
		return resp, err
	}
	lr, ok := resp.Resp.(*kvrpcpb.PessimisticLockResponse)
	if !ok || !metLock(lr.Errors) {
		return resp, err
	}
	t := time.NewTimer(lockWaitMax)
	defer t.Stop()
	select {
	case <-release:
	case <-any:
	case <-t.C:
	case <-ctx.Done():
	}
	return resp, err
}

func metLock(errs []*kvrpcpb.KeyError) bool {
	for _, e := range errs {
		if e.GetLocked() != nil {
			return true
		}
	}
	return false
}
