package tests

// End-to-end tests of the list commands: a differential table run against
// titan and a real redis-server (byte-exact replies), a random
// differential sequence, and 10,000 LINSERTs at one position.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestListDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	d.run(
		// Pushes and pops.
		"LPUSH l a b c", "RPUSH l d e", "LRANGE l 0 -1", "LLEN l", "LLEN nosuch",
		"LPUSHX nosuch a", "RPUSHX nosuch a", "EXISTS nosuch", "LPUSHX l x y", "RPUSHX l z", "LRANGE l 0 -1",
		"LPOP l", "RPOP l", "LPOP l 2", "RPOP l 0", "LPOP l -1", "LPOP l x", "LPOP l 1 2", "RPOP l 100", "EXISTS l",
		"LPOP l", "LPOP l 2", "RPOP nosuch", "RPOP nosuch 0", "LPOP nosuch -1",
		"RPUSH e \"\" \"\" x \"\\x00\\xff\"", "LRANGE e 0 -1", "LINDEX e 0", "LPOP e", "RPOP e",
		// Indexes and ranges.
		"DEL l", "RPUSH l 0 1 2 3 4 5 6 7 8 9",
		"LRANGE l 0 -1", "LRANGE l 2 4", "LRANGE l -3 -1", "LRANGE l -100 2", "LRANGE l 8 100", "LRANGE l 5 3",
		"LRANGE l 10 20", "LRANGE l -1 -2", "LRANGE l a 1", "LRANGE nosuch 0 -1",
		"LINDEX l 0", "LINDEX l -1", "LINDEX l 9", "LINDEX l 10", "LINDEX l -11", "LINDEX l x", "LINDEX nosuch 0",
		"LSET l 0 zero", "LSET l -1 nine", "LSET l 10 x", "LSET l -11 x", "LSET l x y", "LSET nosuch 0 x", "LRANGE l 0 -1",
		// Insertions (the list becomes sparse) and lookups after them.
		"LINSERT l BEFORE 5 4.5", "LINSERT l after 5 5.5", "LINSERT l BEFORE zero first", "LINSERT l AFTER nine last",
		"LINSERT l BEFORE nosuch x", "LINSERT l MIDDLE 5 x", "LINSERT nosuch BEFORE a b", "EXISTS nosuch",
		"LRANGE l 0 -1", "LINDEX l 6", "LINDEX l 7", "LINDEX l -7", "LRANGE l 5 8", "LRANGE l -9 -6", "LLEN l",
		"LSET l 7 FIVE", "LINDEX l 7",
		"LPOP l 2", "RPOP l 2", "LRANGE l 0 -1", "LPUSH l head", "RPUSH l tail", "LRANGE l 0 -1",
		// LREM.
		"DEL r", "RPUSH r a b a c a d a",
		"LREM r 1 a", "LRANGE r 0 -1", "LREM r -1 a", "LRANGE r 0 -1", "LREM r 0 a", "LRANGE r 0 -1",
		"LREM r 0 nosuch", "LREM r x a", "LREM nosuch 0 a", "LREM r -10 b", "LREM r 0 c", "LREM r 5 d", "EXISTS r",
		"RPUSH r x x y x", "LREM r 2 x", "LRANGE r 0 -1", "LPUSH r y", "LRANGE r 0 -1",
		// LTRIM.
		"DEL t", "RPUSH t 0 1 2 3 4 5 6 7 8 9",
		"LTRIM t 1 -2", "LRANGE t 0 -1", "LTRIM t -3 100", "LRANGE t 0 -1", "LTRIM t 1 1", "LRANGE t 0 -1",
		"LTRIM t 5 3", "EXISTS t", "LTRIM nosuch 0 1", "LTRIM t x 1",
		"RPUSH t 0 1 2 3 4 5 6 7 8 9", "LINSERT t AFTER 4 4b", "LTRIM t 3 7", "LRANGE t 0 -1", "LTRIM t 0 0", "LRANGE t 0 -1",
		// LPOS.
		"DEL p", "RPUSH p a b c 1 2 3 c c",
		"LPOS p c", "LPOS p c RANK 2", "LPOS p c RANK -1", "LPOS p c COUNT 2", "LPOS p c COUNT 0", "LPOS p c RANK -1 COUNT 0",
		"LPOS p c RANK 2 COUNT 0 MAXLEN 7", "LPOS p c MAXLEN 2", "LPOS p c RANK -1 MAXLEN 1", "LPOS p x", "LPOS p x COUNT 1",
		"LPOS nosuch a", "LPOS nosuch a COUNT 1", "LPOS p c RANK 0", "LPOS p c COUNT -1", "LPOS p c MAXLEN -1",
		"LPOS p c RANK x", "LPOS p c foo 1", "LPOS p c RANK", "LPOS p c RANK 10", "LPOS p c RANK -4 COUNT 5",
		"LPOS p c RANK -9223372036854775808", "LPOS p c RANK -9223372036854775808 COUNT 1", "LPOS p c COUNT x",
		// Moves.
		"DEL s d", "RPUSH s a b c",
		"RPOPLPUSH s d", "LMOVE s d LEFT RIGHT", "LRANGE s 0 -1", "LRANGE d 0 -1",
		"LMOVE s s RIGHT LEFT", "LMOVE s s LEFT RIGHT", "LMOVE s s LEFT LEFT", "LRANGE s 0 -1",
		"RPOPLPUSH d d", "LRANGE d 0 -1", "LMOVE s d left left", "EXISTS s", "LRANGE d 0 -1",
		"RPOPLPUSH nosuch d", "LMOVE nosuch d LEFT LEFT", "LMOVE d d MIDDLE LEFT", "LMOVE d d LEFT up",
		"SET str v", "RPOPLPUSH d str", "LRANGE d 0 -1", "RPOPLPUSH nosuch str", "RPOPLPUSH str d",
		// LMPOP.
		"DEL m1 m2", "RPUSH m2 a b c d",
		"LMPOP 2 m1 m2 LEFT", "LMPOP 2 m1 m2 RIGHT COUNT 2", "LMPOP 1 m2 LEFT COUNT 10", "LMPOP 2 m1 m2 LEFT",
		"LMPOP 0 m1 LEFT", "LMPOP x m1 LEFT", "LMPOP 3 m1 LEFT", "LMPOP 1 m1 middle", "LMPOP 1 m1 LEFT COUNT 0",
		"LMPOP 1 m1 LEFT COUNT -1", "LMPOP 1 m1 LEFT COUNT x", "LMPOP 1 m1 LEFT COUNT 1 COUNT 2", "LMPOP 1 m1 LEFT foo",
		"LMPOP 2 m1 str LEFT", "LMPOP 1 str LEFT",
		// Changes keep the key's TTL; LTRIM copying the kept elements too.
		"DEL ttl", "RPUSH ttl a b c d e f g h", "EXPIRE ttl 1000", "LPUSH ttl x", "LSET ttl 0 y", "~2 TTL ttl",
		"LINSERT ttl AFTER y z", "LREM ttl 1 z", "LPOP ttl", "~2 TTL ttl", "LTRIM ttl 0 1", "~2 TTL ttl", "LRANGE ttl 0 -1",
		"RPOPLPUSH ttl ttl", "LMOVE ttl other LEFT LEFT", "~2 TTL ttl", "TTL other",
	)
	// Every command on a key of another type, and arity errors.
	d.run("DEL str", "SET str v", "ZADD zs 1 a")
	for _, line := range []string{
		"LPUSH str a", "RPUSH str a", "LPUSHX str a", "RPUSHX str a", "LPOP str", "RPOP str 2", "LPOP str 0", "LLEN str",
		"LRANGE str 0 -1", "LINDEX str 0", "LSET str 0 a", "LINSERT str BEFORE a b", "LREM str 0 a", "LTRIM str 0 1",
		"LPOS str a", "RPOPLPUSH str d", "LMOVE str d LEFT LEFT", "LMPOP 1 zs LEFT", "LRANGE zs 0 -1",
		"LPUSH", "LPUSH l", "LPOP", "LLEN", "LRANGE l 0", "LINDEX l", "LSET l 0", "LINSERT l BEFORE a", "LREM l 0",
		"LTRIM l 0", "LPOS l", "RPOPLPUSH l", "LMOVE l d LEFT", "LMPOP 1 l",
	} {
		d.run(line)
	}
	if d.failed > 0 {
		t.Fatalf("%d replies differ", d.failed)
	}
}

