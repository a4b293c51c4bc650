// Command titan is a Redis-protocol server that keeps its data in TiKV.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	plog "github.com/pingcap/log"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"go.uber.org/zap/zapcore"

	"github.com/titan-kv/titan/background"
	"github.com/titan-kv/titan/command"
	"github.com/titan-kv/titan/conf"
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/server"
	"github.com/titan-kv/titan/store"
)

// Set at link time by the Makefile.
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		// One line, whatever the error (validation may join several).
		fmt.Fprintln(os.Stderr, "titan:", strings.ReplaceAll(err.Error(), "\n", "; "))
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	var configPath string
	cfg := conf.Default()
	root := &cobra.Command{
		Use:           "titan",
		Short:         "A Redis-protocol server that keeps its data in TiKV",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			final, err := resolveConfig(cmd, configPath, cfg)
			if err != nil {
				return err
			}
			return run(final)
		},
	}
	f := root.Flags()
	f.StringVar(&configPath, "config", "", "TOML config file (flags given on the command line win)")
	f.StringVar(&cfg.Listen, "listen", cfg.Listen, "address the Redis protocol is served on")
	f.StringVar(&cfg.StatusListen, "status-listen", cfg.StatusListen, "HTTP address for /metrics, /healthz and /debug/pprof (empty: off)")
	f.StringVar(&cfg.Store, "store", cfg.Store, "empty for the embedded store, or tikv://pd1:2379,pd2:2379")
	f.DurationVar(&cfg.StoreTimeout.Duration, "store-timeout", cfg.StoreTimeout.Duration, "how long to wait for the store at start")
	f.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory of the embedded store")
	f.StringVar(&cfg.Namespace, "namespace", cfg.Namespace, "prefix of every TiKV key, to share a cluster")
	f.StringVar(&cfg.RequirePass, "requirepass", cfg.RequirePass, "password clients must AUTH with")
	f.IntVar(&cfg.Databases, "databases", cfg.Databases, "number of databases")
	f.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error")
	f.IntVar(&cfg.MaxClients, "max-clients", cfg.MaxClients, "maximum open connections (0: no limit)")
	f.IntVar(&cfg.Timeout, "timeout", cfg.Timeout, "close connections idle for this many seconds (0: never)")
	f.BoolVar(&cfg.Batch.Enabled, "write-batch", cfg.Batch.Enabled, "combine concurrent commands into shared transactions")
	f.DurationVar(&cfg.EmbeddedDelay.Duration, "embedded-rpc-delay", cfg.EmbeddedDelay.Duration, "delay added to every request of the embedded store, to imitate a cluster's network")
	f.BoolVar(&cfg.Background.Enabled, "background", cfg.Background.Enabled, "run background tasks (expiry, collector, GC safe point) when elected")
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version and commit",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "titan %s (commit %s)\n", version, commit)
		},
	})
	return root
}

// resolveConfig loads the config file, then applies the flags that were
// set on the command line, then validates.
func resolveConfig(cmd *cobra.Command, path string, flags conf.Config) (conf.Config, error) {
	cfg := flags
	if path != "" {
		fileCfg, err := conf.Load(path)
		if err != nil {
			return cfg, err
		}
		cfg = fileCfg
		set := func(name string, apply func()) {
			if cmd.Flags().Changed(name) {
				apply()
			}
		}
		set("listen", func() { cfg.Listen = flags.Listen })
		set("status-listen", func() { cfg.StatusListen = flags.StatusListen })
		set("store", func() { cfg.Store = flags.Store })
		set("store-timeout", func() { cfg.StoreTimeout = flags.StoreTimeout })
		set("data-dir", func() { cfg.DataDir = flags.DataDir })
		set("namespace", func() { cfg.Namespace = flags.Namespace })
		set("requirepass", func() { cfg.RequirePass = flags.RequirePass })
		set("databases", func() { cfg.Databases = flags.Databases })
		set("log-level", func() { cfg.LogLevel = flags.LogLevel })
		set("max-clients", func() { cfg.MaxClients = flags.MaxClients })
		set("timeout", func() { cfg.Timeout = flags.Timeout })
		set("write-batch", func() { cfg.Batch.Enabled = flags.Batch.Enabled })
		set("embedded-rpc-delay", func() { cfg.EmbeddedDelay = flags.EmbeddedDelay })
		set("background", func() { cfg.Background.Enabled = flags.Background.Enabled })
	}
	return cfg, cfg.Validate()
}

