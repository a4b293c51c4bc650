package command

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strconv"
	"strings"

	"github.com/titan-kv/titan/conf"
	"github.com/titan-kv/titan/resp"
	"github.com/titan-kv/titan/settings"
)

// notUsed is CONFIG SET's answer for Redis parameters that have no
// meaning when the data lives in TiKV.
const notUsed = "not used by titan: data lives in TiKV"

// registerSettings registers the engine's own runtime parameters and what
// titan answers for Redis's parameters it does not use.
func (s *Engine) registerSettings() {
	reg := s.settings
	timeout := settings.Int("timeout", 0, math.MaxInt32,
		s.idleTimeout.Load, s.idleTimeout.Store)
	timeout.Save = func(c *conf.Config) { c.Timeout = int(s.idleTimeout.Load()) }
	maxClients := settings.Int("maxclients", 1, math.MaxUint32,
		s.maxClients.Load, s.maxClients.Store)
	maxClients.Save = func(c *conf.Config) { c.MaxClients = int(s.maxClients.Load()) }
	pass := settings.String("requirepass", s.RequirePass, func(v string) {
		s.requirePass.Store(&v)
		// requirepass is the password of the default user (unless ACL
		// SETUSER stored one): reload the users to apply it.
		if err := s.aclReload(context.Background()); err != nil {
			slog.Warn("acl: reloading users after CONFIG SET requirepass", "err", err)
		}
	})
	pass.Save = func(c *conf.Config) { c.RequirePass = s.RequirePass() }
	slower := settings.Int("slowlog-log-slower-than", -1, math.MaxInt64,
		s.slowlog.slower.Load, s.slowlog.slower.Store)
	slower.Save = func(c *conf.Config) { c.Slowlog.LogSlowerThan = s.slowlog.slower.Load() }
	maxLen := settings.Int("slowlog-max-len", 0, math.MaxInt64,
		s.slowlog.maxLen.Load, s.slowlog.setMaxLen)
	maxLen.Save = func(c *conf.Config) { c.Slowlog.MaxLen = s.slowlog.maxLen.Load() }
	latency := settings.Int("latency-monitor-threshold", 0, math.MaxInt64,
		s.latency.threshold.Load, s.latency.threshold.Store)
	latency.Save = func(c *conf.Config) { c.LatencyMonitorThreshold = s.latency.threshold.Load() }
	reg.Register(timeout, maxClients, pass, slower, maxLen, latency, s.trackingSetting(),
		settings.Param{Name: "databases", Get: func() string { return strconv.Itoa(s.cfg.Databases) }},
		settings.Param{Name: "aclfile", Get: func() string { return s.cfg.ACLFile }},
		settings.Param{Name: "port", Get: func() string { return s.cfg.Port }},
		settings.Param{Name: "proto-max-bulk-len", Get: func() string { return strconv.FormatInt(s.cfg.MaxBulkLen, 10) }},
	)
	if lv := s.cfg.LogLevel; lv != nil {
		ll := settings.Enum("loglevel", []string{"debug", "verbose", "notice", "warning"},
			func() string { return redisLogLevel(lv.Level()) },
			func(v string) { lv.Set(slogLevel(v)) })
		ll.Save = func(c *conf.Config) { c.LogLevel = confLogLevel[redisLogLevel(lv.Level())] }
		reg.Register(ll)
	}
	reg.Register(
		settings.Fixed("maxmemory", "0", notUsed),
		settings.Fixed("maxmemory-policy", "noeviction", notUsed),
		settings.Fixed("maxmemory-samples", "5", notUsed),
		settings.Fixed("save", "", "not used by titan: every write is committed to TiKV before its reply"),
		settings.Fixed("appendonly", "no", "not used by titan: every write is committed to TiKV before its reply"),
		settings.Fixed("appendfsync", "everysec", notUsed),
		settings.Fixed("dir", "", notUsed),
		settings.Fixed("dbfilename", "", notUsed),
		settings.Fixed("replica-read-only", "yes", notUsed),
		settings.Param{
			Name: "notify-keyspace-events",
			Get:  func() string { return notifyFlagsString(int(s.notifyFlags.Load())) },
			Set: func(v string) error {
				flags, ok := parseNotifyFlags(v)
				if !ok {
					return errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
				}
				s.notifyFlags.Store(int64(flags))
				return nil
			},
			Save: func(c *conf.Config) { c.NotifyKeyspaceEvents = notifyFlagsString(int(s.notifyFlags.Load())) },
		},
		settings.Fixed("hash-max-listpack-entries", "128", notUsed),
		settings.Fixed("hash-max-ziplist-entries", "128", notUsed),
		settings.Fixed("set-max-intset-entries", "512", notUsed),
		settings.Fixed("zset-max-listpack-entries", "128", notUsed),
		settings.Fixed("zset-max-ziplist-entries", "128", notUsed),
		settings.Fixed("list-max-listpack-size", "-2", notUsed),
		settings.Fixed("list-max-ziplist-size", "-2", notUsed),
		settings.Fixed("lua-time-limit", "5000", "scripting is not configured here"),
		settings.Fixed("busy-reply-threshold", "5000", "scripting is not configured here"),
		settings.Fixed("io-threads", "1", "titan serves each connection on its own goroutine"),
		settings.Fixed("tcp-keepalive", "300", "not configurable in titan"),
		settings.Fixed("bind", "", "set titan's listen address at start"),
		settings.Fixed("protected-mode", "no", "not used by titan"),
		settings.Fixed("lazyfree-lazy-user-del", "yes", "titan always deletes in the background"),
		settings.Fixed("activedefrag", "no", notUsed),
		settings.Param{Name: "enable-debug-command", Get: func() string { return "yes" }}, // debug.go: always on
		settings.Fixed("client-output-buffer-limit",
			"normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", "not configurable in titan"),
	)
}