// zlRandomListCommand returns a random list command over a few keys.
func zlRandomListCommand(r *rand.Rand) string {
	keys := []string{"l1", "l2", "l3", "lstr"}
	key := func() string { return keys[r.IntN(len(keys))] }
	lkey := func() string { return keys[r.IntN(3)] }
	val := func() string { return []string{"a", "b", "c", "d", "\"\""}[r.IntN(5)] }
	idx := func() string { return strconv.Itoa(r.IntN(16) - 8) }
	end := func() string { return []string{"LEFT", "RIGHT"}[r.IntN(2)] }
	switch r.IntN(24) {
	case 0, 1, 2:
		n := 1 + r.IntN(3)
		vs := make([]string, n)
		for i := range vs {
			vs[i] = val()
		}
		return []string{"LPUSH ", "RPUSH "}[r.IntN(2)] + lkey() + " " + strings.Join(vs, " ")
	case 3:
		return []string{"LPUSHX ", "RPUSHX "}[r.IntN(2)] + key() + " " + val()
	case 4, 5:
		c := ""
		if r.IntN(2) == 0 {
			c = " " + strconv.Itoa(r.IntN(4))
		}
		return []string{"LPOP ", "RPOP "}[r.IntN(2)] + key() + c
	case 6:
		return "LLEN " + key()
	case 7, 8:
		return "LRANGE " + key() + " " + idx() + " " + idx()
	case 9:
		return "LINDEX " + key() + " " + idx()
	case 10:
		return "LSET " + key() + " " + idx() + " s" + strconv.Itoa(r.IntN(100))
	case 11, 12, 13:
		return "LINSERT " + key() + " " + []string{"BEFORE", "AFTER"}[r.IntN(2)] + " " + val() + " i" + strconv.Itoa(r.IntN(100))
	case 14:
		return "LREM " + key() + " " + strconv.Itoa(r.IntN(5)-2) + " " + val()
	case 15:
		return "LTRIM " + key() + " " + strconv.Itoa(r.IntN(6)-1) + " " + strconv.Itoa(r.IntN(20)-4)
	case 16:
		line := "LPOS " + key() + " " + val()
		if r.IntN(2) == 0 {
			line += " RANK " + []string{"1", "2", "-1", "-2", "3"}[r.IntN(5)]
		}
		if r.IntN(2) == 0 {
			line += " COUNT " + strconv.Itoa(r.IntN(3))
		}
		if r.IntN(3) == 0 {
			line += " MAXLEN " + strconv.Itoa(r.IntN(6))
		}
		return line
	case 17:
		return "RPOPLPUSH " + key() + " " + key()
	case 18, 19:
		return "LMOVE " + key() + " " + key() + " " + end() + " " + end()
	case 20:
		n := 1 + r.IntN(3)
		ks := make([]string, n)
		for i := range ks {
			ks[i] = key()
		}
		line := fmt.Sprintf("LMPOP %d %s %s", n, strings.Join(ks, " "), end())
		if r.IntN(2) == 0 {
			line += " COUNT " + strconv.Itoa(1+r.IntN(3))
		}
		return line
	case 21:
		return "DEL " + key()
	default:
		return "TYPE " + key()
	}
}

