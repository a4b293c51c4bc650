// Package instance wires one titan instance together: a database view of
// a store (package db), its background tasks, the command engine, the
// Redis-protocol server and the HTTP status server. cmd/titan starts one
// per process; tests start several over one store to show that instances
// share nothing but the store.
package instance

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/titan-kv/titan/background"
	"github.com/titan-kv/titan/bigmem"
	"github.com/titan-kv/titan/bus"
	"github.com/titan-kv/titan/command"
	"github.com/titan-kv/titan/conf"
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/server"
	"github.com/titan-kv/titan/settings"
	"github.com/titan-kv/titan/store"
	"github.com/titan-kv/titan/tlsconf"
)

// Build identifies the binary in INFO and HELLO.
type Build struct {
	Version, Commit string
	// LogLevel, when set, is the process's log level, which CONFIG SET
	// loglevel changes.
	LogLevel *slog.LevelVar
	// Memory, when set, is the process's guard of long values in flight
	// (bigmem), shared by its instances.
	Memory *bigmem.Guard
}

// Instance is one running titan instance over a store it does not own.
type Instance struct {
	cfg     conf.Config
	Metrics *metrics.Metrics
	DB      *db.DB

	ln, statusLn net.Listener
	tlsLn        net.Listener // the TLS port, nil without one
	srv          *server.Server
	status       *http.Server
	serveErr     chan error
	// Bus is the instance's end of the bus to the other instances.
	Bus    *bus.Bus
	stopBG context.CancelFunc
	bgDone chan struct{}
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
		EmbeddedLifeTime:  background.EmbeddedLifeTime(cfg.Txn.CommandTimeout.Duration),
		Databases:         cfg.Databases,
	}, m)
	var bgCtx context.Context
	bgCtx, in.stopBG = context.WithCancel(context.Background())
	go func() { bg.Run(bgCtx); close(in.bgDone) }()

	outLimit, err := cfg.NormalOutputLimit()
	if err != nil {
		return nil, fmt.Errorf("client-output-buffer-limit: %w", err)
	}
	reg := settings.New(cfg)
	engine := command.NewEngine(command.Config{
		RequirePass:          cfg.RequirePass,
		ACLFile:              cfg.ACLFile,
		Databases:            cfg.Databases,
		MaxClients:           cfg.MaxClients,
		IdleTimeout:          time.Duration(cfg.Timeout) * time.Second,
		MaxBulkLen:           cfg.ProtoMaxBulkLen,
		QueryBufferLimit:     cfg.QueryBufferLimit,
		OutputBufferLimit:    outLimit,
		Port:                 portOf(ln.Addr()),
		Version:              build.Version,
		Commit:               build.Commit,
		Lua:                  command.LuaConfig{BusyReplyThreshold: cfg.Lua.BusyReplyThreshold.Duration, MaxMemory: cfg.Lua.MaxMemory},
		Settings:             reg,
		LogLevel:             build.LogLevel,
		Memory:               build.Memory,
		Store:                command.StoreInfo{PD: strings.TrimPrefix(cfg.Store, "tikv://")},
		NotifyKeyspaceEvents: cfg.NotifyKeyspaceEvents,
		Cluster:              command.ClusterConfig{Enabled: cfg.Cluster.Mode, Announce: clusterAnnounce(cfg, ln.Addr())},
		PubSubLimit: command.OutputLimit{
			Hard:    cfg.PubSub.OutputHardLimit,
			Soft:    cfg.PubSub.OutputSoftLimit,
			SoftFor: time.Duration(cfg.PubSub.OutputSoftSeconds) * time.Second,
		},
	}, d, m)
	// The parameters the engine starts with its defaults take the
	// configured values through the registry, as CONFIG SET would.
	if err := reg.Set([]string{
		"slowlog-log-slower-than", strconv.FormatInt(cfg.Slowlog.LogSlowerThan, 10),
		"slowlog-max-len", strconv.FormatInt(cfg.Slowlog.MaxLen, 10),
		"latency-monitor-threshold", strconv.FormatInt(cfg.LatencyMonitorThreshold, 10),
	}); err != nil {
		in.stopBG()
		<-in.bgDone
		d.Close()
		return nil, fmt.Errorf("settings: %w", err)
	}
	reg.Register(startupParams(cfg)...)
	reg.Register(batchParams(d)...)
	m.Registry.MustRegister(engine.Collector())
	busOpts := bus.Options{
		Listen:    busListen(cfg),
		Advertise: cfg.Bus.Advertise,
		LeaseTTL:  cfg.Bus.LeaseTTL.Duration,
	}
	if cfg.Cluster.Mode {
		// The others put this instance in their slot maps at this address.
		busOpts.Info = clusterAnnounce(cfg, ln.Addr())
	}
	in.Bus = bus.New(busOpts, d, m)
	engine.UseBus(in.Bus)
	block, err := d.ClientIDBlock(ctx)
	if err != nil {
		in.stopBG()
		<-in.bgDone
		d.Close()
		return nil, err
	}
	engine.UseClientIDBlock(block)
	if err := in.Bus.Start(ctx); err != nil {
		in.stopBG()
		<-in.bgDone
		d.Close()
		return nil, err
	}
	go engine.Recheck(bgCtx, cfg.Bus.RecheckInterval.Duration)
	in.srv = server.New(engine)

	tlsLn, err := in.listenTLS(cfg, ln, &statusLn)
	if err != nil {
		in.stopBG()
		<-in.bgDone
		d.Close()
		return nil, err
	}
	if statusLn != nil {
		in.status = &http.Server{Handler: statusMux(m, d, st), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := in.status.Serve(statusLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				slog.Error("status server", "err", err)
			}
		}()
	}
	go func() { in.serveErr <- in.srv.Serve(ln) }()
	if tlsLn != nil {
		in.tlsLn = tlsLn
		go func() {
			if err := in.srv.Serve(tlsLn); err != nil {
				slog.Error("tls listener", "err", err)
			}
		}()
	}
	return in, nil
}

