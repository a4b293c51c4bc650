// Package metrics defines titan's Prometheus series. One Metrics value is
// created per server and handed to the layers that record into it; nothing
// here is package-level state.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every series titan exports.
type Metrics struct {
	Registry *prometheus.Registry

	Commands         *prometheus.CounterVec   // titan_commands_total{cmd,result}
	CommandDuration  *prometheus.HistogramVec // titan_command_duration_seconds{cmd}
	ConnectedConns   prometheus.Gauge         // titan_connected_clients
	ConnectionsTot   prometheus.Counter       // titan_connections_total
	TxnCommits       *prometheus.CounterVec   // titan_txn_commits_total{result}
	TxnConflicts     prometheus.Counter       // titan_txn_conflicts_total
	TxnRetries       prometheus.Counter       // titan_txn_retries_total
	TiKVRequests     *prometheus.CounterVec   // titan_tikv_requests_total{type}
	TiKVDuration     *prometheus.HistogramVec // titan_tikv_request_duration_seconds{type}
	TiKVRegionErrors *prometheus.CounterVec   // titan_tikv_region_errors_total{type}
	TiKVErrors       *prometheus.CounterVec   // titan_tikv_request_errors_total{type}
	TiKVRegions      prometheus.Gauge         // titan_tikv_regions_seen
	BatchSize        prometheus.Histogram     // titan_batch_commands
	KeysExpired      prometheus.Counter       // titan_keys_expired_total
	GCKeysDeleted    prometheus.Counter       // titan_gc_keys_deleted_total
	GCObjects        prometheus.Counter       // titan_gc_objects_total
	TaskRuns         *prometheus.CounterVec   // titan_background_task_runs_total{task,result}
	TaskLeader       *prometheus.GaugeVec     // titan_background_task_leader{task}
	GCSafePoint      prometheus.Gauge         // titan_gc_safepoint_unix_seconds
	ScriptRuns       *prometheus.CounterVec   // titan_script_runs_total{result}
	ScriptDuration   prometheus.Histogram     // titan_script_duration_seconds

	// The bus, blocking commands and Pub/Sub.
	BlockedClients prometheus.Gauge       // titan_blocked_clients
	BlockedWakes   prometheus.Counter     // titan_blocked_wakes_total
	WakeLatency    prometheus.Histogram   // titan_blocked_wake_seconds
	PubSubIn       prometheus.Counter     // titan_pubsub_messages_in_total
	PubSubOut      prometheus.Counter     // titan_pubsub_messages_out_total
	BusPeers       prometheus.Gauge       // titan_bus_peers
	BusErrors      *prometheus.CounterVec // titan_bus_errors_total{op}
}

