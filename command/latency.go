package command

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/titan-kv/titan/resp"
)

// latencyHistoryLen is how many samples an event keeps, as Redis's
// LATENCY_TS_LEN.
const latencyHistoryLen = 160

// latencyMonitor is Redis's latency monitor for this instance: events
// ("command", "fast-command") that took latency-monitor-threshold
// milliseconds or more, one sample per event and second (the largest).
type latencyMonitor struct {
	threshold atomic.Int64 // milliseconds; 0: off

	mu     sync.Mutex
	events map[string]*latencyEvent
}

type latencySample struct{ time, ms int64 }

type latencyEvent struct {
	samples []latencySample // oldest first, at most latencyHistoryLen
	max     int64
}

func newLatencyMonitor() *latencyMonitor {
	return &latencyMonitor{events: map[string]*latencyEvent{}}
}

// add records a sample of ms milliseconds for event, if the monitor is on
// and the sample reaches the threshold.
func (m *latencyMonitor) add(event string, ms int64) {
	th := m.threshold.Load()
	if th == 0 || ms < th {
		return
	}
	now := time.Now().Unix()
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.events[event]
	if e == nil {
		e = &latencyEvent{}
		m.events[event] = e
	}
	e.max = max(e.max, ms)
	if n := len(e.samples); n > 0 && e.samples[n-1].time == now {
		e.samples[n-1].ms = max(e.samples[n-1].ms, ms)
		return
	}
	if len(e.samples) == latencyHistoryLen {
		e.samples = append(e.samples[:0], e.samples[1:]...)
	}
	e.samples = append(e.samples, latencySample{now, ms})
}

