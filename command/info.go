package command

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/resp"
)

// StoreInfo describes the store for INFO's titan section.
type StoreInfo struct {
	// PD lists the PD endpoints of a TiKV cluster; empty for the embedded
	// store.
	PD string
	// Fields, when set, returns more name:value lines for the titan
	// section (lease holders, GC safe point...), as alternating names and
	// values.
	Fields func() []string
}

// infoSection is one section of INFO: its name (lower case, as asked for),
// whether INFO without arguments includes it, and its lines.
type infoSection struct {
	name  string
	dflt  bool
	all   bool // included by INFO all
	title string
	lines func(s *Engine) ([]string, error)
}

// infoSections are Redis 7's sections in Redis's order, then titan's.
// Each is a small function, so that a section can change its source
// without touching the others.
var infoSections = []infoSection{
	{name: "server", dflt: true, all: true, title: "Server", lines: (*Engine).infoServer},
	{name: "clients", dflt: true, all: true, title: "Clients", lines: (*Engine).infoClients},
	{name: "memory", dflt: true, all: true, title: "Memory", lines: (*Engine).infoMemory},
	{name: "persistence", dflt: true, all: true, title: "Persistence", lines: (*Engine).infoPersistence},
	{name: "stats", dflt: true, all: true, title: "Stats", lines: (*Engine).infoStats},
	{name: "replication", dflt: true, all: true, title: "Replication", lines: (*Engine).infoReplication},
	{name: "cpu", dflt: true, all: true, title: "CPU", lines: (*Engine).infoCPU},
	{name: "modules", dflt: true, all: true, title: "Modules", lines: func(*Engine) ([]string, error) { return nil, nil }},
	{name: "commandstats", all: true, title: "Commandstats", lines: (*Engine).infoCommandStats},
	{name: "errorstats", dflt: true, all: true, title: "Errorstats", lines: (*Engine).infoErrorStats},
	{name: "latencystats", all: true, title: "Latencystats", lines: (*Engine).infoLatencyStats},
	{name: "cluster", dflt: true, all: true, title: "Cluster", lines: func(s *Engine) ([]string, error) { return []string{"cluster_enabled:" + s.clusterEnabledFlag()}, nil }},
	{name: "keyspace", dflt: true, all: true, title: "Keyspace", lines: (*Engine).infoKeyspace},
	{name: "titan", dflt: true, all: true, title: "Titan", lines: (*Engine).infoTitan},
}

// info answers INFO [section ...]: no argument or "default" gives the
// default sections, "all" every section but modules, "everything" all of
// them; names are case-insensitive and unknown ones are ignored.
func info(c *Call) {
	text, err := c.s.infoText(c.Args[1:])
	if err != nil {
		c.Error(c.errorReply(err))
		return
	}
	c.Reply(resp.Verbatim(text))
}

func (s *Engine) infoText(args [][]byte) (string, error) {
	asked := map[string]bool{}
	for _, a := range args {
		asked[strings.ToLower(string(a))] = true
	}
	everything := asked["everything"]
	all := asked["all"]
	dflt := len(asked) == 0 || asked["default"]
	var b strings.Builder
	for _, sec := range infoSections {
		if !(everything || asked[sec.name] || (all && sec.all) || (dflt && sec.dflt)) {
			continue
		}
		lines, err := sec.lines(s)
		if err != nil {
			return "", err
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + sec.title + "\r\n")
		for _, l := range lines {
			b.WriteString(l + "\r\n")
		}
	}
	return b.String(), nil
}

