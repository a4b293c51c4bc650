package store

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
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
	var regions sync.Map // region ids seen, for titan_tikv_regions_seen
	return func(next interceptor.RPCInterceptorFunc) interceptor.RPCInterceptorFunc {
		return func(target string, req *tikvrpc.Request) (*tikvrpc.Response, error) {
			if m == nil {
				return next(target, req)
			}
			typ := req.Type.String()
			m.TiKVRequests.WithLabelValues(typ).Inc()
			start := time.Now()
			resp, err := next(target, req)
			d := time.Since(start)
			m.TiKVDuration.WithLabelValues(typ).Observe(d.Seconds())
			region := req.Context.GetRegionId()
			if _, seen := regions.LoadOrStore(region, struct{}{}); !seen {
				m.TiKVRegions.Inc()
			}
			switch {
			case err != nil:
				m.TiKVErrors.WithLabelValues(typ).Inc()
				slog.Warn("store request failed", "type", typ, "region", region, "key", requestKey(req), "store", target, "err", err)
			case resp != nil:
				if re, _ := resp.GetRegionError(); re != nil {
					m.TiKVRegionErrors.WithLabelValues(typ).Inc()
					slog.Debug("store region error", "type", typ, "region", region, "key", requestKey(req), "err", re.String())
				}
			}
			if d >= slowRequest {
				slog.Warn("slow store request", "type", typ, "region", region, "key", requestKey(req), "store", target, "duration", d)
			}
			return resp, err
		}
	}
}

// slowRequest is the latency from which a store request is logged.
const slowRequest = 500 * time.Millisecond

// requestKey returns the (first) key a request addresses, cut to 64 bytes,
// its unprintable bytes escaped as in a Go string, for logs.
func requestKey(req *tikvrpc.Request) string {
	var k []byte
	switch req.Type {
	case tikvrpc.CmdGet:
		k = req.Get().GetKey()
	case tikvrpc.CmdBatchGet:
		if ks := req.BatchGet().GetKeys(); len(ks) > 0 {
			k = ks[0]
		}
	case tikvrpc.CmdScan:
		k = req.Scan().GetStartKey()
	case tikvrpc.CmdPrewrite:
		k = req.Prewrite().GetPrimaryLock()
	case tikvrpc.CmdCommit:
		if ks := req.Commit().GetKeys(); len(ks) > 0 {
			k = ks[0]
		}
	}
	suffix := ""
	if len(k) > 64 {
		k, suffix = k[:64], "..."
	}
	q := strconv.Quote(string(k))
	return q[1:len(q)-1] + suffix
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
