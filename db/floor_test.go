package db

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tikv/client-go/v2/tikv"
	"github.com/tikv/client-go/v2/tikvrpc"

	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/store"
)

// cpuClient counts the CPU time the embedded store spends serving
// requests: the thread's CPU clock around each request, with the calling
// goroutine locked to its thread meanwhile. The embedded store serves a
// request on the caller's goroutine (store.syncPool), so this is the
// store's own work (client-go's mocktikv and goleveldb, and titan's
// wrappers of them), not client-go's transaction code or titan's.
type cpuClient struct {
	tikv.Client
	cpu  atomic.Int64 // ns
	reqs atomic.Int64
	// keys counts the keys of BatchGet, Prewrite and Commit requests.
	keys atomic.Int64
}

func (c *cpuClient) SendRequest(ctx context.Context, addr string, req *tikvrpc.Request, timeout time.Duration) (*tikvrpc.Response, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := threadCPU()
	resp, err := c.Client.SendRequest(ctx, addr, req, timeout)
	c.cpu.Add(int64(threadCPU() - t0))
	c.reqs.Add(1)
	switch req.Type {
	case tikvrpc.CmdBatchGet:
		c.keys.Add(int64(len(req.BatchGet().Keys)))
	case tikvrpc.CmdPrewrite:
		c.keys.Add(int64(len(req.Prewrite().Mutations)))
	case tikvrpc.CmdCommit:
		c.keys.Add(int64(len(req.Commit().Keys)))
	}
	return resp, err
}

// threadCPU is the calling thread's CPU time (user + system).
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU is the process's CPU time (user + system), every thread.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// floorKeys is the key space of the floor benchmark, as redis-benchmark's
// -r 100000 in tools/bench.
const floorKeys = 100_000

// BenchmarkEmbeddedFloor measures what the embedded store (client-go's
// MVCC store over goleveldb, opened as titan opens it) costs per command,
// with exactly the requests titan sends: batches of jobs on random keys
// through the batcher, on a store that already holds the 100k keys. A
// batch of SETs is one BatchGet of their metadata, the key-counter shard
// and the SWAPDB mapping, then one Prewrite and one Commit of the same
// keys and the shard; HSET adds each field's key to all three (the
// planning pass reads the fields); GET is the BatchGet alone (and the
// mapping).
//
// store-µs/cmd is the CPU the store spends in those requests: the floor
// titan's CPU per command cannot go under with this store. keys/cmd are
// the keys those requests carry per command (each costs the store a new
// LevelDB iterator and its first seek). proc-µs/cmd is the whole
// process's CPU per command (titan's db layer, client-go's transaction
// code, the store, and on other threads the store's compactions and the
// Go runtime's GC); there is no server, parsing or reply writing here.
// batch=8 is about what `-c 50 -P 1` forms in tools/bench, batch=100
// about what -P 16 forms.
//
//	go test -run '^$' -bench EmbeddedFloor -benchtime 20000x ./db/
func BenchmarkEmbeddedFloor(b *testing.B) {
	for _, w := range []string{"set", "get", "hset"} {
		for _, batch := range []int{1, 8, 100} {
			b.Run(fmt.Sprintf("%s/batch=%d", w, batch), func(b *testing.B) { benchFloor(b, w, batch) })
		}
	}
}

func benchFloor(b *testing.B, workload string, batch int) {
	st := openStore(b, store.Options{})
	cc := &cpuClient{Client: st.KV().GetTiKVClient()}
	st.KV().SetTiKVClient(cc)
	d := New(st, Options{Batch: BatchOptions{Enabled: true}}, metrics.New())
	b.Cleanup(func() { d.Close() })
	ctx := context.Background()
	value, field := []byte("xxx"), []byte("f")
	// job is the command of workload on key i, as titan's handlers make
	// it (command/strings.go, command/hash.go).
	job := func(workload string, i int) *Job {
		switch workload {
		case "get":
			key := fmt.Appendf(nil, "k:%012d", i)
			return &Job{Keys: [][]byte{key}, ReadOnly: true, NoPlan: true, Fn: func(tx *Tx) error {
				_, err := tx.String(key).Get()
				return err
			}}
		case "hset":
			key := fmt.Appendf(nil, "h:%012d", i)
			return &Job{Keys: [][]byte{key}, Fn: func(tx *Tx) error {
				_, err := tx.Hash(key).Set([][]byte{field, value})
				return err
			}}
		default:
			key := fmt.Appendf(nil, "k:%012d", i)
			return &Job{Keys: [][]byte{key}, NoPlan: true, Fn: func(tx *Tx) error {
				_, err := tx.String(key).Set(value, SetOptions{})
				return err
			}}
		}
	}
	run := func(jobs []*Job) {
		d.Do(ctx, jobs...)
		for _, j := range jobs {
			if j.Err != nil {
				b.Fatal(j.Err)
			}
		}
	}
	// Fill: every key of the key space, 200 per transaction.
	fill := "set"
	if workload == "hset" {
		fill = "hset"
	}
	var jobs []*Job
	for i := range floorKeys {
		jobs = append(jobs, job(fill, i))
		if len(jobs) == 200 {
			run(jobs)
			jobs = jobs[:0]
		}
	}
	settle()
	rnd := rand.New(rand.NewPCG(1, 2))
	cpu0, reqs0, keys0 := cc.cpu.Load(), cc.reqs.Load(), cc.keys.Load()
	proc0 := processCPU()
	b.ResetTimer()
	n := 0
	for n < b.N {
		jobs = jobs[:0]
		for range min(batch, b.N-n) {
			jobs = append(jobs, job(workload, rnd.IntN(floorKeys)))
		}
		run(jobs)
		n += len(jobs)
	}
	b.StopTimer()
	perCmd := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
	b.ReportMetric(perCmd(time.Duration(cc.cpu.Load()-cpu0)), "store-µs/cmd")
	b.ReportMetric(perCmd(processCPU()-proc0), "proc-µs/cmd")
	b.ReportMetric(float64(cc.reqs.Load()-reqs0)/float64(b.N), "req/cmd")
	b.ReportMetric(float64(cc.keys.Load()-keys0)/float64(b.N), "keys/cmd")
	if stats, err := st.EmbeddedStats(); err == nil && os.Getenv("FLOOR_STATS") != "" {
		b.Log(stats)
	}
}

// settle waits, at most 30 s, until the process is idle (under a tenth
// of a core over 200 ms): the fill's memtable flushes and compactions
// are over, so they are not charged to the measured commands.
func settle() {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		c0 := processCPU()
		time.Sleep(200 * time.Millisecond)
		if processCPU()-c0 < 20*time.Millisecond {
			return
		}
	}
}
