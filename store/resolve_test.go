package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	"github.com/tikv/client-go/v2/testutils"
	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"
)

// resolveRecorder is an MVCC store that records the ranges it resolves.
type resolveRecorder struct {
	testutils.MVCCStore
	ranges [][2][]byte
	fail   bool
}

func (r *resolveRecorder) ResolveLock(start, end []byte, startTS, commitTS uint64) error {
	r.ranges = append(r.ranges, [2][]byte{start, end})
	if r.fail {
		return errors.New("failed")
	}
	return nil
}

// sentClient counts the requests that reach the store's region handler.
type sentClient struct {
	tikv.Client
	sent int
}

func (c *sentClient) SendRequest(context.Context, string, *tikvrpc.Request, time.Duration) (*tikvrpc.Response, error) {
	c.sent++
	return &tikvrpc.Response{Resp: &kvrpcpb.ResolveLockResponse{}}, nil
}

// TestLiteResolveByKey: a ResolveLock naming its keys resolves each key
// over its own one-key range, not the region's; one naming none (or a
// key that fails) goes to the region's scan.
func TestLiteResolveByKey(t *testing.T) {
	send := func(c liteResolveClient, keys ...[]byte) {
		t.Helper()
		req := tikvrpc.NewRequest(tikvrpc.CmdResolveLock, &kvrpcpb.ResolveLockRequest{StartVersion: 5, CommitVersion: 7, Keys: keys})
		if _, err := c.SendRequest(context.Background(), "store1", req, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	mvcc, inner := &resolveRecorder{}, &sentClient{}
	c := liteResolveClient{Client: inner, mvcc: mvcc}
	send(c, []byte("a"), []byte("b"))
	if inner.sent != 0 || len(mvcc.ranges) != 2 ||
		!bytes.Equal(mvcc.ranges[0][0], []byte("a")) || !bytes.Equal(mvcc.ranges[0][1], []byte("a\x00")) ||
		!bytes.Equal(mvcc.ranges[1][0], []byte("b")) || !bytes.Equal(mvcc.ranges[1][1], []byte("b\x00")) {
		t.Fatalf("lite: %d sent to the region, ranges %q", inner.sent, mvcc.ranges)
	}
	send(c)
	if inner.sent != 1 {
		t.Fatalf("without keys: %d sent to the region, want 1", inner.sent)
	}
	mvcc.fail = true
	send(c, []byte("a"))
	if inner.sent != 2 {
		t.Fatalf("a failed key: %d sent to the region, want 2", inner.sent)
	}
}

// TestLiteResolveCommitsTheLock: over the embedded store's MVCC layer, a
// lite resolution commits the named key's lock and no other.
func TestLiteResolveCommitsTheLock(t *testing.T) {
	st := open(t, Options{})
	startTS := latest(t, st)
	muts := []*kvrpcpb.Mutation{
		{Op: kvrpcpb.Op_Put, Key: []byte("titan:Ma"), Value: []byte("1")},
		{Op: kvrpcpb.Op_Put, Key: []byte("titan:Mb"), Value: []byte("2")},
	}
	if errs := st.mvcc.Prewrite(&kvrpcpb.PrewriteRequest{Mutations: muts, PrimaryLock: []byte("titan:Ma"), StartVersion: startTS, LockTtl: 60000}); len(errs) > 0 && errs[0] != nil {
		t.Fatal(errs)
	}
	commitTS := latest(t, st)
	inner := &sentClient{}
	c := liteResolveClient{Client: inner, mvcc: st.mvcc}
	req := tikvrpc.NewRequest(tikvrpc.CmdResolveLock, &kvrpcpb.ResolveLockRequest{StartVersion: startTS, CommitVersion: commitTS, Keys: [][]byte{[]byte("titan:Ma")}})
	if _, err := c.SendRequest(context.Background(), "store1", req, time.Second); err != nil || inner.sent != 0 {
		t.Fatalf("resolve: %v, %d sent to the region", err, inner.sent)
	}
	if v, err := st.mvcc.Get([]byte("titan:Ma"), latest(t, st), kvrpcpb.IsolationLevel_SI, nil); err != nil || string(v) != "1" {
		t.Fatalf("resolved key = %q, %v; want committed 1", v, err)
	}
	if _, err := st.mvcc.Get([]byte("titan:Mb"), latest(t, st), kvrpcpb.IsolationLevel_SI, nil); err == nil {
		t.Fatal("the key not named was resolved too: want it still locked")
	}
}
