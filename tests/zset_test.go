package tests

// End-to-end tests of the sorted set commands: a differential table run
// against titan and a real redis-server (byte-exact replies), a random
// differential sequence, and titan-only checks where replies are random
// (ZRANDMEMBER) or ordered differently on purpose (ZSCAN returns members
// in member order, Redis in its hash or listpack order).

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestZSetDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	d.run(
		// ZADD and its options.
		"ZADD z 1 a 2 b 3 c",
		"ZADD z 1 a",
		"ZADD z CH 5 a 2 b 7 d",
		"ZADD z CH 1 x 2 y 3 x",
		"ZADD z NX 100 a 4 e",
		"ZADD z XX 100 a 4 nosuch",
		"ZADD z GT 50 a 200 a",
		"ZADD z GT CH 1 a 300 b",
		"ZADD z LT CH 1 a 300 c",
		"ZADD z XX GT CH 1000 a 1000 new",
		"ZADD z XX LT 1 a",
		"ZRANGE z 0 -1 WITHSCORES",
		"ZADD z INCR 5 a",
		"ZADD z INCR NX 5 a",
		"ZADD z INCR XX 5 nosuch",
		"ZADD z INCR GT -1 a",
		"ZADD z INCR LT -1 a",
		"ZADD z INCR 2.5 brandnew",
		"ZADD z nx xx 1 a",
		"ZADD z gt lt 1 a",
		"ZADD z nx gt 1 a",
		"ZADD z nx lt 1 a",
		"ZADD z incr 1 a 2 b",
		"ZADD z 1",
		"ZADD z 1 a 2",
		"ZADD z incr 1",
		"ZADD z nan a",
		"ZADD z x a",
		"ZADD z \"\" a",
		"ZADD z \" 1\" a",
		"ZADD z 1e400 a",
		"ZADD z 0x10 hex",
		"ZADD z infinity inf1 -inf ninf +inf pinf",
		"ZADD z 1 a incr nx",
		"ZADD zi 0.1 a 1e20 b 3.0 c 1.5e-7 d 123456789012345678 e -0 f 1e300 g 0.30000000000000004 h 1e16 i 1e17 j 12345678.9 k",
		"ZRANGE zi 0 -1 WITHSCORES",
		"ZSCORE zi f",
		"ZADD zinf +inf a",
		"ZADD zinf INCR -inf a",
		"ZINCRBY zinf -inf a",
		"ZINCRBY zinf 1 a",
		"ZINCRBY zinf nan a",
		"ZINCRBY zinf x a",
		"ZINCRBY znew 1.5 m",
		"ZINCRBY znew 0 m",
		"ZINCRBY znew -1.5 m",
		"ZSCORE znew m",
		// Reads.
		"ZCARD z", "ZCARD nosuch",
		"ZSCORE z a", "ZSCORE z nosuch", "ZSCORE nosuch a",
		"ZMSCORE z a nosuch b", "ZMSCORE nosuch a b",
		"ZRANK z a", "ZRANK z nosuch", "ZRANK nosuch a", "ZREVRANK z a", "ZREVRANK z x",
		"ZRANK z a WITHSCORE", "ZREVRANK z a withscore", // Redis 7.2's option: titan presents 7.0
		"ZCOUNT z -inf +inf", "ZCOUNT z (1 5", "ZCOUNT z 5 (1", "ZCOUNT z (3 (3", "ZCOUNT z 3 3",
		"ZCOUNT z a b", "ZCOUNT nosuch a b", "ZCOUNT nosuch 1 2", "ZCOUNT z \"\" (", "ZCOUNT z \" 1\" 0x10",
		"ZCOUNT z nan 1", "ZCOUNT z (nan 1", "ZCOUNT z 1e400 -1e400",
	)
	d.run(
		"DEL z",
		"ZADD z 1 a 2 b 3 c 4 d 5 e 6 f",
		// ZRANGE by rank.
		"ZRANGE z 0 -1", "ZRANGE z 0 -1 WITHSCORES", "ZRANGE z 2 3", "ZRANGE z -2 -1", "ZRANGE z -100 1",
		"ZRANGE z 3 100", "ZRANGE z 4 2", "ZRANGE z 10 20", "ZRANGE z 0 -1 REV", "ZRANGE z 1 2 REV WITHSCORES",
		"ZRANGE z 0 -1 LIMIT 0 1", "ZRANGE z 0 -1 LIMIT 0 -1", "ZRANGE z 0 -1 LIMIT 0", "ZRANGE z a 1",
		"ZRANGE z 0 -1 foo", "ZRANGE nosuch 0 -1", "ZRANGE z 0 -1 REV REV",
		"ZREVRANGE z 0 1", "ZREVRANGE z 0 -1 WITHSCORES", "ZREVRANGE z 0 -1 LIMIT 0 1", "ZREVRANGE z 0 -1 REV",
		// By score.
		"ZRANGE z 2 4 BYSCORE", "ZRANGE z (2 4 BYSCORE WITHSCORES", "ZRANGE z 2 (4 BYSCORE", "ZRANGE z -inf +inf BYSCORE LIMIT 1 2",
		"ZRANGE z -inf +inf BYSCORE LIMIT 1 -1", "ZRANGE z -inf +inf BYSCORE LIMIT -1 2", "ZRANGE z -inf +inf BYSCORE LIMIT 2 0",
		"ZRANGE z 4 2 BYSCORE REV", "ZRANGE z (4 2 BYSCORE REV LIMIT 1 5 WITHSCORES", "ZRANGE z 2 4 BYSCORE REV",
		"ZRANGE z a b BYSCORE", "ZRANGE z 1 2 BYSCORE BYLEX",
		"ZRANGEBYSCORE z 2 4", "ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 2 2", "ZRANGEBYSCORE z 1 x",
		"ZRANGEBYSCORE z 0 1 REV", "ZRANGEBYSCORE z 0 1 BYSCORE", "ZRANGEBYSCORE z 3 1", "ZRANGEBYSCORE z (3 3",
		"ZREVRANGEBYSCORE z 4 2", "ZREVRANGEBYSCORE z 2 4", "ZREVRANGEBYSCORE z +inf -inf WITHSCORES LIMIT 1 3",
		"ZREVRANGEBYSCORE z (5 (1",
		// By member.
		"DEL lex",
		"ZADD lex 0 a 0 b 0 c 0 d 0 e 0 f 0 ff 0 g \"\"",
		"ZRANGE lex [b [d BYLEX", "ZRANGE lex (b (d BYLEX", "ZRANGE lex - + BYLEX", "ZRANGE lex - + BYLEX LIMIT 2 3",
		"ZRANGE lex + - BYLEX REV", "ZRANGE lex [f - BYLEX REV LIMIT 1 2", "ZRANGE lex [f [f BYLEX", "ZRANGE lex (f [f BYLEX",
		"ZRANGE lex [ [b BYLEX", "ZRANGE lex ( [b BYLEX", "ZRANGE lex - - BYLEX", "ZRANGE lex + + BYLEX", "ZRANGE lex + - BYLEX",
		"ZRANGE lex a c BYLEX", "ZRANGE lex [a +a BYLEX", "ZRANGE lex - + BYLEX WITHSCORES",
		"ZRANGEBYLEX lex [b (e", "ZRANGEBYLEX lex - + LIMIT 0 2", "ZRANGEBYLEX lex [c +", "ZRANGEBYLEX lex [c + REV",
		"ZREVRANGEBYLEX lex + [c", "ZREVRANGEBYLEX lex (e (b LIMIT 1 1", "ZREVRANGEBYLEX lex [b [e",
		"ZLEXCOUNT lex - +", "ZLEXCOUNT lex [b [d", "ZLEXCOUNT lex (b (d", "ZLEXCOUNT lex [z +", "ZLEXCOUNT lex a +",
		"ZLEXCOUNT nosuch - +", "ZLEXCOUNT lex + -",
		// Lex ranges over mixed scores follow Redis's listpack walk.
		"DEL mixed",
		"ZADD mixed 1 d 2 a 3 c 4 b 5 e",
		"ZRANGEBYLEX mixed [b [d", "ZRANGEBYLEX mixed - [c", "ZRANGEBYLEX mixed [c +", "ZREVRANGEBYLEX mixed [d [b",
		"ZRANGEBYLEX mixed [a [z LIMIT 1 2", "ZLEXCOUNT mixed [b [d", "ZLEXCOUNT mixed - +",
		// ZRANGESTORE.
		"ZRANGESTORE dst z 1 3", "ZRANGE dst 0 -1 WITHSCORES", "ZRANGESTORE dst z (2 +inf BYSCORE LIMIT 0 2",
		"ZRANGE dst 0 -1 WITHSCORES", "ZRANGESTORE dst lex [b [d BYLEX REV", "ZRANGE dst 0 -1 WITHSCORES",
		"ZRANGESTORE dst z 10 20", "EXISTS dst", "ZRANGESTORE dst nosuch 0 -1", "ZRANGESTORE dst z 0 -1 WITHSCORES",
		"ZRANGESTORE dst z 0 -1 bylex", "SET str x", "ZRANGESTORE str z 0 0", "TYPE str", "ZRANGESTORE z z 0 1",
		"ZRANGE z 0 -1 WITHSCORES",
	)
	d.run(
		"DEL z lex",
		"ZADD z 1 a 2 b 3 c 4 d 5 e 6 f",
		"ZADD lex 0 a 0 b 0 c 0 d 0 e",
		"ZREMRANGEBYRANK z 0 0", "ZREMRANGEBYRANK z -2 -1", "ZREMRANGEBYRANK z 5 10", "ZRANGE z 0 -1",
		"ZREMRANGEBYRANK z a 1", "ZREMRANGEBYRANK nosuch 0 -1",
		"ZREMRANGEBYSCORE z (2 3", "ZREMRANGEBYSCORE z x 1", "ZREMRANGEBYSCORE nosuch 0 1", "ZRANGE z 0 -1 WITHSCORES",
		"ZREMRANGEBYSCORE z -inf +inf", "EXISTS z",
		"ZREMRANGEBYLEX lex [b (d", "ZREMRANGEBYLEX lex a b", "ZRANGE lex 0 -1", "ZREMRANGEBYLEX lex - +", "EXISTS lex",
		// Pops.
		"ZADD z 1 a 2 b 3 c 4 d 5 e",
		"ZPOPMIN z", "ZPOPMAX z", "ZPOPMIN z 2", "ZPOPMAX z 0", "ZPOPMIN z -1", "ZPOPMIN z x", "ZPOPMIN z 1 2",
		"ZPOPMAX z 10", "EXISTS z", "ZPOPMIN z", "ZPOPMAX nosuch 3",
		"ZADD z 1 a 2 b 3 c",
		"ZMPOP 1 z MIN", "ZMPOP 2 nosuch z MAX COUNT 5", "ZMPOP 1 z MIN", "ZMPOP 0 z MIN", "ZMPOP x z MIN",
		"ZMPOP 2 z MIN", "ZMPOP 1 z middle", "ZMPOP 1 z MIN COUNT 0", "ZMPOP 1 z MIN COUNT x", "ZMPOP 1 z MIN COUNT 1 COUNT 2",
		"ZMPOP 1 z MIN foo", "ZMPOP 1 z MIN COUNT",
		// Removal.
		"ZADD z 1 a 2 b 3 c",
		"ZREM z a nosuch a", "ZREM z nosuch", "ZREM nosuch a", "ZREM z b c", "EXISTS z",
	)
	d.run(
		"DEL a b c s str",
		"ZADD a 1 x 2 y 3 z",
		"ZADD b 10 y 20 z 30 w",
		"SADD s x w v",
		"SET str v",
		"ZUNION 2 a b", "ZUNION 2 a b WITHSCORES", "ZUNION 2 a b WEIGHTS 2 0.5 WITHSCORES",
		"ZUNION 2 a b AGGREGATE MIN WITHSCORES", "ZUNION 2 a b AGGREGATE max WITHSCORES",
		"ZUNION 3 a s nosuch WITHSCORES", "ZUNION 1 nosuch", "ZUNION 1 nosuch WITHSCORES",
		"ZUNION 0 a", "ZUNION -1 a", "ZUNION x a", "ZUNION 3 a b", "ZUNION 2 a str", "ZUNION 2 a str WEIGHTS x",
		"ZUNION 2 a b WEIGHTS 1", "ZUNION 2 a b WEIGHTS 1 x", "ZUNION 2 a b AGGREGATE foo", "ZUNION 2 a b AGGREGATE",
		"ZUNION 2 a b foo", "ZUNION 2 a b WITHSCORES WITHSCORES",
		"ZINTER 2 a b WITHSCORES", "ZINTER 2 b a WEIGHTS 1 100 AGGREGATE MAX WITHSCORES", "ZINTER 2 b s WITHSCORES",
		"ZINTER 2 a nosuch", "ZINTER 1 a", "ZINTER 0 a", "ZINTER 2 a str",
		"ZDIFF 2 a b WITHSCORES", "ZDIFF 3 a s nosuch WITHSCORES", "ZDIFF 1 b", "ZDIFF 2 nosuch a", "ZDIFF 2 a b WEIGHTS 1 1",
		"ZDIFF 2 a b AGGREGATE SUM", "ZDIFF 2 str a",
		"ZUNIONSTORE dst 2 a b", "ZRANGE dst 0 -1 WITHSCORES", "ZUNIONSTORE dst 2 a b WEIGHTS 1 -1 AGGREGATE MIN",
		"ZRANGE dst 0 -1 WITHSCORES", "ZUNIONSTORE dst 2 a b WITHSCORES", "ZUNIONSTORE dst 0 a",
		"ZINTERSTORE dst 2 a b", "ZRANGE dst 0 -1 WITHSCORES", "ZINTERSTORE dst 2 a nosuch", "EXISTS dst",
		"ZINTERSTORE dst 1 a WITHSCORES", "ZINTERSTORE str 2 a b", "TYPE str", "ZRANGE str 0 -1 WITHSCORES",
		"ZDIFFSTORE dst 2 a b", "ZRANGE dst 0 -1 WITHSCORES", "ZDIFFSTORE dst 2 a a", "EXISTS dst",
		"ZDIFFSTORE a 2 a b", "ZRANGE a 0 -1 WITHSCORES",
		"ZINTERCARD 2 b s", "ZINTERCARD 1 b LIMIT 2", "ZINTERCARD 1 b LIMIT 0", "ZINTERCARD 2 b nosuch",
		"ZINTERCARD 0 b", "ZINTERCARD 2 b", "ZINTERCARD x b", "ZINTERCARD 1 b LIMIT x", "ZINTERCARD 1 b LIMIT -1",
		"ZINTERCARD 1 b LIMIT", "ZINTERCARD 1 b WITHSCORES", "ZINTERCARD 2 b str",
		// Infinities and NaN in aggregation.
		"DEL inf",
		"ZADD inf +inf x -inf y 5 z",
		"ZUNION 2 inf inf WEIGHTS 1 -1 WITHSCORES", "ZUNION 1 inf WEIGHTS 0 WITHSCORES", "ZINTER 2 inf inf WITHSCORES",
		"ZUNION 2 inf inf AGGREGATE MIN WEIGHTS 1 -1 WITHSCORES",
		// Negative zeros: computed replies keep them, stored scores do not.
		"DEL v w u",
		"ZADD v 0 a 3 b -0 c",
		"ZRANGE v 0 -1 WITHSCORES", "ZSCORE v c",
		"ZUNION 1 v WEIGHTS -1 WITHSCORES", "ZINTER 2 v v WEIGHTS -1 -1 WITHSCORES", "ZDIFF 1 v WITHSCORES",
		"ZUNIONSTORE u 1 v WEIGHTS -1", "ZRANGE u 0 -1 WITHSCORES", "ZMSCORE u a c",
		"ZINCRBY w -0 a", "ZSCORE w a", "ZADD w INCR -0 b", "ZINCRBY w -0 a", "ZADD w INCR -0 a",
		// Changes keep the key's TTL; a STORE replaces the key without one.
		"DEL zt", "ZADD zt 1 a 2 b 3 c", "EXPIRE zt 1000", "ZADD zt 4 d", "ZINCRBY zt 1 a", "ZREM zt b", "~2 TTL zt",
		"ZPOPMIN zt", "ZREMRANGEBYRANK zt 0 0", "~2 TTL zt", "ZUNIONSTORE zt 2 zt a", "TTL zt",
	)
	// Every command on a key of another type, and arity errors.
	d.run("DEL str", "SET str v", "RPUSH list a")
	for _, line := range []string{
		"ZADD str 1 a", "ZADD str XX 1 a", "ZINCRBY str 1 a", "ZREM str a", "ZCARD str", "ZSCORE str a", "ZMSCORE str a",
		"ZRANK str a", "ZREVRANK str a", "ZCOUNT str 0 1", "ZLEXCOUNT str - +", "ZRANGE str 0 -1", "ZRANGEBYSCORE str 0 1",
		"ZREVRANGEBYSCORE str 1 0", "ZRANGEBYLEX str - +", "ZREVRANGEBYLEX str + -", "ZREVRANGE str 0 1",
		"ZRANGESTORE dst str 0 -1", "ZREMRANGEBYRANK str 0 1", "ZREMRANGEBYSCORE str 0 1", "ZREMRANGEBYLEX str - +",
		"ZPOPMIN str", "ZPOPMAX str 2", "ZMPOP 1 str MIN", "ZRANDMEMBER str", "ZRANDMEMBER str 0", "ZRANDMEMBER str 2 WITHSCORES",
		"ZUNION 1 str", "ZINTER 1 list", "ZDIFF 1 list", "ZUNIONSTORE dst 1 str", "ZINTERCARD 1 str", "ZSCAN str 0",
		"ZSCAN list 0 COUNT x",
		"ZADD", "ZADD z", "ZINCRBY z 1", "ZREM z", "ZCARD", "ZSCORE z", "ZMSCORE z", "ZRANK z", "ZCOUNT z 1",
		"ZRANGE z 1", "ZRANGESTORE d z 1", "ZPOPMIN", "ZMPOP 1 z", "ZRANDMEMBER", "ZUNION 1", "ZUNIONSTORE d 1",
		"ZINTERCARD 1", "ZSCAN z", "ZREMRANGEBYRANK z 1",
	} {
		d.run(line)
	}
	d.run("ZRANDMEMBER nosuch", "ZRANDMEMBER nosuch 3", "ZRANDMEMBER nosuch 3 WITHSCORES", "ZRANDMEMBER z x",
		"ZRANDMEMBER z 1 foo", "ZRANDMEMBER z -9223372036854775808", "ZRANDMEMBER z -4611686018427387904 WITHSCORES",
		"ZSCAN nosuch 0", "ZSCAN nosuch 0 COUNT x", "ZSCAN z x")
	// Small sorted sets are scanned whole in one call, in score order in
	// Redis and member order in titan: compare one-member sets.
	d.run("DEL one", "ZADD one 5 m", "ZSCAN one 0", "ZSCAN one 0 MATCH m*", "ZSCAN one 0 MATCH x*",
		"ZSCAN one 0 COUNT 0", "ZSCAN one 0 COUNT x", "ZSCAN one 0 foo", "ZSCAN one 0 MATCH")
	if d.failed > 0 {
		t.Fatalf("%d replies differ", d.failed)
	}
}

