package tests

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestSetCommands runs every set command, with its edge cases and errors,
// on titan and on redis-server, and compares the replies.
func TestSetCommands(t *testing.T) {
	p := newHSPair(t)
	p.script(`
		sadd s a b c a ""
		sadd s a
		sadd s
		srem s a a zz
		srem nokey a
		srem s
		scard s
		scard nokey
		sismember s b
		sismember s zz
		sismember s ""
		sismember nokey a
		smismember s b zz c b
		smismember nokey a b
		smismember s
		sorted smembers s
		smembers nokey
		sadd t c d e
		sadd u e f
		sorted sinter s t
		sorted sinter t u s
		sorted sinter t t
		sinter s nokey
		sinter nokey s
		sorted sunion s t u nokey
		sunion nokey
		sorted sdiff s t
		sorted sdiff t s u
		sdiff t t
		sdiff nokey s
		sorted sdiff t nokey
		sintercard 2 s t
		sintercard 3 s t u
		sintercard 1 t limit 2
		sintercard 1 t limit 0
		sintercard 1 t limit 2 limit 1
		sintercard 2 s nokey
		sintercard 0 s
		sintercard -1 s
		sintercard x s
		sintercard 01 s
		sintercard 3 s t
		sintercard 1 s limit -1
		sintercard 1 s limit x
		sintercard 1 s limit
		sintercard 1 s foo 1
		sinterstore d s t
		sorted smembers d
		sunionstore d s t u
		sorted smembers d
		sdiffstore d t s
		sorted smembers d
		sinterstore d s nokey
		exists d
		sunionstore d nokey
		exists d
		expire t 100
		sinterstore t t u
		ttl t
		sorted smembers t
		sadd src a b
		sadd dst b
		smove src dst zz
		smove src src a
		smove src src zz
		smove src dst b
		sorted smembers src
		sorted smembers dst
		smove src new a
		exists src
		smembers new
		smove nokey dst a
		spop nokey
		spop nokey 0
		spop nokey 3
		spop s -1
		spop s x
		spop s -0
		spop s 01
		spop s 1 2
		spop s 0
		srandmember nokey
		srandmember nokey 3
		srandmember nokey -3
		srandmember s 0
		srandmember s x
		srandmember s 1 2
		srandmember s -9223372036854775808
		sorted srandmember s 100
		sorted srandmember s 9223372036854775807
		sscan s x
		sscan s 0 count 0
		sscan s 0 count x
		sscan s 0 match
		sscan s 0 novalues
		sscan nokey 0 count 0
		sscan nokey 0
		set str v
		sadd str a
		srem str a
		scard str
		sismember str a
		smismember str a
		smembers str
		spop str
		spop str 0
		spop str -1
		srandmember str
		srandmember str 0
		smove str s a
		smove s str zz
		smove nokey str a
		sinter nokey str
		sinter str nokey
		sunion s str
		sdiff nokey str
		sdiff s str
		sintercard 2 nokey str
		sinterstore d nokey str
		sscan str 0
		sscan str 0 count 0
		sscan str x
		sunionstore str s
		type str
		sorted smembers str
		sadd h1 x
		hset h1 a b
		sadd s1 x
		hget s1 x
	`)
	// SSCAN walks every member once, with and without MATCH and COUNT.
	var ms []any
	for i := range 500 {
		ms = append(ms, "member:"+strconv.Itoa(i))
	}
	for _, c := range []*redis.Client{p.ti, p.rd} {
		if err := c.SAdd(bg, "big", ms...).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.SAdd(bg, "odd", ms[1:100]...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, opts := range [][]any{nil, {"COUNT", 3}, {"MATCH", "member:4?", "COUNT", 50}, {"MATCH", "x*"}} {
		a := hsScanAll(t, p.ti, "SSCAN", "big", false, opts...)
		b := hsScanAll(t, p.rd, "SSCAN", "big", false, opts...)
		if strings.Join(a, ",") != strings.Join(b, ",") {
			t.Errorf("SSCAN %v: titan %d members, redis %d", opts, len(a), len(b))
		}
	}
	p.script(`
		scard big
		sorted smembers big
		sorted sinter big odd
		sorted sinter odd big
		sintercard 2 big odd
		sintercard 2 big odd limit 10
		sorted sdiff big odd
		sorted sdiff odd big
		sorted sunion odd big
		sdiffstore d2 big odd
		sorted srandmember big 500
	`)
	// go-redis's typed API.
	if ok, err := p.ti.SIsMember(bg, "big", "member:7").Result(); !ok || err != nil {
		t.Errorf("SISMEMBER typed = %v, %v", ok, err)
	}
}

// TestSetRandom checks SPOP and SRANDMEMBER on titan: sizes,
// distinctness, membership, and picks spread over the set.
func TestSetRandom(t *testing.T) {
	ti := startTitan(t)
	c := ti.Client()
	var ms []any
	all := map[string]bool{}
	for i := range 2000 {
		m := "m" + strconv.Itoa(i)
		ms = append(ms, m)
		all[m] = true
	}
	if err := c.SAdd(bg, "s", ms...).Err(); err != nil {
		t.Fatal(err)
	}
	picked := map[string]bool{}
	for _, count := range []int64{1, 10, 64, 65, 300, 600, 1999, 2000, 3000, -1, -100, -5000} {
		r, err := c.SRandMemberN(bg, "s", count).Result()
		if err != nil {
			t.Fatal(err)
		}
		want := min(count, 2000)
		if count < 0 {
			want = -count
		}
		if int64(len(r)) != want {
			t.Fatalf("SRANDMEMBER %d: %d members", count, len(r))
		}
		seen := map[string]bool{}
		for _, m := range r {
			if !all[m] || (count > 0 && seen[m]) {
				t.Fatalf("SRANDMEMBER %d returned %q (seen %v)", count, m, seen[m])
			}
			seen[m] = true
			picked[m] = true
		}
	}
	for range 100 {
		r, err := c.SRandMemberN(bg, "s", 40).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range r {
			picked[m] = true
		}
	}
	if len(picked) < 1900 {
		t.Fatalf("random picks reached only %d of 2000 members", len(picked))
	}
	// SPOP takes distinct members out until the set is gone.
	left := maps(all)
	for _, n := range []int64{1, 5, 100, 700, 1000, 500} {
		r, err := c.SPopN(bg, "s", n).Result()
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(r)) != min(n, int64(len(left))) {
			t.Fatalf("SPOP %d of %d: %d members", n, len(left), len(r))
		}
		for _, m := range r {
			if !left[m] {
				t.Fatalf("SPOP returned %q, not in the set", m)
			}
			delete(left, m)
		}
		if card := c.SCard(bg, "s").Val(); card != int64(len(left)) {
			t.Fatalf("SCARD %d after popping, want %d", card, len(left))
		}
	}
	if n := c.Exists(bg, "s").Val(); n != 0 || len(left) != 0 {
		t.Fatalf("set popped empty: EXISTS %d, %d members left", n, len(left))
	}
	c.SAdd(bg, "one", "x")
	if m, err := c.SPop(bg, "one").Result(); m != "x" || err != nil || c.Exists(bg, "one").Val() != 0 {
		t.Fatalf("SPOP of the last member = %q, %v", m, err)
	}
	if _, err := c.SPop(bg, "one").Result(); err != redis.Nil {
		t.Fatalf("SPOP of a missing key: %v", err)
	}
}

func maps(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestSetDifferential runs a random sequence of set commands on titan and
// redis-server and compares every deterministic reply; SPOP's members are
// checked against redis-server and removed there too.
func TestSetDifferential(t *testing.T) {
	p := newHSPair(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 11))
	keys := []string{"s0", "s1", "s2", "s3", "str"}
	p.ti.Set(bg, "str", "x", 0)
	p.rd.Set(bg, "str", "x", 0)
	member := func() string { return string(rune('a' + rng.IntN(10))) }
	key := func() string { return keys[rng.IntN(len(keys))] }
	someKeys := func() string {
		var ks []string
		for range 1 + rng.IntN(3) {
			ks = append(ks, key())
		}
		return strings.Join(ks, " ")
	}
	for i := range 2000 {
		k := key()
		var cmd string
		order := hsOrdered
		switch rng.IntN(17) {
		case 0, 1, 2:
			cmd = "sadd " + k
			for range 1 + rng.IntN(4) {
				cmd += " " + member()
			}
		case 3:
			cmd = "srem " + k + " " + member() + " " + member()
		case 4:
			cmd = "scard " + k
		case 5:
			cmd = "sismember " + k + " " + member()
		case 6:
			cmd = "smismember " + k + " " + member() + " " + member()
		case 7:
			cmd, order = "smembers "+k, hsSorted
		case 8:
			cmd = "smove " + k + " " + key() + " " + member()
		case 9:
			cmd, order = "sinter "+someKeys(), hsSorted
		case 10:
			cmd, order = "sunion "+someKeys(), hsSorted
		case 11:
			cmd, order = "sdiff "+someKeys(), hsSorted
		case 12:
			op := []string{"sinterstore", "sunionstore", "sdiffstore"}[rng.IntN(3)]
			dst := key()
			if dst == "str" {
				dst = "s3"
			}
			cmd = op + " " + dst + " " + someKeys()
		case 13:
			ks := someKeys()
			cmd = fmt.Sprintf("sintercard %d %s", len(strings.Fields(ks)), ks)
			if rng.IntN(2) == 0 {
				cmd += " limit " + strconv.Itoa(rng.IntN(4))
			}
		case 14:
			hsCheckRandom(t, p, "srandmember "+k+" "+strconv.Itoa(rng.IntN(16)-8), false)
			continue
		case 15:
			hsCheckPop(t, p, k, rng.IntN(5)-1)
			continue
		case 16:
			cmd = "del " + k
			if k == "str" {
				cmd = "type " + k
			}
		}
		if p.same(order, cmd); t.Failed() {
			t.Fatalf("diverged at command %d (seed %d)", i, seed)
		}
	}
	for _, k := range keys {
		p.same(hsSorted, "smembers "+k)
		p.same(hsOrdered, "type "+k)
	}
}

// hsCheckPop runs SPOP (count -1: without a count) on titan, checks the
// popped members against redis-server and removes them there.
func hsCheckPop(t *testing.T, p *hsPair, key string, count int) {
	t.Helper()
	args := []any{"spop", key}
	if count >= 0 {
		args = append(args, count)
	}
	got, err := p.ti.Do(bg, args...).Result()
	before, rerr := p.rd.SMembers(bg, key).Result()
	if rerr != nil {
		// Wrong type: titan must answer the same error as SPOP.
		_, rerr = p.rd.Do(bg, args...).Result()
		if err == nil || err.Error() != rerr.Error() {
			t.Fatalf("SPOP %s: titan %v, redis %v", key, err, rerr)
		}
		return
	}
	var popped []string
	switch v := got.(type) {
	case string:
		popped = []string{v}
	case []any:
		for _, x := range v {
			popped = append(popped, x.(string))
		}
	}
	if err == redis.Nil {
		err = nil
	}
	want := len(before)
	if count >= 0 {
		want = min(count, len(before))
	} else {
		want = min(1, len(before))
	}
	if err != nil || len(popped) != want || (count < 0 && len(before) > 0 && got == nil) {
		t.Fatalf("SPOP %s %d: %v (%v) from %v", key, count, got, err, before)
	}
	sort.Strings(before)
	seen := map[string]bool{}
	for _, m := range popped {
		if _, ok := slices.BinarySearch(before, m); !ok || seen[m] {
			t.Fatalf("SPOP %s %d popped %q from %v", key, count, popped, before)
		}
		seen[m] = true
	}
	if len(popped) > 0 {
		var rm []any
		for _, m := range popped {
			rm = append(rm, m)
		}
		p.rd.SRem(bg, key, rm...)
	}
}

// hsRandomCommand returns a random deterministic hash or set command over
// a few keys, and how to compare its replies.
func hsRandomCommand(rng *rand.Rand) (string, int) {
	key := func() string { return []string{"h0", "h1", "s0", "s1", "s2", "str"}[rng.IntN(6)] }
	el := func() string { return string(rune('a' + rng.IntN(6))) }
	k := key()
	switch rng.IntN(20) {
	case 0, 1:
		return "hset " + k + " " + el() + " " + strconv.Itoa(rng.IntN(10)) + " " + el() + " x", hsOrdered
	case 2:
		return "hdel " + k + " " + el() + " " + el(), hsOrdered
	case 3:
		return "hincrby " + k + " " + el() + " " + strconv.Itoa(rng.IntN(5)), hsOrdered
	case 4:
		return "hincrbyfloat " + k + " " + el() + " 0.1", hsOrdered
	case 5:
		return "hgetall " + k, hsPairs
	case 6:
		return "hmget " + k + " " + el() + " " + el(), hsOrdered
	case 7:
		return "hlen " + k, hsOrdered
	case 8, 9:
		return "sadd " + k + " " + el() + " " + el() + " " + el(), hsOrdered
	case 10:
		return "srem " + k + " " + el() + " " + el(), hsOrdered
	case 11:
		return "smembers " + k, hsSorted
	case 12:
		return "scard " + k, hsOrdered
	case 13:
		return "smove " + k + " " + key() + " " + el(), hsOrdered
	case 14:
		return "sinterstore " + key() + " " + k + " " + key(), hsOrdered
	case 15:
		return "sunionstore " + key() + " " + k + " " + key(), hsOrdered
	case 16:
		return "sdiff " + k + " " + key(), hsSorted
	case 17:
		return "smismember " + k + " " + el() + " " + el(), hsOrdered
	case 18:
		return "del " + k, hsOrdered
	}
	return "type " + k, hsOrdered
}

// TestHashSetPipelined sends random hash and set commands in pipelines,
// which titan runs as groups of jobs sharing transactions, and compares
// every reply with redis-server's.
func TestHashSetPipelined(t *testing.T) {
	for _, batch := range []string{"true", "false"} {
		t.Run("batch="+batch, func(t *testing.T) {
			p := newHSPair(t, "--write-batch="+batch)
			seed := uint64(time.Now().UnixNano())
			rng := rand.New(rand.NewPCG(seed, 3))
			for round := range 60 {
				n := 1 + rng.IntN(30)
				cmds := make([]string, n)
				orders := make([]int, n)
				for i := range cmds {
					cmds[i], orders[i] = hsRandomCommand(rng)
				}
				run := func(c *redis.Client) []string {
					pipe := c.Pipeline()
					res := make([]*redis.Cmd, n)
					for i, cmd := range cmds {
						res[i] = pipe.Do(bg, hsArgs(cmd)...)
					}
					pipe.Exec(bg)
					out := make([]string, n)
					for i, r := range res {
						v, err := r.Result()
						out[i] = hsFormat(v, err, orders[i])
					}
					return out
				}
				a, b := run(p.ti), run(p.rd)
				for i := range cmds {
					if a[i] != b[i] {
						t.Fatalf("round %d (seed %d), command %d of %d: %s\n titan: %s\n redis: %s\npipeline: %q",
							round, seed, i, n, cmds[i], hsShort(a[i]), hsShort(b[i]), cmds)
					}
				}
			}
		})
	}
}
