package db

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/titan-kv/titan/metrics"
)

// modelOp is one command of the concurrent test: what it did and what it
// answered.
type modelOp struct {
	client, seq int // the writer and the command's place in its program
	kind        string
	key         string
	delta       int64  // INCRBY
	value       string // RPUSH
	reply       int64
	got         []byte // GET
	err         error
}

// TestConcurrentPipelinesMatchSerialModel has writers send pipelines over
// a few shared keys at once and checks every reply against a serial model:
// per key, the replies must be what running the key's commands one after
// the other in some order gives, in each writer's program order, and the
// final state must be that order's result. A command failing on its input
// inside a pipeline (WRONGTYPE) must change nothing else. With batching
// on, titan's batches must never meet each other's locks.
func TestConcurrentPipelinesMatchSerialModel(t *testing.T) {
	for _, batch := range []bool{true, false} {
		t.Run(fmt.Sprintf("batch=%v", batch), func(t *testing.T) {
			m := metrics.New()
			d := openDB(t, Options{Batch: BatchOptions{Enabled: batch, Workers: 3, MaxCommands: 20}}, m)
			ctx := context.Background()
			trap := []byte("trap")
			setup := &Job{Keys: [][]byte{trap}, Fn: func(tx *Tx) error {
				_, err := tx.List(trap).Push(toBytes("x"), false, false)
				return err
			}}
			d.Do(ctx, setup)
			if setup.Err != nil {
				t.Fatal(setup.Err)
			}

			const writers, pipelines = 8, 30
			counters := []string{"c0", "c1", "c2"}
			lists := []string{"l0", "l1"}
			hashes := []string{"h0", "h1"}
			ops := make([][]*modelOp, writers)
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(w), 7))
					seq := 0
					for range pipelines {
						var jobs []*Job
						for range 1 + rng.IntN(8) {
							op := &modelOp{client: w, seq: seq}
							seq++
							ops[w] = append(ops[w], op)
							jobs = append(jobs, modelJob(op, rng, counters, lists, hashes))
						}
						d.Do(ctx, jobs...)
						for i, j := range jobs {
							ops[w][len(ops[w])-len(jobs)+i].err = j.Err
						}
					}
				}()
			}
			wg.Wait()

			byKey := map[string][]*modelOp{}
			for _, wops := range ops {
				for _, op := range wops {
					switch {
					case op.kind == "INCR trap":
						if !errors.Is(op.err, ErrWrongType) {
							t.Errorf("INCR of a list answered %v, want WRONGTYPE", op.err)
						}
						continue
					case op.err != nil:
						t.Fatalf("%s %s: %v", op.kind, op.key, op.err)
					}
					byKey[op.key] = append(byKey[op.key], op)
				}
			}
			var final map[string]int64
			finalLists := map[string][]string{}
			check := &Job{ReadOnly: true, Keys: toBytes(append(append(append([]string{}, counters...), lists...), hashes...)...), Fn: func(tx *Tx) error {
				final = map[string]int64{}
				for _, k := range counters {
					v, err := tx.String([]byte(k)).Get()
					if err != nil {
						return err
					}
					final[k], _ = strconv.ParseInt(string(v), 10, 64)
				}
				for _, k := range lists {
					v, err := tx.List([]byte(k)).Range(0, -1)
					if err != nil {
						return err
					}
					finalLists[k] = toStrs(v)
				}
				for _, k := range hashes {
					v, err := tx.Hash([]byte(k)).Get([]byte("f"))
					if err != nil {
						return err
					}
					final[k], _ = strconv.ParseInt(string(v), 10, 64)
				}
				return nil
			}}
			d.Do(ctx, check)
			if check.Err != nil {
				t.Fatal(check.Err)
			}
			for key, kops := range byKey {
				checkSerial(t, key, kops, final[key], finalLists[key])
			}
			if batch {
				got := gather(t, m)
				for _, name := range []string{"titan_tikv_requests_total ResolveLock", "titan_tikv_requests_total CheckTxnStatus",
					"titan_tikv_requests_total Cleanup", "titan_tikv_requests_total BatchRollback", "titan_txn_conflicts_total"} {
					if n := got[name]; n != 0 {
						t.Errorf("%s: %g, want none between titan's own batches", name, n)
					}
				}
				if got["titan_tikv_requests_total Commit"] == 0 {
					t.Error("no Commit requests counted")
				}
			}
		})
	}
}