// zlRandomZSetCommand returns a random sorted set command over a few keys
// and members, and whether its reply is an unordered array.
func zlRandomZSetCommand(r *rand.Rand) string {
	keys := []string{"z1", "z2", "z3", "zs", "zstr"}
	key := func() string { return keys[r.IntN(len(keys))] }
	zkey := func() string { return keys[r.IntN(3)] }
	member := func() string { return string(rune('a' + r.IntN(8))) }
	score := func() string {
		return []string{"0", "1", "2", "3", "-1", "1.5", "2.5", "-inf", "+inf", "10", "4", "5"}[r.IntN(12)]
	}
	bound := func() string {
		b := []string{"0", "1", "2", "3", "-1", "1.5", "-inf", "+inf", "10", "4"}[r.IntN(10)]
		if r.IntN(3) == 0 {
			b = "(" + b
		}
		return b
	}
	lexBound := func() string {
		switch r.IntN(8) {
		case 0:
			return "-"
		case 1:
			return "+"
		}
		return []string{"[", "("}[r.IntN(2)] + member()
	}
	idx := func() string { return strconv.Itoa(r.IntN(12) - 6) }
	opt := func(p int, s string) string {
		if r.IntN(p) == 0 {
			return " " + s
		}
		return ""
	}
	limit := func() string {
		if r.IntN(3) == 0 {
			return fmt.Sprintf(" LIMIT %d %d", r.IntN(4)-1, r.IntN(5)-1)
		}
		return ""
	}
	keyList := func() string {
		n := 1 + r.IntN(3)
		ks := make([]string, n)
		for i := range ks {
			ks[i] = key()
		}
		return fmt.Sprintf("%d %s", n, strings.Join(ks, " "))
	}
	weights := func(line string) string {
		n, _ := strconv.Atoi(strings.Fields(line)[0])
		if r.IntN(3) != 0 {
			return ""
		}
		w := make([]string, n)
		for i := range w {
			w[i] = []string{"1", "2", "0", "-1", "0.5"}[r.IntN(5)]
		}
		return " WEIGHTS " + strings.Join(w, " ")
	}
	agg := func() string {
		if r.IntN(3) != 0 {
			return ""
		}
		return " AGGREGATE " + []string{"SUM", "MIN", "MAX"}[r.IntN(3)]
	}
	switch r.IntN(34) {
	case 0, 1, 2:
		n := 1 + r.IntN(3)
		var pairs []string
		for i := 0; i < n; i++ {
			pairs = append(pairs, score(), member())
		}
		flags := ""
		switch r.IntN(6) {
		case 0:
			flags = " NX"
		case 1:
			flags = " XX"
		case 2:
			flags = " GT"
		case 3:
			flags = " LT CH"
		}
		return "ZADD " + zkey() + flags + opt(4, "CH") + " " + strings.Join(pairs, " ")
	case 3:
		return "ZADD " + zkey() + " INCR" + opt(3, []string{"NX", "XX", "GT", "LT"}[r.IntN(4)]) + " " + score() + " " + member()
	case 4:
		return "ZINCRBY " + zkey() + " " + score() + " " + member()
	case 5:
		return "ZREM " + key() + " " + member() + " " + member()
	case 6:
		return "ZCARD " + key()
	case 7:
		return "ZSCORE " + key() + " " + member()
	case 8:
		return "ZMSCORE " + key() + " " + member() + " " + member()
	case 9:
		return []string{"ZRANK ", "ZREVRANK "}[r.IntN(2)] + key() + " " + member()
	case 10:
		return "ZCOUNT " + key() + " " + bound() + " " + bound()
	case 11:
		return "ZLEXCOUNT " + key() + " " + lexBound() + " " + lexBound()
	case 12, 13:
		return "ZRANGE " + key() + " " + idx() + " " + idx() + opt(2, "REV") + opt(2, "WITHSCORES")
	case 14, 15:
		return "ZRANGE " + key() + " " + bound() + " " + bound() + " BYSCORE" + opt(2, "REV") + limit() + opt(2, "WITHSCORES")
	case 16:
		return "ZRANGE " + key() + " " + lexBound() + " " + lexBound() + " BYLEX" + opt(2, "REV") + limit()
	case 17:
		return []string{"ZRANGEBYSCORE ", "ZREVRANGEBYSCORE "}[r.IntN(2)] + key() + " " + bound() + " " + bound() + opt(2, "WITHSCORES") + limit()
	case 18:
		return []string{"ZRANGEBYLEX ", "ZREVRANGEBYLEX "}[r.IntN(2)] + key() + " " + lexBound() + " " + lexBound() + limit()
	case 19:
		return "ZREVRANGE " + key() + " " + idx() + " " + idx() + opt(2, "WITHSCORES")
	case 20:
		return "ZRANGESTORE " + key() + " " + key() + " " + bound() + " " + bound() + " BYSCORE" + opt(2, "REV") + limit()
	case 21:
		return "ZREMRANGEBYRANK " + key() + " " + idx() + " " + idx()
	case 22:
		return "ZREMRANGEBYSCORE " + key() + " " + bound() + " " + bound()
	case 23:
		return "ZREMRANGEBYLEX " + key() + " " + lexBound() + " " + lexBound()
	case 24:
		return []string{"ZPOPMIN ", "ZPOPMAX "}[r.IntN(2)] + key() + opt(2, strconv.Itoa(r.IntN(4)))
	case 25:
		return "ZMPOP " + keyList() + " " + []string{"MIN", "MAX"}[r.IntN(2)] + opt(2, "COUNT "+strconv.Itoa(1+r.IntN(3)))
	case 26, 27:
		kl := keyList()
		cmd := []string{"ZUNION ", "ZINTER "}[r.IntN(2)]
		return cmd + kl + weights(kl) + agg() + opt(2, "WITHSCORES")
	case 28:
		return "ZDIFF " + keyList() + opt(2, "WITHSCORES")
	case 29:
		kl := keyList()
		cmd := []string{"ZUNIONSTORE ", "ZINTERSTORE "}[r.IntN(2)]
		return cmd + zkey() + " " + kl + weights(kl) + agg()
	case 30:
		return "ZDIFFSTORE " + zkey() + " " + keyList()
	case 31:
		return "ZINTERCARD " + keyList() + opt(2, "LIMIT "+strconv.Itoa(r.IntN(3)))
	case 32:
		return "SADD zs " + member()
	default:
		if r.IntN(4) == 0 {
			return "DEL " + key()
		}
		return "TYPE " + key()
	}
}

