package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	plog "github.com/pingcap/log"
	"github.com/tikv/client-go/v2/tikvrpc"
	"go.uber.org/zap/zapcore"

	"github.com/titan-kv/titan/metrics"
)

func TestMain(m *testing.M) {
	plog.SetLevel(zapcore.ErrorLevel) // client-go's own logging
	os.Exit(m.Run())
}

func open(t *testing.T, o Options) *Store {
	t.Helper()
	st, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func put(t *testing.T, st *Store, kvs map[string]string) {
	t.Helper()
	txn, err := st.KV().Begin()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range kvs {
		if err := txn.Set([]byte(k), []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := txn.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func get(st *Store, k string) (string, error) {
	txn, err := st.KV().Begin()
	if err != nil {
		return "", err
	}
	defer txn.Rollback()
	v, err := txn.Get(context.Background(), []byte(k))
	return string(v), err
}

func TestOpenAddress(t *testing.T) {
	if _, err := Open(context.Background(), Options{Address: "redis://x"}); err == nil {
		t.Fatal("opened a store at redis://x")
	}
	if _, err := Open(context.Background(), Options{Address: "tikv://"}); err == nil {
		t.Fatal("opened a cluster with no PD")
	}
}

func TestEmbeddedPersists(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Embedded() {
		t.Fatal("the embedded store says it is not")
	}
	put(t, st, map[string]string{"k": "v"})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = open(t, Options{DataDir: dir})
	if v, err := get(st, "k"); v != "v" || err != nil {
		t.Fatalf("after reopening: %q %v", v, err)
	}
}

// TestCommitDoneOnReturn: a transaction too big for one commit batch has
// committed every batch, secondaries included, when Commit returns.
func TestCommitDoneOnReturn(t *testing.T) {
	var commits atomic.Int64
	st := open(t, Options{Fault: func(req *tikvrpc.Request) error {
		if req.Type == tikvrpc.CmdCommit {
			commits.Add(1)
		}
		return nil
	}})
	kvs := map[string]string{}
	for i := 0; i < 2000; i++ {
		// Commit requests carry keys only: 2000 keys of 100 bytes are
		// several 16KB batches.
		kvs[fmt.Sprintf("%095d", i)] = "v"
	}
	put(t, st, kvs)
	atReturn := commits.Load()
	time.Sleep(200 * time.Millisecond)
	if n := commits.Load(); n != atReturn || n < 2 {
		t.Fatalf("%d commit requests when Commit returned, %d later; want the same, at least 2", atReturn, n)
	}
}

func TestFault(t *testing.T) {
	var down atomic.Bool
	st := open(t, Options{Fault: func(*tikvrpc.Request) error {
		if down.Load() {
			return errors.New("injected")
		}
		return nil
	}})
	put(t, st, map[string]string{"k": "v"})
	down.Store(true)
	txn, err := st.KV().Begin()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err = txn.Get(ctx, []byte("k"))
	cancel()
	txn.Rollback()
	if err == nil {
		t.Fatal("read succeeded with the store down")
	}
	down.Store(false)
	if v, err := get(st, "k"); v != "v" || err != nil {
		t.Fatalf("store back: %q %v", v, err)
	}
}

func TestRPCDelay(t *testing.T) {
	st := open(t, Options{RPCDelay: 50 * time.Millisecond})
	start := time.Now()
	if _, err := get(st, "k"); err == nil {
		t.Fatal("found a key in an empty store")
	}
	if took := time.Since(start); took < 50*time.Millisecond {
		t.Fatalf("a read took %v with a 50ms delay", took)
	}
}

func TestCountRequests(t *testing.T) {
	st := open(t, Options{})
	m := metrics.New()
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			txn, err := st.KV().Begin()
			if err != nil {
				t.Error(err)
				return
			}
			defer txn.Rollback()
			txn.SetRPCInterceptor(CountRequests(m))
			txn.Get(context.Background(), []byte("k"))
		}()
	}
	wg.Wait()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "titan_tikv_requests_total" {
			for _, s := range mf.GetMetric() {
				got[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
			}
		}
	}
	if len(got) != 1 || got["Get"] != 3 {
		t.Fatalf("counted %v, want Get=3", got)
	}
}

// TestDataDirInUse: a second store on the same data directory is refused
// at once with a message saying so (issue 18 item 7), and the directory
// opens again once the first store is closed.
func TestDataDirInUse(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Open(context.Background(), Options{DataDir: dir})
	if !errors.Is(err, ErrDataDirInUse) || !strings.Contains(err.Error(), "in use by another titan process") {
		t.Fatalf("second open: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("refusing took %v", took)
	}
	a.Close()
	b, err := Open(context.Background(), Options{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen after close: %v", err)
	}
	b.Close()
}