// gather returns m's counters as "name label-value" (or "name") -> value.
func gather(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, s := range f.GetMetric() {
			if s.GetCounter() == nil {
				continue
			}
			name := f.GetName()
			for _, l := range s.GetLabel() {
				name += " " + l.GetValue()
			}
			out[name] = s.GetCounter().GetValue()
		}
	}
	return out
}

// modelJob picks a random command, records it in op and returns its job.
func modelJob(op *modelOp, rng *rand.Rand, counters, lists, hashes []string) *Job {
	switch r := rng.IntN(10); {
	case r < 3:
		op.kind, op.key, op.delta = "INCRBY", counters[rng.IntN(len(counters))], 1+rng.Int64N(9)
		return &Job{Keys: toBytes(op.key), Fn: func(tx *Tx) (err error) {
			op.reply, err = tx.String([]byte(op.key)).IncrBy(op.delta)
			return err
		}}
	case r < 5:
		op.kind, op.key = "GET", counters[rng.IntN(len(counters))]
		return &Job{Keys: toBytes(op.key), ReadOnly: true, Fn: func(tx *Tx) (err error) {
			op.got, err = tx.String([]byte(op.key)).Get()
			return err
		}}
	case r < 7:
		op.kind, op.key, op.value = "RPUSH", lists[rng.IntN(len(lists))], fmt.Sprintf("%d:%d", op.client, op.seq)
		return &Job{Keys: toBytes(op.key), Fn: func(tx *Tx) (err error) {
			op.reply, err = tx.List([]byte(op.key)).Push(toBytes(op.value), false, false)
			return err
		}}
	case r < 9:
		op.kind, op.key = "HINCRBY", hashes[rng.IntN(len(hashes))]
		return &Job{Keys: toBytes(op.key), Fn: func(tx *Tx) (err error) {
			op.reply, err = tx.Hash([]byte(op.key)).IncrBy([]byte("f"), 1)
			return err
		}}
	default:
		op.kind = "INCR trap"
		return &Job{Keys: toBytes("trap"), Fn: func(tx *Tx) (err error) {
			_, err = tx.String([]byte("trap")).IncrBy(1)
			return err
		}}
	}
}

// checkSerial checks one key's commands against a serial run: ordered by
// their replies, the writes must each answer what the model answers after
// the writes before them, in every writer's program order, and end in the
// final state; each GET must answer a state of that run no older than its
// writer's own earlier writes and no newer than its later ones.
func checkSerial(t *testing.T, key string, kops []*modelOp, final int64, finalList []string) {
	t.Helper()
	var writes, reads []*modelOp
	for _, op := range kops {
		if op.kind == "GET" {
			reads = append(reads, op)
		} else {
			writes = append(writes, op)
		}
	}
	slices.SortFunc(writes, func(a, b *modelOp) int { return int(a.reply - b.reply) })
	var state int64
	states := []int64{0}  // the value after each write of the serial run
	last := map[int]int{} // writer -> seq of its latest write seen in the run
	for _, op := range writes {
		switch op.kind {
		case "INCRBY":
			state += op.delta
		default: // RPUSH answers the length, HINCRBY 1 the count
			state++
		}
		if op.reply != state {
			t.Fatalf("%s: %s answered %d, the serial model %d", key, op.kind, op.reply, state)
		}
		if s, ok := last[op.client]; ok && s > op.seq {
			t.Fatalf("%s: writer %d's command %d ran before its command %d", key, op.client, op.seq, s)
		}
		last[op.client] = op.seq
		states = append(states, state)
		if op.kind == "RPUSH" && (int(op.reply) > len(finalList) || finalList[op.reply-1] != op.value) {
			t.Fatalf("%s: RPUSH of %s answered %d, but the list is %v", key, op.value, op.reply, finalList)
		}
	}
	if len(finalList) > 0 {
		final = int64(len(finalList))
	}
	if final != state {
		t.Fatalf("%s: final state %d, the serial model %d", key, final, state)
	}
	for _, r := range reads {
		var got int64
		if r.got != nil {
			got, _ = strconv.ParseInt(string(r.got), 10, 64)
		}
		pos := slices.Index(states, got)
		if pos < 0 {
			t.Fatalf("%s: GET answered %q, a state the serial run never had", key, r.got)
		}
		// The writer's own writes before the GET must be visible, those
		// after it must not.
		for i, w := range writes {
			if w.client != r.client {
				continue
			}
			if w.seq < r.seq && i+1 > pos {
				t.Fatalf("%s: writer %d's GET answered %d, missing its own earlier write (%d)", key, r.client, got, w.reply)
			}
			if w.seq > r.seq && i+1 <= pos {
				t.Fatalf("%s: writer %d's GET answered %d, seeing its own later write (%d)", key, r.client, got, w.reply)
			}
		}
	}
}