// TestZSetRandomDifferential runs a random command sequence against titan
// and redis-server and compares every reply.
func TestZSetRandomDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	seed := zlSeed()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	d.run("SET zstr x")
	for i := 0; i < 3000 && d.failed == 0; i++ {
		line := zlRandomZSetCommand(r)
		d.run(line)
		if d.failed > 0 {
			for _, k := range []string{"z1", "z2", "z3", "zs", "zstr"} {
				tr, rr := d.both("ZRANGE", k, 0, -1, "WITHSCORES")
				t.Logf("%s: titan %s, redis %s", k, tr, rr)
			}
		}
		if i%50 == 0 {
			// Full contents, with scores.
			d.run("ZRANGE z1 0 -1 WITHSCORES", "ZRANGE z2 0 -1 WITHSCORES", "ZRANGE z3 0 -1 WITHSCORES")
		}
	}
	if d.failed > 0 {
		t.Fatalf("seed %d: replies differ", seed)
	}
}

// zlSeed returns the seed of a random test: $ZL_SEED, or the time.
func zlSeed() uint64 {
	if s, err := strconv.ParseUint(os.Getenv("ZL_SEED"), 10, 64); err == nil {
		return s
	}
	return uint64(time.Now().UnixNano())
}

// zlScanAll collects a ZSCAN iteration into member -> score.
func zlScanAll(t *testing.T, c *redis.Client, key string, count int64, match string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	cursor := uint64(0)
	for calls := 0; ; calls++ {
		items, next, err := c.ZScan(ctx, key, cursor, match, count).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(items)%2 != 0 {
			t.Fatalf("zscan returned %d items", len(items))
		}
		for i := 0; i < len(items); i += 2 {
			out[items[i]] = items[i+1]
		}
		if next == 0 {
			return out
		}
		if calls > 100000 {
			t.Fatal("zscan does not end")
		}
		cursor = next
	}
}

