package tests

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// BenchmarkEvalshaVsPipeline compares EVALSHA of a script making three
// calls with the same three commands sent as one pipeline, both from 32
// clients on 32 keys for two seconds each, on titan and on redis-server.
// It reports script runs/s and pipelines/s (go test -bench EvalshaVsPipeline
// -run '^$' ./tests/).
func BenchmarkEvalshaVsPipeline(b *testing.B) {
	ti := startTitan(b)
	rd := startRedis(b)
	for _, srv := range []struct {
		name string
		addr string
	}{{"titan", ti.Addr}, {"redis", rd.Options().Addr}} {
		c := redis.NewClient(&redis.Options{Addr: srv.addr, Protocol: 2, PoolSize: 64})
		ctx := context.Background()
		script := redis.NewScript(`redis.call('incr', KEYS[1])
redis.call('get', KEYS[1])
return redis.call('expire', KEYS[1], 1000)`)
		if err := script.Load(ctx, c).Err(); err != nil {
			b.Fatal(err)
		}
		evalsha := func(key string) error { return script.EvalSha(ctx, c, []string{key}).Err() }
		pipeline := func(key string) error {
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Incr(ctx, key)
				p.Get(ctx, key)
				p.Expire(ctx, key, 1000*time.Second)
				return nil
			})
			return err
		}
		rates := map[string]float64{}
		for _, mode := range []struct {
			name string
			fn   func(string) error
		}{{"evalsha", evalsha}, {"pipeline", pipeline}} {
			var n atomic.Int64
			var wg sync.WaitGroup
			stop := time.Now().Add(2 * time.Second)
			for i := 0; i < 32; i++ {
				wg.Add(1)
				go func(key string) {
					defer wg.Done()
					for time.Now().Before(stop) {
						if err := mode.fn(key); err != nil {
							b.Error(err)
							return
						}
						n.Add(1)
					}
				}(fmt.Sprintf("bench:%d", i))
			}
			wg.Wait()
			rates[mode.name] = float64(n.Load()) / 2
			b.ReportMetric(rates[mode.name], srv.name+"-"+mode.name+"/s")
		}
		b.ReportMetric(rates["evalsha"]/rates["pipeline"], srv.name+"-ratio")
		c.Close()
	}
}