// names returns the events with samples, sorted.
func (m *latencyMonitor) names() []string {
	names := make([]string, 0, len(m.events))
	for n := range m.events {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var latencyHelp = resp.Lines{
	"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DOCTOR",
	"    Return a human readable latency analysis report.",
	"GRAPH <event>",
	"    Return an ASCII latency graph for the <event> class.",
	"HISTORY <event>",
	"    Return time-latency samples for the <event> class.",
	"LATEST",
	"    Return the latest latency samples for all events.",
	"RESET [<event> ...]",
	"    Reset latency data of one or more <event> classes.",
	"    (default: reset all data for all event classes)",
	"HISTOGRAM [COMMAND ...]",
	"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
	"    If no commands are specified then all histograms are replied.",
	"HELP",
	"    Prints this help.",
}

func latencyCmd(c *Call) {
	m := c.s.latency
	sub := strings.ToLower(string(c.Args[1]))
	switch {
	case sub == "help" && len(c.Args) == 2:
		c.Reply(latencyHelp)
	case sub == "latest" && len(c.Args) == 2:
		m.mu.Lock()
		var out resp.Array
		for _, n := range m.names() {
			e := m.events[n]
			last := e.samples[len(e.samples)-1]
			out = append(out, resp.Array{resp.BulkString(n), resp.Int(last.time), resp.Int(last.ms), resp.Int(e.max)})
		}
		m.mu.Unlock()
		c.Reply(orEmpty(out))
	case sub == "history" && len(c.Args) == 3:
		m.mu.Lock()
		var out resp.Array
		if e := m.events[string(c.Args[2])]; e != nil {
			for _, s := range e.samples {
				out = append(out, resp.Ints{s.time, s.ms})
			}
		}
		m.mu.Unlock()
		c.Reply(orEmpty(out))
	case sub == "reset":
		m.mu.Lock()
		n := 0
		if len(c.Args) == 2 {
			n = len(m.events)
			clear(m.events)
		}
		for _, a := range c.Args[2:] {
			if _, ok := m.events[string(a)]; ok {
				delete(m.events, string(a))
				n++
			}
		}
		m.mu.Unlock()
		c.Reply(resp.Int(n))
	case sub == "graph" && len(c.Args) == 3:
		m.mu.Lock()
		e := m.events[string(c.Args[2])]
		var graph string
		if e != nil {
			graph = latencyGraph(string(c.Args[2]), e, time.Now())
		}
		m.mu.Unlock()
		if e == nil {
			c.Error(fmt.Sprintf("ERR No samples available for event '%s'", c.Args[2]))
			return
		}
		c.Reply(resp.Verbatim(graph))
	case sub == "doctor" && len(c.Args) == 2:
		c.Reply(resp.Verbatim(c.s.latencyDoctor()))
	case sub == "histogram":
		c.Reply(c.s.latencyHistogram(c.Args[2:]))
	default:
		c.badSubcommand()
	}
}

// orEmpty makes a nil array an empty one (a nil resp.Array is still
// written as an empty array, this keeps the intent explicit).
func orEmpty(a resp.Array) resp.Array {
	if a == nil {
		return resp.Array{}
	}
	return a
}

// latencyHistogram answers LATENCY HISTOGRAM: for each command asked (or
// every command called), its calls and the cumulative counts at powers of
// two microseconds.
func (s *Engine) latencyHistogram(names [][]byte) resp.Reply {
	var want []string
	if len(names) == 0 {
		s.stats.cmds.Range(func(k, _ any) bool { want = append(want, k.(string)); return true })
		sort.Strings(want)
	} else {
		for _, n := range names {
			want = append(want, strings.ToLower(string(n)))
		}
	}
	var out resp.Map
	seen := map[string]bool{}
	for _, n := range want {
		v, ok := s.stats.cmds.Load(n)
		if !ok || seen[n] {
			continue
		}
		seen[n] = true
		st := v.(*cmdStat)
		if st.calls.Load() == 0 {
			continue
		}
		bounds, counts := st.hist.cumulative()
		h := make(resp.Map, 0, 2*len(bounds))
		for i := range bounds {
			h = append(h, resp.Int(bounds[i]), resp.Int(counts[i]))
		}
		out = append(out, resp.BulkString(n), resp.Map{
			resp.BulkString("calls"), resp.Int(st.calls.Load()),
			resp.BulkString("histogram_usec"), h,
		})
	}
	if out == nil {
		out = resp.Map{}
	}
	return out
}

// latencyDoctor is LATENCY DOCTOR's report, in Redis's words where they
// apply and with titan's advice where they do not.
func (s *Engine) latencyDoctor() string {
	m := s.latency
	if m.threshold.Load() == 0 {
		return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. " +
			"You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. " +
			"If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.events) == 0 {
		return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. " +
			"I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n"
	}
	var b strings.Builder
	b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
	for i, n := range m.names() {
		e := m.events[n]
		var sum int64
		for _, s := range e.samples {
			sum += s.ms
		}
		avg := sum / int64(len(e.samples))
		var dev int64
		for _, s := range e.samples {
			dev += abs64(s.ms - avg)
		}
		dev /= int64(len(e.samples))
		period := float64(0)
		if len(e.samples) > 1 {
			period = float64(e.samples[len(e.samples)-1].time-e.samples[0].time) / float64(len(e.samples)-1)
		}
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms.\n",
			i+1, n, len(e.samples), avg, dev, period, e.max)
	}
	b.WriteString("\nI have a few advices for you:\n\n")
	b.WriteString("- titan keeps no data in memory: a slow command is almost always a slow store. " +
		"Check the TiKV request latency and region errors on titan's dashboard (titan_tikv_request_duration_seconds) " +
		"and TiKV's own dashboards.\n")
	b.WriteString("- Write conflicts retry a command: check titan_txn_conflicts_total; many clients writing one key serialise on it.\n")
	b.WriteString("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. " +
		"Please check https://redis.io/commands/slowlog for more information.\n")
	b.WriteString("- Commands that read a whole large collection (HGETALL, SMEMBERS, LRANGE 0 -1 of big keys) cost one store scan each; " +
		"prefer the SCAN family.\n")
	return b.String()
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