func TestZSetScanAndRandom(t *testing.T) {
	env := startDiffEnv(t)
	ctx := context.Background()
	ti := env.ti.Client()
	rd := redis.NewClient(&redis.Options{Addr: env.redisAddr, Protocol: 2})
	t.Cleanup(func() { rd.Close() })
	for _, size := range []int{5, 1000} {
		key := fmt.Sprint("scan", size)
		var zs []redis.Z
		for i := 0; i < size; i++ {
			zs = append(zs, redis.Z{Score: float64(i) / 8, Member: fmt.Sprintf("member:%d", i)})
		}
		for _, c := range []*redis.Client{ti, rd} {
			if err := c.ZAdd(ctx, key, zs...).Err(); err != nil {
				t.Fatal(err)
			}
		}
		for _, match := range []string{"", "member:1*"} {
			got, want := zlScanAll(t, ti, key, 37, match), zlScanAll(t, rd, key, 37, match)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("zscan %s match %q: %d members, redis %d", key, match, len(got), len(want))
			}
		}
		// A small set is returned whole, as Redis does.
		if size <= 128 {
			items, next, err := ti.ZScan(ctx, key, 0, "", 1).Result()
			if err != nil || next != 0 || len(items) != 2*size {
				t.Errorf("zscan of a small set: %d items, cursor %d, %v", len(items), next, err)
			}
		}
		// ZRANDMEMBER: sizes and membership, compared with Redis.
		for _, count := range []int64{1, 3, int64(size), int64(size) + 3, -1, -4, -int64(size) - 10} {
			got, err := ti.ZRandMemberWithScores(ctx, key, int(count)).Result()
			if err != nil {
				t.Fatal(err)
			}
			want, err := rd.ZRandMemberWithScores(ctx, key, int(count)).Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("zrandmember %s %d: %d members, redis %d", key, count, len(got), len(want))
			}
			seen := map[string]bool{}
			for _, z := range got {
				m := z.Member.(string)
				var i int
				if _, err := fmt.Sscanf(m, "member:%d", &i); err != nil || z.Score != float64(i)/8 {
					t.Errorf("zrandmember returned %v", z)
				}
				if count > 0 && seen[m] {
					t.Errorf("zrandmember %d repeated %s", count, m)
				}
				seen[m] = true
			}
		}
		picks := map[string]bool{}
		for i := 0; i < 30; i++ {
			m, err := ti.ZRandMember(ctx, key, 1).Result()
			if err != nil || len(m) != 1 {
				t.Fatal(m, err)
			}
			picks[m[0]] = true
		}
		if len(picks) < min(size, 30)/3 {
			t.Errorf("30 random picks from %d members: only %d distinct", size, len(picks))
		}
		m, err := ti.Do(ctx, "ZRANDMEMBER", key).Text()
		if err != nil || !strings.HasPrefix(m, "member:") {
			t.Errorf("zrandmember without count = %q, %v", m, err)
		}
	}
	if err := ti.Do(ctx, "ZRANDMEMBER", "scan5", "-100000000").Err(); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("zrandmember with a huge negative count: %v", err)
	}
}

