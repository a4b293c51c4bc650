package tests

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestKill9Soak: a bounded kill -9 loop under mixed load (SET, INCR,
// RPUSH, HSET from several clients). Every write titan acknowledged is
// present after each restart: counters are at least the acknowledged
// increments (an unacknowledged one may have committed), lists and hashes
// hold every acknowledged element (issue 18, soak tests).
func TestKill9Soak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak")
	}
	ti := startTitan(t)
	ti.logOnFailure(t)
	const cycles, workers = 4, 4
	ctx := context.Background()
	acked := make([]map[string]bool, workers) // per worker: acknowledged SET keys, list items, hash fields
	incrs := make([]int64, workers)
	for w := range acked {
		acked[w] = map[string]bool{}
	}
	for cycle := range cycles {
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := redis.NewClient(&redis.Options{Addr: ti.Addr, MaxRetries: -1, ReadTimeout: 5 * time.Second})
				defer c.Close()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					id := fmt.Sprintf("%d-%d-%d", w, cycle, i)
					var err error
					switch i % 4 {
					case 0:
						if err = c.Set(ctx, "s:"+id, id, 0).Err(); err == nil {
							acked[w]["s:"+id] = true
						}
					case 1:
						if err = c.Incr(ctx, "n:"+strconv.Itoa(w)).Err(); err == nil {
							incrs[w]++
						}
					case 2:
						if err = c.RPush(ctx, "l:"+strconv.Itoa(w), id).Err(); err == nil {
							acked[w]["l:"+id] = true
						}
					case 3:
						if err = c.HSet(ctx, "h:"+strconv.Itoa(w), id, id).Err(); err == nil {
							acked[w]["h:"+id] = true
						}
					}
					if err != nil {
						return // killed
					}
				}
			}()
		}
		time.Sleep(700 * time.Millisecond)
		ti.Kill9()
		close(stop)
		wg.Wait()
		ti.Restart()
		c := ti.Client()
		for w := range workers {
			n, err := c.Get(ctx, "n:"+strconv.Itoa(w)).Int64()
			if err != nil && err != redis.Nil {
				t.Fatal(err)
			}
			if n < incrs[w] {
				t.Fatalf("cycle %d: counter %d = %d, %d increments acknowledged", cycle, w, n, incrs[w])
			}
			incrs[w] = n // an unacknowledged increment may have committed
			list, err := c.LRange(ctx, "l:"+strconv.Itoa(w), 0, -1).Result()
			if err != nil {
				t.Fatal(err)
			}
			inList := map[string]bool{}
			for _, v := range list {
				inList[v] = true
			}
			fields, err := c.HGetAll(ctx, "h:"+strconv.Itoa(w)).Result()
			if err != nil {
				t.Fatal(err)
			}
			for k := range acked[w] {
				switch k[0] {
				case 's':
					if v, err := c.Get(ctx, k).Result(); err != nil || v != k[2:] {
						t.Fatalf("cycle %d: acknowledged %s lost: %q, %v", cycle, k, v, err)
					}
				case 'l':
					if !inList[k[2:]] {
						t.Fatalf("cycle %d: acknowledged list item %s lost", cycle, k[2:])
					}
				case 'h':
					if fields[k[2:]] != k[2:] {
						t.Fatalf("cycle %d: acknowledged hash field %s lost", cycle, k[2:])
					}
				}
			}
		}
		total := 0
		for w := range acked {
			total += len(acked[w])
		}
		t.Logf("cycle %d: %d acknowledged writes present", cycle, total)
	}
}
