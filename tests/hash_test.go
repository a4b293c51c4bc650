package tests

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// hsPair is a titan and a real redis-server fed the same commands, for
// the differential tests of hashes and sets.
type hsPair struct {
	t      *testing.T
	ti, rd *redis.Client
}

func newHSPair(t *testing.T, titanFlags ...string) *hsPair {
	t.Helper()
	ti := startTitan(t, titanFlags...)
	// RESP2, as titan speaks: go-redis would otherwise get RESP3 maps and
	// pairs from redis-server.
	rd := redis.NewClient(&redis.Options{Addr: startRedis(t).Options().Addr, Protocol: 2, MaxRetries: -1})
	t.Cleanup(func() { rd.Close() })
	return &hsPair{t: t, ti: ti.Client(), rd: rd}
}

// How to compare the replies of a command.
const (
	hsOrdered = iota // as they are
	hsSorted         // an array whose order is unspecified
	hsPairs          // a flat array of field, value pairs in any order
)

// hsFormat renders a go-redis reply as text, sorting as order says.
func hsFormat(v any, err error, order int) string {
	switch {
	case errors.Is(err, redis.Nil):
		return "(nil)"
	case err != nil:
		return "error: " + err.Error()
	}
	arr, ok := v.([]any)
	if !ok {
		return fmt.Sprintf("%T:%v", v, v)
	}
	items := make([]string, len(arr))
	for i, x := range arr {
		items[i] = hsFormat(x, nil, hsOrdered)
	}
	switch order {
	case hsSorted:
		sort.Strings(items)
	case hsPairs:
		var pairs []string
		for i := 0; i+1 < len(items); i += 2 {
			pairs = append(pairs, items[i]+" => "+items[i+1])
		}
		sort.Strings(pairs)
		items = pairs
	}
	return "[" + strings.Join(items, ", ") + "]"
}

// hsArgs splits a command line into arguments: "" is an empty argument
// and \_ stands for a space.
func hsArgs(cmd string) []any {
	var args []any
	for _, a := range strings.Fields(cmd) {
		if a == `""` {
			a = ""
		}
		args = append(args, strings.ReplaceAll(a, `\_`, " "))
	}
	return args
}

// same runs cmd (space-separated words, "" for an empty argument) on both
// servers and fails unless the replies agree.
func (p *hsPair) same(order int, cmd string) string {
	p.t.Helper()
	args := hsArgs(cmd)
	a, b := hsRun(p.ti, args, order), hsRun(p.rd, args, order)
	if a != b {
		p.t.Errorf("%s:\n titan: %s\n redis: %s", cmd, hsShort(a), hsShort(b))
	}
	return a
}

func hsShort(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

func hsRun(c *redis.Client, args []any, order int) string {
	v, err := c.Do(bg, args...).Result()
	return hsFormat(v, err, order)
}

// script runs commands on both servers: a line is a command, compared as
// it is, or prefixed with "sorted " or "pairs " for unordered replies.
func (p *hsPair) script(lines string) {
	p.t.Helper()
	for _, l := range strings.Split(lines, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "sorted "):
			p.same(hsSorted, strings.TrimPrefix(l, "sorted "))
		case strings.HasPrefix(l, "pairs "):
			p.same(hsPairs, strings.TrimPrefix(l, "pairs "))
		default:
			p.same(hsOrdered, l)
		}
	}
}

