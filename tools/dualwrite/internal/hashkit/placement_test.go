package hashkit

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

const placementFile = "testdata/twemproxy_placement.json"

// placement is a set of key->shard assignments observed on a real nutcracker.
type placement struct {
	Servers []string        `json:"servers"`
	Cases   []placementCase `json:"cases"`
}

type placementCase struct {
	Hash         string         `json:"hash"`
	Distribution string         `json:"distribution"`
	HashTag      string         `json:"hash_tag,omitempty"`
	Keys         map[string]int `json:"keys"` // hex(key) -> server index
}

var combos = []struct{ hash, dist, tag string }{
	{"fnv1a_64", "ketama", "{}"},
	{"fnv1a_64", "modula", "{}"},
	{"crc32", "ketama", "{}"},
	{"crc32", "modula", "{}"},
	{"md5", "ketama", "{}"},
	{"md5", "modula", "{}"},
	{"fnv1a_64", "ketama", ""},
}

// sampleKeys covers plain keys, hash tags, empty tags and bytes >= 0x80
// (fnv1a_64 sign-extends them).
func sampleKeys() [][]byte {
	var keys [][]byte
	for i := 0; i < 150; i++ {
		keys = append(keys, fmt.Appendf(nil, "key:%d", i))
	}
	for i := 0; i < 50; i++ {
		keys = append(keys, fmt.Appendf(nil, "user:{%d}:profile", i))
		keys = append(keys, fmt.Appendf(nil, "{}empty-tag-%d", i))
	}
	for i := 0; i < 50; i++ {
		keys = append(keys, fmt.Appendf(nil, "caf\xc3\xa9:\xff\x80:%d", i))
	}
	keys = append(keys, []byte("a"), []byte("{"), []byte("}{x}"), []byte("{unterminated"))
	return keys
}

func TestTwemproxyPlacementRecorded(t *testing.T) {
	raw, err := os.ReadFile(placementFile)
	if err != nil {
		t.Fatalf("read %s (regenerate with DUALWRITE_GEN_PLACEMENT=1 go test -run TestTwemproxyPlacementLive ./tools/dualwrite/internal/hashkit): %v", placementFile, err)
	}
	var p placement
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Cases) < 6 {
		t.Fatalf("want at least 6 recorded cases, have %d", len(p.Cases))
	}
	for _, c := range p.Cases {
		t.Run(c.Hash+"/"+c.Distribution+"/"+c.HashTag, func(t *testing.T) {
			checkCase(t, p.Servers, c, true)
		})
	}
}

// checkCase checks that every recorded key maps where nutcracker put it.
// spread also asks that the sample reach every shard: true for the
// recorded servers; a live run's ring depends on its random ports, and
// with a skewed one a shard may legitimately get none of the sample.
func checkCase(t *testing.T, servers []string, c placementCase, spread bool) {
	t.Helper()
	d, err := New(Config{Servers: servers, Hash: c.Hash, Distribution: c.Distribution, HashTag: c.HashTag})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Keys) < 200 {
		t.Fatalf("only %d keys recorded", len(c.Keys))
	}
	perShard := make([]int, len(servers))
	bad := 0
	for hk, want := range c.Keys {
		key, err := hex.DecodeString(hk)
		if err != nil {
			t.Fatal(err)
		}
		perShard[want]++
		if got := d.Server(key); got != want {
			bad++
			if bad <= 5 {
				t.Errorf("key %q: got shard %d, nutcracker put it on %d", key, got, want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d keys misplaced", bad, len(c.Keys))
	}
	// twemproxy's crc32 yields 15-bit hashes, far below the smallest ketama
	// point, so crc32+ketama sends every key to one server; that is faithful.
	if !spread || (c.Hash == "crc32" && c.Distribution == "ketama") {
		return
	}
	for i, n := range perShard {
		if n == 0 {
			t.Errorf("shard %d received no keys: sample does not exercise the distribution", i)
		}
	}
}

// TestTwemproxyPlacementLive runs nutcracker in front of three
// redis-servers, writes keys through it, records where each key landed and
// checks this package agrees. With DUALWRITE_GEN_PLACEMENT=1 it also
// rewrites the recorded testdata.
func TestTwemproxyPlacementLive(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: live nutcracker test skipped (recorded assignments are still checked)")
	}
	var shards []*testutil.Server
	var servers []string
	for i := 0; i < 3; i++ {
		s := testutil.StartRedis(t)
		shards = append(shards, s)
		servers = append(servers, s.Addr)
	}
	p := placement{Servers: servers}
	for _, c := range combos {
		pc := observe(t, shards, c.hash, c.dist, c.tag)
		p.Cases = append(p.Cases, pc)
		t.Run(c.hash+"/"+c.dist+"/"+c.tag, func(t *testing.T) { checkCase(t, servers, pc, false) })
	}
	if os.Getenv("DUALWRITE_GEN_PLACEMENT") == "1" {
		out, _ := json.MarshalIndent(p, "", " ")
		if err := os.WriteFile(placementFile, out, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", placementFile)
	}
}

func observe(t *testing.T, shards []*testutil.Server, hash, dist, tag string) placementCase {
	t.Helper()
	ctx := context.Background()
	var servers []string
	var pools []*resp.Pool
	for _, s := range shards {
		servers = append(servers, s.Addr)
		p := testutil.Client(t, s.Addr)
		testutil.Do(t, p, "FLUSHALL")
		pools = append(pools, p)
	}
	nc := testutil.StartNutcracker(t, servers, hash, dist, tag)
	defer nc.Kill()
	proxy := testutil.Client(t, nc.Addr)
	keys := sampleKeys()
	var cmds [][][]byte
	for _, k := range keys {
		cmds = append(cmds, [][]byte{[]byte("SET"), k, []byte("1")})
	}
	vs, err := proxy.Pipeline(ctx, cmds)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		if v.IsError() {
			t.Fatalf("SET %q through nutcracker: %v", keys[i], v)
		}
	}
	pc := placementCase{Hash: hash, Distribution: dist, HashTag: tag, Keys: map[string]int{}}
	for _, k := range keys {
		found := -1
		for i, p := range pools {
			v, err := p.Do(ctx, []byte("EXISTS"), k)
			if err != nil {
				t.Fatal(err)
			}
			if v.Int == 1 {
				if found >= 0 {
					t.Fatalf("key %q on two shards", k)
				}
				found = i
			}
		}
		if found < 0 {
			t.Fatalf("key %q written through nutcracker is on no shard", k)
		}
		pc.Keys[hex.EncodeToString(k)] = found
	}
	return pc
}
