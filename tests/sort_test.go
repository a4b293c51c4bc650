package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSortMoveWaitDifferential compares SORT, SORT_RO, MOVE and WAIT with
// redis-server.
func TestSortMoveWaitDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	t.Run("sort", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			"rpush l 3 1 2 10 -5 1.5 0x10 1e2",
			"sort l", "sort l desc", "sort l alpha", "sort l alpha desc", "sort l limit 1 3", "sort l limit -1 2",
			"sort l limit 2 -1", "sort l limit 100 2", "sort l limit 0 0", "sort l desc limit 1 2",
			"sort l by nosort", "sort l by nosort desc", "sort l by nosort limit 2 3", "sort l by nosort desc limit 2 3",
			"sort l by nosort limit 7 5", "sort l by nosort limit 8 5", "sort l by nosort desc limit 0 100",
			"mset w_3 30 w_1 10 w_2 -20 w_10 5 w_-5 0 o_3 three o_1 one",
			"sort l by w_*", "sort l by w_* desc", "sort l by w_* get # get o_*", "sort l by w_* get o_* get nosuch_*",
			"sort l by w_* alpha", "sort l by o_* alpha", "sort l by o_* alpha desc", "sort l get o_*",
			"hset h_3 f 7 g x", "hset h_1 f 2", "hset h_2 f 9", "sort l by h_*->f get h_*->f get h_*->g",
			"sort l by h_*->f alpha get # get h_*->", "sort l by h_*-> get h_*->f",
			"sort l by w_* limit 1 2 get #", "sort l by nosort get w_*", "sort l by nosort get #",
			"rpush words banana apple Cherry apple 10 9",
			"sort words", "sort words alpha", "sort words alpha desc limit 1 3", "sort words alpha store dst", "lrange dst 0 -1",
			"sort words store dst",
			"sort l store dst", "lrange dst 0 -1", "sort l by w_* get o_* store dst", "lrange dst 0 -1",
			"sort nokey", "sort nokey store dst", "exists dst", "sort nokey by nosort limit 0 1",
			"sadd s 5 3 9 1 7", "sort s", "sort s desc", "sort s limit 1 2", "sort s alpha", "sort s by w_* get #",
			"sorted sort s by nosort", "sort s by nosort store dst", "lrange dst 0 -1", "sort s by nosort limit 0 10 store dst",
			"zadd z 1 c 2 a 3 b 4 10 5 2", "sort z alpha", "sort z by nosort", "sort z by nosort desc",
			"sort z by nosort limit 1 2", "sort z by nosort desc limit 1 2", "sort z alpha desc limit 0 2",
			"sort z", "sort z by w_*", "sort z by nosort get # store dst", "lrange dst 0 -1",
			"set str x", "sort str", "hset hh a b", "sort hh", "sort l foo", "sort l limit 1", "sort l limit a 1",
			"sort l limit 1 b", "sort l by", "sort l get", "sort l store", "sort_ro l store dst", "sort_ro l by w_* get o_*",
			"sort_ro l desc alpha limit 0 3", "sort_ro str",
			"rpush same 2 1 2 1", "sort same", "sort same by nosort desc",
			"rpush ws 1 2 3", "set wv_1 abc", "sort ws by wv_*", "sort ws by wv_* limit 0 1", "sort ws by nosort get wv_*",
			`rpush sp " 5" "" "3 "`, "sort sp by nosort", "sort sp limit 0 2",
			"rpush inf inf -inf 0 nan", "sort inf", "lpop inf 3", "sort inf desc",
			"set w_tl 5 ex 100", "sort l by w_* store l", "lrange l 0 -1", "~1 ttl l",
		)
	})
	t.Run("move wait", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			"set k v ex 100", "move k 1", "exists k", "select 1", "get k", "~1 ttl k", "move k 0", "move k 1",
			"select 0", "rpush l a b c", "set k other", "move k 1", "get k", "move l 1", "exists l", "select 1",
			"lrange l 0 -1", "rpush l d", "lrange l 0 -1", "select 0", "move nokey 1", "move k 0", "move k 16",
			"move k -1", "move k abc", "move k 99999999999",
			"wait 0 0", "wait 0 10", "wait abc 0", "wait 0 abc", "wait 0 -1",
		)
	})
}

// TestObjectDifferential compares OBJECT ENCODING of collections with
// redis-server 7.0 (intset and hashtable sets, listpack and hashtable
// hashes, listpack and skiplist sorted sets by count and size) and checks
// that OBJECT IDLETIME counts from the last write.
func TestObjectDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	long := strings.Repeat("x", 65)
	d.run(
		"flushall",
		"sadd si 1 2 3 -5", "object encoding si", "sadd ss a 1", "object encoding ss",
		"hset hs f v", "object encoding hs", "hset hl f "+long, "object encoding hl", "hset hk "+long+" v", "object encoding hk",
		"zadd zs 1 a", "object encoding zs", "zadd zl 1 "+long, "object encoding zl",
		"rpush l a", "object encoding l", "set s v", "object idletime s", "object idletime nokey",
	)
	var many strings.Builder
	for i := 0; i < 513; i++ {
		fmt.Fprintf(&many, " %d", i)
	}
	d.run("sadd sbig"+many.String(), "object encoding sbig",
		"zadd zbig"+strings.ReplaceAll(many.String(), " ", " 1 m")[:2000], "object encoding zbig",
		"hset hbig"+strings.ReplaceAll(many.String(), " ", " f"), "object encoding hbig")
	time.Sleep(2100 * time.Millisecond)
	if n, err := d.titan.Do(d.ctx, "object", "idletime", "s").Int(); err != nil || n < 2 || n > 5 {
		t.Errorf("OBJECT IDLETIME 2 s after the write: %d %v", n, err)
	}
}
