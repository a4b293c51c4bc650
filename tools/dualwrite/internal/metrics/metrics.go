// Package metrics defines dualwrite's Prometheus metrics. Every metric name
// starts with "dualwrite_". Metrics live in their own registry (plus the Go
// and process collectors), never in the global default registry, and each
// subcommand registers only its own part (New(Proxy) for the proxy...), so
// its endpoint shows what it measures.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Side label values.
const (
	SideRedis = "redis"
	SideTitan = "titan"
)

// Metrics holds every dualwrite metric and the registry they belong to.
type Metrics struct {
	Registry *prometheus.Registry

	// Proxy.
	Commands       *prometheus.CounterVec   // side, result (ok, error_reply, failed, skipped)
	Latency        *prometheus.HistogramVec // side
	Mismatches     *prometheus.CounterVec   // kind (shadow_read, write_reply)
	ShadowReads    prometheus.Counter
	RepairsQueued  prometheus.Counter
	RepairsDone    prometheus.Counter
	RepairsFailed  prometheus.Counter
	RepairsDropped prometheus.Counter
	// FencesAbandoned counts timed-out titan writes the proxy stopped
	// waiting for (FenceTimeout, or shutdown): their keys were marked dirty.
	FencesAbandoned prometheus.Counter
	RepairQueue     prometheus.Gauge
	ReadSide        *prometheus.GaugeVec // side: 1 for the side serving reads
	ClientConns     prometheus.Gauge
	DirtyMarks      prometheus.Counter
	BackfillActive  prometheus.Gauge
	RejectedCommand *prometheus.CounterVec   // reason
	ApplyDelay      *prometheus.HistogramVec // side: time from enqueue to replay
	ApplyOverflow   *prometheus.CounterVec   // side: writes not queued (queue full)
	ReverseFailed   prometheus.Counter
	ReadFallbacks   prometheus.Counter // titan reads answered by Redis (titan behind)
	Primary         prometheus.Gauge   // 0 while Redis is primary, 1 after the cut-over

	// Backfill (sync).
	BackfillCopied    prometheus.Counter
	BackfillScanned   prometheus.Counter
	BackfillTotal     prometheus.Gauge
	BackfillRecopied  prometheus.Counter
	BackfillErrors    prometheus.Counter
	BackfillShardDone *prometheus.GaugeVec // shard
	// BackfillShardCopied counts keys copied per shard, across resumes.
	BackfillShardCopied *prometheus.GaugeVec // shard

	// Verify.
	VerifyChecked     prometheus.Counter
	VerifyDifferences prometheus.Counter
	VerifyFixed       prometheus.Counter

	// Replicate.
	ReplKeysRestored *prometheus.CounterVec // shard: keys of snapshots restored into titan
	ReplCommands     *prometheus.CounterVec // shard, result (applied, skipped, refused)
	ReplOffset       *prometheus.GaugeVec   // shard: replication offset applied to titan
	ReplLag          *prometheus.GaugeVec   // shard: bytes received from the master but not yet applied
	ReplFullSyncs    *prometheus.CounterVec // shard: full resynchronizations (snapshots) started
	ReplConnected    *prometheus.GaugeVec   // shard: 1 while the replication link is up
}

// Part names the metrics of one subcommand.
type Part int

// The parts New registers.
const (
	Proxy Part = 1 << iota
	Sync
	Verify
	Replicate
)