// confLogLevel is the log-level of the TOML file for Redis's loglevel.
var confLogLevel = map[string]string{"debug": "debug", "verbose": "debug", "notice": "info", "warning": "warn"}

// redisLogLevel names a slog level with Redis's loglevel words.
func redisLogLevel(l slog.Level) string {
	switch {
	case l <= slog.LevelDebug:
		return "debug"
	case l < slog.LevelInfo:
		return "verbose"
	case l < slog.LevelWarn:
		return "notice"
	default:
		return "warning"
	}
}

// slogLevel is the slog level of Redis's loglevel word.
func slogLevel(v string) slog.Level {
	switch v {
	case "debug":
		return slog.LevelDebug
	case "verbose":
		return slog.LevelDebug + 2
	case "notice":
		return slog.LevelInfo
	default:
		return slog.LevelWarn
	}
}

var configHelp = resp.Lines{
	"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GET <pattern>",
	"    Return parameters matching the glob-like <pattern> and their values.",
	"SET <directive> <value>",
	"    Set the configuration <directive> to <value>.",
	"RESETSTAT",
	"    Reset statistics reported by the INFO command.",
	"REWRITE",
	"    Rewrite the configuration file.",
	"HELP",
	"    Prints this help.",
}

func config(c *Call) {
	switch strings.ToLower(string(c.Args[1])) {
	case "get":
		args := make([]string, len(c.Args)-2)
		for i, a := range c.Args[2:] {
			args[i] = string(a)
		}
		names, values := c.s.settings.Get(args)
		out := make(resp.Map, 0, 2*len(names))
		for i := range names {
			out = append(out, resp.BulkString(names[i]), resp.BulkString(values[i]))
		}
		c.Reply(out)
	case "set":
		if len(c.Args)%2 != 0 {
			c.Error(errSyntax)
			return
		}
		pairs := make([]string, len(c.Args)-2)
		for i, a := range c.Args[2:] {
			pairs[i] = string(a)
		}
		c.replyErr(c.s.settings.Set(pairs))
	case "resetstat":
		c.s.stats.reset()
		c.Reply(resp.OK)
	case "rewrite":
		err := c.s.settings.Rewrite()
		if err != nil {
			slog.Warn("CONFIG REWRITE failed", "err", err)
		}
		c.replyErr(err)
	case "help":
		c.Reply(configHelp)
	default:
		c.Error(unknownSubcommand(c.Args))
	}
}

// replyErr answers OK, or the Redis error err carries.
func (c *Call) replyErr(err error) {
	var se settings.Error
	switch {
	case err == nil:
		c.Reply(resp.OK)
	case errors.As(err, &se):
		c.Error(string(se))
	default:
		c.Error("ERR " + err.Error())
	}
}
