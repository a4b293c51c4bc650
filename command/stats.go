package command

import (
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/resp"
)

// stats are the counters INFO reports (stats, commandstats, errorstats,
// latencystats) and CONFIG RESETSTAT clears. They are this instance's
// own: each titan instance counts what its clients sent it.
type stats struct {
	commands      atomic.Int64
	connections   atomic.Int64
	rejectedConns atomic.Int64
	netIn, netOut atomic.Int64
	hits, misses  atomic.Int64
	errorReplies  atomic.Int64

	cmds   sync.Map // full command name ("config|get") -> *cmdStat
	errors sync.Map // error code ("ERR", "WRONGTYPE") -> *atomic.Int64
	nerr   atomic.Int64

	opsMu   sync.Mutex
	opsAt   time.Time
	opsN    int64
	opsRate float64
	netAt   [2]int64
	netRate [2]float64
}

// maxErrorCodes bounds the error codes errorstats tracks, as Redis does
// (128), so that clients cannot grow the table without end.
const maxErrorCodes = 128

func newStats() *stats { return &stats{opsAt: time.Now()} }

// reset clears the counters CONFIG RESETSTAT clears.
func (st *stats) reset() {
	st.commands.Store(0)
	st.connections.Store(0)
	st.rejectedConns.Store(0)
	st.netIn.Store(0)
	st.netOut.Store(0)
	st.hits.Store(0)
	st.misses.Store(0)
	st.errorReplies.Store(0)
	st.cmds.Range(func(k, _ any) bool { st.cmds.Delete(k); return true })
	st.errors.Range(func(k, _ any) bool { st.errors.Delete(k); return true })
	st.nerr.Store(0)
	st.opsMu.Lock()
	st.opsAt, st.opsN, st.opsRate = time.Now(), 0, 0
	st.netAt, st.netRate = [2]int64{}, [2]float64{}
	st.opsMu.Unlock()
}

// cmd returns the counters of one command.
func (st *stats) cmd(name string) *cmdStat {
	v, ok := st.cmds.Load(name)
	if !ok {
		v, _ = st.cmds.LoadOrStore(name, &cmdStat{})
	}
	return v.(*cmdStat)
}

// countError counts one error reply under its code (the first word).
func (st *stats) countError(msg string) {
	st.errorReplies.Add(1)
	code, _, _ := strings.Cut(msg, " ")
	v, ok := st.errors.Load(code)
	if !ok {
		if st.nerr.Load() >= maxErrorCodes {
			return
		}
		var loaded bool
		v, loaded = st.errors.LoadOrStore(code, new(atomic.Int64))
		if !loaded {
			st.nerr.Add(1)
		}
	}
	v.(*atomic.Int64).Add(1)
}

// rates returns the operations per second and the input and output
// kilobytes per second, measured since the previous call at least a
// second ago (INFO's instantaneous_* fields).
func (st *stats) rates() (ops, inKbps, outKbps float64) {
	st.opsMu.Lock()
	defer st.opsMu.Unlock()
	now := time.Now()
	if el := now.Sub(st.opsAt).Seconds(); el >= 1 {
		n, in, out := st.commands.Load(), st.netIn.Load(), st.netOut.Load()
		st.opsRate = float64(n-st.opsN) / el
		st.netRate = [2]float64{float64(in-st.netAt[0]) / el / 1024, float64(out-st.netAt[1]) / el / 1024}
		st.opsAt, st.opsN, st.netAt = now, n, [2]int64{in, out}
	}
	return st.opsRate, st.netRate[0], st.netRate[1]
}

