package store

import (
	"context"
	"time"

	"github.com/pingcap/kvproto/pkg/errorpb"
	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"
)

// deadlineClient keeps a request whose deadline passed before the
// embedded store served it from failing as an RPC. client-go's MVCC store
// (and faultClient's delay) answer such a request with the context's
// error, without serving it; client-go takes that for a network failure,
// marks the store unreachable and leaves it to a health check that never
// succeeds on the embedded store, so every later request of the process
// failed (epoch_not_match, "store unavailable") after one command timed
// out under load. Instead the request is answered as a busy TiKV answers:
// client-go backs off, sees its deadline passed and fails that request
// only (a commit answered so was not applied: it is not undetermined).
type deadlineClient struct {
	tikv.Client
}

func (c deadlineClient) SendRequest(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	resp, err := c.Client.SendRequest(ctx, addr, req, timeout)
	if err != nil && ctx.Err() != nil {
		return tikvrpc.GenRegionErrorResp(req, &errorpb.Error{
			Message: err.Error(), ServerIsBusy: &errorpb.ServerIsBusy{Reason: "deadline passed before the request was served"}})
	}
	return resp, err
}
