package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestStreamDifferential sends the stream commands, with explicit IDs so
// that replies are deterministic, to titan and redis-server and compares
// the replies, errors included. Idle and seen times differ by
// milliseconds between the two servers, so the commands answering them
// are compared where they are zero or absent.
func TestStreamDifferential(t *testing.T) {
	p := newHSPair(t)
	p.script(`
# XADD, XLEN, XRANGE
XADD s 1-1 a 1
XADD s 1-1 a 1
XADD s 1-0 a 1
XADD s 1-* b 2
XADD s 2 c 3 d 4
XADD s 2-* e 5
XADD s 0-0 a 1
XADD s abc a 1
XADD s 1--1 a 1
XADD s 5-1 a
XADD s 5-1
XADD s MAXLEN 10 LIMIT 5 5-1 a 1
XADD s MAXLEN ~ 10 MINID 1 5-1 a 1
XADD s LIMIT 5 5-1 a 1
XADD s MAXLEN -1 5-1 a 1
XADD s MAXLEN x 5-1 a 1
XADD s MINID x 5-1 a 1
XADD s NOMKSTREAM 3-1 f 6
XADD nokey NOMKSTREAM 3-1 f 6
EXISTS nokey
XADD s 18446744073709551615-18446744073709551615 x y
XADD s * x y
XADD s 18446744073709551615-* x y
DEL s
XADD s 0-* a 1
XLEN s
XLEN nokey
SET str v
XADD str 1-1 a 1
XLEN str
XRANGE str - +
DEL s
XADD s 1-1 a 1
XADD s 1-2 b 2
XADD s 2-1 c 3
XADD s 3-0 d 4
XADD s 3-5 e 5
XRANGE s - +
XRANGE s - + COUNT 2
XRANGE s - + COUNT 0
XRANGE s - + COUNT -1
XRANGE s 2 3
XRANGE s 1-2 3-0
XRANGE s (1-2 (3-5
XRANGE s (- +
XRANGE s - (+
XRANGE s (18446744073709551615-18446744073709551615 +
XRANGE s - (0-0
XRANGE s x +
XRANGE s - + COUNT
XRANGE s - + FOO 1
XRANGE s 3 1
XREVRANGE s + -
XREVRANGE s + - COUNT 2
XREVRANGE s (3-5 (1-1
XREVRANGE s 2 1
XRANGE nokey - +
XREVRANGE nokey + -
# XDEL
XDEL s 1-1 9-9 1-1
XDEL s x
XDEL nokey 1-1
XLEN s
XRANGE s - +
XINFO STREAM s
XDEL s 1-2 2-1 3-0 3-5
XINFO STREAM s
XADD s 4-0 f 6
XINFO STREAM s
# XTRIM
DEL s
XADD s 1-0 a 1
XADD s 2-0 a 1
XADD s 3-0 a 1
XADD s 4-0 a 1
XADD s 5-0 a 1
XTRIM s MAXLEN 3
XRANGE s - +
XTRIM s MAXLEN = 3
XTRIM s MAXLEN ~ 1
XTRIM s MINID 4
XRANGE s - +
XTRIM s MINID ~ 9
XTRIM s MAXLEN 0 LIMIT 1
XTRIM s MAXLEN ~ 0 LIMIT 1
XTRIM s
XTRIM s FOO 1
XTRIM s MAXLEN 1 MINID 1
XTRIM nokey MAXLEN 1
XTRIM str MAXLEN 1
XADD s MAXLEN 1 6-0 b 2
XRANGE s - +
XADD s MINID 7 7-0 c 3
XRANGE s - +
XINFO STREAM s
# XSETID
XSETID s 8-0
XADD s 8-0 a 1
XSETID s 6-0
XSETID s 9-0 ENTRIESADDED 0
XSETID s 9-0 ENTRIESADDED -1
XSETID s 9-0 ENTRIESADDED 10 MAXDELETEDID 9-1
XSETID s 9-0 ENTRIESADDED 10 MAXDELETEDID 8-5
XINFO STREAM s
XSETID s 8-9
XSETID s 9-0 FOO
XSETID nokey 1-1
XSETID str 1-1
XSETID s x
TYPE s
OBJECT ENCODING s
# XREAD
DEL s s2
XADD s 1-1 a 1
XADD s 1-2 b 2
XADD s2 5-0 z 9
XREAD STREAMS s 0
XREAD COUNT 1 STREAMS s 0
XREAD COUNT 1 STREAMS s s2 1-1 0
XREAD STREAMS s s2 1-2 5-0
XREAD STREAMS s $
XREAD STREAMS s nokey 0 0
XREAD STREAMS s
XREAD STREAMS s s2 0
XREAD STREAMS s x
XREAD STREAMS s >
XREAD COUNT x STREAMS s 0
XREAD GROUP g c STREAMS s 0
XREAD NOACK STREAMS s 0
XREAD FOO STREAMS s 0
XREAD COUNT 1
XREAD STREAMS str 0
XREAD BLOCK -1 STREAMS s 0
XREAD BLOCK x STREAMS s 0
XREAD BLOCK 10 STREAMS s 0
XREAD BLOCK 10 STREAMS s $
# consumer groups
XGROUP CREATE nokey g $
XGROUP CREATE str g $
XGROUP CREATE s g 0
XGROUP CREATE s g 0
XGROUP CREATE s g2 $
XGROUP CREATE s g3 x
XGROUP CREATE s g3 0 ENTRIESREAD -5
XGROUP CREATE s g3 0 ENTRIESREAD x
XGROUP CREATE s g3 0 FOO
XGROUP CREATE s g3 - 
XGROUP CREATE m g $ MKSTREAM
XGROUP CREATE m2 g 0 MKSTREAM ENTRIESREAD 3
XINFO STREAM m
XINFO GROUPS m2
XINFO GROUPS s
XINFO GROUPS nokey
XINFO GROUPS str
XGROUP FOO s g
XGROUP CREATE s
XGROUP SETID s nog 0
XGROUP SETID nokey g 0
XGROUP SETID s g 0 FOO 1
XGROUP SETID s g2 - ENTRIESREAD 0
XGROUP SETID s g2 1-1 ENTRIESREAD x
XINFO GROUPS s
XGROUP CREATECONSUMER s g c1
XGROUP CREATECONSUMER s g c1
XGROUP CREATECONSUMER s nog c1
XGROUP DELCONSUMER s g nobody
XGROUP DELCONSUMER s nog c1
XGROUP DESTROY s nog
XGROUP DESTROY s g3
XGROUP DESTROY nokey g
# XREADGROUP
XREADGROUP GROUP g c1 COUNT 1 STREAMS s >
XREADGROUP GROUP g c2 STREAMS s >
XREADGROUP GROUP g c2 STREAMS s >
XREADGROUP GROUP g c3 STREAMS s >
XREADGROUP GROUP g c1 STREAMS s 0
XREADGROUP GROUP g c2 STREAMS s 0
XREADGROUP GROUP g c2 COUNT 0 STREAMS s 1-1
XREADGROUP GROUP g c1 STREAMS s $
XREADGROUP GROUP nog c1 STREAMS s >
XREADGROUP GROUP g c1 STREAMS nokey >
XREADGROUP GROUP g c1 STREAMS str >
XREADGROUP STREAMS s >
XREADGROUP GROUP g STREAMS s >
XREADGROUP GROUP g c1 STREAMS s
XREADGROUP GROUP g c1 STREAMS s x
XINFO GROUPS s
XPENDING s g
XPENDING s g - + 10 nobody
XPENDING s nog
XPENDING nokey g
XPENDING s g x + 10
XPENDING s g - + x
XPENDING s g IDLE x - + 10
XPENDING s g IDLE 3600000 - + 10 c1 extra
XADD s 2-0 c 3
XADD s 3-0 d 4
XREADGROUP GROUP g c1 NOACK STREAMS s >
XPENDING s g
XINFO GROUPS s
XADD s 4-0 e 5
XADD s 5-0 f 6
XREADGROUP GROUP g c3 STREAMS s s2 > 0
XGROUP CREATE s2 g 0
XREADGROUP GROUP g c3 STREAMS s s2 > >
XINFO GROUPS s
XPENDING s g
# XACK
XACK s g 1-1 1-1 4-0 9-9
XACK s g x
XACK s nog 1-1
XACK nokey g 1-1
XACK str g 1-1
XPENDING s g
XREADGROUP GROUP g c2 STREAMS s 0
# deleted entries in the PEL
XDEL s 5-0
XREADGROUP GROUP g c3 STREAMS s 0
XINFO GROUPS s
# XCLAIM
XCLAIM s g c9 0 1-2 TIME 1000 RETRYCOUNT 7
XCLAIM s g c9 0 1-2 JUSTID
XCLAIM s g c8 0 1-1 2-0
XCLAIM s g c8 0 2-0 FORCE JUSTID
XCLAIM s g c8 0 5-0
XPENDING s g
XCLAIM s g c9 3600000 2-0
XCLAIM s g c9 0 2-0 LASTID 9-0 JUSTID
XINFO GROUPS s
XCLAIM s g c9 x 2-0
XCLAIM s g c9 0 2-0 IDLE x
XCLAIM s g c9 0 2-0 TIME x
XCLAIM s g c9 0 2-0 RETRYCOUNT x
XCLAIM s g c9 0 2-0 LASTID x
XCLAIM s g c9 0 2-0 idle x
XCLAIM s g c9 0 2-0 retrycount 3 idle 5 JUSTID
XCLAIM s g c9 0 2-0 IDLE
XCLAIM s g c9 0 2-0 FOO
XCLAIM s nog c9 0 2-0
XCLAIM nokey g c9 0 2-0
XGROUP DELCONSUMER s g c9
XPENDING s g
# XAUTOCLAIM
XAUTOCLAIM s g c7 0 0 COUNT 1
XAUTOCLAIM s g c7 0 0
XAUTOCLAIM s g c7 0 0 JUSTID
XAUTOCLAIM s g c7 3600000 0
XAUTOCLAIM s g c7 0 0 COUNT 0
XAUTOCLAIM s g c7 0 0 FOO
XAUTOCLAIM s g c7 x 0
XAUTOCLAIM s g c7 0 x
XAUTOCLAIM s nog c7 0 0
XPENDING s g
XADD s 6-0 g 7
XREADGROUP GROUP g c6 STREAMS s >
XDEL s 6-0
XAUTOCLAIM s g c5 0 0
XPENDING s g
XGROUP DESTROY s g
XINFO GROUPS s
XGROUP CREATE s g 0
XPENDING s g
XINFO CONSUMERS s g
XINFO CONSUMERS s nog
XINFO CONSUMERS nokey g
XINFO STREAM nokey
XINFO STREAM str
XINFO STREAM s FOO
XINFO STREAM s FULL COUNT x
DEL f
XADD f 1-1 a 1
XADD f 1-2 b 2
XADD f 1-3 c 3
XINFO STREAM f FULL
XINFO STREAM f FULL COUNT 2
XINFO STREAM f FULL COUNT 0
XGROUP CREATE f g 0
XREADGROUP GROUP g c COUNT 2 STREAMS f >
XCLAIM f g c 0 1-1 1-2 TIME 1000 JUSTID
XINFO GROUPS f
XADD f 1-4 d 4
XINFO GROUPS f
XDEL f 1-3
XINFO GROUPS f
XGROUP SETID f g 1-3
XINFO GROUPS f
XGROUP SETID f g 0 ENTRIESREAD 0
XINFO GROUPS f
XREADGROUP GROUP g c2 STREAMS f >
XINFO GROUPS f
XTRIM f MAXLEN 1
XINFO GROUPS f
XINFO STREAM f
XINFO FOO
TYPE s
# the key commands on a stream
FLUSHALL
XADD only 1-1 a 1
SET str v
SCAN 0 TYPE stream
TYPE only
OBJECT ENCODING only
COPY only only2
XRANGE only2 - +
RENAME only2 only3
XLEN only3
EXPIRE only3 100
TTL only3
DEL only only3
EXISTS only only3
`)
}

