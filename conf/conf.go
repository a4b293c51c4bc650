// Package conf holds titan's configuration: defaults, the TOML file
// format, and validation. Command-line flags are applied on top by
// cmd/titan.
package conf

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Duration is a time.Duration written as "1s", "500ms" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText renders the duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Config is every setting of a titan process.
type Config struct {
	// File is the TOML file the configuration was loaded from (empty
	// without --config); CONFIG REWRITE writes it.
	File string `toml:"-"`

	Listen       string   `toml:"listen"`
	StatusListen string   `toml:"status-listen"`
	Store        string   `toml:"store"`
	StoreTimeout Duration `toml:"store-timeout"`
	DataDir      string   `toml:"data-dir"`
	Namespace    string   `toml:"namespace"`
	RequirePass  string   `toml:"requirepass"`
	// ACLFile is Redis's aclfile: the file ACL SAVE writes the stored
	// users to and ACL LOAD reads them from (users live in the store).
	ACLFile         string   `toml:"aclfile"`
	Databases       int      `toml:"databases"`
	LogLevel        string   `toml:"log-level"`
	MaxClients      int      `toml:"max-clients"`
	Timeout         int      `toml:"timeout"`
	ProtoMaxBulkLen int64    `toml:"proto-max-bulk-len"`
	EmbeddedDelay   Duration `toml:"embedded-rpc-delay"`
	LogFormat       string   `toml:"log-format"`
	// LatencyMonitorThreshold is Redis's latency-monitor-threshold in
	// milliseconds; 0 turns the latency monitor off.
	LatencyMonitorThreshold int64 `toml:"latency-monitor-threshold"`

	Slowlog Slowlog `toml:"slowlog"`

	// QueryBufferLimit is client-query-buffer-limit in bytes.
	QueryBufferLimit int64 `toml:"client-query-buffer-limit"`
	// OutputBufferLimit is client-output-buffer-limit in Redis's form,
	// "normal <hard> <soft> <soft-seconds>" (units as in redis.conf:
	// 32mb, 1gb...); titan enforces the hard limit of class normal.
	OutputBufferLimit string `toml:"client-output-buffer-limit"`

	// TLS, with Redis's option names: TLSPort > 0 serves the Redis
	// protocol over TLS on that port (same host as listen) besides the
	// plain port; StatusTLS serves the status endpoints over TLS.
	TLSPort        int    `toml:"tls-port"`
	TLSCertFile    string `toml:"tls-cert-file"`
	TLSKeyFile     string `toml:"tls-key-file"`
	TLSCACertFile  string `toml:"tls-ca-cert-file"`
	TLSAuthClients string `toml:"tls-auth-clients"`
	StatusTLS      bool   `toml:"status-tls"`
	// Store TLS: the CA, certificate and key client-go uses towards PD
	// and TiKV (client-go's security config).
	StoreTLSCA   string `toml:"store-tls-ca-file"`
	StoreTLSCert string `toml:"store-tls-cert-file"`
	StoreTLSKey  string `toml:"store-tls-key-file"`
	// NotifyKeyspaceEvents is Redis's notify-keyspace-events at start.
	NotifyKeyspaceEvents string `toml:"notify-keyspace-events"`

	Txn        Txn        `toml:"txn"`
	Batch      Batch      `toml:"batch"`
	Background Background `toml:"background"`
	Lua        Lua        `toml:"lua"`
	Bus        Bus        `toml:"bus"`
	PubSub     PubSub     `toml:"pubsub"`
	Cluster    Cluster    `toml:"cluster"`
}

// Cluster makes titan answer Redis Cluster clients (CLUSTER SLOTS, SHARDS,
// NODES...): the slots are divided among the live instances in cluster
// mode, each reached at its announce address.
type Cluster struct {
	// Mode turns cluster mode on (Redis's cluster-enabled).
	Mode bool `toml:"mode"`
	// AnnounceIP is the address (IP or host name) clients are told to
	// reach this instance at; empty: the host of listen, or for a
	// wildcard listen the host of bus.advertise or the machine's name.
	AnnounceIP string `toml:"announce-ip"`
	// AnnouncePort is the port clients are told; 0: the listen port.
	AnnouncePort int `toml:"announce-port"`
}

