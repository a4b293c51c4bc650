// Package instance wires one titan instance together: a database view of
// a store (package db), its background tasks, the command engine, the
// Redis-protocol server and the HTTP status server. cmd/titan starts one
// per process; tests start several over one store to show that instances
// share nothing but the store.
package instance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/titan-kv/titan/background"
	"github.com/titan-kv/titan/command"
	"github.com/titan-kv/titan/conf"
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/server"
	"github.com/titan-kv/titan/store"
)

// Build identifies the binary in INFO and HELLO.
type Build struct {
	Version, Commit string
}

// Instance is one running titan instance over a store it does not own.
type Instance struct {
	cfg     conf.Config
	Metrics *metrics.Metrics
	DB      *db.DB

	ln, statusLn net.Listener
	srv          *server.Server
	status       *http.Server
	serveErr     chan error
	stopBG       context.CancelFunc
	bgDone       chan struct{}
}

// Listen opens the instance's listeners first, so that a taken port fails
// before anything else starts. Close them with Instance.Stop, or by hand
// if Start is never called.
func Listen(cfg conf.Config) (ln, statusLn net.Listener, err error) {
	if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, nil, fmt.Errorf("listen: %w", err)
	}
	if cfg.StatusListen != "" {
		if statusLn, err = net.Listen("tcp", cfg.StatusListen); err != nil {
			ln.Close()
			return nil, nil, fmt.Errorf("status listen: %w", err)
		}
	}
	return ln, statusLn, nil
}

// Start serves st on ln (and the status endpoints on statusLn, when not
// nil) with the settings of cfg. The store stays the caller's: Stop does
// not close it.
func Start(ctx context.Context, cfg conf.Config, st *store.Store, ln, statusLn net.Listener, build Build) (*Instance, error) {
	m := metrics.New()
	d := db.New(st, db.Options{
		Namespace:      cfg.Namespace,
		MaxRetries:     cfg.Txn.MaxRetries,
		CommandTimeout: cfg.Txn.CommandTimeout.Duration,
		OnePC:          cfg.Txn.OnePC,
		AsyncCommit:    cfg.Txn.AsyncCommit,
		Batch: db.BatchOptions{
			Enabled:     cfg.Batch.Enabled,
			MaxCommands: cfg.Batch.MaxCommands,
			Workers:     cfg.Batch.Workers,
		},
	}, m)
	pingCtx, cancel := context.WithTimeout(ctx, cfg.StoreTimeout.Duration)
	err := d.Ping(pingCtx)
	cancel()
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("store unreachable: %w (store-timeout %s)", err, cfg.StoreTimeout)
	}
	in := &Instance{cfg: cfg, Metrics: m, DB: d, ln: ln, statusLn: statusLn,
		serveErr: make(chan error, 1), bgDone: make(chan struct{})}

	bg := background.New(st, d, background.Options{
		Disabled:          !cfg.Background.Enabled,
		LeaseTTL:          cfg.Background.LeaseTTL.Duration,
		ExpireInterval:    cfg.Background.ExpireInterval.Duration,
		GCInterval:        cfg.Background.GCInterval.Duration,
		GCRate:            cfg.Background.GCRate,
		SafePointInterval: cfg.Background.SafePointInterval.Duration,
		GCLifeTime:        cfg.Background.GCLifeTime.Duration,
	}, m)
	var bgCtx context.Context
	bgCtx, in.stopBG = context.WithCancel(context.Background())
	go func() { bg.Run(bgCtx); close(in.bgDone) }()

	in.srv = server.New(command.NewEngine(command.Config{
		RequirePass: cfg.RequirePass,
		Databases:   cfg.Databases,
		MaxClients:  cfg.MaxClients,
		IdleTimeout: time.Duration(cfg.Timeout) * time.Second,
		MaxBulkLen:  cfg.ProtoMaxBulkLen,
		Port:        portOf(ln.Addr()),
		Version:     build.Version,
		Commit:      build.Commit,
	}, d, m))

	if statusLn != nil {
		in.status = &http.Server{Handler: statusMux(m, d), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := in.status.Serve(statusLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				slog.Error("status server", "err", err)
			}
		}()
	}
	go func() { in.serveErr <- in.srv.Serve(ln) }()
	return in, nil
}

// Addr is the address the Redis protocol is served on.
func (in *Instance) Addr() string { return in.ln.Addr().String() }

// Done delivers the server's error if it stops
// serving on its own (a failed listener).
func (in *Instance) Done() <-chan error { return in.serveErr }

// Stop shuts the instance down in the reverse order of Start: the server
// (open connections get closed), the status server, the background tasks,
// the database view. ctx bounds the wait for connections to finish.
func (in *Instance) Stop(ctx context.Context) {
	in.srv.Shutdown(ctx)
	if in.status != nil {
		in.status.Shutdown(ctx)
	}
	in.stopBG()
	<-in.bgDone
	in.DB.Close()
}

func statusMux(m *metrics.Metrics, d *db.DB) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := d.Ping(ctx); err != nil {
			slog.Warn("healthz: store unreachable", "err", err)
			http.Error(w, "store unreachable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// portOf returns the port of a listening address.
func portOf(a net.Addr) string {
	_, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return ""
	}
	return port
}
