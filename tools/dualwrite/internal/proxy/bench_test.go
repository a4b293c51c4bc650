package proxy

import (
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

// BenchmarkProxySet: one SET at a time through the proxy's dispatch (no
// client connection) to a redis-server source, replayed on a second
// redis-server standing in for titan: allocations and this process's CPU
// per forwarded write, replay included.
func BenchmarkProxySet(b *testing.B) {
	redis, titan := testutil.StartRedis(b), testutil.StartRedis(b)
	p := newRealProxy(b, redis.Addr, titan.Addr, 5*time.Second)
	args := split("SET k v")
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		args[1] = strconv.AppendInt(args[1][:0], int64(i%1000), 10)
		if v, _ := p.dispatch(args); v.IsError() {
			b.Fatal(v)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/1e3/float64(b.N), "cpu-µs/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