func (s *Engine) infoServer() ([]string, error) {
	up := time.Since(s.start)
	exe, _ := os.Executable()
	configFile := s.settings.File()
	return []string{
		"redis_version:" + redisVersion,
		"redis_git_sha1:00000000",
		"redis_git_dirty:0",
		"redis_build_id:" + s.cfg.Commit,
		"redis_mode:" + s.redisMode(),
		"os:" + runtime.GOOS + " " + runtime.GOARCH,
		"arch_bits:64",
		"monotonic_clock:POSIX clock_gettime",
		"multiplexing_api:epoll",
		"atomicvar_api:go",
		"gcc_version:0.0.0",
		fmt.Sprintf("process_id:%d", os.Getpid()),
		"process_supervised:no",
		"run_id:" + s.runID,
		"tcp_port:" + s.cfg.Port,
		fmt.Sprintf("server_time_usec:%d", time.Now().UnixMicro()),
		fmt.Sprintf("uptime_in_seconds:%d", int64(up.Seconds())),
		fmt.Sprintf("uptime_in_days:%d", int64(up.Hours()/24)),
		"hz:10",
		"configured_hz:10",
		fmt.Sprintf("lru_clock:%d", time.Now().Unix()&(1<<24-1)),
		"executable:" + exe,
		"config_file:" + configFile,
		"io_threads_active:0",
		"titan_version:" + s.cfg.Version,
		"titan_git_sha1:" + s.cfg.Commit,
		"go_version:" + runtime.Version(),
		"store_status:" + s.storeStatus(),
	}, nil
}

func (s *Engine) infoClients() ([]string, error) {
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	return []string{
		fmt.Sprintf("connected_clients:%d", n),
		"cluster_connections:0",
		fmt.Sprintf("maxclients:%d", s.maxClients.Load()),
		"client_recent_max_input_buffer:0",
		"client_recent_max_output_buffer:0",
		fmt.Sprintf("blocked_clients:%d", s.blockedClients.Load()),
		fmt.Sprintf("tracking_clients:%d", s.track.active.Load()),
		"clients_in_timeout_table:0",
	}, nil
}

// infoMemory reports the titan process's memory: the data lives in TiKV,
// so used_memory is the Go heap in use, not the dataset, and the fields of
// Redis's allocator are the Go runtime's figures.
func (s *Engine) infoMemory() ([]string, error) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	used, rss := int64(ms.HeapAlloc), int64(ms.Sys-ms.HeapReleased)
	for p := s.peakMem.Load(); used > p && !s.peakMem.CompareAndSwap(p, used); p = s.peakMem.Load() {
	}
	peak := s.peakMem.Load()
	active, resident := int64(ms.HeapInuse), int64(ms.HeapSys-ms.HeapReleased)
	ratio := func(a, b int64) float64 { return float64(a) / float64(max(b, 1)) }
	return []string{
		fmt.Sprintf("used_memory:%d", used),
		"used_memory_human:" + humanBytes(used),
		fmt.Sprintf("used_memory_rss:%d", rss),
		"used_memory_rss_human:" + humanBytes(rss),
		fmt.Sprintf("used_memory_peak:%d", peak),
		"used_memory_peak_human:" + humanBytes(peak),
		fmt.Sprintf("used_memory_peak_perc:%.2f%%", 100*ratio(used, peak)),
		fmt.Sprintf("used_memory_overhead:%d", used),
		"used_memory_startup:0",
		"used_memory_dataset:0",
		"used_memory_dataset_perc:0.00%",
		fmt.Sprintf("allocator_allocated:%d", used),
		fmt.Sprintf("allocator_active:%d", active),
		fmt.Sprintf("allocator_resident:%d", resident),
		"total_system_memory:0",
		"total_system_memory_human:0B",
		"used_memory_lua:0",
		"used_memory_vm_eval:0",
		"used_memory_lua_human:0B",
		"used_memory_scripts_eval:0",
		"number_of_cached_scripts:0",
		"number_of_functions:0",
		"number_of_libraries:0",
		"used_memory_vm_functions:0",
		"used_memory_vm_total:0",
		"used_memory_vm_total_human:0B",
		"used_memory_functions:0",
		"used_memory_scripts:0",
		"used_memory_scripts_human:0B",
		"maxmemory:0",
		"maxmemory_human:0B",
		"maxmemory_policy:noeviction",
		fmt.Sprintf("allocator_frag_ratio:%.2f", ratio(active, used)),
		fmt.Sprintf("allocator_frag_bytes:%d", active-used),
		fmt.Sprintf("allocator_rss_ratio:%.2f", ratio(resident, active)),
		fmt.Sprintf("allocator_rss_bytes:%d", resident-active),
		fmt.Sprintf("rss_overhead_ratio:%.2f", ratio(rss, resident)),
		fmt.Sprintf("rss_overhead_bytes:%d", rss-resident),
		fmt.Sprintf("mem_fragmentation_ratio:%.2f", ratio(rss, used)),
		fmt.Sprintf("mem_fragmentation_bytes:%d", rss-used),
		"mem_not_counted_for_evict:0",
		"mem_replication_backlog:0",
		"mem_total_replication_buffers:0",
		"mem_clients_slaves:0",
		"mem_clients_normal:0",
		"mem_cluster_links:0",
		"mem_aof_buffer:0",
		"mem_allocator:go",
		"active_defrag_running:0",
		"lazyfree_pending_objects:0",
		"lazyfreed_objects:0",
		fmt.Sprintf("go_heap_objects:%d", ms.HeapObjects),
		fmt.Sprintf("go_gc_runs:%d", ms.NumGC),
	}, nil
}