// Bus configures the bus between the instances serving one store (package
// bus): key changes that wake blocked clients, Pub/Sub messages.
type Bus struct {
	// Listen is the bus's own listen address; empty: the host of listen
	// with a free port.
	Listen string `toml:"listen"`
	// Advertise is the address other instances dial; empty: the address
	// listened on (the host name for a wildcard host).
	Advertise string `toml:"advertise"`
	// LeaseTTL is how long an instance stays registered without renewing.
	LeaseTTL Duration `toml:"lease-ttl"`
	// RecheckInterval is the pause between re-checks of the keys blocked
	// clients wait on, the fallback for a lost wake-up.
	RecheckInterval Duration `toml:"recheck-interval"`
}

// PubSub configures Pub/Sub clients' output limits (Redis's
// client-output-buffer-limit pubsub): hard bytes, or soft bytes for
// soft-seconds, of waiting messages disconnect a subscriber.
type PubSub struct {
	OutputHardLimit   int64 `toml:"output-hard-limit"`
	OutputSoftLimit   int64 `toml:"output-soft-limit"`
	OutputSoftSeconds int   `toml:"output-soft-seconds"`
}

// Lua configures Lua scripts and functions.
type Lua struct {
	// BusyReplyThreshold is how long a script runs before other commands
	// on its keys answer BUSY (Redis's busy-reply-threshold).
	BusyReplyThreshold Duration `toml:"busy-reply-threshold"`
	// MaxMemory bounds how much the process heap may grow while one
	// script runs, in bytes.
	MaxMemory int64 `toml:"max-memory"`
}

// Slowlog configures the slow log (Redis's slowlog-* parameters).
type Slowlog struct {
	// LogSlowerThan is slowlog-log-slower-than in microseconds: negative
	// turns the slow log off, 0 logs every command.
	LogSlowerThan int64 `toml:"log-slower-than"`
	// MaxLen is slowlog-max-len.
	MaxLen int64 `toml:"max-len"`
}

// Txn configures transactions.
type Txn struct {
	MaxRetries     int      `toml:"max-retries"`
	CommandTimeout Duration `toml:"command-timeout"`
	OnePC          bool     `toml:"one-pc"`
	AsyncCommit    bool     `toml:"async-commit"`
}

// Batch configures the write batcher.
type Batch struct {
	Enabled     bool `toml:"enabled"`
	MaxCommands int  `toml:"max-commands"`
	Workers     int  `toml:"workers"`
}

// Background configures the leader-elected background tasks.
type Background struct {
	Enabled           bool     `toml:"enabled"`
	LeaseTTL          Duration `toml:"lease-ttl"`
	ExpireInterval    Duration `toml:"expire-interval"`
	GCInterval        Duration `toml:"gc-interval"`
	GCRate            int      `toml:"gc-rate"`
	SafePointInterval Duration `toml:"safe-point-interval"`
	GCLifeTime        Duration `toml:"gc-life-time"`
}

// Default returns the configuration titan runs with when nothing is set.
func Default() Config {
	return Config{
		Listen:            "127.0.0.1:7369",
		StatusListen:      "127.0.0.1:7345",
		StoreTimeout:      Duration{30 * time.Second},
		DataDir:           "./data",
		Namespace:         "titan",
		Databases:         16,
		LogLevel:          "info",
		LogFormat:         "text",
		Slowlog:           Slowlog{LogSlowerThan: 10000, MaxLen: 128},
		MaxClients:        10000,
		ProtoMaxBulkLen:   512 << 20,
		QueryBufferLimit:  1 << 30,
		OutputBufferLimit: "normal 0 0 0",
		TLSAuthClients:    "yes",
		Txn:               Txn{MaxRetries: 30, CommandTimeout: Duration{30 * time.Second}, OnePC: true, AsyncCommit: true},
		Batch:             Batch{Enabled: true, MaxCommands: 256, Workers: 4},
		Background: Background{
			Enabled:           true,
			LeaseTTL:          Duration{10 * time.Second},
			ExpireInterval:    Duration{time.Second},
			GCInterval:        Duration{time.Second},
			GCRate:            50000,
			SafePointInterval: Duration{time.Minute},
			GCLifeTime:        Duration{10 * time.Minute},
		},
		Lua:    Lua{BusyReplyThreshold: Duration{5 * time.Second}, MaxMemory: 1 << 30},
		Bus:    Bus{LeaseTTL: Duration{10 * time.Second}, RecheckInterval: Duration{time.Second}},
		PubSub: PubSub{OutputHardLimit: 32 << 20, OutputSoftLimit: 8 << 20, OutputSoftSeconds: 60},
	}
}