// scanAll iterates a SCAN-family command to the end on c and returns the
// sorted items (pairs joined with "=" when pairs is set).
func hsScanAll(t *testing.T, c *redis.Client, cmd string, key string, pairs bool, opts ...any) []string {
	t.Helper()
	seen := map[string]bool{}
	cursor := "0"
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatalf("%s %s does not end", cmd, key)
		}
		args := append([]any{cmd, key, cursor}, opts...)
		v, err := c.Do(bg, args...).Result()
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		r := v.([]any)
		cursor = r[0].(string)
		items := r[1].([]any)
		step := 1
		if pairs {
			step = 2
		}
		for j := 0; j < len(items); j += step {
			s := items[j].(string)
			if pairs {
				s += "=" + items[j+1].(string)
			}
			seen[s] = true
		}
		if cursor == "0" {
			break
		}
	}
	var out []string
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// TestHashCommands runs every hash command, with its edge cases and
// errors, on titan and on redis-server, and compares the replies.
func TestHashCommands(t *testing.T) {
	p := newHSPair(t)
	p.script(`
		hset h a 1 b 2 a 3
		hset h
		hset h a
		hset h a 1 b
		hmset h c 3 d ""
		hmset h c
		hsetnx h a 9
		hsetnx h n 9
		hsetnx h2 x y
		hget h a
		hget h d
		hget h zz
		hget nokey a
		hmget h a zz d a
		hmget nokey a b
		pairs hgetall h
		hgetall nokey
		sorted hkeys h
		sorted hvals h
		hkeys nokey
		hvals nokey
		hlen h
		hlen nokey
		hexists h a
		hexists h zz
		hexists nokey a
		hstrlen h a
		hstrlen h d
		hstrlen h zz
		hstrlen nokey a
		hdel h a a zz
		hdel nokey a
		hdel h
		hincrby h i 5
		hincrby h i -7
		hincrby h i x
		hincrby h i 1.5
		hincrby h i 9223372036854775807
		hincrby h i 01
		hincrby h i +1
		hset h big 9223372036854775807 s abc lead 01 sp \_1
		hincrby h big 1
		hincrby h big -9223372036854775808
		hincrby h s 1
		hincrby h lead 1
		hincrbyfloat h f 0.1
		hincrbyfloat h f 0.2
		hincrbyfloat h f 1e20
		hincrbyfloat h f 1.5
		hincrbyfloat h f -100000000000000000000.3
		hincrbyfloat h g 3.0e3
		hincrbyfloat h g 0x10
		hincrbyfloat h g -3016
		hincrbyfloat h g 1e-20
		hincrbyfloat h g inf
		hincrbyfloat h g -inf
		hincrbyfloat h g nan
		hincrbyfloat h g abc
		hincrbyfloat h g ""
		hincrbyfloat h s 1
		hincrbyfloat h i 1.25
		hincrbyfloat h big 1
		hget h f
		pairs hgetall h
		hrandfield nokey
		hrandfield nokey 5
		hrandfield nokey 5 withvalues
		hrandfield h 0
		hrandfield h 0 withvalues
		hrandfield h x
		hrandfield h x withvalue
		hrandfield h 1 withvalue
		hrandfield h 1 withvalues x
		hrandfield h -9223372036854775808
		hrandfield h -4611686018427387904 withvalues
		hrandfield h 4611686018427387904 withvalues
		sorted hrandfield h 100
		pairs hrandfield h 100 withvalues
		hscan h x
		hscan h 0 count 0
		hscan h 0 count x
		hscan h 0 match
		hscan h 0 foo bar
		hscan nokey 0 count 0
		hscan nokey 0
		hdel h2 x
		exists h2
		set str v
		hset str a 1
		hsetnx str a 1
		hget str a
		hmget str a
		hgetall str
		hkeys str
		hvals str
		hdel str a
		hlen str
		hexists str a
		hstrlen str a
		hincrby str a 1
		hincrbyfloat str a 1
		hincrbyfloat str a x
		hrandfield str
		hrandfield str 3
		hscan str 0
		hscan str 0 count 0
		hscan str x
		type h
	`)
	// HSCAN walks every field once, with and without MATCH and COUNT.
	var pairs []any
	for i := range 300 {
		pairs = append(pairs, fmt.Sprintf("field:%d", i), strconv.Itoa(i))
	}
	for _, c := range []*redis.Client{p.ti, p.rd} {
		if err := c.HSet(bg, "big", pairs...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, opts := range [][]any{nil, {"COUNT", 7}, {"MATCH", "field:1*", "COUNT", 20}, {"MATCH", "nothing"}} {
		a := hsScanAll(t, p.ti, "HSCAN", "big", true, opts...)
		b := hsScanAll(t, p.rd, "HSCAN", "big", true, opts...)
		if strings.Join(a, ",") != strings.Join(b, ",") {
			t.Errorf("HSCAN %v: titan %d items, redis %d", opts, len(a), len(b))
		}
	}
	// NOVALUES (Redis 7.4) returns the fields alone.
	if got := hsScanAll(t, p.ti, "HSCAN", "big", false, "NOVALUES", "MATCH", "field:29?"); len(got) != 10 || got[0] != "field:290" {
		t.Errorf("HSCAN NOVALUES = %q", got)
	}
	// COUNT bounds the fields a page examines.
	r, err := p.ti.Do(bg, "HSCAN", "big", "0", "COUNT", "5").Slice()
	if err != nil || r[0] == "0" || len(r[1].([]any)) != 10 {
		t.Errorf("HSCAN COUNT 5 = %v, %v", r, err)
	}
	p.script(`
		hlen big
		pairs hgetall big
		sorted hrandfield big 1000
		pairs hrandfield big 400 withvalues
	`)
	// go-redis's typed API.
	m, err := p.ti.HGetAll(bg, "h").Result()
	if _, ok := m["d"]; err != nil || m["c"] != "3" || m["sp"] != " 1" || !ok {
		t.Errorf("HGETALL typed = %v, %v", m, err)
	}
}

// TestHashRandom checks HRANDFIELD's contract on titan: sizes,
// distinctness, values that match, and picks spread over the hash.
func TestHashRandom(t *testing.T) {
	ti := startTitan(t)
	c := ti.Client()
	want := map[string]string{}
	var args []any
	for i := range 1000 {
		f, v := fmt.Sprintf("f%d", i), fmt.Sprintf("v%d", i)
		want[f] = v
		args = append(args, f, v)
	}
	if err := c.HSet(bg, "h", args...).Err(); err != nil {
		t.Fatal(err)
	}
	picked := map[string]bool{}
	for _, count := range []int{1, 5, 50, 200, 300, 999, 1000, 5000, -1, -50, -2000} {
		r, err := c.Do(bg, "HRANDFIELD", "h", count, "WITHVALUES").Slice()
		if err != nil {
			t.Fatal(err)
		}
		n := count
		if count > 1000 {
			n = 1000
		} else if count < 0 {
			n = -count
		}
		if len(r) != 2*n {
			t.Fatalf("HRANDFIELD %d WITHVALUES: %d items", count, len(r))
		}
		seen := map[string]bool{}
		for i := 0; i < len(r); i += 2 {
			f, v := r[i].(string), r[i+1].(string)
			if want[f] != v {
				t.Fatalf("HRANDFIELD %d: %q=%q", count, f, v)
			}
			if count > 0 && seen[f] {
				t.Fatalf("HRANDFIELD %d repeated %q", count, f)
			}
			seen[f] = true
			picked[f] = true
		}
	}
	for range 100 {
		f, err := c.HRandField(bg, "h", 40).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range f {
			picked[x] = true
		}
	}
	single, err := c.Do(bg, "HRANDFIELD", "h").Text()
	if err != nil || want[single] == "" {
		t.Fatalf("HRANDFIELD = %q, %v", single, err)
	}
	if len(picked) < 950 {
		t.Fatalf("random picks reached only %d of 1000 fields", len(picked))
	}
}

// TestHashDifferential runs a random sequence of hash commands on titan
// and redis-server and compares every reply, then the final contents.
func TestHashDifferential(t *testing.T) {
	p := newHSPair(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	keys := []string{"h0", "h1", "h2", "str"}
	p.ti.Set(bg, "str", "x", 0)
	p.rd.Set(bg, "str", "x", 0)
	field := func() string { return string(rune('a' + rng.IntN(8))) }
	value := func() string {
		switch rng.IntN(4) {
		case 0:
			return strconv.Itoa(rng.IntN(200) - 100)
		case 1:
			return fmt.Sprintf("%.2f", rng.Float64()*10)
		case 2:
			return `""`
		}
		return "v" + strconv.Itoa(rng.IntN(5))
	}
	for i := range 1500 {
		k := keys[rng.IntN(len(keys))]
		var cmd string
		order := hsOrdered
		switch rng.IntN(16) {
		case 0, 1:
			cmd = "hset " + k
			for range 1 + rng.IntN(3) {
				cmd += " " + field() + " " + value()
			}
		case 2:
			cmd = "hsetnx " + k + " " + field() + " " + value()
		case 3:
			cmd = "hget " + k + " " + field()
		case 4:
			cmd = "hmget " + k + " " + field() + " " + field()
		case 5:
			cmd, order = "hgetall "+k, hsPairs
		case 6:
			cmd = "hdel " + k + " " + field() + " " + field()
		case 7:
			cmd = "hlen " + k
		case 8:
			cmd = "hexists " + k + " " + field()
		case 9:
			cmd, order = "hkeys "+k, hsSorted
		case 10:
			cmd, order = "hvals "+k, hsSorted
		case 11:
			cmd = "hstrlen " + k + " " + field()
		case 12:
			cmd = "hincrby " + k + " " + field() + " " + strconv.Itoa(rng.IntN(20)-10)
		case 13:
			cmd = "hincrbyfloat " + k + " " + field() + " " + fmt.Sprintf("%.3f", rng.Float64()*4-2)
		case 14:
			cmd = "hrandfield " + k + " " + strconv.Itoa(rng.IntN(20)-10) + " withvalues"
			hsCheckRandom(t, p, cmd, true)
			continue
		case 15:
			cmd = "del " + k
			if k == "str" {
				cmd = "exists " + k
			}
		}
		if p.same(order, cmd); t.Failed() {
			t.Fatalf("diverged at command %d (seed %d)", i, seed)
		}
	}
	for _, k := range keys[:3] {
		p.same(hsPairs, "hgetall "+k)
		p.same(hsOrdered, "type "+k)
	}
}

// hsCheckRandom runs a SRANDMEMBER / HRANDFIELD command with a count on
// titan and checks the reply against redis-server's contents.
func hsCheckRandom(t *testing.T, p *hsPair, cmd string, hash bool) {
	t.Helper()
	args := hsArgs(cmd)
	key := args[1].(string)
	count, _ := strconv.Atoi(args[2].(string))
	got, err := p.ti.Do(bg, args...).Result()
	_, rerr := p.rd.Do(bg, args...).Result()
	if (err == nil) != (rerr == nil) || (err != nil && err.Error() != rerr.Error()) {
		t.Fatalf("%s: titan error %v, redis %v", cmd, err, rerr)
	}
	if err != nil {
		return
	}
	items := got.([]any)
	var size int64
	contents := map[string]string{}
	if hash {
		m, _ := p.rd.HGetAll(bg, key).Result()
		contents = m
		size = int64(len(m))
	} else {
		ms, _ := p.rd.SMembers(bg, key).Result()
		for _, m := range ms {
			contents[m] = ""
		}
		size = int64(len(ms))
	}
	want := int64(count)
	if count >= 0 {
		want = min(want, size)
	} else if size == 0 {
		want = 0
	} else {
		want = -want
	}
	step := 1
	if hash {
		step = 2
	}
	if int64(len(items)) != want*int64(step) {
		t.Fatalf("%s returned %d items for a collection of %d", cmd, len(items), size)
	}
	seen := map[string]bool{}
	for i := 0; i < len(items); i += step {
		x := items[i].(string)
		v, ok := contents[x]
		if !ok || (hash && items[i+1].(string) != v) {
			t.Fatalf("%s returned %q, not in %v", cmd, items[i:i+step], contents)
		}
		if count > 0 && seen[x] {
			t.Fatalf("%s repeated %q", cmd, x)
		}
		seen[x] = true
	}
}

// TestHashSetExpiry: an expired hash or set is gone for every command,
// and writing to it starts a new, persistent collection.
func TestHashSetExpiry(t *testing.T) {
	p := newHSPair(t)
	p.script(`
		hset e a 1 b 2
		sadd se a b
		hset keep a 1
		pexpire e 100
		pexpire se 100
		expire keep 1000
		hset keep b 2
		sadd se c
		scard se
	`)
	time.Sleep(300 * time.Millisecond)
	p.script(`
		hlen e
		hgetall e
		hget e a
		exists e
		scard se
		smembers se
		sismember se a
		sunion se
		hset e c 3
		pairs hgetall e
		ttl e
		sadd se z
		smembers se
		ttl se
		ttl keep
		hlen keep
	`)
}
