package store

import (
	"context"
	"time"

	"github.com/pingcap/kvproto/pkg/errorpb"
	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"
	"github.com/tikv/client-go/v2/tikvrpc/interceptor"

	"github.com/titan-kv/titan/metrics"
)

// CountRequests returns an interceptor that counts every request a
// transaction sends in m.TiKVRequests, by client-go request type. Set it
// on each transaction (KVTxn.SetRPCInterceptor), so that each titan
// database sharing a store counts its own requests. m may be nil: the
// interceptor then counts nothing.
func CountRequests(m *metrics.Metrics) interceptor.RPCInterceptor {
	return func(next interceptor.RPCInterceptorFunc) interceptor.RPCInterceptorFunc {
		return func(target string, req *tikvrpc.Request) (*tikvrpc.Response, error) {
			if m != nil {
				m.TiKVRequests.WithLabelValues(req.Type.String()).Inc()
			}
			return next(target, req)
		}
	}
}

// faultClient wraps the embedded store's client: it fails requests while
// fault says so and delays the others by a fixed time.
type faultClient struct {
	tikv.Client
	delay  time.Duration
	fault  func(*tikvrpc.Request) error
	faults *faults
}

// SendRequest answers req like an overloaded TiKV while the fault holds,
// otherwise waits out the delay and sends req.
func (c *faultClient) SendRequest(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	if c.fault != nil {
		if err := c.fault(req); err != nil {
			// An overloaded TiKV answers like this; client-go backs off
			// and retries until the command's deadline.
			return tikvrpc.GenRegionErrorResp(req, &errorpb.Error{
				Message: err.Error(), ServerIsBusy: &errorpb.ServerIsBusy{Reason: err.Error()}})
		}
	}
	if c.faults != nil {
		if resp, err := c.faults.pick(req); resp != nil || err != nil {
			return resp, err
		}
	}
	if c.delay > 0 {
		t := time.NewTimer(c.delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	return c.Client.SendRequest(ctx, addr, req, timeout)
}
