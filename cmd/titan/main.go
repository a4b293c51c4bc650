// Command titan is a Redis-protocol server that keeps its data in TiKV.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	plog "github.com/pingcap/log"
	"github.com/spf13/cobra"
	"go.uber.org/zap/zapcore"

	"github.com/titan-kv/titan/bigmem"
	"github.com/titan-kv/titan/conf"
	"github.com/titan-kv/titan/instance"
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
	var testStore store.Options // the hidden test-only options of the embedded store
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
			return run(final, testStore)
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
	f.StringVar(&cfg.ACLFile, "aclfile", cfg.ACLFile, "file ACL SAVE writes the users to and ACL LOAD reads them from")
	f.IntVar(&cfg.Databases, "databases", cfg.Databases, "number of databases")
	f.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error")
	f.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "text or json (one JSON object per line, for log shippers)")
	f.IntVar(&cfg.MaxClients, "max-clients", cfg.MaxClients, "maximum open connections (0: no limit)")
	f.IntVar(&cfg.Timeout, "timeout", cfg.Timeout, "close connections idle for this many seconds (0: never)")
	f.BoolVar(&cfg.Batch.Enabled, "write-batch", cfg.Batch.Enabled, "combine concurrent commands into shared transactions")
	f.DurationVar(&cfg.EmbeddedDelay.Duration, "embedded-rpc-delay", cfg.EmbeddedDelay.Duration, "delay added to every request of the embedded store, to imitate a cluster's network")
	f.Int64Var(&cfg.ProtoMaxBulkLen, "proto-max-bulk-len", cfg.ProtoMaxBulkLen, "largest bulk argument (and string value) accepted, in bytes")
	f.Int64Var(&cfg.QueryBufferLimit, "client-query-buffer-limit", cfg.QueryBufferLimit, "largest request (all its arguments) a client may send, in bytes; a client over it is disconnected")
	f.StringVar(&cfg.OutputBufferLimit, "client-output-buffer-limit", cfg.OutputBufferLimit, `"normal <hard> <soft> <secs>": a normal client whose replies to one pipeline exceed the hard limit is disconnected (0: no limit)`)
	f.IntVar(&cfg.TLSPort, "tls-port", cfg.TLSPort, "serve the Redis protocol over TLS on this port too (0: off)")
	f.StringVar(&cfg.TLSCertFile, "tls-cert-file", cfg.TLSCertFile, "server certificate (PEM) for the TLS port and status-tls")
	f.StringVar(&cfg.TLSKeyFile, "tls-key-file", cfg.TLSKeyFile, "private key (PEM) of tls-cert-file")
	f.StringVar(&cfg.TLSCACertFile, "tls-ca-cert-file", cfg.TLSCACertFile, "CA (PEM) client certificates are checked against")
	f.StringVar(&cfg.TLSAuthClients, "tls-auth-clients", cfg.TLSAuthClients, "yes, no or optional: whether TLS clients must present a certificate")
	f.BoolVar(&cfg.StatusTLS, "status-tls", cfg.StatusTLS, "serve the status endpoints over TLS")
	f.StringVar(&cfg.StoreTLSCA, "store-tls-ca-file", cfg.StoreTLSCA, "CA (PEM) of the PD and TiKV certificates")
	f.StringVar(&cfg.StoreTLSCert, "store-tls-cert-file", cfg.StoreTLSCert, "client certificate (PEM) towards PD and TiKV")
	f.StringVar(&cfg.StoreTLSKey, "store-tls-key-file", cfg.StoreTLSKey, "private key (PEM) of store-tls-cert-file")
	f.StringVar(&cfg.Bus.Listen, "bus-listen", cfg.Bus.Listen, "address of the bus between instances (empty: the host of --listen, a free port)")
	f.StringVar(&cfg.Bus.Advertise, "bus-advertise", cfg.Bus.Advertise, "address other instances dial to reach this one's bus (empty: the address listened on)")
	f.BoolVar(&cfg.Cluster.Mode, "cluster-mode", cfg.Cluster.Mode, "answer Redis Cluster clients: CLUSTER SLOTS/SHARDS/NODES divide the slots among the live instances in cluster mode")
	f.StringVar(&cfg.Cluster.AnnounceIP, "cluster-announce-ip", cfg.Cluster.AnnounceIP, "address cluster clients are told to reach this instance at (empty: the host of --listen)")
	f.IntVar(&cfg.Cluster.AnnouncePort, "cluster-announce-port", cfg.Cluster.AnnouncePort, "port cluster clients are told (0: the port of --listen)")
	f.BoolVar(&cfg.Background.Enabled, "background", cfg.Background.Enabled, "run background tasks (expiry, collector, GC safe point) when elected")
	// Test-only options of the embedded store, hidden from --help.
	f.IntVar(&testStore.Regions, "test-embedded-regions", 0, "start the embedded store with this many regions")
	f.DurationVar(&testStore.SplitInterval, "test-embedded-split-interval", 0, "split a region of the embedded store every interval")
	f.Float64Var(&testStore.FaultRate, "test-embedded-fault-rate", 0, "share of embedded store requests answered with injected region errors")
	f.IntVar(&testStore.SplitKeys, "test-embedded-split-keys", 0, "split an embedded store region after this many versions written (0: the default, negative: never)")
	for _, name := range []string{"test-embedded-regions", "test-embedded-split-interval", "test-embedded-fault-rate", "test-embedded-split-keys"} {
		f.MarkHidden(name)
	}
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
		set("aclfile", func() { cfg.ACLFile = flags.ACLFile })
		set("databases", func() { cfg.Databases = flags.Databases })
		set("log-level", func() { cfg.LogLevel = flags.LogLevel })
		set("log-format", func() { cfg.LogFormat = flags.LogFormat })
		set("max-clients", func() { cfg.MaxClients = flags.MaxClients })
		set("timeout", func() { cfg.Timeout = flags.Timeout })
		set("write-batch", func() { cfg.Batch.Enabled = flags.Batch.Enabled })
		set("embedded-rpc-delay", func() { cfg.EmbeddedDelay = flags.EmbeddedDelay })
		set("background", func() { cfg.Background.Enabled = flags.Background.Enabled })
		set("proto-max-bulk-len", func() { cfg.ProtoMaxBulkLen = flags.ProtoMaxBulkLen })
		set("tls-port", func() { cfg.TLSPort = flags.TLSPort })
		set("tls-cert-file", func() { cfg.TLSCertFile = flags.TLSCertFile })
		set("tls-key-file", func() { cfg.TLSKeyFile = flags.TLSKeyFile })
		set("tls-ca-cert-file", func() { cfg.TLSCACertFile = flags.TLSCACertFile })
		set("tls-auth-clients", func() { cfg.TLSAuthClients = flags.TLSAuthClients })
		set("status-tls", func() { cfg.StatusTLS = flags.StatusTLS })
		set("store-tls-ca-file", func() { cfg.StoreTLSCA = flags.StoreTLSCA })
		set("store-tls-cert-file", func() { cfg.StoreTLSCert = flags.StoreTLSCert })
		set("store-tls-key-file", func() { cfg.StoreTLSKey = flags.StoreTLSKey })
		set("client-query-buffer-limit", func() { cfg.QueryBufferLimit = flags.QueryBufferLimit })
		set("client-output-buffer-limit", func() { cfg.OutputBufferLimit = flags.OutputBufferLimit })
		set("bus-listen", func() { cfg.Bus.Listen = flags.Bus.Listen })
		set("bus-advertise", func() { cfg.Bus.Advertise = flags.Bus.Advertise })
		set("cluster-mode", func() { cfg.Cluster.Mode = flags.Cluster.Mode })
		set("cluster-announce-ip", func() { cfg.Cluster.AnnounceIP = flags.Cluster.AnnounceIP })
		set("cluster-announce-port", func() { cfg.Cluster.AnnouncePort = flags.Cluster.AnnouncePort })
	}
	return cfg, cfg.Validate()
}

