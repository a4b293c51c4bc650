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
	Listen          string   `toml:"listen"`
	StatusListen    string   `toml:"status-listen"`
	Store           string   `toml:"store"`
	StoreTimeout    Duration `toml:"store-timeout"`
	DataDir         string   `toml:"data-dir"`
	Namespace       string   `toml:"namespace"`
	RequirePass     string   `toml:"requirepass"`
	Databases       int      `toml:"databases"`
	LogLevel        string   `toml:"log-level"`
	MaxClients      int      `toml:"max-clients"`
	Timeout         int      `toml:"timeout"`
	ProtoMaxBulkLen int64    `toml:"proto-max-bulk-len"`
	EmbeddedDelay   Duration `toml:"embedded-rpc-delay"`

	Txn        Txn        `toml:"txn"`
	Batch      Batch      `toml:"batch"`
	Background Background `toml:"background"`
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
		Listen:          "127.0.0.1:7369",
		StatusListen:    "127.0.0.1:7345",
		StoreTimeout:    Duration{30 * time.Second},
		DataDir:         "./data",
		Namespace:       "titan",
		Databases:       16,
		LogLevel:        "info",
		MaxClients:      10000,
		ProtoMaxBulkLen: 512 << 20,
		Txn:             Txn{MaxRetries: 30, CommandTimeout: Duration{30 * time.Second}, OnePC: true, AsyncCommit: true},
		Batch:           Batch{Enabled: true, MaxCommands: 256, Workers: 4},
		Background: Background{
			Enabled:           true,
			LeaseTTL:          Duration{10 * time.Second},
			ExpireInterval:    Duration{time.Second},
			GCInterval:        Duration{time.Second},
			GCRate:            50000,
			SafePointInterval: Duration{time.Minute},
			GCLifeTime:        Duration{10 * time.Minute},
		},
	}
}

// Load reads a TOML file over the defaults. Unknown settings are errors,
// so a typo does not silently fall back to a default.
func Load(path string) (Config, error) {
	c := Default()
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
	check(c.MaxClients >= 0, "max-clients %d: want 0 (no limit) or more", c.MaxClients)
	check(c.Timeout >= 0, "timeout %d: want 0 (never) or more seconds", c.Timeout)
	check(c.ProtoMaxBulkLen >= 1<<20 && c.ProtoMaxBulkLen <= 1<<40, "proto-max-bulk-len %d: want 1MB to 1TB", c.ProtoMaxBulkLen)
	check(c.EmbeddedDelay.Duration >= 0, "embedded-rpc-delay must not be negative")
	check(c.Txn.MaxRetries >= 0, "txn.max-retries %d: must not be negative", c.Txn.MaxRetries)
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
	return errors.Join(errs...)
}

// SlogLevel returns the log level.
func (c *Config) SlogLevel() slog.Level {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	return lvl
}
