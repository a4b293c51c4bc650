package db

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/titan-kv/titan/metrics"
)

// rpcs sums titan_tikv_requests_total.
func rpcs(m *metrics.Metrics) float64 {
	mfs, _ := m.Registry.Gather()
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != "titan_tikv_requests_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			sum += s.GetCounter().GetValue()
		}
	}
	return sum
}

func benchSet(b *testing.B, batch bool, hot bool) {
	m := metrics.New()
	d := openDB(b, Options{Batch: BatchOptions{Enabled: batch}}, m)
	var n atomic.Int64
	before := rpcs(m)
	b.SetParallelism(25) // 50 goroutines on 2 cores, like redis-benchmark -c 50
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			key := []byte("hot")
			if !hot {
				key = []byte(fmt.Sprint("key:", i))
			}
			j := &Job{Keys: [][]byte{key}, Fn: func(tx *Tx) error {
				_, err := tx.String(key).Set([]byte("value"), SetOptions{})
				return err
			}}
			d.Do(context.Background(), j)
			if j.Err != nil {
				b.Error(j.Err)
				return
			}
		}
	})
	b.ReportMetric((rpcs(m)-before)/float64(b.N), "rpc/op")
}

func BenchmarkSetSpreadBatch(b *testing.B)   { benchSet(b, true, false) }
func BenchmarkSetSpreadNoBatch(b *testing.B) { benchSet(b, false, false) }
func BenchmarkSetHotBatch(b *testing.B)      { benchSet(b, true, true) }
func BenchmarkSetHotNoBatch(b *testing.B)    { benchSet(b, false, true) }
