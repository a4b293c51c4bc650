package store

import (
	"time"

	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	"github.com/tikv/client-go/v2/oracle"
	"github.com/tikv/client-go/v2/tikvrpc"
	"github.com/tikv/client-go/v2/tikvrpc/interceptor"
)

// ConflictOnLiveLocks returns an interceptor that turns a prewrite's
// "key is locked" answers into write conflicts while the lock is live
// (younger than its TTL and than liveLockAge): the lock belongs to another transaction in
// flight on the same keys — in titan, most often another instance's batch
// on the same hot key. client-go would resolve such a lock by waiting for
// its owner with a backoff of at least 100 ms (its txnLock backoff) and,
// as the owner started first, then fail with a write conflict anyway; a
// conflict now lets the caller retry at once with its own short, jittered
// backoff. A lock past its TTL (its owner died) is left to client-go to
// resolve. Aborting a prewrite is always safe: the transaction commits
// nothing and runs again.
//
// A lock's age is measured from the prewriting transaction's start
// timestamp, not from this host's clock: both come from the cluster's
// timestamp oracle, so a titan host whose clock is skewed from PD's cannot
// take a dead process's lock for a live one forever. A retry starts with a
// new timestamp, so a dead lock is judged old within liveLockAge.
func ConflictOnLiveLocks() interceptor.RPCInterceptor {
	return func(next interceptor.RPCInterceptorFunc) interceptor.RPCInterceptorFunc {
		return func(target string, req *tikvrpc.Request) (*tikvrpc.Response, error) {
			resp, err := next(target, req)
			if err != nil || req.Type != tikvrpc.CmdPrewrite || resp == nil {
				return resp, err
			}
			pr, ok := resp.Resp.(*kvrpcpb.PrewriteResponse)
			if !ok {
				return resp, err
			}
			startTS := req.Prewrite().GetStartVersion()
			for i, ke := range pr.Errors {
				if c := liveLockConflict(ke, startTS); c != nil {
					pr.Errors[i] = c
				}
			}
			return resp, nil
		}
	}
}

// liveLockAge is the age up to which a lock counts as live: titan's
// transactions commit well within it; an older one may be a dead
// process's, which client-go waits out and resolves.
const liveLockAge = 500 * time.Millisecond

// liveLockConflict is the write conflict standing for a live lock met by
// the transaction startTS, or nil when ke is something else. The lock's age
// is the time from its start to startTS; a lock younger than the
// transaction has a negative age and is live.
func liveLockConflict(ke *kvrpcpb.KeyError, startTS uint64) *kvrpcpb.KeyError {
	l := ke.GetLocked()
	if l == nil || l.GetLockVersion() == startTS {
		return nil
	}
	age := oracle.GetTimeFromTS(startTS).Sub(oracle.GetTimeFromTS(l.GetLockVersion()))
	if age >= min(time.Duration(l.GetLockTtl())*time.Millisecond, liveLockAge) {
		return nil
	}
	return &kvrpcpb.KeyError{Conflict: &kvrpcpb.WriteConflict{
		StartTs:    startTS,
		ConflictTs: l.GetLockVersion(),
		Key:        l.GetKey(),
		Primary:    l.GetPrimaryLock(),
		Reason:     kvrpcpb.WriteConflict_Optimistic,
	}}
}
