package store

import (
	"context"
	"time"

	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	"github.com/tikv/client-go/v2/testutils"
	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"
)

// liteResolveClient serves the embedded store's "lite" lock resolutions
// key by key. client-go resolves the locks of a small transaction (under
// 16 keys: a lease renewal, most commands) by sending ResolveLock with
// the keys to resolve; TiKV reads just those keys, but client-go's MVCC
// store ignores them and walks every version of every key of the region
// while holding its global lock, so each resolution costs as much as a
// full scan and stops every other request meanwhile. Under contention
// (several instances renewing the same leases, commits slowed past the
// live-lock age of ConflictOnLiveLocks) resolutions pile up, each slower
// as the store grows: the store stalled for seconds at a time and the
// background tasks stopped making progress. Resolving each named key over
// its own one-key range does what TiKV does, at the cost of the key.
type liteResolveClient struct {
	tikv.Client
	mvcc testutils.MVCCStore
}

// SendRequest implements tikv.Client.
func (c liteResolveClient) SendRequest(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	if req.Type == tikvrpc.CmdResolveLock {
		r := req.ResolveLock()
		if keys := r.GetKeys(); len(keys) > 0 && c.resolveKeys(keys, r.GetStartVersion(), r.GetCommitVersion()) == nil {
			return &tikvrpc.Response{Resp: &kvrpcpb.ResolveLockResponse{}}, nil
		}
		// Not lite, or a key failed: the region's scan, which reports
		// its errors as TiKV does (resolving a key twice is harmless).
	}
	return c.Client.SendRequest(ctx, addr, req, timeout)
}

// resolveKeys commits (commitTS > 0) or rolls back the locks of the
// transaction startTS on keys.
func (c liteResolveClient) resolveKeys(keys [][]byte, startTS, commitTS uint64) error {
	for _, k := range keys {
		end := append(append(make([]byte, 0, len(k)+1), k...), 0) // the next key after k
		if err := c.mvcc.ResolveLock(k, end, startTS, commitTS); err != nil {
			return err
		}
	}
	return nil
}