// run serves until a signal; testStore carries the embedded store's
// test-only options.
func run(cfg conf.Config, testStore store.Options) error {
	level := new(slog.LevelVar)
	level.Set(cfg.SlogLevel())
	opts := &slog.HandlerOptions{Level: level}
	var handler slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if cfg.LogFormat == "json" {
		handler = slog.NewJSONHandler(os.Stderr, opts)
	}
	slog.SetDefault(slog.New(handler))
	// client-go logs through pingcap/log; keep it to errors unless debugging,
	// in JSON too when asked.
	if cfg.LogFormat == "json" {
		lvl := "error"
		if cfg.SlogLevel() <= slog.LevelDebug {
			lvl = "debug"
		}
		lg, props, err := plog.InitLoggerWithWriteSyncer(&plog.Config{Level: lvl, Format: "json"},
			zapcore.AddSync(os.Stderr), zapcore.AddSync(os.Stderr))
		if err == nil {
			plog.ReplaceGlobals(lg, props)
		}
	} else if cfg.SlogLevel() > slog.LevelDebug {
		plog.SetLevel(zapcore.ErrorLevel)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	// Listen first, so a taken port fails fast, before the store opens.
	ln, statusLn, err := instance.Listen(cfg)
	if err != nil {
		return err
	}
	closeListeners := func() {
		ln.Close()
		if statusLn != nil {
			statusLn.Close()
		}
	}
	openCtx, cancel := context.WithTimeout(ctx, cfg.StoreTimeout.Duration)
	st, err := store.Open(openCtx, store.Options{
		Address:       cfg.Store,
		DataDir:       cfg.DataDir,
		RPCDelay:      cfg.EmbeddedDelay.Duration,
		TLS:           store.TLS{CA: cfg.StoreTLSCA, Cert: cfg.StoreTLSCert, Key: cfg.StoreTLSKey},
		Regions:       testStore.Regions,
		KeyPrefix:     cfg.Namespace + ":",
		SplitInterval: testStore.SplitInterval,
		FaultRate:     testStore.FaultRate,
		SplitKeys:     testStore.SplitKeys,
	})
	cancel()
	if testStore.Regions > 1 || testStore.SplitInterval > 0 || testStore.FaultRate > 0 {
		slog.Warn("embedded store with test options", "regions", testStore.Regions,
			"split_interval", testStore.SplitInterval, "fault_rate", testStore.FaultRate)
	}
	if err != nil {
		closeListeners()
		if cfg.Store != "" {
			return fmt.Errorf("open store: %w (store-timeout %s)", err, cfg.StoreTimeout)
		}
		return fmt.Errorf("open store: %w", err)
	}
	in, err := instance.Start(ctx, cfg, st, ln, statusLn, instance.Build{Version: version, Commit: commit, LogLevel: level, Memory: bigmem.New()})
	if err != nil {
		st.Close()
		closeListeners()
		return err
	}
	slog.Info("titan ready", "version", version, "listen", in.Addr(), "tls", in.TLSAddr(), "status", cfg.StatusListen,
		"store", storeLabel(cfg), "write_batch", cfg.Batch.Enabled)

	select {
	case <-ctx.Done():
		slog.Info("shutting down")
	case err := <-in.Done():
		if err != nil {
			slog.Error("serve", "err", err)
		}
	}
	// However stuck the store, the process exits within the bound: in.Stop
	// aborts the commands still in flight at the deadline, and the
	// watchdog ends the process if closing the store hangs.
	watchdog := time.AfterFunc(shutdownBound, func() {
		slog.Error("shutdown took too long, exiting", "bound", shutdownBound)
		os.Exit(1)
	})
	defer watchdog.Stop()
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	in.Stop(shutCtx)
	if err := st.Close(); err != nil {
		return err
	}
	slog.Info("stopped")
	return nil
}

// shutdownBound bounds the time from SIGTERM to exit.
const shutdownBound = 15 * time.Second

func storeLabel(cfg conf.Config) string {
	if cfg.Store == "" {
		return "embedded:" + cfg.DataDir
	}
	return cfg.Store
}