// Addr is the address the Redis protocol is served on.
func (in *Instance) Addr() string { return in.ln.Addr().String() }

// Done delivers the server's error if it stops
// serving on its own (a failed listener).
func (in *Instance) Done() <-chan error { return in.serveErr }

// Stop shuts the instance down in the reverse order of Start: the server
// (open connections get closed), the bus (the instance leaves the
// registry), the status server, the background tasks,
// the database view. ctx bounds the wait for connections to finish.
func (in *Instance) Stop(ctx context.Context) {
	in.srv.Shutdown(ctx)
	in.Bus.Close()
	if in.status != nil {
		in.status.Shutdown(ctx)
	}
	in.stopBG()
	<-in.bgDone
	in.DB.Close()
}

func statusMux(m *metrics.Metrics, d *db.DB, st *store.Store) *http.ServeMux {
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
		if ok, why := d.StoreHealth(); !ok {
			http.Error(w, "store unhealthy: "+why, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/store", func(w http.ResponseWriter, r *http.Request) {
		stats, err := st.EmbeddedStats()
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		fmt.Fprint(w, stats)
	})
	return mux
}

// busListen is the bus's listen address: bus.listen, or the host of
// listen with a free port.
func busListen(cfg conf.Config) string {
	if cfg.Bus.Listen != "" {
		return cfg.Bus.Listen
	}
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return ""
	}
	return net.JoinHostPort(host, "0")
}

// clusterAnnounce is the address cluster clients are told to reach the
// instance at: cluster.announce-ip (default: the host listened on, or for
// a wildcard listen the host of bus.advertise or the machine's name) and
// cluster.announce-port (default: the port listened on).
func clusterAnnounce(cfg conf.Config, listen net.Addr) string {
	host, port, _ := net.SplitHostPort(listen.String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = ""
		if h, _, err := net.SplitHostPort(cfg.Bus.Advertise); err == nil {
			host = h
		} else if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	if cfg.Cluster.AnnounceIP != "" {
		host = cfg.Cluster.AnnounceIP
	}
	if cfg.Cluster.AnnouncePort != 0 {
		port = strconv.Itoa(cfg.Cluster.AnnouncePort)
	}
	return net.JoinHostPort(host, port)
}

// portOf returns the port of a listening address.
func portOf(a net.Addr) string {
	_, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return ""
	}
	return port
}

// startupParams are titan's settings that apply at start only: CONFIG GET
// shows them under their TOML names, CONFIG SET refuses them.
func startupParams(cfg conf.Config) []settings.Param {
	const why = "applies at start only: change it in the config file and restart the instance"
	p := func(name, value string) settings.Param {
		return settings.Param{Name: name, Get: func() string { return value }, Immutable: why}
	}
	return []settings.Param{
		p("store", cfg.Store),
		p("namespace", cfg.Namespace),
		p("log-format", cfg.LogFormat),
		p("txn.max-retries", strconv.Itoa(cfg.Txn.MaxRetries)),
		p("txn.command-timeout", cfg.Txn.CommandTimeout.String()),
		p("background.enabled", strconv.FormatBool(cfg.Background.Enabled)),
		p("background.gc-rate", strconv.Itoa(cfg.Background.GCRate)),
		p("background.safe-point-interval", cfg.Background.SafePointInterval.String()),
		p("background.gc-life-time", cfg.Background.GCLifeTime.String()),
	}
}

// listenTLS opens the TLS port when cfg asks for one (next to ln's host)
// and wraps *statusLn in TLS when status-tls is set. Certificate files are
// reloaded when they change (package tlsconf).
func (in *Instance) listenTLS(cfg conf.Config, ln net.Listener, statusLn *net.Listener) (net.Listener, error) {
	if cfg.TLSPort == 0 && !cfg.StatusTLS {
		return nil, nil
	}
	tc, err := tlsconf.Server(tlsconf.Files{Cert: cfg.TLSCertFile, Key: cfg.TLSKeyFile, CA: cfg.TLSCACertFile, AuthClients: cfg.TLSAuthClients})
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	if cfg.StatusTLS && *statusLn != nil {
		*statusLn = tls.NewListener(*statusLn, tc)
	}
	if cfg.TLSPort == 0 {
		return nil, nil
	}
	host, _, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		return nil, fmt.Errorf("tls-port: %w", err)
	}
	raw, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(cfg.TLSPort)))
	if err != nil {
		return nil, fmt.Errorf("tls-port: %w", err)
	}
	return tls.NewListener(raw, tc), nil
}

// TLSAddr is the address of the TLS port, "" without one.
func (in *Instance) TLSAddr() string {
	if in.tlsLn == nil {
		return ""
	}
	return in.tlsLn.Addr().String()
}
