package tests

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestPersistenceRestart writes keys, stops titan with SIGTERM (exit 0),
// and finds them all after a restart on the same data directory.
func TestPersistenceRestart(t *testing.T) {
	t.Parallel()
	ti := startTitan(t)
	ti.logOnFailure(t)
	ctx := context.Background()
	c := ti.Client()
	c3 := ti.Client(func(o *redis.Options) { o.DB = 3 })
	pipe := c.Pipeline()
	for i := 0; i < 500; i++ {
		pipe.Set(ctx, "p:"+strconv.Itoa(i), "v"+strconv.Itoa(i), 0)
	}
	pipe.Set(ctx, "ttl", "x", time.Hour)
	pipe.Set(ctx, "bin", "\x00\xff\r\n", 0)
	pipe.IncrBy(ctx, "n", 42)
	pipe.Do(ctx, "setbit", "bits", 100, 1)
	pipe.Append(ctx, "raw", "abc")
	pipe.Append(ctx, "raw", "def")
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c3.Set(ctx, "p:0", "db3", 0).Err(); err != nil {
		t.Fatal(err)
	}
	exp, _ := c.ExpireTime(ctx, "ttl").Result()

	c.Close()
	c3.Close()
	ti.Stop()
	if code := ti.ExitCode(); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d", code)
	}
	ti.Restart()
	c = ti.Client()
	c3 = ti.Client(func(o *redis.Options) { o.DB = 3 })
	if n, _ := c.DBSize(ctx).Result(); n != 505 {
		t.Fatalf("DBSIZE after restart = %d, want 505", n)
	}
	keys := make([]string, 500)
	for i := range keys {
		keys[i] = "p:" + strconv.Itoa(i)
	}
	vals, err := c.MGet(ctx, keys...).Result()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		if v != "v"+strconv.Itoa(i) {
			t.Fatalf("%s after restart = %v", keys[i], v)
		}
	}
	for k, want := range map[string]string{"bin": "\x00\xff\r\n", "n": "42", "raw": "abcdef"} {
		if got, _ := c.Get(ctx, k).Result(); got != want {
			t.Errorf("%s after restart = %q, want %q", k, got, want)
		}
	}
	if got, _ := c.ExpireTime(ctx, "ttl").Result(); got != exp {
		t.Errorf("EXPIRETIME after restart = %v, want %v", got, exp)
	}
	if got, _ := c.GetBit(ctx, "bits", 100).Result(); got != 1 {
		t.Error("SETBIT lost")
	}
	if enc, _ := c.ObjectEncoding(ctx, "raw").Result(); enc != "raw" {
		t.Errorf("OBJECT ENCODING raw after restart = %q", enc)
	}
	if got, _ := c3.Get(ctx, "p:0").Result(); got != "db3" {
		t.Errorf("db 3 after restart = %q", got)
	}
}

// TestPersistenceKill9 kills titan with SIGKILL in the middle of a write
// load and restarts it on the same data directory: every write whose
// reply the client received is there.
func TestPersistenceKill9(t *testing.T) {
	t.Parallel()
	ti := startTitan(t)
	ti.logOnFailure(t)
	ctx := context.Background()
	c := ti.Client(func(o *redis.Options) { o.ReadTimeout = 5 * time.Second })

	const workers = 8
	var acked [workers]atomic.Int64 // highest i acknowledged by worker w
	var incrs atomic.Int64          // INCRs acknowledged
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		acked[w].Store(-1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				var err error
				switch {
				case w == 0:
					// A counter: every acknowledged INCR must survive.
					if err = c.Incr(ctx, "counter").Err(); err == nil {
						incrs.Add(1)
					}
				case w%2 == 0:
					// Pipelined batches: a reply means its whole batch.
					pipe := c.Pipeline()
					for j := 0; j < 10; j++ {
						pipe.Set(ctx, fmt.Sprintf("w%d:%d", w, i*10+j), i*10+j, 0)
					}
					if _, err = pipe.Exec(ctx); err == nil {
						acked[w].Store(int64(i*10 + 9))
					}
				default:
					if err = c.Set(ctx, fmt.Sprintf("w%d:%d", w, i), i, 0).Err(); err == nil {
						acked[w].Store(int64(i))
					}
				}
				if err != nil {
					return // the server is gone
				}
			}
		}()
	}
	waitFor(t, 20*time.Second, "some load", func() bool { return incrs.Load() > 50 && acked[1].Load() > 50 })
	time.Sleep(300 * time.Millisecond)
	ti.Kill9()
	wg.Wait()
	c.Close()

	ti.Restart()
	c = ti.Client()
	total := 0
	for w := 1; w < workers; w++ {
		n := int(acked[w].Load()) + 1
		total += n
		for lo := 0; lo < n; lo += 500 {
			var keys []string
			for i := lo; i < min(n, lo+500); i++ {
				keys = append(keys, fmt.Sprintf("w%d:%d", w, i))
			}
			vals, err := c.MGet(ctx, keys...).Result()
			if err != nil {
				t.Fatal(err)
			}
			for j, v := range vals {
				if v != strconv.Itoa(lo+j) {
					t.Fatalf("acknowledged %s = %v after kill -9", keys[j], v)
				}
			}
		}
	}
	got, err := c.Get(ctx, "counter").Int64()
	if err != nil || got < incrs.Load() || got > incrs.Load()+1 {
		t.Fatalf("counter after kill -9 = %d, %v; %d INCRs were acknowledged", got, err, incrs.Load())
	}
	t.Logf("%d acknowledged SETs and %d INCRs survived kill -9", total, incrs.Load())
	// The restarted server takes writes.
	if err := c.Set(ctx, "after", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
}