// New creates the series and registers them, with the Go and process
// collectors, on a fresh registry.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		Commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "titan_commands_total",
			Help: "Commands executed, by lower-case command name and result (ok or error).",
		}, []string{"cmd", "result"}),
		CommandDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "titan_command_duration_seconds",
			Help:    "Command latency from parse to reply, by command name.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 18),
		}, []string{"cmd"}),
		ConnectedConns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "titan_connected_clients",
			Help: "Client connections currently open.",
		}),
		ConnectionsTot: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "titan_connections_total",
			Help: "Client connections accepted.",
		}),
		TxnCommits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "titan_txn_commits_total",
			Help: "TiKV transaction commits, by result (ok, conflict, error).",
		}, []string{"result"}),
		TxnConflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "titan_txn_conflicts_total",
			Help: "Transactions that failed with a write conflict.",
		}),
		TxnRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "titan_txn_retries_total",
			Help: "Transactions retried after a retryable failure.",
		}),
		TiKVRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "titan_tikv_requests_total",
			Help: "Requests sent to TiKV, by client-go request type (Get, BatchGet, Scan, Prewrite, Commit, ...).",
		}, []string{"type"}),
		TiKVDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "titan_tikv_request_duration_seconds",
			Help:    "Latency of the requests sent to TiKV, by client-go request type.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}, []string{"type"}),
		TiKVRegionErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "titan_tikv_region_errors_total",
			Help: "TiKV responses carrying a region error (not leader, epoch not match, server busy...), by request type; client-go retries them.",
		}, []string{"type"}),
		TiKVErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "titan_tikv_request_errors_total",
			Help: "Requests to TiKV that failed (network, timeout), by request type.",
		}, []string{"type"}),
		TiKVRegions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "titan_tikv_regions_seen",
			Help: "Distinct TiKV regions this instance has sent requests to since it started.",
		}),
		BatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "titan_batch_commands",
			Help:    "Commands executed per shared transaction by the write batcher.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		KeysExpired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "titan_keys_expired_total",
			Help: "Keys removed by the active expirer.",
		}),
		GCKeysDeleted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "titan_gc_keys_deleted_total",
			Help: "Element keys of dropped collections deleted by the collector.",
		}),
		GCObjects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "titan_gc_objects_total",
			Help: "Dropped collection objects fully reclaimed by the collector.",
		}),
		TaskRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "titan_background_task_runs_total",
			Help: "Background task rounds, by task and result.",
		}, []string{"task", "result"}),
		TaskLeader: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "titan_background_task_leader",
			Help: "1 when this process holds the lease of the background task.",
		}, []string{"task"}),
		GCSafePoint: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "titan_gc_safepoint_unix_seconds",
			Help: "The TiKV GC safe point this process last set, as unix time.",
		}),
		ScriptRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "titan_script_runs_total",
			Help: "Lua script and function runs (EVAL*, FCALL*), by result (ok, or error for an error reply or a failure).",
		}, []string{"result"}),
		ScriptDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "titan_script_duration_seconds",
			Help:    "Time one Lua script or function run takes, its redis.call commands included (each run of a retried one counts).",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 18),
		}),
	}
	// The error series start at 0 for the request types every transaction
	// sends, so that dashboards and alerts see them before the first error.
	for _, t := range []string{"Get", "BatchGet", "Scan", "Prewrite", "Commit", "PessimisticLock", "CheckTxnStatus", "ResolveLock", "Cleanup"} {
		m.TiKVRegionErrors.WithLabelValues(t)
		m.TiKVErrors.WithLabelValues(t)
	}
	m.BlockedClients = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "titan_blocked_clients",
		Help: "Clients blocked in a blocking command (BLPOP, BZPOPMIN...).",
	})
	m.BlockedWakes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "titan_blocked_wakes_total",
		Help: "Blocked clients served after a wake-up.",
	})
	m.WakeLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "titan_blocked_wake_seconds",
		Help:    "Time from a blocked client's wake-up to its reply being ready (the pop transaction).",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
	})
	m.PubSubIn = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "titan_pubsub_messages_in_total",
		Help: "Messages published on this instance (PUBLISH, SPUBLISH, keyspace notifications).",
	})
	m.PubSubOut = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "titan_pubsub_messages_out_total",
		Help: "Messages delivered to this instance's subscribers.",
	})
	m.BusPeers = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "titan_bus_peers",
		Help: "Other instances this instance is connected to over the bus.",
	})
	m.BusErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "titan_bus_errors_total",
		Help: "Bus failures, by operation (dial, send, call, register, list).",
	}, []string{"op"})
	reg.MustRegister(m.BlockedClients, m.BlockedWakes, m.WakeLatency, m.PubSubIn, m.PubSubOut, m.BusPeers, m.BusErrors)
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.Commands, m.CommandDuration, m.ConnectedConns, m.ConnectionsTot,
		m.TxnCommits, m.TxnConflicts, m.TxnRetries, m.TiKVRequests, m.TiKVDuration, m.TiKVRegionErrors,
		m.TiKVErrors, m.TiKVRegions, m.BatchSize,
		m.KeysExpired, m.GCKeysDeleted, m.GCObjects, m.TaskRuns, m.TaskLeader, m.GCSafePoint,
		m.ScriptRuns, m.ScriptDuration,
	)
	return m
}
