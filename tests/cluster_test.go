package tests

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/titan-kv/titan/conf"
	"github.com/titan-kv/titan/instance/instancetest"
)

// clusterRedis starts a redis-server 7.0 with cluster-enabled yes that
// holds every slot (CLUSTER ADDSLOTSRANGE 0 16383) and waits for
// cluster_state:ok.
func clusterRedis(t *testing.T) *redis.Client {
	t.Helper()
	c := startRedis(t, "--cluster-enabled", "yes")
	ctx := context.Background()
	if err := c.Do(ctx, "cluster", "addslotsrange", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "redis-server cluster_state:ok", func() bool {
		s, _ := c.ClusterInfo(ctx).Result()
		return strings.Contains(s, "cluster_state:ok")
	})
	return c
}

// TestClusterDifferential: with cluster mode off, CLUSTER, READONLY,
// READWRITE and ASKING answer as a standalone redis-server 7.0; with
// --cluster-mode, CLUSTER KEYSLOT, the argument errors and the slot key
// commands answer as a redis-server 7.0 with cluster-enabled yes that
// holds every slot, and CLUSTER INFO, SLOTS, SHARDS and NODES read alike
// (by the same parsing code) in RESP2 and RESP3.
func TestClusterDifferential(t *testing.T) {
	var wg sync.WaitGroup
	var plainAddr, clusterAddr string
	wg.Add(2)
	go func() { defer wg.Done(); plainAddr = startRedis(t).Options().Addr }()
	go func() { defer wg.Done(); clusterAddr = clusterRedis(t).Options().Addr }()
	off := startTitan(t)
	off.logOnFailure(t)
	// An announce address that is not the listen address: clients are
	// told it.
	on := startTitan(t, "--cluster-mode", "--cluster-announce-ip", "10.9.8.7", "--cluster-announce-port", "7777")
	on.logOnFailure(t)
	wg.Wait()

	t.Run("off", func(t *testing.T) {
		d := newDiffer(t, off.Addr, plainAddr)
		d.run("cluster info", "cluster slots", "cluster shards", "cluster nodes", "cluster myid",
			"cluster keyslot a", "cluster keyslot", "cluster countkeysinslot x", "cluster getkeysinslot 0 1",
			"cluster help", "cluster addslots", "cluster addslots 1", "cluster meet 127.0.0.1 1",
			"cluster foo", "cluster myshardid", "cluster", "readonly", "readwrite", "asking", "readonly x",
			"config get cluster-enabled")
	})

	t.Run("keyslot", func(t *testing.T) {
		d := newDiffer(t, on.Addr, clusterAddr)
		keys := []string{"", "a", "foo", "bar", "123456789", "{", "}", "{}", "}{", "{}a", "a{}", "{a}", "{a}b",
			"b{a}", "{{a}}", "{a}}", "{{a}", "a{b}c{d}", "a{}{b}", "a{{b}}c", "{user1000}.following",
			"{user1000}.followers", "user1000", "foo{}{bar}", "foo{{bar}}zap", "foo{bar}{zap}", "{bar",
			"\x00", "\xff\xfe", "{\x00}x", "x{\xff}", "{ }", strings.Repeat("k", 1000), strings.Repeat("{", 50) + "}"}
		rng := rand.New(rand.NewPCG(20, 20))
		alphabet := "ab{}\x00\xff"
		for range 200 {
			b := make([]byte, rng.IntN(12))
			for i := range b {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
			keys = append(keys, string(b))
		}
		for _, k := range keys {
			d.run("cluster keyslot " + strconv.Quote(k))
		}
	})

	t.Run("errors", func(t *testing.T) {
		d := newDiffer(t, on.Addr, clusterAddr)
		d.run("cluster", "cluster foo", "cluster keyslot", "cluster keyslot a b", "cluster info x", "cluster myid x",
			"cluster countkeysinslot", "cluster countkeysinslot x", "cluster countkeysinslot -1",
			"cluster countkeysinslot 16384", "cluster countkeysinslot 99999999999999999999",
			"cluster getkeysinslot 1", "cluster getkeysinslot x 1", "cluster getkeysinslot 1 x",
			"cluster getkeysinslot -1 1", "cluster getkeysinslot 0 -1", "cluster getkeysinslot 16384 0",
			"cluster replicas nosuch", "cluster slaves nosuch", "cluster count-failure-reports nosuch",
			"cluster replicas", "cluster addslots", "cluster links", "cluster help",
			"readonly", "readwrite", "asking", "readonly x", "asking x", "config get cluster-enabled")
		// Keys in slots, the slot walk.
		d.run("flushall", "set foo 1", "set {foo}a 2", "set {foo}b 3", "set bar 4", "set {bar}x 5",
			"cluster countkeysinslot 12182", "cluster countkeysinslot 5061", "cluster countkeysinslot 0",
			"sorted cluster getkeysinslot 12182 10", "sorted cluster getkeysinslot 5061 2",
			"cluster getkeysinslot 12182 0", "cluster getkeysinslot 0 10",
			"set tmp x px 1")
		for _, c := range []*recordedClient{d.titan, d.redis} {
			if n := len(c.Do(d.ctx, "cluster", "getkeysinslot", 12182, 2).Val().([]any)); n != 2 {
				t.Errorf("GETKEYSINSLOT 12182 2 gave %d keys", n)
			}
			// INFO and HELLO say cluster.
			if info := c.Info(d.ctx, "server", "cluster").Val(); !strings.Contains(info, "redis_mode:cluster\r\n") ||
				!strings.Contains(info, "cluster_enabled:1\r\n") {
				t.Errorf("INFO server cluster:\n%s", info)
			}
			if h, err := c.Do(d.ctx, "hello", "2").Slice(); err != nil || !strings.Contains(fmt.Sprint(h), " mode cluster ") {
				t.Errorf("HELLO 2: %v %v", h, err)
			}
			// Every node is a master without replicas.
			id := c.ClusterMyID(d.ctx).Val()
			if v, err := c.Do(d.ctx, "cluster", "replicas", id).Slice(); err != nil || len(v) != 0 {
				t.Errorf("CLUSTER REPLICAS myself: %v %v", v, err)
			}
			if v, err := c.Do(d.ctx, "cluster", "count-failure-reports", id).Int(); err != nil || v != 0 {
				t.Errorf("CLUSTER COUNT-FAILURE-REPORTS myself: %v %v", v, err)
			}
		}
		d.run("flushall")
	})

	t.Run("formats", func(t *testing.T) {
		for _, proto := range []int{2, 3} {
			d := newDiffer(t, on.Addr, clusterAddr, func(o *redis.Options) { o.Protocol = proto })
			ports := map[*recordedClient]int{d.titan: 7777, d.redis: portNumber(t, clusterAddr)}
			for _, sub := range []string{"info", "slots", "shards", "nodes", "myid"} {
				got, want := d.both("cluster", sub)
				g := clusterShape(t, sub, got, ports[d.titan])
				w := clusterShape(t, sub, want, ports[d.redis])
				if g != w {
					t.Errorf("RESP%d CLUSTER %s\n    redis: %s\n    titan: %s", proto, sub, w, g)
				}
			}
			if got, _ := d.both("cluster", "slots"); !strings.Contains(got.String(), `$"10.9.8.7", :7777,`) {
				t.Errorf("titan's CLUSTER SLOTS does not announce 10.9.8.7:7777: %s", got)
			}
			if got := d.titan.ConfigGet(d.ctx, "cluster-announce-*").Val(); got["cluster-announce-ip"] != "10.9.8.7" || got["cluster-announce-port"] != "7777" {
				t.Errorf("CONFIG GET cluster-announce-*: %v", got)
			}
			// go-redis parses both alike.
			for c := range ports {
				slots, err := c.ClusterSlots(d.ctx).Result()
				if err != nil || len(slots) != 1 || slots[0].Start != 0 || slots[0].End != 16383 || len(slots[0].Nodes) != 1 {
					t.Errorf("RESP%d go-redis ClusterSlots: %+v %v", proto, slots, err)
				}
				shards, err := c.ClusterShards(d.ctx).Result()
				if err != nil || len(shards) != 1 || len(shards[0].Nodes) != 1 || shards[0].Nodes[0].Role != "master" ||
					shards[0].Nodes[0].Health != "online" || int(shards[0].Nodes[0].Port) != ports[c] {
					t.Errorf("RESP%d go-redis ClusterShards: %+v %v", proto, shards, err)
				}
			}
		}
	})
}

func portNumber(t testing.TB, addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

var (
	nodeIDRE   = regexp.MustCompile(`^[0-9a-f]{40}$`)
	nodeAddrRE = regexp.MustCompile(`^(.*):(\d+)@(\d+)$`)
)

// clusterShape renders a CLUSTER reply with what legitimately differs
// between two servers replaced by placeholders — node ids (checked to be
// 40 hex characters), the announced IP (redis-server alone announces
// none), its own port (checked), epochs and ping times — so that the
// rest, the reply types and every field, compares exactly. The same code
// reads titan's and redis-server's replies.
func clusterShape(t *testing.T, sub string, r respReply, port int) string {
	t.Helper()
	if r.kind == '=' {
		if !strings.HasPrefix(r.str, "txt:") {
			t.Errorf("CLUSTER %s: verbatim string of format %q", sub, r.str[:min(4, len(r.str))])
		}
		r.str = strings.TrimPrefix(r.str, "txt:")
	}
	switch sub {
	case "info":
		var keys []string
		for _, l := range strings.Split(strings.TrimSuffix(r.str, "\r\n"), "\r\n") {
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				t.Errorf("CLUSTER INFO line %q", l)
			}
			if k == "cluster_current_epoch" || k == "cluster_my_epoch" {
				if _, err := strconv.Atoi(v); err != nil {
					t.Errorf("CLUSTER INFO %s", l)
				}
				v = "<epoch>"
			}
			keys = append(keys, k+":"+v)
		}
		return fmt.Sprintf("%c %s", r.kind, strings.Join(keys, " "))
	case "nodes":
		var lines []string
		for _, l := range strings.Split(strings.TrimSuffix(r.str, "\n"), "\n") {
			f := strings.Split(l, " ")
			if len(f) < 8 {
				t.Errorf("CLUSTER NODES line %q", l)
				continue
			}
			if !nodeIDRE.MatchString(f[0]) {
				t.Errorf("CLUSTER NODES id %q", f[0])
			}
			f[0] = "<id>"
			m := nodeAddrRE.FindStringSubmatch(f[1])
			if m == nil || m[2] != strconv.Itoa(port) || m[3] != strconv.Itoa(port+10000) {
				t.Errorf("CLUSTER NODES address %q (port %d)", f[1], port)
			}
			f[1] = "<ip>:<port>@<port+10000>"
			for _, i := range []int{4, 5, 6} {
				if _, err := strconv.ParseInt(f[i], 10, 64); err != nil {
					t.Errorf("CLUSTER NODES field %d %q", i, f[i])
				}
				f[i] = "<n>"
			}
			lines = append(lines, strings.Join(f, " "))
		}
		return fmt.Sprintf("%c %q", r.kind, lines)
	}
	var norm func(r respReply, parentKey string) respReply
	norm = func(r respReply, parentKey string) respReply {
		switch {
		case r.kind == '$' && nodeIDRE.MatchString(r.str):
			r.str = "<id>"
		case r.kind == '$' && (parentKey == "ip" || parentKey == "endpoint" || parentKey == "slots-ip"):
			r.str = "<ip>"
		case r.kind == ':' && int(r.n) == port:
			r.n = -1
		}
		elems := make([]respReply, len(r.elems))
		for i, e := range r.elems {
			key := ""
			switch {
			case (r.kind == '%' || r.kind == '*') && i%2 == 1 && r.elems[i-1].kind == '$':
				key = r.elems[i-1].str
			case r.kind == '*' && i == 0 && len(r.elems) == 4 && e.kind == '$' && r.elems[1].kind == ':':
				key = "slots-ip" // [ip, port, id, {}] in CLUSTER SLOTS
			}
			elems[i] = norm(e, key)
		}
		r.elems = elems
		return r
	}
	return norm(r, "").String()
}

// TestClusterClients: go-redis's ClusterClient, redis-py's RedisCluster
// and redis-cli -c use three titan instances in cluster mode over one
// store as a Redis Cluster of three masters: hash tags, MGET, pipelines,
// MULTI on one slot, every instance serving its share; when one instance
// stops, the others drop it from their slot maps, and the clients move
// its slots to them at their next refresh.
func TestClusterClients(t *testing.T) {
	g := startClusterGroup(t, 3)
	ctx := context.Background()
	maps := waitClusterMaps(t, g, 3)

	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{g.Addr(0)}, MaxRetries: -1})
	t.Cleanup(func() { cc.Close() })
	// The client routes each slot to the instance the map gives it.
	for i := range 30 {
		key := fmt.Sprintf("key:%d", i)
		if err := cc.Set(ctx, key, i, 0).Err(); err != nil {
			t.Fatal(err)
		}
		node, err := cc.MasterForKey(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if want := maps.owner(key); node.Options().Addr != want {
			t.Fatalf("%s is routed to %s, the map says %s", key, node.Options().Addr, want)
		}
	}
	served := map[string]bool{}
	for i := range 30 {
		served[maps.owner(fmt.Sprintf("key:%d", i))] = true
	}
	if len(served) != 3 {
		t.Fatalf("30 keys reached %d instances", len(served))
	}
	checkGoRedisCluster(t, cc, "before")

	// The instance to stop is the one serving the last slots: after a dead
	// node, redis-py 4.3.4 rebuilds its map from its nodes in slot order,
	// and reaching the dead one first fails on a bug of its own ("cannot
	// pickle '_thread.lock' object" copying its connection options), as it
	// does against Redis Cluster.
	victim := 0
	for i := range 3 {
		if g.Addr(i) == maps.nodes[2].addr {
			victim = i
		}
	}
	other := (victim + 1) % 3

	// redis-py and redis-cli, started now; redis-py waits on its stdin
	// for the second half, after the stop.
	py := startRedisPy(t, g.Addr(other))
	py.step(t, "before", 3)
	cli := func(addr string, args ...string) string {
		host, port, _ := net.SplitHostPort(addr)
		out, err := exec.Command("redis-cli", append([]string{"-c", "-h", host, "-p", port}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	checkCLI := func(addr, phase string) {
		t.Helper()
		for i := range 10 {
			k := fmt.Sprintf("cli:%s:%d", phase, i)
			if got := cli(addr, "set", k, phase); got != "OK\n" {
				t.Fatalf("redis-cli set %s: %q", k, got)
			}
		}
		if got := cli(addr, "mget", "{cli}a", "{cli}b", "cli:"+phase+":3"); got != "\n\n"+phase+"\n" {
			t.Fatalf("redis-cli mget: %q", got)
		}
		if got := cli(addr, "cluster", "info"); !strings.Contains(got, "cluster_state:ok") {
			t.Fatalf("redis-cli cluster info: %q", got)
		}
	}
	checkCLI(g.Addr(victim), "before")

	// The instance stops: the others drop it from their maps.
	gone := g.Addr(victim)
	g.Stop(victim)
	after := waitClusterMaps(t, g, 2)
	for _, n := range after.nodes {
		if n.addr == gone {
			t.Fatalf("the stopped instance is still in the map: %+v", after.nodes)
		}
	}
	// Until a client refreshes its map, the stopped instance's slots fail
	// as a dead master's do in Redis Cluster, and the others' slots are
	// not disturbed; after the refresh, nothing fails.
	for i := range 30 {
		key := fmt.Sprintf("key:%d", i)
		if maps.owner(key) == gone {
			continue
		}
		if v, err := cc.Get(ctx, key).Int(); err != nil || v != i {
			t.Fatalf("before the refresh, GET %s (not on the stopped instance) = %v %v", key, v, err)
		}
	}
	cc.ReloadState(ctx)
	checkGoRedisCluster(t, cc, "after")
	for i := range 30 {
		key := fmt.Sprintf("key:%d", i)
		if v, err := cc.Get(ctx, key).Int(); err != nil || v != i {
			t.Fatalf("after the stop, GET %s = %v %v", key, v, err)
		}
		node, _ := cc.MasterForKey(ctx, key)
		if node.Options().Addr == gone {
			t.Fatalf("%s still routed to the stopped instance", key)
		}
	}
	py.step(t, "after", 2)
	checkCLI(g.Addr(other), "after")

	// The instance comes back at its address: it is in every map again.
	g.Restart(victim)
	waitClusterMaps(t, g, 3)
}

// clusterNode is one node of a CLUSTER SLOTS map.
type clusterNode struct {
	start, end int
	addr, id   string
}

type clusterMap struct{ nodes []clusterNode }

// owner is the address that serves key's slot.
func (m clusterMap) owner(key string) string {
	slot := redisKeySlot(key)
	for _, n := range m.nodes {
		if slot >= n.start && slot <= n.end {
			return n.addr
		}
	}
	return ""
}

// redisKeySlot is CRC16 with hash tags, written again here so that the
// test does not trust the server's code (TestClusterDifferential checks
// the server against redis-server).
func redisKeySlot(key string) int {
	if s := strings.IndexByte(key, '{'); s >= 0 {
		if e := strings.IndexByte(key[s+1:], '}'); e > 0 {
			key = key[s+1 : s+1+e]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc % 16384)
}

// waitClusterMaps waits until every running instance of g answers the
// same CLUSTER SLOTS of n nodes covering every slot once, and returns it.
func waitClusterMaps(t *testing.T, g *instancetest.Group, n int) clusterMap {
	t.Helper()
	ctx := context.Background()
	var last clusterMap
	waitFor(t, 10*time.Second, fmt.Sprintf("every instance's map to hold %d nodes", n), func() bool {
		var first *clusterMap
		for i, in := range g.Instances {
			if in == nil {
				continue
			}
			c := redis.NewClient(&redis.Options{Addr: g.Addr(i), MaxRetries: -1})
			slots, err := c.ClusterSlots(ctx).Result()
			c.Close()
			if err != nil {
				t.Fatal(err)
			}
			var m clusterMap
			next := 0
			for _, s := range slots {
				if s.Start != next || len(s.Nodes) != 1 {
					return false
				}
				next = s.End + 1
				m.nodes = append(m.nodes, clusterNode{start: s.Start, end: s.End, addr: s.Nodes[0].Addr, id: s.Nodes[0].ID})
			}
			if next != 16384 || len(m.nodes) != n {
				return false
			}
			if first != nil && fmt.Sprint(first.nodes) != fmt.Sprint(m.nodes) {
				return false
			}
			first, last = &m, m
		}
		return true
	})
	return last
}

// checkGoRedisCluster runs SET/GET/MGET with hash tags, a pipeline over
// every slot, MULTI/EXEC on one slot and an MGET across slots through a
// ClusterClient, all without errors.
func checkGoRedisCluster(t *testing.T, cc *redis.ClusterClient, phase string) {
	t.Helper()
	ctx := context.Background()
	tag := "{user:" + phase + "}"
	if err := cc.MSet(ctx, tag+"name", "ann", tag+"age", "41").Err(); err != nil {
		t.Fatalf("%s: MSET with a hash tag: %v", phase, err)
	}
	if v, err := cc.MGet(ctx, tag+"name", tag+"age", tag+"nosuch").Result(); err != nil || fmt.Sprint(v) != "[ann 41 <nil>]" {
		t.Fatalf("%s: MGET with a hash tag: %v %v", phase, v, err)
	}
	cmds, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range 100 {
			p.Set(ctx, fmt.Sprintf("pipe:%s:%d", phase, i), i, 0)
			p.Incr(ctx, fmt.Sprintf("pipe:%s:n", phase))
		}
		return nil
	})
	if err != nil || len(cmds) != 200 {
		t.Fatalf("%s: pipeline: %d replies, %v", phase, len(cmds), err)
	}
	if v, err := cc.Get(ctx, fmt.Sprintf("pipe:%s:n", phase)).Int(); err != nil || v != 100 {
		t.Fatalf("%s: pipelined INCR: %v %v", phase, v, err)
	}
	_, err = cc.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, tag+"tx", "1", 0)
		p.Incr(ctx, tag+"tx")
		return nil
	})
	if err != nil {
		t.Fatalf("%s: MULTI/EXEC on one slot: %v", phase, err)
	}
	if v, err := cc.Get(ctx, tag+"tx").Int(); err != nil || v != 2 {
		t.Fatalf("%s: after MULTI: %v %v", phase, v, err)
	}
	// Across slots: Redis Cluster refuses it (CROSSSLOT), titan serves it.
	if v, err := cc.MGet(ctx, "pipe:"+phase+":1", "pipe:"+phase+":2", tag+"name").Result(); err != nil || fmt.Sprint(v) != "[1 2 ann]" {
		t.Fatalf("%s: MGET across slots: %v %v", phase, v, err)
	}
}