func run(cfg conf.Config) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	slog.SetDefault(logger)
	// client-go logs through pingcap/log; keep it to errors unless debugging.
	if cfg.SlogLevel() > slog.LevelDebug {
		plog.SetLevel(zapcore.ErrorLevel)
	}

	m := metrics.New()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	// Listen first, so a taken port fails fast, before the store opens.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	var statusLn net.Listener
	if cfg.StatusListen != "" {
		if statusLn, err = net.Listen("tcp", cfg.StatusListen); err != nil {
			ln.Close()
			return fmt.Errorf("status listen: %w", err)
		}
	}

	closeListeners := func() {
		ln.Close()
		if statusLn != nil {
			statusLn.Close()
		}
	}
	openCtx, cancel := context.WithTimeout(ctx, cfg.StoreTimeout.Duration)
	st, err := store.Open(openCtx, store.Options{
		Address:  cfg.Store,
		DataDir:  cfg.DataDir,
		RPCDelay: cfg.EmbeddedDelay.Duration,
	})
	cancel()
	if err != nil {
		closeListeners()
		return fmt.Errorf("open store: %w (store-timeout %s)", err, cfg.StoreTimeout)
	}
	d := db.New(st, db.Options{
		Namespace:      cfg.Namespace,
		MaxRetries:     cfg.Txn.MaxRetries,
		CommandTimeout: cfg.Txn.CommandTimeout.Duration,
		OnePC:          cfg.Txn.OnePC,
		AsyncCommit:    cfg.Txn.AsyncCommit,
		Batch: db.BatchOptions{
			Enabled:     cfg.Batch.Enabled,
			MaxCommands: cfg.Batch.MaxCommands,
			Wait:        cfg.Batch.Wait.Duration,
			Workers:     cfg.Batch.Workers,
		},
	}, m)
	pingCtx, cancel := context.WithTimeout(ctx, cfg.StoreTimeout.Duration)
	err = d.Ping(pingCtx)
	cancel()
	if err != nil {
		d.Close()
		st.Close()
		closeListeners()
		return fmt.Errorf("store unreachable: %w (store-timeout %s)", err, cfg.StoreTimeout)
	}
	bg := background.New(st, d, background.Options{
		Disabled:          !cfg.Background.Enabled,
		LeaseTTL:          cfg.Background.LeaseTTL.Duration,
		ExpireInterval:    cfg.Background.ExpireInterval.Duration,
		GCInterval:        cfg.Background.GCInterval.Duration,
		GCRate:            cfg.Background.GCRate,
		SafePointInterval: cfg.Background.SafePointInterval.Duration,
		GCLifeTime:        cfg.Background.GCLifeTime.Duration,
	}, m)
	bgCtx, stopBG := context.WithCancel(context.Background())
	bgDone := make(chan struct{})
	go func() { bg.Run(bgCtx); close(bgDone) }()

	srv := server.New(command.NewEngine(command.Config{
		RequirePass: cfg.RequirePass,
		Databases:   cfg.Databases,
		MaxClients:  cfg.MaxClients,
		IdleTimeout: time.Duration(cfg.Timeout) * time.Second,
		MaxBulkLen:  cfg.ProtoMaxBulkLen,
		Port:        portOf(ln.Addr()),
		Version:     version,
		Commit:      commit,
	}, d, m))

	var status *http.Server
	if statusLn != nil {
		status = &http.Server{Handler: statusMux(m, d), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := status.Serve(statusLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				slog.Error("status server", "err", err)
			}
		}()
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	slog.Info("titan ready", "version", version, "listen", ln.Addr().String(), "status", cfg.StatusListen,
		"store", storeLabel(cfg), "write_batch", cfg.Batch.Enabled)

	select {
	case <-ctx.Done():
		slog.Info("shutting down")
	case err := <-serveErr:
		if err != nil {
			slog.Error("serve", "err", err)
		}
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Reverse order of start: server, background tasks, db, store.
	srv.Shutdown(shutCtx)
	if status != nil {
		status.Shutdown(shutCtx)
	}
	stopBG()
	<-bgDone
	d.Close()
	if err := st.Close(); err != nil {
		return err
	}
	slog.Info("stopped")
	return nil
}

func storeLabel(cfg conf.Config) string {
	if cfg.Store == "" {
		return "embedded:" + cfg.DataDir
	}
	return cfg.Store
}

func statusMux(m *metrics.Metrics, d *db.DB) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := d.Ping(ctx); err != nil {
			http.Error(w, "store: "+err.Error(), http.StatusServiceUnavailable)
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