// New creates every metric and registers those of parts in a fresh
// registry. Metrics of other parts work but are not exposed.
func New(parts Part) *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := factory{r: r, on: parts&Proxy != 0}
	m := &Metrics{
		Registry: r,
		Commands: f.counterVec("dualwrite_proxy_commands_total",
			"Commands sent upstream by the proxy, by side and result (ok, error_reply, failed, skipped).", "side", "result"),
		Latency: f.histogramVec("dualwrite_proxy_upstream_duration_seconds",
			"Upstream round-trip latency of proxied commands, by side.", "side"),
		Mismatches: f.counterVec("dualwrite_mismatches_total",
			"Replies that differed between Redis and titan, by kind (shadow_read, write_reply).", "kind"),
		ShadowReads:     f.counter("dualwrite_shadow_reads_total", "Reads also sent to the non-serving side for comparison."),
		RepairsQueued:   f.counter("dualwrite_repairs_queued_total", "Keys queued for repair after a titan failure or mismatch."),
		RepairsDone:     f.counter("dualwrite_repairs_done_total", "Keys repaired by copying the source value to titan."),
		RepairsFailed:   f.counter("dualwrite_repairs_failed_total", "Repair attempts that failed and were retried."),
		RepairsDropped:  f.counter("dualwrite_repairs_dropped_total", "Keys not queued because the repair queue was full."),
		FencesAbandoned: f.counter("dualwrite_proxy_fences_abandoned_total", "Timed-out titan writes the proxy stopped waiting for (no answer within --fence-timeout, or at shutdown); their keys were marked dirty."),
		RepairQueue:     f.gauge("dualwrite_repair_queue_length", "Keys waiting for repair."),
		ReadSide: f.gaugeVec("dualwrite_read_side",
			"1 for the side currently serving reads (redis or titan).", "side"),
		ClientConns:    f.gauge("dualwrite_proxy_client_connections", "Open client connections."),
		DirtyMarks:     f.counter("dualwrite_dirty_marks_total", "Keys recorded in the backfill dirty set."),
		BackfillActive: f.gauge("dualwrite_backfill_active", "1 while the proxy sees a backfill in progress."),
		RejectedCommand: f.counterVec("dualwrite_proxy_rejected_total",
			"Commands refused by the proxy, by reason.", "reason"),
		ApplyDelay: f.histogramVec("dualwrite_proxy_replay_delay_seconds",
			"Time from a write's answer by the primary to its replay on the other side, by side written.", "side"),
		ApplyOverflow: f.counterVec("dualwrite_proxy_replay_overflow_total",
			"Writes not queued for replay because the queue was full (their keys are repaired instead), by side.", "side"),
		ReverseFailed: f.counter("dualwrite_proxy_reverse_failed_total",
			"Writes not replayed on Redis after the cut-over."),
		ReadFallbacks: f.counter("dualwrite_proxy_read_fallbacks_total",
			"Reads for titan answered by Redis because titan had not yet applied the key's writes."),
		Primary: f.gauge("dualwrite_proxy_titan_primary", "1 once the cut-over made titan the primary."),
	}
	f.on = parts&Sync != 0
	m.BackfillCopied = f.counter("dualwrite_backfill_keys_copied_total", "Keys copied to titan by the backfill (this run and the runs it resumes).")
	m.BackfillScanned = f.counter("dualwrite_backfill_keys_scanned_total", "Keys returned by SCAN during the backfill.")
	m.BackfillTotal = f.gauge("dualwrite_backfill_keys_total_estimate", "Estimated keys to copy (sum of DBSIZE of all shards).")
	m.BackfillRecopied = f.counter("dualwrite_backfill_dirty_recopied_total", "Keys re-copied because they were written during the backfill.")
	m.BackfillErrors = f.counter("dualwrite_backfill_errors_total", "Backfill batches that failed and were retried.")
	m.BackfillShardDone = f.gaugeVec("dualwrite_backfill_shard_done", "1 once a shard's SCAN has completed.", "shard")
	m.BackfillShardCopied = f.gaugeVec("dualwrite_backfill_shard_keys_copied", "Keys copied from each shard (this run and the runs it resumes).", "shard")
	f.on = parts&Verify != 0
	m.VerifyChecked = f.counter("dualwrite_verify_keys_checked_total", "Keys compared by verify.")
	m.VerifyDifferences = f.counter("dualwrite_verify_differences_total", "Keys that differ between source and titan.")
	m.VerifyFixed = f.counter("dualwrite_verify_fixed_total", "Differing keys copied over by verify --fix.")
	f.on = parts&Replicate != 0
	m.ReplKeysRestored = f.counterVec("dualwrite_replicate_keys_restored_total", "Keys of the masters' snapshots restored into titan.", "shard")
	m.ReplCommands = f.counterVec("dualwrite_replicate_commands_total",
		"Commands of the replication stream, by result (applied, skipped, refused by titan).", "shard", "result")
	m.ReplOffset = f.gaugeVec("dualwrite_replicate_offset", "Master replication offset applied to titan.", "shard")
	m.ReplLag = f.gaugeVec("dualwrite_replicate_lag_bytes", "Replication stream bytes received but not yet applied to titan.", "shard")
	m.ReplFullSyncs = f.counterVec("dualwrite_replicate_full_syncs_total", "Full resynchronizations (snapshot transfers) started.", "shard")
	m.ReplConnected = f.gaugeVec("dualwrite_replicate_link_up", "1 while the replication link to the master is up.", "shard")
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// factory creates metrics and registers them while on is set.
type factory struct {
	r  *prometheus.Registry
	on bool
}

// register registers c in the factory's registry when the factory is on
// and returns it.
func register[C prometheus.Collector](f factory, c C) C {
	if f.on {
		f.r.MustRegister(c)
	}
	return c
}

func (f factory) counter(name, help string) prometheus.Counter {
	return register(f, prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help}))
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return register(f, prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels))
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	return register(f, prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help}))
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	return register(f, prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels))
}

func (f factory) histogramVec(name, help string, labels ...string) *prometheus.HistogramVec {
	return register(f, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    name,
		Help:    help,
		Buckets: prometheus.ExponentialBuckets(50e-6, 2, 16), // 50µs .. ~1.6s
	}, labels))
}