// startClusterGroup starts n instances in cluster mode over one store,
// with a short registration lease (renewed every 2/3 s) so that the maps
// follow a join or a stop in under a second. Not shorter: the lease also
// bounds the registration's transaction, and a commit cut short by it on
// a loaded machine leaves the embedded store unavailable for a while.
func startClusterGroup(t *testing.T, n int) *instancetest.Group {
	t.Helper()
	return instancetest.Start(t, n, instancetest.Options{Config: func(c *conf.Config) {
		c.Cluster.Mode = true
		c.Bus.LeaseTTL = conf.Duration{Duration: 2 * time.Second}
	}})
}

// redisPyCluster is a redis-py RedisCluster in a python process that runs
// one round of commands per line it reads.
type redisPyCluster struct {
	stdin io.WriteCloser
	out   *bufio.Reader
	logs  *logBuffer
}

const redisPyClusterScript = `
import sys
from redis.cluster import RedisCluster, ClusterNode
rc = RedisCluster(startup_nodes=[ClusterNode(sys.argv[1], int(sys.argv[2]))])
for line in sys.stdin:
    phase = line.strip()
    tag = "{py:%s}" % phase
    rc.set(tag + "a", "1")
    rc.set(tag + "b", "2")
    assert rc.mget(tag + "a", tag + "b", tag + "c") == [b"1", b"2", None]
    for i in range(30):
        rc.set("py:%s:%d" % (phase, i), i)
    assert [rc.get("py:%s:%d" % (phase, i)) for i in range(30)] == [str(i).encode() for i in range(30)]
    p = rc.pipeline()
    for i in range(50):
        p.incr("py:%s:n" % phase)
        p.get("py:%s:%d" % (phase, i % 30))
    res = p.execute()
    assert res[98] == 50 and res[99] == str(49 % 30).encode(), res[-2:]
    # MULTI on one slot, on the connection of the slot's node.
    r = rc.get_redis_connection(rc.get_node_from_key(tag + "a"))
    with r.pipeline(transaction=True) as tx:
        tx.incr(tag + "t")
        tx.incr(tag + "t")
        assert tx.execute() == [1, 2]
    print("ok", phase, len(rc.get_primaries()), flush=True)
`