// TestZSetLarge checks ranges and ranks over a sorted set large enough
// that counts read from both ends and ranges skip far, against Redis.
func TestZSetLarge(t *testing.T) {
	env := startDiffEnv(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(11, 12))
	rd := redis.NewClient(&redis.Options{Addr: env.redisAddr, Protocol: 2})
	t.Cleanup(func() { rd.Close() })
	var big, biglex []redis.Z
	for i := 0; i < 3000; i++ {
		big = append(big, redis.Z{Score: float64(i % 700), Member: fmt.Sprintf("m%05d", i)})
		biglex = append(biglex, redis.Z{Score: 0, Member: fmt.Sprintf("m%05d", i)})
	}
	for _, c := range []*redis.Client{env.ti.Client(), rd} {
		if err := c.ZAdd(ctx, "big", big...).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.ZAdd(ctx, "biglex", biglex...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	d := env.differ(t)
	for i := 0; i < 60; i++ {
		m := fmt.Sprintf("m%05d", r.IntN(3000))
		a, b := r.IntN(3200)-100, r.IntN(3200)-100
		d.run(
			"ZRANK big "+m, "ZREVRANK big "+m, "ZRANK biglex "+m,
			fmt.Sprintf("ZCOUNT big %d (%d", a/5, b/5),
			fmt.Sprintf("ZLEXCOUNT biglex [m%05d (m%05d", a, b),
			fmt.Sprintf("ZRANGE big %d %d", a, a+5),
			fmt.Sprintf("ZRANGE big %d %d REV WITHSCORES", -a, -a+3),
			fmt.Sprintf("ZRANGE big %d +inf BYSCORE LIMIT 100 3 WITHSCORES", a/5),
			fmt.Sprintf("ZRANGE biglex [m%05d + BYLEX LIMIT 10 3", a),
			fmt.Sprintf("ZRANGE biglex (m%05d - BYLEX REV LIMIT 0 2", b),
		)
	}
	d.run("ZCARD big", "ZREMRANGEBYRANK big 100 2800", "ZRANGE big 0 -1 WITHSCORES", "ZCARD big")
	if d.failed > 0 {
		t.Fatalf("%d replies differ", d.failed)
	}
}
