package command

import (
	"context"
	"math"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

var memoryHelp = resp.Lines{
	"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DOCTOR",
	"    Return memory problems reports.",
	"MALLOC-STATS",
	"    Return internal statistics report from the memory allocator.",
	"PURGE",
	"    Attempt to purge dirty pages for reclamation by the allocator.",
	"STATS",
	"    Return information about the memory usage of the server.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
	"HELP",
	"    Prints this help.",
}

// memoryCmd answers MEMORY. USAGE is the key's size in the store (keys
// and values as TiKV holds them, before its compression and replication);
// the other subcommands describe the titan process, which holds no data.
func memoryCmd(c *Call) {
	switch sub := strings.ToLower(string(c.Args[1])); {
	case sub == "help" && len(c.Args) == 2:
		c.Reply(memoryHelp)
	case sub == "usage":
		memoryUsage(c)
	case sub == "doctor" && len(c.Args) == 2:
		c.Reply(resp.Verbatim("Hi Sam, titan keeps no data in memory: every key lives in TiKV, so my issues detector " +
			"has nothing to look at here. The process's own memory is in INFO memory and in the go_memstats_* and " +
			"process_resident_memory_bytes metrics; the data's size is TiKV's (its store size metrics, or MEMORY USAGE of a key).\n"))
	case sub == "malloc-stats" && len(c.Args) == 2:
		c.Reply(resp.Verbatim("Stats not supported for the current allocator\n"))
	case sub == "purge" && len(c.Args) == 2:
		debug.FreeOSMemory()
		c.Reply(resp.OK)
	case sub == "stats" && len(c.Args) == 2:
		memoryStats(c)
	default:
		c.badSubcommand()
	}
}

func memoryUsage(c *Call) {
	samples := int64(5)
	for i := 3; i < len(c.Args); i += 2 {
		if !argIs(c.Args[i], "SAMPLES") || i+1 >= len(c.Args) {
			c.Error(errSyntax)
			return
		}
		n, ok := parse.Int(c.Args[i+1])
		if !ok {
			c.Error(errNotInteger)
			return
		}
		if n < 0 {
			c.Error(errSyntax)
			return
		}
		samples = n
	}
	if samples == 0 || samples > math.MaxInt32 {
		samples = 0
	}
	key := c.Args[2]
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		n, ok, err := tx.Key(key).Usage(int(samples))
		if err != nil || !ok {
			return resp.Null, err
		}
		return resp.Int(n), nil
	})
}

// memoryStats answers MEMORY STATS with Redis's fields: the allocator's
// are the Go runtime's, the dataset's are 0 (the data is in TiKV), and
// keys.count is the store's.
func memoryStats(c *Call) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	stats, err := c.s.keyspaceStats(context.Background())
	if err != nil {
		c.Error(c.errorReply(err))
		return
	}
	var keys int64
	for _, st := range stats {
		keys += st.keys
	}
	used := int64(ms.HeapAlloc)
	peak := max(c.s.peakMem.Load(), used)
	c.Reply(resp.Map{
		resp.BulkString("peak.allocated"), resp.Int(peak),
		resp.BulkString("total.allocated"), resp.Int(used),
		resp.BulkString("startup.allocated"), resp.Int(0),
		resp.BulkString("replication.backlog"), resp.Int(0),
		resp.BulkString("clients.slaves"), resp.Int(0),
		resp.BulkString("clients.normal"), resp.Int(0),
		resp.BulkString("cluster.links"), resp.Int(0),
		resp.BulkString("aof.buffer"), resp.Int(0),
		resp.BulkString("lua.caches"), resp.Int(0),
		resp.BulkString("functions.caches"), resp.Int(0),
		resp.BulkString("overhead.total"), resp.Int(used),
		resp.BulkString("keys.count"), resp.Int(keys),
		resp.BulkString("keys.bytes-per-key"), resp.Int(0),
		resp.BulkString("dataset.bytes"), resp.Int(0),
		resp.BulkString("dataset.percentage"), resp.Double(0),
		resp.BulkString("peak.percentage"), resp.Double(100 * float64(used) / float64(max(peak, 1))),
		resp.BulkString("allocator.allocated"), resp.Int(used),
		resp.BulkString("allocator.active"), resp.Int(int64(ms.HeapInuse)),
		resp.BulkString("allocator.resident"), resp.Int(int64(ms.HeapSys - ms.HeapReleased)),
		resp.BulkString("allocator-fragmentation.ratio"), resp.Double(float64(ms.HeapInuse) / float64(max(used, 1))),
		resp.BulkString("fragmentation"), resp.Double(float64(ms.Sys-ms.HeapReleased) / float64(max(used, 1))),
	})
}