func humanBytes(n int64) string {
	f := float64(n)
	for _, u := range []string{"B", "K", "M", "G", "T"} {
		if f < 1024 || u == "T" {
			if u == "B" {
				return fmt.Sprintf("%dB", n)
			}
			return fmt.Sprintf("%.2f%s", f, u)
		}
		f /= 1024
	}
	return ""
}

// infoPersistence answers as a Redis that never needs to save: every
// write is committed to TiKV (replicated by Raft) before it is answered,
// so there is no RDB or AOF, nothing to load and nothing unsaved.
func (s *Engine) infoPersistence() ([]string, error) {
	return []string{
		"loading:0",
		"async_loading:0",
		"current_cow_peak:0",
		"current_cow_size:0",
		"current_cow_size_age:0",
		"current_fork_perc:0.00",
		"current_save_keys_processed:0",
		"current_save_keys_total:0",
		"rdb_changes_since_last_save:0",
		"rdb_bgsave_in_progress:0",
		fmt.Sprintf("rdb_last_save_time:%d", s.start.Unix()),
		"rdb_last_bgsave_status:ok",
		"rdb_last_bgsave_time_sec:-1",
		"rdb_current_bgsave_time_sec:-1",
		"rdb_saves:0",
		"rdb_last_cow_size:0",
		"rdb_last_load_keys_expired:0",
		"rdb_last_load_keys_loaded:0",
		"aof_enabled:0",
		"aof_rewrite_in_progress:0",
		"aof_rewrite_scheduled:0",
		"aof_last_rewrite_time_sec:-1",
		"aof_current_rewrite_time_sec:-1",
		"aof_last_bgrewrite_status:ok",
		"aof_rewrites:0",
		"aof_rewrites_consecutive_failures:0",
		"aof_last_write_status:ok",
		"aof_last_cow_size:0",
		"module_fork_in_progress:0",
		"module_fork_last_cow_size:0",
		"titan_durability:committed-to-store-before-reply",
	}, nil
}

