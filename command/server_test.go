package command

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/metrics"
)

var ctx = context.Background()

// instance is one in-process titan: a DB and a server on a loopback port.
type instance struct {
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
	d, err := db.Open(ctx, db.Options{
		DataDir:  t.TempDir(),
		RPCDelay: o.delay,
		Batch:    db.BatchOptions{Enabled: o.batch},
	}, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return serveDB(t, d, m)
}

// peer starts a second instance on the same store, as another titan
// process sharing the cluster.
func (in *instance) peer(t *testing.T, batch bool) *instance {
	t.Helper()
	m := metrics.New()
	d := in.db.Peer(db.Options{Batch: db.BatchOptions{Enabled: batch}}, m)
	t.Cleanup(func() { d.Close() })
	return serveDB(t, d, m)
}

func serveDB(t *testing.T, d *db.DB, m *metrics.Metrics) *instance {
	t.Helper()
	srv := NewServer(Config{Databases: 16}, d, m)
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
