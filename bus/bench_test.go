package bus_test

// Benchmarks of the bus's figures (issue 12), over instances sharing one
// embedded store in this process (make bench runs them):
//
//	go test -run '^$' -bench . -benchtime 300x ./bus/
//
// BenchmarkWake reports the wake latency of a blocked BLPOP, from sending
// the push to receiving the BLPOP's reply: pushed on another instance
// (cross), on the same instance (same), and on the same instance while
// other clients keep it busy (same-loaded). BenchmarkPublish reports the
// messages delivered per second by PUBLISH to 100 subscribers spread over
// 3 instances.

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/titan-kv/titan/instance/instancetest"
)

func BenchmarkWake(b *testing.B) {
	for _, mode := range []string{"cross", "same", "same-loaded", "cross-loaded"} {
		b.Run(mode, func(b *testing.B) {
			g := start(b, 2)
			waitPeers(b, g)
			a := client(b, g.Addr(0))
			pusher := a
			if mode == "cross" || mode == "cross-loaded" {
				pusher = client(b, g.Addr(1))
			}
			if mode == "same-loaded" || mode == "cross-loaded" {
				stop := load(b, g.Addr(0), 8)
				defer stop()
			}
			req0 := storeRequests(g)
			lat, push := wakes(b, g, a, pusher, b.N)
			// Store requests of both instances per wake: the push's and
			// the pop's transactions (and the background tasks' few).
			b.ReportMetric((storeRequests(g)-req0)/float64(b.N), "req/wake")
			// What the wake adds to the push: the pop's transaction
			// and the hand-offs, without the push's own commit.
			added := make([]time.Duration, len(lat))
			for i := range lat {
				added[i] = lat[i] - push[i]
			}
			slices.Sort(added)
			slices.Sort(lat)
			slices.Sort(push)
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
			b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
			// The push's own round trip, for scale: a wake cannot come
			// before the push committed.
			b.ReportMetric(ms(push[len(push)/2]), "push-p50-ms")
			b.ReportMetric(ms(push[len(push)*99/100]), "push-p99-ms")
			b.ReportMetric(ms(added[len(added)*99/100]), "added-p99-ms")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// load keeps instance addr busy with n clients writing LPUSH, INCR and
// SET on keys of their own, one command at a time, until stop is called.
func load(b *testing.B, addr string, n int) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range n {
		c := client(b, addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				c.LPush(ctx, fmt.Sprintf("load:l%d", i), "x")
				c.Incr(ctx, fmt.Sprintf("load:n%d", i))
				c.Set(ctx, fmt.Sprintf("load:s%d", i), "v", 0)
			}
		}()
	}
	return func() { cancel(); wg.Wait() }
}

// wakes blocks a BLPOP on a (instance 0) n times and measures the time
// from sending the push on pusher to the BLPOP's reply.
func wakes(b *testing.B, g *instancetest.Group, a, pusher *redis.Client, n int) (lat, push []time.Duration) {
	ctx := context.Background()
	blockedGauge := g.Instances[0].Metrics.BlockedClients
	b.ResetTimer()
	for i := range n {
		key := fmt.Sprintf("wake:%d", i)
		got := make(chan time.Time, 1)
		go func() {
			v, err := a.BLPop(ctx, 10*time.Second, key).Result()
			if err != nil || v[1] != "x" {
				b.Errorf("BLPOP = %v, %v", v, err)
			}
			got <- time.Now()
		}()
		for gauge(blockedGauge) < 1 {
			time.Sleep(100 * time.Microsecond)
		}
		start := time.Now()
		if err := pusher.LPush(ctx, key, "x").Err(); err != nil {
			b.Fatal(err)
		}
		push = append(push, time.Since(start))
		lat = append(lat, (<-got).Sub(start))
		for gauge(blockedGauge) > 0 {
			time.Sleep(100 * time.Microsecond)
		}
	}
	b.StopTimer()
	return lat, push
}

// BenchmarkPublish: one op is one PUBLISH to 100 subscribers spread over
// 3 instances, from publishers on all of them (12 connections, pipelines
// of 10); it reports the messages delivered per second.
func BenchmarkPublish(b *testing.B) {
	g := start(b, 3)
	waitPeers(b, g)
	ctx := context.Background()
	const subscribers, publishers, pipeline = 100, 12, 10
	var delivered atomic.Int64
	for i := range subscribers {
		c := client(b, g.Addr(i%3))
		ps := c.Subscribe(ctx, "bench")
		if _, err := ps.Receive(ctx); err != nil {
			b.Fatal(err)
		}
		ch := ps.ChannelSize(1 << 14)
		go func() {
			for range ch {
				delivered.Add(1)
			}
		}()
		b.Cleanup(func() { ps.Close() })
	}
	batches := int64((b.N + pipeline - 1) / pipeline)
	var next, miscounted atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range publishers {
		c := client(b, g.Addr(i%3))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= batches {
				p := c.Pipeline()
				for range pipeline {
					p.Publish(ctx, "bench", "payload-0123456789")
				}
				cmds, err := p.Exec(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				for _, cmd := range cmds {
					if cmd.(*redis.IntCmd).Val() != subscribers {
						miscounted.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	want := batches * pipeline * subscribers
	deadline := time.Now().Add(60 * time.Second)
	for delivered.Load() < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if delivered.Load() != want {
		b.Fatalf("delivered %d of %d", delivered.Load(), want)
	}
	b.ReportMetric(float64(want)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(miscounted.Load()), "miscounted")
}

// storeRequests is the number of store requests the group's instances
// sent so far.
func storeRequests(g *instancetest.Group) float64 {
	var n float64
	for _, in := range g.Instances {
		mfs, _ := in.Metrics.Registry.Gather()
		for _, mf := range mfs {
			if mf.GetName() != "titan_tikv_requests_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

func gauge(g prometheus.Gauge) float64 {
	var m dto.Metric
	g.Write(&m)
	return m.GetGauge().GetValue()
}