// TestListRandomDifferential runs a random command sequence against titan
// and redis-server and compares every reply.
func TestListRandomDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	seed := zlSeed()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 8))
	d.run("SET lstr x")
	for i := 0; i < 3000 && d.failed == 0; i++ {
		d.run(zlRandomListCommand(r))
		if i%50 == 0 {
			d.run("LRANGE l1 0 -1", "LRANGE l2 0 -1", "LRANGE l3 0 -1")
		}
	}
	if d.failed > 0 {
		t.Fatalf("seed %d: replies differ", seed)
	}
}

// TestListInsertSamePivot makes 2,000 LINSERTs always after the same
// pivot and 2,000 always before it, on titan and on redis-server, and
// compares the lists. The positions between two neighbours run out after
// about 24 inserts, so titan rebalances windows of elements again and
// again. With 10 elements on each side of the pivot, these are the
// smallest sizes that still make every kind of rebalancing: windows of
// 4 and 8 elements a side inside the list, and windows reaching past
// the head (the inserts after the pivot) and past the tail (before it).
// (10,000 of each took minutes, and the MULTI of 10,000 ran past the
// command timeout on a loaded machine.)
func TestListInsertSamePivot(t *testing.T) {
	const n, side = 2000, 10
	env := startDiffEnv(t)
	ctx := context.Background()
	// The BEFORE part is one MULTI of 2,000 LINSERTs, one transaction: on a
	// busy 2-core machine it can take longer than the default 30 s.
	ti := env.ti.Client(func(o *redis.Options) { o.ReadTimeout = 3 * time.Minute })
	rd := redis.NewClient(&redis.Options{Addr: env.redisAddr, Protocol: 2})
	t.Cleanup(func() { rd.Close() })
	var base []any
	for i := 0; i < side; i++ {
		base = append(base, fmt.Sprint("L", i))
	}
	base = append(base, "P")
	for i := 0; i < side; i++ {
		base = append(base, fmt.Sprint("R", i))
	}
	for _, c := range []*redis.Client{ti, rd} {
		if err := c.RPush(ctx, "after", base...).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.RPush(ctx, "before", base...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	// AFTER: one command (and transaction) per insert, pipelined.
	for _, c := range []*redis.Client{ti, rd} {
		for b := 0; b < n; b += 500 {
			pipe := c.Pipeline()
			for i := b; i < b+500; i++ {
				pipe.LInsertAfter(ctx, "after", "P", fmt.Sprint("x", i))
			}
			cmds, err := pipe.Exec(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for j, cmd := range cmds {
				if got := cmd.(*redis.IntCmd).Val(); got != int64(len(base)+b+j+1) {
					t.Fatalf("linsert %d = %d", b+j, got)
				}
			}
		}
	}
	t.Logf("after: %v", time.Since(start))
	start = time.Now()
	// BEFORE: every LINSERT scans past all the elements inserted so far
	// (as in Redis), so the inserts go in one MULTI/EXEC, which titan runs
	// in one transaction whose buffer serves those reads.
	for _, c := range []*redis.Client{ti, rd} {
		_, err := c.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			for i := 0; i < n; i++ {
				pipe.LInsertBefore(ctx, "before", "P", fmt.Sprint("x", i))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("before: %v", time.Since(start))
	for _, key := range []string{"after", "before"} {
		got, err := ti.LRange(ctx, key, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		want, err := rd.LRange(ctx, key, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(base)+n || !slices.Equal(got, want) {
			t.Fatalf("%s: titan has %d elements, redis %d, equal %v", key, len(got), len(want), slices.Equal(got, want))
		}
		// Index lookups in the sparse list, from both ends.
		for _, i := range []int64{0, side - 1, side, side + 1, n / 2, n, n + side, -1, -side, -side - 1, -side - 2} {
			g, err1 := ti.LIndex(ctx, key, i).Result()
			w, err2 := rd.LIndex(ctx, key, i).Result()
			if g != w || err1 != nil || err2 != nil {
				t.Errorf("%s: lindex %d = %q %v, redis %q %v", key, i, g, err1, w, err2)
			}
			gr, _ := ti.LRange(ctx, key, i, i+3).Result()
			wr, _ := rd.LRange(ctx, key, i, i+3).Result()
			if !slices.Equal(gr, wr) {
				t.Errorf("%s: lrange %d %d = %q, redis %q", key, i, i+3, gr, wr)
			}
		}
	}
}