// Load reads a TOML file over the defaults. Unknown settings are errors,
// so a typo does not silently fall back to a default.
func Load(path string) (Config, error) {
	c := Default()
	c.File = path
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		keys := make([]string, len(un))
		for i, k := range un {
			keys[i] = k.String()
		}
		return c, fmt.Errorf("config %s: unknown settings: %s", path, strings.Join(keys, ", "))
	}
	return c, nil
}

var namespaceRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	_, _, err := net.SplitHostPort(c.Listen)
	check(err == nil, "listen %q: want host:port", c.Listen)
	if c.StatusListen != "" {
		_, _, err = net.SplitHostPort(c.StatusListen)
		check(err == nil, "status-listen %q: want host:port", c.StatusListen)
	}
	check(c.Store == "" || strings.HasPrefix(c.Store, "tikv://") && len(c.Store) > len("tikv://"),
		"store %q: want empty (embedded) or tikv://pd1:2379,pd2:2379", c.Store)
	check(c.Store != "" || c.DataDir != "", "data-dir must be set for the embedded store")
	check(c.StoreTimeout.Duration >= 100*time.Millisecond, "store-timeout %s: want 100ms or more", c.StoreTimeout)
	check(namespaceRE.MatchString(c.Namespace), "namespace %q: want 1-64 of [A-Za-z0-9_-]", c.Namespace)
	check(c.Databases >= 1 && c.Databases <= 65536, "databases %d: want 1 to 65536", c.Databases)
	var lvl slog.Level
	check(lvl.UnmarshalText([]byte(c.LogLevel)) == nil, "log-level %q: want debug, info, warn or error", c.LogLevel)
	check(c.LogFormat == "text" || c.LogFormat == "json", "log-format %q: want text or json", c.LogFormat)
	check(c.Slowlog.LogSlowerThan >= -1, "slowlog.log-slower-than %d: want -1 (off) or more microseconds", c.Slowlog.LogSlowerThan)
	check(c.Slowlog.MaxLen >= 0, "slowlog.max-len %d: must not be negative", c.Slowlog.MaxLen)
	check(c.LatencyMonitorThreshold >= 0, "latency-monitor-threshold %d: want 0 (off) or more milliseconds", c.LatencyMonitorThreshold)
	check(c.MaxClients >= 0, "max-clients %d: want 0 (no limit) or more", c.MaxClients)
	check(c.Timeout >= 0, "timeout %d: want 0 (never) or more seconds", c.Timeout)
	check(c.ProtoMaxBulkLen >= 1<<20 && c.ProtoMaxBulkLen <= 1<<40, "proto-max-bulk-len %d: want 1MB to 1TB", c.ProtoMaxBulkLen)
	check(c.QueryBufferLimit >= 1<<20, "client-query-buffer-limit %d: want 1MB or more", c.QueryBufferLimit)
	_, err = c.NormalOutputLimit()
	check(err == nil, "client-output-buffer-limit %q: %v", c.OutputBufferLimit, err)
	check(c.TLSPort >= 0 && c.TLSPort <= 65535, "tls-port %d: want 0 (off) to 65535", c.TLSPort)
	check((c.TLSPort == 0 && !c.StatusTLS) || (c.TLSCertFile != "" && c.TLSKeyFile != ""), "tls-port and status-tls need tls-cert-file and tls-key-file")
	check(c.TLSAuthClients == "yes" || c.TLSAuthClients == "no" || c.TLSAuthClients == "optional", "tls-auth-clients %q: want yes, no or optional", c.TLSAuthClients)
	check((c.StoreTLSCert == "") == (c.StoreTLSKey == ""), "store-tls-cert-file and store-tls-key-file go together")
	check(c.EmbeddedDelay.Duration >= 0, "embedded-rpc-delay must not be negative")
	check(c.Txn.MaxRetries >= 0, "txn.max-retries %d: must not be negative", c.Txn.MaxRetries)
	check(c.Lua.BusyReplyThreshold.Duration > 0, "lua.busy-reply-threshold %s: want more than 0", c.Lua.BusyReplyThreshold)
	check(c.Lua.MaxMemory >= 1<<20, "lua.max-memory %d: want 1MB or more", c.Lua.MaxMemory)
	check(c.Txn.CommandTimeout.Duration >= 100*time.Millisecond, "txn.command-timeout %s: want 100ms or more", c.Txn.CommandTimeout)
	check(c.Batch.MaxCommands >= 1, "batch.max-commands %d: want 1 or more", c.Batch.MaxCommands)
	check(c.Batch.Workers >= 1, "batch.workers %d: want 1 or more", c.Batch.Workers)
	b := c.Background
	check(b.LeaseTTL.Duration >= 100*time.Millisecond, "background.lease-ttl %s: want 100ms or more", b.LeaseTTL)
	check(b.ExpireInterval.Duration > 0, "background.expire-interval must be positive")
	check(b.GCInterval.Duration > 0, "background.gc-interval must be positive")
	check(b.GCRate > 0, "background.gc-rate must be positive")
	check(b.SafePointInterval.Duration >= 0, "background.safe-point-interval must not be negative")
	check(b.GCLifeTime.Duration >= time.Minute, "background.gc-life-time %s: want 1m or more", b.GCLifeTime)
	if c.Bus.Listen != "" {
		_, _, err = net.SplitHostPort(c.Bus.Listen)
		check(err == nil, "bus.listen %q: want host:port", c.Bus.Listen)
	}
	if c.Bus.Advertise != "" {
		_, _, err = net.SplitHostPort(c.Bus.Advertise)
		check(err == nil, "bus.advertise %q: want host:port", c.Bus.Advertise)
	}
	check(c.Bus.LeaseTTL.Duration >= 100*time.Millisecond, "bus.lease-ttl %s: want 100ms or more", c.Bus.LeaseTTL)
	check(c.Bus.RecheckInterval.Duration >= 10*time.Millisecond, "bus.recheck-interval %s: want 10ms or more", c.Bus.RecheckInterval)
	check(c.Cluster.AnnouncePort >= 0 && c.Cluster.AnnouncePort <= 65535, "cluster.announce-port %d: want 0 (the listen port) to 65535", c.Cluster.AnnouncePort)
	check(!strings.ContainsAny(c.Cluster.AnnounceIP, " \t\r\n@,\x00"), "cluster.announce-ip %q: want an IP address or host name", c.Cluster.AnnounceIP)
	check(c.PubSub.OutputHardLimit >= 0 && c.PubSub.OutputSoftLimit >= 0 && c.PubSub.OutputSoftSeconds >= 0,
		"pubsub output limits must not be negative")
	return errors.Join(errs...)
}

