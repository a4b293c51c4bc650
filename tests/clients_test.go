package tests

// Real client libraries speaking RESP3 to titan: go-redis v9 with
// Protocol: 3, rueidis (RESP3 only) and node-redis v5 with RESP: 3 (node
// and npm needed; the test installs node-redis into the user cache). Each runs the same mixed session
// (strings, hashes, sets, sorted sets, pipelines, MULTI) against titan
// and redis-server, typed as the library decodes RESP3, and the two
// transcripts must agree. rueidis runs with client-side caching disabled:
// titan has no CLIENT TRACKING yet.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
)

// goRedisSession is a mixed session through go-redis's typed API over
// RESP3; each step adds a line to the transcript.
func goRedisSession(t *testing.T, c *redis.Client) []string {
	ctx := context.Background()
	var out []string
	log := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	c.FlushAll(ctx)

	log("hello proto: %v", c.Do(ctx, "hello").Val().(map[any]any)["proto"])
	log("set %v", c.Set(ctx, "s", "v", time.Minute).Val())
	log("get %q", c.Get(ctx, "s").Val())
	_, err := c.Get(ctx, "nosuch").Result()
	log("get nosuch %v", err)
	log("incrbyfloat %v", c.IncrByFloat(ctx, "f", 1.25).Val())
	log("mget %v", c.MGet(ctx, "s", "nosuch", "f").Val())

	c.HSet(ctx, "h", "a", "1", "b", "2", "c", "3")
	log("hgetall %v", c.HGetAll(ctx, "h").Val())
	log("hrandfield withvalues %d", len(c.HRandFieldWithValues(ctx, "h", 2).Val()))
	log("hincrbyfloat %v", c.HIncrByFloat(ctx, "h", "a", 0.5).Val())

	c.SAdd(ctx, "s1", "a", "b", "c")
	c.SAdd(ctx, "s2", "b", "c", "d")
	sorted := func(ss []string) []string { sort.Strings(ss); return ss }
	log("smembers %v", sorted(c.SMembers(ctx, "s1").Val()))
	log("smembersmap %d", len(c.SMembersMap(ctx, "s1").Val()))
	log("sinter %v", sorted(c.SInter(ctx, "s1", "s2").Val()))
	log("sunion %v", sorted(c.SUnion(ctx, "s1", "s2").Val()))
	log("sdiff %v", sorted(c.SDiff(ctx, "s1", "s2").Val()))
	log("smismember %v", c.SMIsMember(ctx, "s1", "a", "z").Val())
	log("spop n %d", len(c.SPopN(ctx, "s2", 2).Val()))

	c.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2.5, Member: "b"}, redis.Z{Score: 3, Member: "c"})
	log("zscore %v", c.ZScore(ctx, "z", "b").Val())
	log("zmscore %v", c.ZMScore(ctx, "z", "a", "nosuch", "c").Val())
	log("zincrby %v", c.ZIncrBy(ctx, "z", 0.25, "a").Val())
	log("zrange withscores %v", c.ZRangeWithScores(ctx, "z", 0, -1).Val())
	log("zrevrangebyscore withscores %v", c.ZRevRangeByScoreWithScores(ctx, "z", &redis.ZRangeBy{Min: "-inf", Max: "+inf"}).Val())
	log("zrandmember withscores %d", len(c.ZRandMemberWithScores(ctx, "z", 2).Val()))
	log("zunion withscores %v", c.ZUnionWithScores(ctx, redis.ZStore{Keys: []string{"z", "z"}}).Val())
	log("zpopmin %v", c.ZPopMin(ctx, "z").Val())
	log("zpopmax 2 %v", c.ZPopMax(ctx, "z", 2).Val())
	c.ZAdd(ctx, "z", redis.Z{Score: 7, Member: "m"})
	k, zs, err := c.ZMPop(ctx, "min", 5, "nosuch", "z").Result()
	log("zmpop %v %v %v", k, zs, err)

	c.RPush(ctx, "l", "a", "b", "c")
	log("lrange %v", c.LRange(ctx, "l", 0, -1).Val())
	log("lpos %v", c.LPos(ctx, "l", "b", redis.LPosArgs{}).Val())
	k, vs, err := c.LMPop(ctx, "left", 2, "nosuch", "l").Result()
	log("lmpop %v %v %v", k, vs, err)

	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "p1", "1", 0)
		p.Incr(ctx, "p1")
		p.HGetAll(ctx, "h")
		p.ZRangeWithScores(ctx, "nosuch", 0, -1)
		p.SMembers(ctx, "nosuch")
		return nil
	})
	log("pipeline err %v", err)
	for _, cmd := range cmds {
		log("pipeline %s", cmd.String())
	}
	tx, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "p1")
		p.ZScore(ctx, "nosuch", "m")
		p.HGetAll(ctx, "h")
		return nil
	})
	log("multi err %v", err)
	for _, cmd := range tx {
		log("multi %s", cmd.String())
	}
	info, err := c.ClientInfo(ctx).Result()
	log("client info %v db=%d resp=%d", err, info.DB, info.Resp)
	cfg := c.ConfigGet(ctx, "databases").Val()
	log("config get %v", cfg)
	return out
}