// countLookups counts keyspace hits and misses of a read command from its
// reply: a null, zero or empty reply is a miss; MGET-like replies count
// per key, EXISTS counts its keys that exist as hits.
func (st *stats) countLookups(name string, nkeys int, r resp.Reply) {
	var hits, misses int64
	switch v := r.(type) {
	case resp.Bulks:
		for _, b := range v {
			if b == nil {
				misses++
			} else {
				hits++
			}
		}
	case resp.Bulk:
		if v == nil {
			misses = 1
		} else {
			hits = 1
		}
	case resp.Int:
		if name == "exists" {
			hits, misses = int64(v), int64(nkeys)-int64(v)
		} else if v == 0 {
			misses = 1
		} else {
			hits = 1
		}
	case resp.Array:
		hits, misses = oneIf(len(v) > 0)
	case resp.Strings:
		hits, misses = oneIf(len(v) > 0)
	case resp.Map:
		hits, misses = oneIf(len(v) > 0)
	case resp.BulkSet:
		hits, misses = oneIf(len(v) > 0)
	case resp.Set:
		hits, misses = oneIf(len(v) > 0)
	default:
		if r == resp.NullArray {
			misses = 1
		} else {
			hits = 1
		}
	}
	st.hits.Add(hits)
	st.misses.Add(misses)
}

func oneIf(hit bool) (int64, int64) {
	if hit {
		return 1, 0
	}
	return 0, 1
}

// cmdStat counts one command: calls, time, failures, and a latency
// histogram (LATENCY HISTOGRAM, INFO latencystats).
type cmdStat struct {
	calls, usec, failed, rejected atomic.Int64
	hist                          latencyHist
	// prom are the command's Prometheus series, looked up once (series).
	prom atomic.Pointer[promSeries]
}

// promSeries are one command's titan_commands_total{result="ok"} and
// titan_command_duration_seconds series.
type promSeries struct {
	ok       prometheus.Counter
	duration prometheus.Observer
}

// series returns the Prometheus series of the command name, whose counts
// st holds: looked up in m's vectors (a hash of the labels under a lock)
// the first time only.
func (st *cmdStat) series(m *metrics.Metrics, name string) *promSeries {
	if p := st.prom.Load(); p != nil {
		return p
	}
	p := &promSeries{ok: m.Commands.WithLabelValues(name, "ok"), duration: m.CommandDuration.WithLabelValues(name)}
	st.prom.Store(p)
	return p
}

// latencyHist counts durations in microseconds: values below 8 exactly,
// then 8 linear steps per power of two (at most 12.5% off).
type latencyHist [histBuckets]atomic.Int64

const histBuckets = 8 + 8*40

func histIndex(us int64) int {
	if us < 8 {
		return int(max(us, 0))
	}
	e := bits.Len64(uint64(us)) - 1 // 3 or more
	i := (e-2)*8 + int((us>>(e-3))&7)
	return min(i, histBuckets-1)
}

// histUpper is the largest value of bucket i.
func histUpper(i int) int64 {
	if i < 8 {
		return int64(i)
	}
	e, sub := i/8+2, int64(i%8)
	return (8+sub+1)<<(e-3) - 1
}

func (h *latencyHist) add(us int64) { h[histIndex(us)].Add(1) }

// percentile returns the value below which p percent of the samples lie.
func (h *latencyHist) percentile(p float64, total int64) int64 {
	if total == 0 {
		return 0
	}
	want := int64(float64(total)*p/100 + 0.5)
	want = max(want, 1)
	var n int64
	for i := range h {
		n += h[i].Load()
		if n >= want {
			return histUpper(i)
		}
	}
	return histUpper(histBuckets - 1)
}

// cumulative returns the cumulative counts LATENCY HISTOGRAM lists, at
// Redis's reporting levels: Redis keeps an HDR histogram of nanoseconds
// (lowest 1024, 2 significant figures) and reports at 1024·2^k ns the
// highest value equivalent to that level, in microseconds (2, 3, 5, 9,
// 17, 33, 66, 132, 264, 528, 1056...). Levels that add no samples are
// left out.
func (h *latencyHist) cumulative() (bounds, counts []int64) {
	var n, prev int64
	i := 0
	for k := 0; k < 40 && i < histBuckets; k++ {
		level := int64(1024) << k
		width := int64(1024) << max(0, k-7)
		key := (level + width - 1) / 1000
		for ; i < histBuckets && histUpper(i) <= key; i++ {
			n += h[i].Load()
		}
		if n > prev {
			bounds = append(bounds, key)
			counts = append(counts, n)
			prev = n
		}
	}
	return bounds, counts
}
