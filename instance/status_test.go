package instance

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tikv/client-go/v2/tikvrpc"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/store"
)

// TestHealthzFollowsStore: /healthz answers 503 while the store does not
// answer and 200 again once it does, without a restart (issue 18 item 7:
// it stayed healthy while the store was unreachable).
func TestHealthzFollowsStore(t *testing.T) {
	var down atomic.Bool
	st, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir(), Fault: func(*tikvrpc.Request) error {
		if down.Load() {
			return errors.New("store unreachable (injected)")
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	d := db.New(st, db.Options{CommandTimeout: 500 * time.Millisecond}, nil)
	t.Cleanup(func() { d.Close(); st.Close() })
	srv := httptest.NewServer(statusMux(metrics.New(), d, st))
	defer srv.Close()
	status := func() int {
		t.Helper()
		r, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	if got := status(); got != http.StatusOK {
		t.Fatalf("/healthz with the store up = %d", got)
	}
	down.Store(true)
	if got := status(); got != http.StatusServiceUnavailable {
		t.Fatalf("/healthz with the store down = %d", got)
	}
	down.Store(false)
	if got := status(); got != http.StatusOK {
		t.Fatalf("/healthz after the store came back = %d", got)
	}
}
