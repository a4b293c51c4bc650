package server

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	plog "github.com/pingcap/log"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zapcore"

	"github.com/titan-kv/titan/command"
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/store"
)

var ctx = context.Background()

func TestMain(m *testing.M) {
	plog.SetLevel(zapcore.ErrorLevel) // client-go's own logging
	os.Exit(m.Run())
}

// instance is one in-process titan: a DB and a server on a loopback port.
type instance struct {
	st  *store.Store
	db  *db.DB
	m   *metrics.Metrics
	srv *Server
	cli *redis.Client
}

type storeOpts struct {
	batch bool
	delay time.Duration
}

// newStore opens an embedded store in a temporary directory.
func newStore(t *testing.T, o storeOpts) *instance {
	t.Helper()
	m := metrics.New()
	st, err := store.Open(ctx, store.Options{DataDir: t.TempDir(), RPCDelay: o.delay})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d := db.New(st, db.Options{Batch: db.BatchOptions{Enabled: o.batch}}, m)
	t.Cleanup(func() { d.Close() })
	in := serveDB(t, d, m)
	in.st = st
	return in
}

// peer starts a second instance on the same store, as another titan
// process sharing the cluster.
func (in *instance) peer(t *testing.T, batch bool) *instance {
	t.Helper()
	m := metrics.New()
	d := db.New(in.st, db.Options{Batch: db.BatchOptions{Enabled: batch}}, m)
	t.Cleanup(func() { d.Close() })
	p := serveDB(t, d, m)
	p.st = in.st
	return p
}

func serveDB(t *testing.T, d *db.DB, m *metrics.Metrics) *instance {
	t.Helper()
	srv := New(command.NewEngine(command.Config{Databases: 16}, d, m))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		srv.Shutdown(c)
	})
	cli := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), PoolSize: 100, MaxRetries: -1, ReadTimeout: time.Minute})
	t.Cleanup(func() { cli.Close() })
	return &instance{db: d, m: m, srv: srv, cli: cli}
}

func (in *instance) client(t *testing.T) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: in.cli.Options().Addr, PoolSize: 4, MaxRetries: -1, ReadTimeout: time.Minute})
	t.Cleanup(func() { c.Close() })
	return c
}

// parallel runs n workers and fails the test on the first error.
func parallel(t *testing.T, n int, fn func(worker int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(w); err != nil {
				errs <- fmt.Errorf("worker %d: %w", w, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestPingAndUnknown(t *testing.T) {
	in := newStore(t, storeOpts{batch: true})
	if v, err := in.cli.Ping(ctx).Result(); err != nil || v != "PONG" {
		t.Fatalf("ping = %q, %v", v, err)
	}
	err := in.cli.Do(ctx, "nosuch", "a").Err()
	if err == nil || err.Error() != "ERR unknown command 'nosuch', with args beginning with: 'a' " {
		t.Fatalf("unknown command: %v", err)
	}
}

func (in *instance) requests(kind string) float64 {
	mfs, _ := in.m.Registry.Gather()
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != "titan_tikv_requests_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "type" && (kind == "" || l.GetValue() == kind) {
					sum += s.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}

// TestPipelineRoundTrips: a pipeline runs as one transaction, and each
// reply is what the command alone would answer.
func TestPipelineRoundTrips(t *testing.T) {
	in := newStore(t, storeOpts{batch: true})
	in.cli.Set(ctx, "s", "x", 0)
	before, writesBefore := in.requests(""), in.requests("Prewrite")+in.requests("Commit")
	pipe := in.cli.Pipeline()
	var sets []*redis.StatusCmd
	for i := 0; i < 100; i++ {
		sets = append(sets, pipe.Set(ctx, fmt.Sprint("k", i), i, 0))
	}
	incr := pipe.Incr(ctx, "k7")
	get := pipe.Get(ctx, "k7")
	bad := pipe.Incr(ctx, "s")
	mget := pipe.MGet(ctx, "k1", "nope", "k99")
	if _, err := pipe.Exec(ctx); err == nil || err.Error() != "ERR value is not an integer or out of range" {
		t.Fatalf("pipeline error = %v", err)
	}
	for i, s := range sets {
		if s.Val() != "OK" {
			t.Fatalf("set %d = %v", i, s.Err())
		}
	}
	if incr.Val() != 8 || get.Val() != "8" || bad.Err() == nil {
		t.Fatalf("incr %v, get %v, bad %v", incr.Val(), get.Val(), bad.Err())
	}
	if v := mget.Val(); len(v) != 3 || v[0] != "1" || v[1] != nil || v[2] != "99" {
		t.Fatalf("mget = %v", v)
	}
	rpcs := in.requests("") - before
	writes := in.requests("Prewrite") + in.requests("Commit") - writesBefore
	t.Logf("104 pipelined commands: %.0f TiKV requests, %.0f of them writes", rpcs, writes)
	if writes > 4 || rpcs > 8 {
		t.Fatalf("104 pipelined commands cost %.0f requests (%.0f writes)", rpcs, writes)
	}
}