// TestStreamBlocking compares the blocking forms of XREAD and XREADGROUP
// with redis-server: timeouts, MULTI, and who is woken by an XADD.
func TestStreamBlocking(t *testing.T) {
	p := newHSPair(t)
	p.script(`
XADD s 1-1 a 1
XGROUP CREATE s g $
XREAD BLOCK 10 STREAMS s $
XREAD BLOCK 10 STREAMS s nokey $ 0
XREAD BLOCK 10 STREAMS s 0
XREADGROUP GROUP g c BLOCK 10 STREAMS s >
XGROUP CREATECONSUMER s g c
XREADGROUP GROUP g c BLOCK 10 STREAMS s 0
XGROUP CREATECONSUMER s g c
MULTI
XREAD BLOCK 0 STREAMS s $
XREADGROUP GROUP g c BLOCK 0 STREAMS s >
EXEC
`)
	for name, c := range map[string]*redis.Client{"titan": p.ti, "redis": p.rd} {
		ctx := context.Background()
		c.Del(ctx, "w")
		c.XGroupCreateMkStream(ctx, "w", "g", "$")
		type result struct {
			who string
			res []redis.XStream
			err error
		}
		got := make(chan result, 4)
		read := func(who string, args any) {
			conn := redis.NewClient(&redis.Options{Addr: c.Options().Addr, Protocol: 2, ReadTimeout: -1})
			defer conn.Close()
			var r result
			switch a := args.(type) {
			case *redis.XReadArgs:
				r.res, r.err = conn.XRead(ctx, a).Result()
			case *redis.XReadGroupArgs:
				r.res, r.err = conn.XReadGroup(ctx, a).Result()
			}
			r.who = who
			got <- r
		}
		go read("xread1", &redis.XReadArgs{Streams: []string{"w", "$"}, Block: 5 * time.Second})
		go read("xread2", &redis.XReadArgs{Streams: []string{"w", "$"}, Block: 5 * time.Second})
		go read("group1", &redis.XReadGroupArgs{Group: "g", Consumer: "c1", Streams: []string{"w", ">"}, Block: 5 * time.Second})
		go read("group2", &redis.XReadGroupArgs{Group: "g", Consumer: "c2", Streams: []string{"w", ">"}, Block: 5 * time.Second})
		waitBlocked(t, c, "4")
		c.XAdd(ctx, &redis.XAddArgs{Stream: "w", ID: "1-1", Values: []string{"f", "v"}})
		seen := map[string]int{}
		for range 3 {
			r := <-got
			if r.err != nil || len(r.res) != 1 || len(r.res[0].Messages) != 1 || r.res[0].Messages[0].ID != "1-1" {
				t.Errorf("%s: %s got %v %v", name, r.who, r.res, r.err)
			}
			seen[r.who[:5]]++
		}
		if seen["xread"] != 2 || seen["group"] != 1 {
			t.Errorf("%s: woken %v, want both XREADs and one group consumer", name, seen)
		}
		c.XAdd(ctx, &redis.XAddArgs{Stream: "w", ID: "1-2", Values: []string{"f", "v"}})
		if r := <-got; r.err != nil || r.res[0].Messages[0].ID != "1-2" {
			t.Errorf("%s: the second group consumer got %v %v", name, r.res, r.err)
		}
		if n, err := c.XPending(ctx, "w", "g").Result(); err != nil || n.Count != 2 {
			t.Errorf("%s: pending %v %v", name, n, err)
		}
	}
}

// TestStreamApproxTrim compares approximate trimming (whole nodes of 100
// entries) of streams of appended entries with redis-server.
func TestStreamApproxTrim(t *testing.T) {
	p := newHSPair(t)
	var b strings.Builder
	for _, k := range []string{"a", "b", "c", "d"} {
		for i := 1; i <= 250; i++ {
			fmt.Fprintf(&b, "XADD %s %d-1 f %d\n", k, i, i)
		}
	}
	b.WriteString(`XTRIM a MAXLEN ~ 10
XLEN a
XTRIM a MAXLEN ~ 10
XTRIM a MAXLEN ~ 0
XLEN a
XTRIM b MINID ~ 150
XLEN b
XTRIM b MINID ~ 300
XLEN b
XTRIM c MAXLEN ~ 0 LIMIT 150
XLEN c
XTRIM c MAXLEN ~ 0 LIMIT 0
XLEN c
XADD d MAXLEN ~ 100 251-1 f x
XLEN d
XRANGE d - + COUNT 1
XADD d MINID ~ 252 252-1 f x
XRANGE d - + COUNT 1
`)
	p.script(b.String())
}