func (s *Engine) infoStats() ([]string, error) {
	st := s.stats
	ops, in, out := st.rates()
	expired := int64(0)
	if s.m != nil {
		expired = int64(sumOf(s.m.KeysExpired))
	}
	_, tkeys, titems, tprefixes := s.track.counts()
	return []string{
		fmt.Sprintf("total_connections_received:%d", st.connections.Load()),
		fmt.Sprintf("total_commands_processed:%d", st.commands.Load()),
		fmt.Sprintf("instantaneous_ops_per_sec:%d", int64(ops)),
		fmt.Sprintf("total_net_input_bytes:%d", st.netIn.Load()),
		fmt.Sprintf("total_net_output_bytes:%d", st.netOut.Load()),
		"total_net_repl_input_bytes:0",
		"total_net_repl_output_bytes:0",
		fmt.Sprintf("instantaneous_input_kbps:%.2f", in),
		fmt.Sprintf("instantaneous_output_kbps:%.2f", out),
		"instantaneous_input_repl_kbps:0.00",
		"instantaneous_output_repl_kbps:0.00",
		fmt.Sprintf("rejected_connections:%d", st.rejectedConns.Load()),
		"sync_full:0",
		"sync_partial_ok:0",
		"sync_partial_err:0",
		fmt.Sprintf("expired_keys:%d", expired),
		"expired_stale_perc:0.00",
		"expired_time_cap_reached_count:0",
		"expire_cycle_cpu_milliseconds:0",
		"evicted_keys:0",
		"evicted_clients:0",
		"total_eviction_exceeded_time:0",
		"current_eviction_exceeded_time:0",
		fmt.Sprintf("keyspace_hits:%d", st.hits.Load()),
		fmt.Sprintf("keyspace_misses:%d", st.misses.Load()),
		"pubsub_channels:0",
		"pubsub_patterns:0",
		"pubsubshard_channels:0",
		"latest_fork_usec:0",
		"total_forks:0",
		"migrate_cached_sockets:0",
		"slave_expires_tracked_keys:0",
		"active_defrag_hits:0",
		"active_defrag_misses:0",
		"active_defrag_key_hits:0",
		"active_defrag_key_misses:0",
		"total_active_defrag_time:0",
		"current_active_defrag_time:0",
		fmt.Sprintf("tracking_total_keys:%d", tkeys),
		fmt.Sprintf("tracking_total_items:%d", titems),
		fmt.Sprintf("tracking_total_prefixes:%d", tprefixes),
		"unexpected_error_replies:0",
		fmt.Sprintf("total_error_replies:%d", st.errorReplies.Load()),
		"dump_payload_sanitizations:0",
		fmt.Sprintf("total_reads_processed:%d", st.commands.Load()),
		fmt.Sprintf("total_writes_processed:%d", st.commands.Load()),
		"io_threaded_reads_processed:0",
		"io_threaded_writes_processed:0",
		"reply_buffer_shrinks:0",
		"reply_buffer_expands:0",
	}, nil
}

// infoReplication answers as a master without replicas: TiKV replicates
// the data, titan instances are peers over it.
func (s *Engine) infoReplication() ([]string, error) {
	return []string{
		"role:master",
		"connected_slaves:0",
		"master_failover_state:no-failover",
		"master_replid:" + s.replID(),
		"master_replid2:0000000000000000000000000000000000000000",
		"master_repl_offset:0",
		"second_repl_offset:-1",
		"repl_backlog_active:0",
		"repl_backlog_size:0",
		"repl_backlog_first_byte_offset:0",
		"repl_backlog_histlen:0",
	}, nil
}

func (s *Engine) infoCPU() ([]string, error) {
	sys, user := cpuTimes()
	return []string{
		fmt.Sprintf("used_cpu_sys:%.6f", sys),
		fmt.Sprintf("used_cpu_user:%.6f", user),
		"used_cpu_sys_children:0.000000",
		"used_cpu_user_children:0.000000",
		fmt.Sprintf("used_cpu_sys_main_thread:%.6f", sys),
		fmt.Sprintf("used_cpu_user_main_thread:%.6f", user),
	}, nil
}

// cpuTimes returns the process's system and user CPU seconds.
func cpuTimes() (sys, user float64) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Stime), tv(ru.Utime)
}

// commandNames returns the commands with statistics, sorted.
func (s *Engine) commandNames() []string {
	var names []string
	s.stats.cmds.Range(func(k, _ any) bool { names = append(names, k.(string)); return true })
	sort.Strings(names)
	return names
}

func (s *Engine) infoCommandStats() ([]string, error) {
	var out []string
	for _, n := range s.commandNames() {
		v, _ := s.stats.cmds.Load(n)
		st := v.(*cmdStat)
		calls, usec := st.calls.Load(), st.usec.Load()
		if calls == 0 && st.rejected.Load() == 0 {
			continue
		}
		perCall := 0.0
		if calls > 0 {
			perCall = float64(usec) / float64(calls)
		}
		out = append(out, fmt.Sprintf("cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d",
			n, calls, usec, perCall, st.rejected.Load(), st.failed.Load()))
	}
	return out, nil
}