// SlogLevel returns the log level.
func (c *Config) SlogLevel() slog.Level {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	return lvl
}

// NormalOutputLimit returns the hard limit in bytes that
// client-output-buffer-limit sets for normal clients (0: none).
func (c *Config) NormalOutputLimit() (int64, error) {
	f := strings.Fields(c.OutputBufferLimit)
	if len(f)%4 != 0 {
		return 0, errors.New(`want "<class> <hard> <soft> <soft-seconds>" groups`)
	}
	var hard int64
	for i := 0; i < len(f); i += 4 {
		var vals [3]int64
		for j := range vals {
			v, err := MemBytes(f[i+1+j])
			if err != nil {
				return 0, err
			}
			vals[j] = v
		}
		switch strings.ToLower(f[i]) {
		case "normal":
			hard = vals[0]
		case "replica", "slave", "pubsub":
		default:
			return 0, fmt.Errorf("unknown class %q", f[i])
		}
	}
	return hard, nil
}

// MemBytes parses a memory amount as redis.conf writes it: a number with
// an optional unit k, kb, m, mb, g or gb (k = 1000, kb = 1024).
func MemBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mul    int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}}
	ls := strings.ToLower(s)
	mul := int64(1)
	for _, u := range units {
		if strings.HasSuffix(ls, u.suffix) {
			ls, mul = strings.TrimSuffix(ls, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(ls, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad memory amount %q", s)
	}
	return n * mul, nil
}