// startRedisPy starts the redis-py client on the instance at addr.
func startRedisPy(t *testing.T, addr string) *redisPyCluster {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command("/usr/bin/python3", "-c", redisPyClusterScript, host, port)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	py := &redisPyCluster{stdin: stdin, out: bufio.NewReader(stdout), logs: &logBuffer{}}
	cmd.Stderr = py.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return py
}

// Write lets a logBuffer collect a process's stderr.
func (l *logBuffer) Write(p []byte) (int, error) {
	l.WriteString(string(p))
	return len(p), nil
}

// step runs one round of the script, which must answer "ok <phase>" and
// the number of primaries the client knows, masters.
func (py *redisPyCluster) step(t *testing.T, phase string, masters int) {
	t.Helper()
	if _, err := io.WriteString(py.stdin, phase+"\n"); err != nil {
		t.Fatalf("redis-py: %v\n%s", err, py.logs.String())
	}
	line := make(chan string, 1)
	go func() { l, _ := py.out.ReadString('\n'); line <- l }()
	select {
	case l := <-line:
		if want := fmt.Sprintf("ok %s %d\n", phase, masters); l != want {
			t.Fatalf("redis-py %s: %q\n%s", phase, l, py.logs.String())
		}
		t.Logf("redis-py: %s", strings.TrimSpace(l))
	case <-time.After(30 * time.Second):
		t.Fatalf("redis-py %s: no answer\n%s", phase, py.logs.String())
	}
}
