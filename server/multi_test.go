package server

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// do runs one command on a dedicated connection.
func do(t *testing.T, c *redis.Conn, args ...any) any {
	t.Helper()
	v, err := c.Do(ctx, args...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return err.Error()
	}
	return v
}

func TestMultiExecErrors(t *testing.T) {
	in := newStore(t, storeOpts{batch: true})
	c := in.cli.Conn()
	defer c.Close()
	steps := []struct {
		args []any
		want any
	}{
		{[]any{"exec"}, "ERR EXEC without MULTI"},
		{[]any{"discard"}, "ERR DISCARD without MULTI"},
		{[]any{"multi"}, "OK"},
		{[]any{"multi"}, "ERR MULTI calls can not be nested"},
		{[]any{"watch", "k"}, "ERR WATCH inside MULTI is not allowed"},
		{[]any{"set", "k", "v"}, "QUEUED"},
		{[]any{"nosuch"}, "ERR unknown command 'nosuch', with args beginning with: "},
		{[]any{"exec"}, "EXECABORT Transaction discarded because of previous errors."},
		{[]any{"get", "k"}, nil},
		{[]any{"multi"}, "OK"},
		{[]any{"get"}, "ERR wrong number of arguments for 'get' command"},
		{[]any{"discard"}, "OK"},
		{[]any{"multi"}, "OK"},
		{[]any{"set", "k", "1"}, "QUEUED"},
		{[]any{"incr", "k"}, "QUEUED"},
		{[]any{"set", "k", "v", "bad"}, "QUEUED"},
		{[]any{"lpush", "k", "x"}, "QUEUED"},
		{[]any{"get", "k"}, "QUEUED"},
		{[]any{"exec"}, []any{"OK", int64(2), "ERR syntax error",
			"WRONGTYPE Operation against a key holding the wrong kind of value", "2"}},
	}
	for i, s := range steps {
		got := do(t, c, s.args...)
		if arr, ok := got.([]any); ok {
			for j, e := range arr {
				if err, ok := e.(error); ok {
					arr[j] = err.Error()
				}
			}
		}
		if !equal(got, s.want) {
			t.Fatalf("step %d %v: got %#v, want %#v", i, s.args, got, s.want)
		}
	}
}

func equal(a, b any) bool {
	aa, ok1 := a.([]any)
	bb, ok2 := b.([]any)
	if ok1 != ok2 {
		return false
	}
	if !ok1 {
		return a == b
	}
	if len(aa) != len(bb) {
		return false
	}
	for i := range aa {
		if !equal(aa[i], bb[i]) {
			return false
		}
	}
	return true
}

// watchCase WATCHes k on one instance, lets change run (possibly on
// another instance), then runs MULTI SET EXEC and reports whether EXEC ran.
func watchCase(t *testing.T, watcher, other *instance, setup, change func(c *redis.Client)) bool {
	t.Helper()
	if setup != nil {
		setup(watcher.cli)
	}
	ran := false
	err := watcher.cli.Watch(ctx, func(tx *redis.Tx) error {
		if change != nil {
			change(other.cli)
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "k", "mine", 0)
			return nil
		})
		ran = err == nil
		if errors.Is(err, redis.TxFailedErr) {
			return nil
		}
		return err
	}, "k")
	if err != nil {
		t.Fatal(err)
	}
	return ran
}

func TestWatch(t *testing.T) {
	for _, batch := range []bool{true, false} {
		t.Run("batch="+strconv.FormatBool(batch), func(t *testing.T) {
			a := newStore(t, storeOpts{batch: batch})
			b := a.peer(t, batch)
			cases := []struct {
				name   string
				setup  func(c *redis.Client)
				change func(c *redis.Client)
				runs   bool
			}{
				{"untouched", func(c *redis.Client) { c.Set(ctx, "k", "v", 0) }, nil, true},
				{"set by peer", func(c *redis.Client) { c.Set(ctx, "k", "v", 0) },
					func(c *redis.Client) { c.Set(ctx, "k", "v", 0) }, false},
				{"created by peer", func(c *redis.Client) { c.Del(ctx, "k") },
					func(c *redis.Client) { c.Set(ctx, "k", "x", 0) }, false},
				{"deleted by peer", func(c *redis.Client) { c.Set(ctx, "k", "v", 0) },
					func(c *redis.Client) { c.Del(ctx, "k") }, false},
				{"expire set by peer", func(c *redis.Client) { c.Set(ctx, "k", "v", 0) },
					func(c *redis.Client) { c.Expire(ctx, "k", time.Hour) }, false},
				{"other key changed", func(c *redis.Client) { c.Set(ctx, "k", "v", 0) },
					func(c *redis.Client) { c.Set(ctx, "other", "v", 0) }, true},
				{"missing and untouched", func(c *redis.Client) { c.Del(ctx, "k") }, nil, true},
			}
			for _, tc := range cases {
				if got := watchCase(t, a, b, tc.setup, tc.change); got != tc.runs {
					t.Errorf("%s: EXEC ran = %v, want %v", tc.name, got, tc.runs)
				}
			}
			watchExpired(t, a)
		})
	}
}