// TestGoRedisRESP3 runs goRedisSession with Protocol: 3 on titan and on
// redis-server.
func TestGoRedisRESP3(t *testing.T) {
	env := startDiffEnv(t)
	opts := func(addr string) *redis.Options {
		return &redis.Options{Addr: addr, Protocol: 3, MaxRetries: -1, PoolSize: 2, ReadTimeout: 30 * time.Second}
	}
	tc := redis.NewClient(opts(env.ti.Addr))
	rc := redis.NewClient(opts(env.redisAddr))
	t.Cleanup(func() { tc.Close(); rc.Close() })
	compareTranscripts(t, goRedisSession(t, rc), goRedisSession(t, tc))
}

func compareTranscripts(t *testing.T, want, got []string) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("transcripts of %d and %d lines:\n    redis: %v\n    titan: %v", len(want), len(got), want, got)
	}
	for i := range want {
		if want[i] != got[i] {
			t.Errorf("step %d:\n    redis: %s\n    titan: %s", i, want[i], got[i])
		}
	}
}

// rueidisSession is a mixed session through rueidis, which speaks RESP3
// only; the transcript renders each reply with its RESP3 type.
func rueidisSession(t *testing.T, c rueidis.Client) []string {
	ctx := context.Background()
	var out []string
	show := func(name string, r rueidis.RedisResult) {
		out = append(out, name+" "+renderRueidis(r))
	}
	do := func(args ...string) {
		show(strings.Join(args, " "), c.Do(ctx, c.B().Arbitrary(args...).Build()))
	}
	do("FLUSHALL")
	do("SET", "s", "v")
	do("GET", "s")
	do("GET", "nosuch")
	do("HSET", "h", "a", "1", "b", "2")
	do("HGETALL", "h")
	do("HGETALL", "nosuch")
	do("HSET", "h1", "only", "1")
	do("HRANDFIELD", "h1", "-2", "WITHVALUES")
	do("SADD", "st", "x")
	do("SMEMBERS", "st")
	do("SINTER", "st", "nosuch")
	do("SPOP", "st", "3")
	do("ZADD", "z", "1.5", "a", "2", "b")
	do("ZSCORE", "z", "a")
	do("ZSCORE", "z", "nosuch")
	do("ZMSCORE", "z", "a", "nosuch")
	do("ZINCRBY", "z", "1", "a")
	do("ZRANGE", "z", "0", "-1", "WITHSCORES")
	do("ZPOPMIN", "z")
	do("ZPOPMAX", "z", "1")
	do("ZADD", "z", "INCR", "1", "q")
	do("ZADD", "z", "NX", "INCR", "1", "q")
	do("CONFIG", "GET", "databases")
	do("COMMAND", "DOCS", "get")
	do("LPOS", "nolist", "x")
	do("EXISTS", "s", "nosuch")

	// A pipeline: rueidis sends concurrent DoMulti commands together.
	cmds := rueidis.Commands{
		c.B().Incr().Key("n").Build(),
		c.B().Hgetall().Key("h").Build(),
		c.B().Smembers().Key("nosuch").Build(),
		c.B().Zscore().Key("z").Member("q").Build(),
	}
	for i, r := range c.DoMulti(ctx, cmds...) {
		show(fmt.Sprintf("pipeline %d", i), r)
	}
	// MULTI/EXEC on a dedicated connection.
	c.Dedicated(func(d rueidis.DedicatedClient) error {
		for i, r := range d.DoMulti(ctx,
			d.B().Multi().Build(),
			d.B().Incr().Key("n").Build(),
			d.B().Hgetall().Key("h").Build(),
			d.B().Exec().Build()) {
			show(fmt.Sprintf("multi %d", i), r)
		}
		return nil
	})
	return out
}

