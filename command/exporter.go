package command

import (
	"context"
	"runtime"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Collector exports the engine's Redis figures under redis_exporter's
// metric names and labels (redis_commands_total{cmd}, redis_db_keys{db},
// redis_keyspace_hits_total...), so that dashboards made for
// redis_exporter work on titan's own /metrics. Register it on the
// instance's registry.
func (s *Engine) Collector() prometheus.Collector { return redisCollector{s} }

type redisCollector struct{ s *Engine }

// redisDesc describes one redis_exporter series.
func redisDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("redis_"+name, help, labels, nil)
}

var (
	descUp          = redisDesc("up", "1: the instance answers (titan's own /metrics).")
	descUptime      = redisDesc("uptime_in_seconds", "Seconds since the instance started.")
	descClients     = redisDesc("connected_clients", "Client connections open on this instance.")
	descBlocked     = redisDesc("blocked_clients", "Clients blocked in a blocking command.")
	descMaxClients  = redisDesc("config_maxclients", "The maxclients parameter.")
	descMemUsed     = redisDesc("memory_used_bytes", "Go heap in use by the titan process (the data lives in TiKV).")
	descMemMax      = redisDesc("memory_max_bytes", "maxmemory: 0, titan does not evict.")
	descCmdsDone    = redisDesc("commands_processed_total", "Commands processed by this instance.")
	descConns       = redisDesc("connections_received_total", "Connections accepted by this instance.")
	descRejected    = redisDesc("rejected_connections_total", "Connections refused (maxclients).")
	descNetIn       = redisDesc("net_input_bytes_total", "Bytes read from clients.")
	descNetOut      = redisDesc("net_output_bytes_total", "Bytes written to clients.")
	descHits        = redisDesc("keyspace_hits_total", "Reads that found their key.")
	descMisses      = redisDesc("keyspace_misses_total", "Reads that found no key.")
	descExpired     = redisDesc("expired_keys_total", "Keys removed by this instance's active expirer.")
	descEvicted     = redisDesc("evicted_keys_total", "Keys evicted: always 0, titan does not evict.")
	descErrors      = redisDesc("errors_total", "Error replies, by error code.", "err")
	descCmds        = redisDesc("commands_total", "Calls, by command.", "cmd")
	descCmdDur      = redisDesc("commands_duration_seconds_total", "Time spent in commands, by command.", "cmd")
	descCmdFailed   = redisDesc("commands_failed_calls_total", "Calls that answered an error, by command.", "cmd")
	descCmdRejected = redisDesc("commands_rejected_calls_total", "Calls refused before running, by command.", "cmd")
	descDBKeys      = redisDesc("db_keys", "Keys in the database (the store's figure).", "db")
	descDBExpiring  = redisDesc("db_keys_expiring", "Keys with a TTL in the database (the store's figure).", "db")
	descSlowlogLen  = redisDesc("slowlog_length", "Entries in the slow log.")
	descOps         = redisDesc("instantaneous_ops_per_sec", "Commands per second.")
	descCPUSys      = redisDesc("cpu_sys_seconds_total", "System CPU of the process.")
	descCPUUser     = redisDesc("cpu_user_seconds_total", "User CPU of the process.")
	descConnSlaves  = redisDesc("connected_slaves", "Replicas: always 0, TiKV replicates the data.")
)

func (redisCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descUptime, descClients, descBlocked, descMaxClients,
		descMemUsed, descMemMax, descCmdsDone, descConns, descRejected, descNetIn, descNetOut, descHits,
		descMisses, descExpired, descEvicted, descErrors, descCmds, descCmdDur, descCmdFailed,
		descCmdRejected, descDBKeys, descDBExpiring, descSlowlogLen, descOps, descCPUSys, descCPUUser,
		descConnSlaves} {
		ch <- d
	}
}

func (c redisCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	st := s.stats
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	s.mu.Lock()
	clients := len(s.clients)
	s.mu.Unlock()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gauge(descUp, 1)
	gauge(descUptime, time.Since(s.start).Seconds())
	gauge(descClients, float64(clients))
	gauge(descBlocked, 0)
	gauge(descMaxClients, float64(s.maxClients.Load()))
	gauge(descMemUsed, float64(ms.HeapAlloc))
	gauge(descMemMax, 0)
	gauge(descConnSlaves, 0)
	counter(descCmdsDone, float64(st.commands.Load()))
	counter(descConns, float64(st.connections.Load()))
	counter(descRejected, float64(st.rejectedConns.Load()))
	counter(descNetIn, float64(st.netIn.Load()))
	counter(descNetOut, float64(st.netOut.Load()))
	counter(descHits, float64(st.hits.Load()))
	counter(descMisses, float64(st.misses.Load()))
	expired := 0.0
	if s.m != nil {
		expired = sumOf(s.m.KeysExpired)
	}
	counter(descExpired, expired)
	counter(descEvicted, 0)
	ops, _, _ := st.rates()
	gauge(descOps, ops)
	s.slowlog.mu.Lock()
	gauge(descSlowlogLen, float64(len(s.slowlog.entries)))
	s.slowlog.mu.Unlock()
	cpuSys, cpuUser := cpuTimes()
	counter(descCPUSys, cpuSys)
	counter(descCPUUser, cpuUser)
	st.errors.Range(func(k, v any) bool {
		counter(descErrors, float64(v.(*atomic.Int64).Load()), k.(string))
		return true
	})
	for _, n := range s.commandNames() {
		v, _ := st.cmds.Load(n)
		cs := v.(*cmdStat)
		counter(descCmds, float64(cs.calls.Load()), n)
		counter(descCmdDur, float64(cs.usec.Load())/1e6, n)
		counter(descCmdFailed, float64(cs.failed.Load()), n)
		counter(descCmdRejected, float64(cs.rejected.Load()), n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stats, err := s.keyspaceStats(ctx)
	if err != nil {
		return
	}
	for _, st := range stats {
		db := "db" + strconv.Itoa(st.db)
		gauge(descDBKeys, float64(st.keys), db)
		gauge(descDBExpiring, float64(st.expires), db)
	}
}

// sumOf returns the sum of the values of a Prometheus counter or gauge
// (of every label set of a vector).
func sumOf(c prometheus.Collector) float64 {
	var sum float64
	each(c, func(m *dto.Metric) {
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		}
	})
	return sum
}

// histOf returns the sample count and sum of a Prometheus histogram.
func histOf(c prometheus.Collector) (count uint64, sum float64) {
	each(c, func(m *dto.Metric) {
		if h := m.Histogram; h != nil {
			count += h.GetSampleCount()
			sum += h.GetSampleSum()
		}
	})
	return count, sum
}

// leaderTasks returns the tasks whose leader gauge is 1, sorted.
func leaderTasks(c prometheus.Collector) []string {
	var tasks []string
	each(c, func(m *dto.Metric) {
		if m.Gauge.GetValue() == 1 {
			for _, l := range m.Label {
				if l.GetName() == "task" {
					tasks = append(tasks, l.GetValue())
				}
			}
		}
	})
	sort.Strings(tasks)
	return tasks
}

func each(c prometheus.Collector, f func(*dto.Metric)) {
	ch := make(chan prometheus.Metric, 64)
	go func() { c.Collect(ch); close(ch) }()
	for m := range ch {
		var d dto.Metric
		if m.Write(&d) == nil {
			f(&d)
		}
	}
}
