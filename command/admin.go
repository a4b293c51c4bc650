package command

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/glob"
	"github.com/titan-kv/titan/resp"
)

func dbsize(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		n, err := tx.Keyspace().Counts()
		return resp.IntOf(n.Keys, err)
	})
}

// flushOptions accepts FLUSHDB/FLUSHALL's ASYNC and SYNC; both delete the
// metadata at once and leave collection elements to the collector.
func flushOptions(c *Call) bool {
	if len(c.Args) > 2 || (len(c.Args) == 2 && !argIs(c.Args[1], "ASYNC") && !argIs(c.Args[1], "SYNC")) {
		c.Error(errSyntax)
		return false
	}
	return true
}

func flushdb(c *Call) {
	if !flushOptions(c) {
		return
	}
	if err := c.s.flush(c.c.db); err != nil {
		c.Error(errorReply(err))
		return
	}
	c.Reply(resp.OK)
}

func flushall(c *Call) {
	if !flushOptions(c) {
		return
	}
	for i := 0; i < c.s.cfg.Databases; i++ {
		if err := c.s.flush(uint16(i)); err != nil {
			c.Error(errorReply(err))
			return
		}
	}
	c.Reply(resp.OK)
}

// flush deletes every key of one database in bounded transactions.
func (s *Engine) flush(dbIndex uint16) error {
	var from []byte
	for {
		err := s.db.Update(context.Background(), dbIndex, func(tx *db.Tx) (err error) {
			from, err = tx.Keyspace().Flush(from, 1000)
			return err
		})
		if err != nil || from == nil {
			return err
		}
	}
}

func timeCmd(c *Call) {
	now := time.Now()
	c.Reply(resp.Strings{strconv.FormatInt(now.Unix(), 10), strconv.Itoa(now.Nanosecond() / 1000)})
}

// configValues are the settings CONFIG GET reports, as clients probe them.
func (s *Engine) configValues() map[string]string {
	return map[string]string{
		"databases":                  strconv.Itoa(s.cfg.Databases),
		"maxclients":                 strconv.Itoa(s.cfg.MaxClients),
		"timeout":                    strconv.Itoa(int(s.cfg.IdleTimeout.Seconds())),
		"proto-max-bulk-len":         strconv.FormatInt(s.cfg.MaxBulkLen, 10),
		"requirepass":                s.cfg.RequirePass,
		"port":                       s.cfg.Port,
		"maxmemory":                  "0",
		"maxmemory-policy":           "noeviction",
		"save":                       "",
		"appendonly":                 "no",
		"cluster-enabled":            "no",
		"slowlog-log-slower-than":    "10000",
		"notify-keyspace-events":     "",
		"hash-max-listpack-entries":  "128",
		"set-max-intset-entries":     "512",
		"zset-max-listpack-entries":  "128",
		"list-max-listpack-size":     "-2",
		"lua-time-limit":             "5000",
		"busy-reply-threshold":       "5000",
		"io-threads":                 "1",
		"tcp-keepalive":              "300",
		"client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
	}
}

