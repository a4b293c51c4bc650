// Package instancetest starts several titan instances over one embedded
// store inside a test process: the way tests show that instances share
// nothing but the store (cursors, WATCH, blocking wakes, pub/sub, lease
// failover).
package instancetest

import (
	"context"
	"testing"
	"time"

	"github.com/titan-kv/titan/conf"
	"github.com/titan-kv/titan/instance"
	"github.com/titan-kv/titan/store"
)

// Group is a set of instances over one store.
type Group struct {
	t     testing.TB
	cfg   conf.Config
	Store *store.Store
	// Instances are the running instances; a stopped one is nil until
	// Restart.
	Instances []*instance.Instance
	addrs     []string
}

// Options tune a Group.
type Options struct {
	// Store opens the shared store; empty means an embedded store in a
	// temporary directory.
	Store store.Options
	// Config changes the default configuration of every instance before
	// it starts (listen addresses are chosen by the group).
	Config func(*conf.Config)
}

// Start starts n instances over one store and stops them when the test
// ends.
func Start(t testing.TB, n int, o Options) *Group {
	t.Helper()
	so := o.Store
	if so.Address == "" && so.DataDir == "" {
		so.DataDir = t.TempDir()
	}
	// A cluster's PD that does not answer fails the test, not hangs it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, so)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	cfg := conf.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.StatusListen = ""
	if o.Config != nil {
		o.Config(&cfg)
	}
	g := &Group{t: t, cfg: cfg, Store: st, Instances: make([]*instance.Instance, n), addrs: make([]string, n)}
	t.Cleanup(g.close)
	for i := range n {
		g.start(i, "127.0.0.1:0")
	}
	return g
}

func (g *Group) start(i int, addr string) {
	g.t.Helper()
	cfg := g.cfg
	cfg.Listen = addr
	ln, statusLn, err := instance.Listen(cfg)
	if err != nil {
		g.t.Fatalf("instance %d: %v", i, err)
	}
	in, err := instance.Start(context.Background(), cfg, g.Store, ln, statusLn, instance.Build{Version: "test"})
	if err != nil {
		ln.Close()
		g.t.Fatalf("instance %d: %v", i, err)
	}
	g.Instances[i] = in
	g.addrs[i] = in.Addr()
}

// Addr is the address instance i serves (or served, when stopped).
func (g *Group) Addr(i int) string { return g.addrs[i] }

// Addrs are the addresses of all instances.
func (g *Group) Addrs() []string { return append([]string(nil), g.addrs...) }

// Stop stops instance i as a crash would look to its peers: its
// connections close and its background tasks end without a goodbye to the
// store beyond what a dying process leaves.
func (g *Group) Stop(i int) {
	if g.Instances[i] == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	g.Instances[i].Stop(ctx)
	g.Instances[i] = nil
}

// Kill stops instance i as a crash would (instance.Instance.Kill): its
// connections are cut without waiting for the commands in flight and it
// stays in the bus registry until its lease ends.
func (g *Group) Kill(i int) {
	if g.Instances[i] == nil {
		return
	}
	g.Instances[i].Kill()
	g.Instances[i] = nil
}

// Restart starts instance i again on the address it had.
func (g *Group) Restart(i int) {
	g.t.Helper()
	g.Stop(i)
	g.start(i, g.addrs[i])
}

func (g *Group) close() {
	for i := range g.Instances {
		g.Stop(i)
	}
	g.Store.Close()
}