// watchExpired: a key that expires between WATCH and EXEC aborts EXEC.
// The key must still live when WATCH reads it (one already expired then
// is missing, and stays so: EXEC runs, as in Redis), which a loaded
// machine may delay past a short TTL: the case starts again with a longer
// one.
func watchExpired(t *testing.T, in *instance) {
	t.Helper()
	for ttl := 50 * time.Millisecond; ; ttl *= 2 {
		if ttl > 10*time.Second {
			t.Fatal("expired: the key never lived when WATCH read it")
		}
		in.cli.Set(ctx, "k", "v", ttl)
		alive, ran := false, false
		err := in.cli.Watch(ctx, func(tx *redis.Tx) error {
			n, err := tx.Exists(ctx, "k").Result()
			if err != nil || n == 0 {
				return err
			}
			alive = true
			time.Sleep(ttl + 30*time.Millisecond) // it expires after ttl from SET, before WATCH
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "k", "mine", 0)
				return nil
			})
			ran = err == nil
			if errors.Is(err, redis.TxFailedErr) {
				return nil
			}
			return err
		}, "k")
		if err != nil {
			t.Fatal(err)
		}
		if !alive {
			continue
		}
		if ran {
			t.Error("expired: EXEC ran, want it aborted")
		}
		return
	}
}

func TestUnwatchAndOwnWrite(t *testing.T) {
	in := newStore(t, storeOpts{batch: true})
	c := in.cli.Conn()
	defer c.Close()
	for i, s := range []struct {
		args []any
		want any
	}{
		{[]any{"watch", "k"}, "OK"},
		{[]any{"set", "k", "1"}, "OK"}, // our own write also aborts, as in Redis
		{[]any{"multi"}, "OK"},
		{[]any{"incr", "k"}, "QUEUED"},
		{[]any{"exec"}, nil},
		{[]any{"watch", "k"}, "OK"},
		{[]any{"set", "k", "1"}, "OK"},
		{[]any{"unwatch"}, "OK"},
		{[]any{"multi"}, "OK"},
		{[]any{"incr", "k"}, "QUEUED"},
		{[]any{"exec"}, []any{int64(2)}},
	} {
		if got := do(t, c, s.args...); !equal(got, s.want) {
			t.Fatalf("step %d %v: got %#v, want %#v", i, s.args, got, s.want)
		}
	}
}

// TestExecIsolation: concurrent transactions move units between two keys;
// no reader ever sees a total other than the invariant. 10 writers of 10
// transactions over two instances keep the two keys contended all along
// while the reader loops (20 of 20 took a minute without batching under
// the race detector, each conflicting commit backing off).
func TestExecIsolation(t *testing.T) {
	const writers, txns = 10, 10
	for _, batch := range []bool{true, false} {
		t.Run("batch="+strconv.FormatBool(batch), func(t *testing.T) {
			a := newStore(t, storeOpts{batch: batch})
			b := a.peer(t, batch)
			a.cli.MSet(ctx, "x", 1000, "y", 1000)
			done := make(chan struct{})
			readErr := make(chan error, 1)
			go func() {
				defer close(readErr)
				for {
					select {
					case <-done:
						return
					default:
					}
					v, err := b.cli.MGet(ctx, "x", "y").Result()
					if err != nil {
						readErr <- err
						return
					}
					x, _ := strconv.Atoi(v[0].(string))
					y, _ := strconv.Atoi(v[1].(string))
					if x+y != 2000 {
						readErr <- errors.New("saw x+y = " + strconv.Itoa(x+y))
						return
					}
				}
			}()
			parallel(t, writers, func(w int) error {
				cli := a.cli
				if w%2 == 1 {
					cli = b.cli
				}
				for i := 0; i < txns; i++ {
					_, err := cli.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.DecrBy(ctx, "x", 3)
						p.IncrBy(ctx, "y", 3)
						return nil
					})
					if err != nil {
						return err
					}
				}
				return nil
			})
			close(done)
			if err := <-readErr; err != nil {
				t.Fatal(err)
			}
			v, _ := a.cli.MGet(ctx, "x", "y").Result()
			if want := strconv.Itoa(1000 - 3*writers*txns); v[0] != want || v[1] != strconv.Itoa(1000+3*writers*txns) {
				t.Fatalf("x, y = %v, want %s %d", v, want, 1000+3*writers*txns)
			}
		})
	}
}
