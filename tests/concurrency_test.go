package tests

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var bg = context.Background()

// runWorkers runs n workers and fails on the first error.
func runWorkers(t *testing.T, n int, fn func(w int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(w); err != nil {
				errs <- fmt.Errorf("worker %d: %w", w, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestHotKeyCounters: 50 clients x 200 increments of one key end at
// exactly 10000, for INCR, HINCRBY, LPUSH and ZINCRBY, with and without
// batching, with and without a per-request delay. Without batching each
// command is a commit of its own, serialized on the key: 50 clients x 20
// (the same 50 concurrent writers of each key, a tenth of the commands)
// keep those runs to seconds instead of minutes.
func TestHotKeyCounters(t *testing.T) {
	const clients = 50
	for _, v := range []struct {
		name  string
		flags []string
		each  int
	}{
		{"batch", []string{"--write-batch=true"}, 200},
		{"no-batch", []string{"--write-batch=false"}, 20},
		{"batch+1ms", []string{"--write-batch=true", "--embedded-rpc-delay", "1ms"}, 200},
		{"no-batch+1ms", []string{"--write-batch=false", "--embedded-rpc-delay", "1ms"}, 20},
	} {
		each := v.each
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			ti := startTitan(t, v.flags...)
			c := ti.Client(func(o *redis.Options) { o.PoolSize = clients * 4 })
			ops := []struct {
				name  string
				do    func(w, i int) error
				check func() (int64, error)
			}{
				{"incr", func(w, i int) error { return c.Incr(bg, "counter").Err() },
					func() (int64, error) { return c.Get(bg, "counter").Int64() }},
				{"hincrby", func(w, i int) error { return c.HIncrBy(bg, "hash", "field", 1).Err() },
					func() (int64, error) { return c.HGet(bg, "hash", "field").Int64() }},
				{"lpush", func(w, i int) error { return c.LPush(bg, "list", fmt.Sprint(w, ":", i)).Err() },
					func() (int64, error) { return c.LLen(bg, "list").Result() }},
				{"zincrby", func(w, i int) error { return c.ZIncrBy(bg, "zset", 1, "member").Err() },
					func() (int64, error) { f, err := c.ZScore(bg, "zset", "member").Result(); return int64(f), err }},
			}
			retriesBefore := ti.Metric("titan_txn_retries_total")
			commitsBefore := ti.Metric("titan_txn_commits_total")
			var wg sync.WaitGroup
			for _, op := range ops {
				wg.Add(1)
				go func() {
					defer wg.Done()
					runWorkers(t, clients, func(w int) error {
						for i := 0; i < each; i++ {
							if err := op.do(w, i); err != nil {
								return fmt.Errorf("%s: %w", op.name, err)
							}
						}
						return nil
					})
				}()
			}
			wg.Wait()
			for _, op := range ops {
				got, err := op.check()
				if err != nil || got != int64(clients*each) {
					t.Errorf("%s: got %d (%v), want %d", op.name, got, err, clients*each)
				}
			}
			retries := ti.Metric("titan_txn_retries_total") - retriesBefore
			commits := ti.Metric("titan_txn_commits_total") - commitsBefore
			t.Logf("%s: %d commands, %.0f commits, %.0f retries (%.4f per command)",
				v.name, 4*clients*each, commits, retries, retries/float64(4*clients*each))
		})
	}
}

// model is the serial model of the randomized concurrency test.
type model struct {
	strs   map[string]string
	sets   map[string]map[string]bool
	hashes map[string]map[string]string
}

// TestRandomizedConcurrent: concurrent clients, each with keys of its own
// (every reply checked against a serial model) and shared keys (commutative
// operations whose replies are checked for consistency and whose final
// state is known).
func TestRandomizedConcurrent(t *testing.T) {
	for _, batch := range []string{"true", "false"} {
		t.Run("batch="+batch, func(t *testing.T) {
			ti := startTitan(t, "--write-batch="+batch)
			c := ti.Client()
			const workers, steps = 16, 300
			var sharedIncrs atomic.Int64
			seen := sync.Map{} // every INCR reply on the shared counter is unique
			runWorkers(t, workers, func(w int) error {
				rng := rand.New(rand.NewPCG(uint64(w), 7))
				m := model{strs: map[string]string{}, sets: map[string]map[string]bool{}, hashes: map[string]map[string]string{}}
				key := func(kind string) string { return fmt.Sprintf("w%d:%s:%d", w, kind, rng.IntN(4)) }
				pipe := c.Pipeline()
				type check func() error
				var checks []check
				flush := func() error {
					if _, err := pipe.Exec(bg); err != nil && !errors.Is(err, redis.Nil) {
						// Per-command errors are checked below.
					}
					for _, ch := range checks {
						if err := ch(); err != nil {
							return err
						}
					}
					checks = checks[:0]
					return nil
				}
				for s := 0; s < steps; s++ {
					switch rng.IntN(7) {
					case 0:
						k, v := key("s"), strconv.Itoa(rng.IntN(100))
						r := pipe.Set(bg, k, v, 0)
						m.strs[k] = v
						checks = append(checks, func() error { return expect(r.Err(), r.Val(), "OK") })
					case 1:
						k := key("s")
						want, ok := m.strs[k]
						r := pipe.Get(bg, k)
						checks = append(checks, func() error {
							if !ok {
								return expectNil(r.Err())
							}
							return expect(r.Err(), r.Val(), want)
						})
					case 2:
						k := key("s")
						cur, ok := m.strs[k]
						r := pipe.Incr(bg, k)
						n, err := strconv.ParseInt(cur, 10, 64)
						if !ok {
							n, err = 0, nil
						}
						if err != nil {
							checks = append(checks, func() error {
								if r.Err() == nil || r.Err().Error() != "ERR value is not an integer or out of range" {
									return fmt.Errorf("INCR on %q: %v", cur, r.Err())
								}
								return nil
							})
						} else {
							m.strs[k] = strconv.FormatInt(n+1, 10)
							checks = append(checks, func() error { return expect(r.Err(), r.Val(), n+1) })
						}
					case 3:
						k, f, v := key("h"), fmt.Sprint("f", rng.IntN(5)), strconv.Itoa(rng.IntN(100))
						h := m.hashes[k]
						if h == nil {
							h = map[string]string{}
							m.hashes[k] = h
						}
						_, existed := h[f]
						h[f] = v
						r := pipe.HSet(bg, k, f, v)
						checks = append(checks, func() error { return expect(r.Err(), r.Val(), int64(b2i(!existed))) })
					case 4:
						k := key("h")
						want := len(m.hashes[k])
						r := pipe.HLen(bg, k)
						checks = append(checks, func() error { return expect(r.Err(), r.Val(), int64(want)) })
					case 5:
						k, mem := key("x"), fmt.Sprint("m", rng.IntN(5))
						st := m.sets[k]
						if st == nil {
							st = map[string]bool{}
							m.sets[k] = st
						}
						added := !st[mem]
						st[mem] = true
						r := pipe.SAdd(bg, k, mem)
						checks = append(checks, func() error { return expect(r.Err(), r.Val(), int64(b2i(added))) })
					case 6:
						// Shared keys: a counter and a set every worker adds to.
						r := pipe.Incr(bg, "shared:counter")
						sharedIncrs.Add(1)
						pipe.SAdd(bg, "shared:set", fmt.Sprint(w, ":", s))
						checks = append(checks, func() error {
							if r.Err() != nil {
								return r.Err()
							}
							if _, dup := seen.LoadOrStore(r.Val(), true); dup {
								return fmt.Errorf("shared INCR returned %d twice", r.Val())
							}
							return nil
						})
					}
					if rng.IntN(8) == 0 {
						if err := flush(); err != nil {
							return err
						}
					}
				}
				return flush()
			})
			n, err := c.Get(bg, "shared:counter").Int64()
			if err != nil || n != sharedIncrs.Load() {
				t.Fatalf("shared counter = %d (%v), want %d", n, err, sharedIncrs.Load())
			}
			if card := c.SCard(bg, "shared:set").Val(); card != sharedIncrs.Load() {
				t.Fatalf("shared set has %d members, want %d", card, sharedIncrs.Load())
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func expect[T comparable](err error, got, want T) error {
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("got %v, want %v", got, want)
	}
	return nil
}

func expectNil(err error) error {
	if !errors.Is(err, redis.Nil) {
		return fmt.Errorf("want nil reply, got err %v", err)
	}
	return nil
}

// TestKill9UnderLoad: acknowledged writes survive kill -9 in the middle of
// a batched, pipelined load.
func TestKill9UnderLoad(t *testing.T) {
	ti := startTitan(t)
	c := ti.Client(func(o *redis.Options) { o.PoolSize = 32 })
	var acked sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				pipe := c.Pipeline()
				keys := make([]string, 8)
				for j := range keys {
					keys[j] = fmt.Sprintf("k:%d:%d:%d", w, i, j)
					pipe.Set(bg, keys[j], keys[j], 0)
				}
				pipe.HSet(bg, fmt.Sprint("h:", w), fmt.Sprint(i), i)
				if _, err := pipe.Exec(bg); err != nil {
					return // the server died
				}
				for _, k := range keys {
					acked.Store(k, true)
				}
				acked.Store(fmt.Sprintf("h:%d/%d", w, i), true)
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	ti.Kill9()
	close(stop)
	wg.Wait()
	ti.Restart()
	c2 := ti.Client()
	n := 0
	acked.Range(func(k, _ any) bool {
		n++
		key := k.(string)
		var w, i int
		if _, err := fmt.Sscanf(key, "h:%d/%d", &w, &i); err == nil {
			if v, err := c2.HGet(bg, fmt.Sprint("h:", w), fmt.Sprint(i)).Result(); err != nil || v != strconv.Itoa(i) {
				t.Errorf("acknowledged HSET %s lost: %q %v", key, v, err)
				return false
			}
			return true
		}
		if v, err := c2.Get(bg, key).Result(); err != nil || v != key {
			t.Errorf("acknowledged SET %s lost: %q %v", key, v, err)
			return false
		}
		return true
	})
	if n < 100 {
		t.Fatalf("only %d writes were acknowledged before the kill", n)
	}
	t.Logf("%d acknowledged writes checked after kill -9", n)
}

// TestHotCollectionAdds: 50 clients adding distinct members to one hash,
// set, sorted set and list at once all succeed, lose nothing, and cause few
// transaction retries.
func TestHotCollectionAdds(t *testing.T) {
	const clients, each = 50, 40
	for _, batch := range []string{"true", "false"} {
		t.Run("batch="+batch, func(t *testing.T) {
			ti := startTitan(t, "--write-batch="+batch)
			c := ti.Client(func(o *redis.Options) { o.PoolSize = clients * 4 })
			retries0, commits0, cmds0 := ti.Metric("titan_txn_retries_total"), ti.Metric("titan_txn_commits_total"), ti.Metric("titan_commands_total")
			var wg sync.WaitGroup
			for _, op := range []func(w, i int) error{
				func(w, i int) error { return c.HSet(bg, "hot:hash", fmt.Sprint(w, ":", i), i).Err() },
				func(w, i int) error { return c.SAdd(bg, "hot:set", fmt.Sprint(w, ":", i)).Err() },
				func(w, i int) error {
					return c.ZAdd(bg, "hot:zset", redis.Z{Score: float64(i), Member: fmt.Sprint(w, ":", i)}).Err()
				},
				func(w, i int) error { return c.RPush(bg, "hot:list", fmt.Sprint(w, ":", i)).Err() },
			} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					runWorkers(t, clients, func(w int) error {
						for i := 0; i < each; i++ {
							if err := op(w, i); err != nil {
								return err
							}
						}
						return nil
					})
				}()
			}
			wg.Wait()
			want := int64(clients * each)
			for name, got := range map[string]*redis.IntCmd{
				"HLEN": c.HLen(bg, "hot:hash"), "SCARD": c.SCard(bg, "hot:set"),
				"ZCARD": c.ZCard(bg, "hot:zset"), "LLEN": c.LLen(bg, "hot:list"),
			} {
				if got.Val() != want {
					t.Errorf("%s = %d (%v), want %d", name, got.Val(), got.Err(), want)
				}
			}
			if n := len(c.HKeys(bg, "hot:hash").Val()); n != int(want) {
				t.Errorf("HKEYS returned %d fields, want %d", n, want)
			}
			retries := ti.Metric("titan_txn_retries_total") - retries0
			commits := ti.Metric("titan_txn_commits_total") - commits0
			cmds := ti.Metric("titan_commands_total") - cmds0
			rate := retries / cmds
			t.Logf("batch=%s: %.0f commands, %.0f commits, %.0f retries: retry rate %.4f per command", batch, cmds, commits, retries, rate)
			if rate > 0.05 {
				t.Errorf("retry rate %.4f per command, want at most 0.05", rate)
			}
		})
	}
}