// TestBatchPlansReads: the element reads of a batch's jobs (here HSET's
// and HGET's field lookups) go to the store in one BatchGet, and each job
// still answers what it would alone.
func TestBatchPlansReads(t *testing.T) {
	m := metrics.New()
	d := openDB(t, Options{Batch: BatchOptions{Enabled: true}}, m)
	ctx := context.Background()
	h := []byte("h")
	set := func(f string) (*Job, *int64) {
		var n int64
		return &Job{Keys: [][]byte{h}, Fn: func(tx *Tx) (err error) {
			n, err = tx.Hash(h).Set(toBytes(f, "v"+f))
			return err
		}}, &n
	}
	first, _ := set("a")
	d.Do(ctx, first)
	if first.Err != nil {
		t.Fatal(first.Err)
	}
	before := gather(t, m)
	var jobs []*Job
	var added []*int64
	for _, f := range []string{"a", "b", "c", "b", "d"} {
		j, n := set(f)
		jobs, added = append(jobs, j), append(added, n)
	}
	var got []byte
	jobs = append(jobs, &Job{Keys: [][]byte{h}, ReadOnly: true, Fn: func(tx *Tx) (err error) {
		got, err = tx.Hash(h).Get([]byte("c"))
		return err
	}})
	d.Do(ctx, jobs...)
	for _, j := range jobs {
		if j.Err != nil {
			t.Fatal(j.Err)
		}
	}
	var replies []int64
	for _, n := range added {
		replies = append(replies, *n)
	}
	if want := []int64{0, 1, 1, 0, 1}; !slices.Equal(replies, want) || string(got) != "vc" {
		t.Errorf("HSET replies %v, HGET %q; want %v, vc", replies, got, want)
	}
	checkBatchRequests(t, before, gather(t, m))
}

// TestBatchPlansPops: the pops of a batch read the elements they take in
// one BatchGet, each pop taking the next element.
func TestBatchPlansPops(t *testing.T) {
	m := metrics.New()
	d := openDB(t, Options{Batch: BatchOptions{Enabled: true}}, m)
	ctx := context.Background()
	l := []byte("l")
	push := &Job{Keys: [][]byte{l}, Fn: func(tx *Tx) error {
		_, err := tx.List(l).Push(toBytes("a", "b", "c", "d", "e", "f"), false, false)
		return err
	}}
	d.Do(ctx, push)
	if push.Err != nil {
		t.Fatal(push.Err)
	}
	before := gather(t, m)
	got := make([]string, 4)
	var jobs []*Job
	for i := range got {
		jobs = append(jobs, &Job{Keys: [][]byte{l}, Fn: func(tx *Tx) error {
			v, _, err := tx.List(l).Pop(false, 1)
			if len(v) == 1 {
				got[i] = string(v[0])
			}
			return err
		}})
	}
	d.Do(ctx, jobs...)
	for _, j := range jobs {
		if j.Err != nil {
			t.Fatal(j.Err)
		}
	}
	if want := []string{"f", "e", "d", "c"}; !slices.Equal(got, want) {
		t.Errorf("RPOPs answered %v, want %v", got, want)
	}
	checkBatchRequests(t, before, gather(t, m))
}

// checkBatchRequests checks the requests of one planned write batch: two
// reads (the metadata with the counter shard, then what the planning pass
// found), one prewrite, one commit, no scan.
func checkBatchRequests(t *testing.T, before, after map[string]float64) {
	t.Helper()
	n := func(typ string) float64 {
		name := "titan_tikv_requests_total " + typ
		return after[name] - before[name]
	}
	if reads := n("Get") + n("BatchGet"); reads != 2 {
		t.Errorf("read requests: %g (Get %g, BatchGet %g), want 2", reads, n("Get"), n("BatchGet"))
	}
	for typ, want := range map[string]float64{"Prewrite": 1, "Commit": 1, "Scan": 0} {
		if got := n(typ); got != want {
			t.Errorf("%s requests: %g, want %g", typ, got, want)
		}
	}
}