// renderRueidis renders a reply with its RESP3 type as rueidis decoded it:
// maps and sets with their elements sorted.
func renderRueidis(r rueidis.RedisResult) string {
	if err := r.Error(); err != nil {
		if rueidis.IsRedisNil(err) {
			return "(nil)"
		}
		return "error: " + err.Error()
	}
	m, _ := r.ToMessage()
	return renderMessage(m)
}

func renderMessage(m rueidis.RedisMessage) string {
	switch {
	case m.IsNil():
		return "nil"
	case m.IsMap():
		kv, _ := m.AsMap()
		var items []string
		for k, v := range kv {
			items = append(items, k+"="+renderMessage(v))
		}
		sort.Strings(items)
		return "map{" + strings.Join(items, " ") + "}"
	case m.IsArray():
		arr, _ := m.ToArray()
		var items []string
		for _, e := range arr {
			items = append(items, renderMessage(e))
		}
		return "array[" + strings.Join(items, " ") + "]"
	case m.IsFloat64():
		f, _ := m.AsFloat64()
		return fmt.Sprintf("double(%v)", f)
	case m.IsInt64():
		n, _ := m.AsInt64()
		return fmt.Sprintf("int(%d)", n)
	case m.IsBool():
		b, _ := m.AsBool()
		return fmt.Sprintf("bool(%v)", b)
	}
	s, err := m.ToString()
	if err != nil {
		return fmt.Sprintf("%v", m)
	}
	return fmt.Sprintf("%q", s)
}

// TestRueidis runs rueidisSession on titan and redis-server. rueidis
// negotiates RESP3 with HELLO 3 on connect.
func TestRueidis(t *testing.T) {
	env := startDiffEnv(t)
	open := func(addr string) rueidis.Client {
		c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true,
			ForceSingleClient: true})
		if err != nil {
			t.Fatalf("rueidis on %s: %v", addr, err)
		}
		t.Cleanup(c.Close)
		return c
	}
	compareTranscripts(t, rueidisSession(t, open(env.redisAddr)), rueidisSession(t, open(env.ti.Addr)))
}

// nodeRedisModules installs node-redis v5 (npm) once into the user cache
// and returns its node_modules directory.
func nodeRedisModules(t *testing.T) string {
	t.Helper()
	return npmModules(t, "node-redis5", "redis@5")
}

// npmModules installs the npm package pkg (name@version, not scoped) once into the
// user cache directory dir and returns its node_modules directory.
func npmModules(t *testing.T, dir, pkg string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node not found: install nodejs and npm")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(cache, "titan-tests", dir)
	modules := filepath.Join(dir, "node_modules")
	name, _, _ := strings.Cut(pkg, "@")
	if _, err := os.Stat(filepath.Join(modules, name, "package.json")); err == nil {
		return modules
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("npm", "install", "--no-audit", "--no-fund", "--prefix", dir, pkg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install %s: %v\n%s", pkg, err, out)
	}
	return modules
}

// TestNodeRedisRESP3 runs testdata/node_redis_session.mjs (node-redis v5
// with RESP: 3) against redis-server and titan and compares the
// transcripts, typed as node-redis decodes RESP3.
func TestNodeRedisRESP3(t *testing.T) {
	modules := nodeRedisModules(t)
	env := startDiffEnv(t)
	session := func(addr string) []string {
		cmd := exec.Command("node", "testdata/node_redis_session.mjs", modules, addr)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("node-redis session on %s: %v\n%s", addr, err, out)
		}
		return strings.Split(strings.TrimSpace(string(out)), "\n")
	}
	want, got := session(env.redisAddr), session(env.ti.Addr)
	// HELLO's id differs.
	for _, lines := range [][]string{want, got} {
		for i, l := range lines {
			if strings.HasPrefix(l, `["HELLO"`) {
				lines[i] = regexp.MustCompile(`\["id",\d+\]`).ReplaceAllString(l, `["id",0]`)
			}
		}
	}
	if len(want) < 30 {
		t.Fatalf("short transcript from redis-server: %v", want)
	}
	compareTranscripts(t, want, got)
}