func (s *Engine) infoErrorStats() ([]string, error) {
	var codes []string
	s.stats.errors.Range(func(k, _ any) bool { codes = append(codes, k.(string)); return true })
	sort.Strings(codes)
	out := make([]string, len(codes))
	for i, code := range codes {
		v, _ := s.stats.errors.Load(code)
		out[i] = fmt.Sprintf("errorstat_%s:count=%d", code, v.(*atomic.Int64).Load())
	}
	return out, nil
}

func (s *Engine) infoLatencyStats() ([]string, error) {
	var out []string
	for _, n := range s.commandNames() {
		v, _ := s.stats.cmds.Load(n)
		st := v.(*cmdStat)
		calls := st.calls.Load()
		if calls == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("latency_percentiles_usec_%s:p50=%.3f,p99=%.3f,p99.9=%.3f", n,
			float64(st.hist.percentile(50, calls)), float64(st.hist.percentile(99, calls)),
			float64(st.hist.percentile(99.9, calls))))
	}
	return out, nil
}

// dbStats is one database's key counts.
type dbStats struct {
	db            int
	keys, expires int64
	avgTTL        int64
}

// keyspaceStats counts the keys of every database that has some, from the
// key counters in the store: the same figures on every instance.
// INFO keyspace, MEMORY STATS and redis_db_keys read them here.
func (s *Engine) keyspaceStats(ctx context.Context) ([]dbStats, error) {
	counts, err := s.db.KeyCounts(ctx, s.cfg.Databases)
	if err != nil {
		return nil, err
	}
	now := time.Now().UnixMilli()
	var out []dbStats
	for i, n := range counts {
		if n.Keys > 0 {
			out = append(out, dbStats{db: i, keys: n.Keys, expires: n.Expires, avgTTL: avgTTL(n, now)})
		}
	}
	return out, nil
}

// avgTTL is INFO keyspace's avg_ttl: the mean time to live, in
// milliseconds, of the keys with an expiry (0 when none).
func avgTTL(n encoding.Counts, now int64) int64 {
	if n.Expires <= 0 {
		return 0
	}
	return max(n.ExpireSum*1000/n.Expires-now, 0)
}

func (s *Engine) infoKeyspace() ([]string, error) {
	stats, err := s.keyspaceStats(context.Background())
	if err != nil {
		return nil, err
	}
	out := make([]string, len(stats))
	for i, st := range stats {
		out[i] = fmt.Sprintf("db%d:keys=%d,expires=%d,avg_ttl=%d", st.db, st.keys, st.expires, st.avgTTL)
	}
	return out, nil
}

// infoTitan is titan's own section: the store and this instance's share
// of the work over it.
func (s *Engine) infoTitan() ([]string, error) {
	out := []string{"store:" + s.storeName(), "pd_endpoints:" + s.cfg.Store.PD}
	if s.m != nil {
		batches, cmds := histOf(s.m.BatchSize)
		avg := 0.0
		if batches > 0 {
			avg = cmds / float64(batches)
		}
		out = append(out,
			fmt.Sprintf("batches:%d", batches),
			fmt.Sprintf("batch_avg_commands:%.2f", avg),
			fmt.Sprintf("txn_conflicts:%d", int64(sumOf(s.m.TxnConflicts))),
			fmt.Sprintf("txn_retries:%d", int64(sumOf(s.m.TxnRetries))),
			fmt.Sprintf("store_requests:%d", int64(sumOf(s.m.TiKVRequests))),
			fmt.Sprintf("regions_seen:%d", int64(sumOf(s.m.TiKVRegions))),
			fmt.Sprintf("store_region_errors:%d", int64(sumOf(s.m.TiKVRegionErrors))),
			"background_leader_tasks:"+strings.Join(leaderTasks(s.m.TaskLeader), ","),
			fmt.Sprintf("gc_safe_point:%d", int64(sumOf(s.m.GCSafePoint))),
		)
	}
	if f := s.cfg.Store.Fields; f != nil {
		kv := f()
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, kv[i]+":"+kv[i+1])
		}
	}
	return out, nil
}

func (s *Engine) storeName() string {
	if s.db.Embedded() {
		return "embedded"
	}
	return "tikv"
}