func config(c *Call) {
	sub := strings.ToLower(string(c.Args[1]))
	switch sub {
	case "get":
		if len(c.Args) < 3 {
			c.Error("ERR wrong number of arguments for 'config|get' command")
			return
		}
		vals := c.s.configValues()
		seen := map[string]bool{}
		var out []string
		for _, p := range c.Args[2:] {
			pat := strings.ToLower(string(p))
			if !strings.ContainsAny(pat, "[*?") {
				// A plain name is answered as it was given.
				if v, ok := vals[pat]; ok && !seen[pat] {
					seen[pat] = true
					out = append(out, string(p), v)
				}
				continue
			}
			names := make([]string, 0, len(vals))
			for k := range vals {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				if !seen[k] && glob.Match(p, []byte(k), true) {
					seen[k] = true
					out = append(out, k, vals[k])
				}
			}
		}
		c.Reply(resp.Strings(out))
	case "set":
		if len(c.Args) < 4 {
			c.Error("ERR wrong number of arguments for 'config|set' command")
			return
		}
		if len(c.Args)%2 != 0 {
			c.Error(errSyntax)
			return
		}
		c.Error(fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", c.Args[2]))
	case "resetstat", "rewrite", "help":
		if len(c.Args) != 2 {
			c.Error(fmt.Sprintf("ERR wrong number of arguments for 'config|%s' command", sub))
			return
		}
	}
	switch sub {
	case "get", "set":
	case "resetstat":
		c.s.cmdStats.Range(func(k, _ any) bool { c.s.cmdStats.Delete(k); return true })
		c.Reply(resp.OK)
	case "rewrite":
		c.Error("ERR The server is running without a config file")
	case "help":
		c.Reply(resp.Lines{"CONFIG <subcommand> [<arg> ...]. Subcommands are:", "GET <pattern>", "RESETSTAT"})
	default:
		c.Error(unknownSubcommand(c.Args))
	}
}

func info(c *Call) {
	sections := map[string]bool{}
	for _, a := range c.Args[1:] {
		sections[strings.ToLower(string(a))] = true
	}
	all := sections["all"] || sections["everything"]
	dflt := len(sections) == 0 || sections["default"]
	want := func(name string, inDefault bool) bool {
		return all || sections[name] || (dflt && inDefault)
	}
	var b strings.Builder
	s := c.s
	if want("server", true) {
		up := time.Since(s.start)
		fmt.Fprintf(&b, "# Server\r\nredis_version:%s\r\ntitan_version:%s\r\ntitan_git_sha1:%s\r\nredis_mode:standalone\r\nos:%s %s\r\narch_bits:64\r\ngo_version:%s\r\nprocess_id:%d\r\nrun_id:%s\r\ntcp_port:%s\r\nuptime_in_seconds:%d\r\nuptime_in_days:%d\r\nstore:%s\r\n\r\n",
			redisVersion, s.cfg.Version, s.cfg.Commit, runtime.GOOS, runtime.GOARCH, runtime.Version(), os.Getpid(), s.runID,
			s.configValues()["port"], int64(up.Seconds()), int64(up.Hours()/24), s.storeName())
	}
	if want("clients", true) {
		s.mu.Lock()
		n := len(s.clients)
		s.mu.Unlock()
		fmt.Fprintf(&b, "# Clients\r\nconnected_clients:%d\r\nmaxclients:%d\r\nblocked_clients:0\r\n\r\n", n, s.cfg.MaxClients)
	}
	if want("memory", true) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(&b, "# Memory\r\nused_memory:%d\r\nused_memory_human:%.2fM\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n\r\n", ms.HeapAlloc, float64(ms.HeapAlloc)/(1<<20))
	}
	if want("persistence", true) {
		fmt.Fprintf(&b, "# Persistence\r\nloading:0\r\nrdb_bgsave_in_progress:0\r\naof_enabled:0\r\n\r\n")
	}
	if want("stats", true) {
		fmt.Fprintf(&b, "# Stats\r\ntotal_connections_received:%d\r\ntotal_commands_processed:%d\r\nrejected_connections:%d\r\n\r\n",
			s.totalConnections.Load(), s.totalCommands.Load(), s.rejectedConns.Load())
	}
	if want("replication", true) {
		b.WriteString("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n\r\n")
	}
	if want("commandstats", false) {
		b.WriteString("# Commandstats\r\n")
		var names []string
		s.cmdStats.Range(func(k, _ any) bool { names = append(names, k.(string)); return true })
		sort.Strings(names)
		for _, n := range names {
			v, _ := s.cmdStats.Load(n)
			st := v.(*cmdStat)
			calls, usec := st.calls.Load(), st.usec.Load()
			fmt.Fprintf(&b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=0,failed_calls=%d\r\n",
				n, calls, usec, float64(usec)/float64(max(calls, 1)), st.failed.Load())
		}
		b.WriteString("\r\n")
	}
	if want("keyspace", true) {
		b.WriteString("# Keyspace\r\n")
		counts, err := s.db.KeyCounts(context.Background(), s.cfg.Databases)
		if err != nil {
			c.Error(errorReply(err))
			return
		}
		now := time.Now().UnixMilli()
		for i, n := range counts {
			if n.Keys > 0 {
				fmt.Fprintf(&b, "db%d:keys=%d,expires=%d,avg_ttl=%d\r\n", i, n.Keys, n.Expires, avgTTL(n, now))
			}
		}
	}
	out := strings.TrimSuffix(b.String(), "\r\n")
	if out != "" {
		out += "\r\n"
	}
	c.Reply(resp.Bulk([]byte(out)))
}

func (s *Engine) storeName() string {
	if s.db.Embedded() {
		return "embedded"
	}
	return "tikv"
}

// avgTTL is INFO keyspace's avg_ttl: the mean time to live, in
// milliseconds, of the keys with an expiry (0 when none).
func avgTTL(n encoding.Counts, now int64) int64 {
	if n.Expires <= 0 {
		return 0
	}
	return max(n.ExpireSum*1000/n.Expires-now, 0)
}
