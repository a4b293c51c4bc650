package tests

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// matchPatterns are the glob patterns compared on titan and redis-server:
// every construct of Redis's stringmatchlen and its edge cases.
var matchPatterns = []string{
	"*", "", "**", "?", "??", "k*", "k[ab]*", "*[^x]", "h?llo", `h\*llo`, `h\?llo`,
	"[a-c]*", "[c-a]*", "[^a-c]*", `\*`, `\\`, `*\`, `a\`, `h\\llo`, `[\]]*`, `[\-]`,
	"[", "[^", "k[", "k[ab", "[a-]", "[a-]b", "[]", "*a*", "*a*b", "h*", "*llo", "K*",
	"[K]*", "*[\x80-\x7f]", "[^\x00-\x7f]", "\xff", "k[a-b]b", "[*?]", "?*?",
}

// matchNames are the keys, hash fields, set members and sorted set members
// the patterns are matched against.
func matchNames() []string {
	names := []string{
		"", "a", "b", "k", "ka", "kb", "kab", "kbb", "kc", "kx", "kxx", "K", "KA",
		"hello", "hallo", "hllo", "heello", "h*llo", "h?llo", `h\llo`, "h", "hx",
		"x", "ax", "xa", "b1", "c", "c1", "d", "[", "]", "]b", "-", "^", `\`, "*",
		"?", "a-b", "a]b", "z", "ab", "aab", "\x80", "\xff", "k\xff",
	}
	// Random names and patterns over a small alphabet, rich in specials.
	r := rand.New(rand.NewPCG(9, 9))
	for range 40 {
		names = append(names, matchRandom(r, 5))
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func matchRandom(r *rand.Rand, n int) string {
	const alphabet = `akh*?[]^-\x`
	b := make([]byte, r.IntN(n+1))
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// matchScan iterates cmd (args before the cursor, options after it) to
// the end and returns the sorted set of items it returned; with pairs,
// items are field=value.
func matchScan(t *testing.T, c *redis.Client, pairs bool, before []any, after ...any) []string {
	t.Helper()
	seen := map[string]bool{}
	cursor := "0"
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatalf("%v does not end", before)
		}
		args := append(append(append([]any{}, before...), cursor), after...)
		v, err := c.Do(bg, args...).Result()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		r := v.([]any)
		cursor = r[0].(string)
		items := r[1].([]any)
		for j := 0; j < len(items); j++ {
			s := items[j].(string)
			if pairs {
				j++
				s += "=" + items[j].(string)
			}
			seen[s] = true
		}
		if cursor == "0" {
			break
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// matchStrings returns the reply of args as a sorted list of strings.
func matchStrings(t *testing.T, c *redis.Client, args ...any) []string {
	t.Helper()
	v, err := c.Do(bg, args...).StringSlice()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	slices.Sort(v)
	return v
}

// TestMatchPatterns compares KEYS, SCAN, HSCAN, SSCAN and ZSCAN with MATCH
// on titan and redis-server over the same data.
func TestMatchPatterns(t *testing.T) {
	p := newHSPair(t)
	names := matchNames()
	for _, c := range []*redis.Client{p.ti, p.rd} {
		for i, n := range names {
			if err := c.Set(bg, n, "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.HSet(bg, "\x00hash", n, fmt.Sprint("v", i)).Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.SAdd(bg, "\x00set", n).Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.ZAdd(bg, "\x00zset", redis.Z{Score: float64(i), Member: n}).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := rand.New(rand.NewPCG(4, 2))
	random := make([]string, 150)
	for i := range random {
		random[i] = matchRandom(r, 6)
	}
	for _, pat := range append(slices.Clone(matchPatterns), random...) {
		check := func(what string, a, b []string) {
			t.Helper()
			if !slices.Equal(a, b) {
				t.Errorf("%s MATCH %q:\n titan: %q\n redis: %q", what, pat, a, b)
			}
		}
		check("KEYS", matchStrings(t, p.ti, "KEYS", pat), matchStrings(t, p.rd, "KEYS", pat))
		if slices.Contains(random, pat) {
			continue // random patterns: KEYS is enough
		}
		for _, count := range []any{"3", "1000"} {
			opts := []any{"MATCH", pat, "COUNT", count}
			check("SCAN", matchScan(t, p.ti, false, []any{"SCAN"}, opts...), matchScan(t, p.rd, false, []any{"SCAN"}, opts...))
			check("HSCAN", matchScan(t, p.ti, true, []any{"HSCAN", "\x00hash"}, opts...), matchScan(t, p.rd, true, []any{"HSCAN", "\x00hash"}, opts...))
			check("SSCAN", matchScan(t, p.ti, false, []any{"SSCAN", "\x00set"}, opts...), matchScan(t, p.rd, false, []any{"SSCAN", "\x00set"}, opts...))
			check("ZSCAN", matchScan(t, p.ti, true, []any{"ZSCAN", "\x00zset"}, opts...), matchScan(t, p.rd, true, []any{"ZSCAN", "\x00zset"}, opts...))
		}
	}
	// The bug this test was written for: tidwall/match had no classes.
	got := matchScan(t, p.ti, false, []any{"SSCAN", "\x00set"}, "MATCH", "k[ab]*")
	for _, want := range []string{"ka", "kab", "kb", "kbb"} {
		if !slices.Contains(got, want) {
			t.Errorf("SSCAN MATCH k[ab]* = %q, without %q", got, want)
		}
	}
}

// TestMatchCommandNames compares COMMAND LIST FILTERBY PATTERN and CONFIG
// GET patterns, which match case-insensitively. Titan knows fewer commands
// and parameters than Redis, so only names both know are compared.
func TestMatchCommandNames(t *testing.T) {
	p := newHSPair(t)
	both := func(a, b []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range a {
			if slices.Contains(b, x) {
				m[x] = true
			}
		}
		return m
	}
	only := func(list []string, keep map[string]bool) []string {
		var out []string
		for _, x := range list {
			if keep[x] {
				out = append(out, x)
			}
		}
		return out
	}
	known := both(matchStrings(t, p.ti, "COMMAND", "LIST"), matchStrings(t, p.rd, "COMMAND", "LIST"))
	if len(known) < 50 {
		t.Fatalf("titan and redis share %d commands", len(known))
	}
	for _, pat := range []string{"z*", "*range*", "[hs]set", "Z*", "*RANGE*", "[HS]SET", "?get", "[^a-y]*", "[\\Z]*", "[\\z]*"} {
		args := []any{"COMMAND", "LIST", "FILTERBY", "PATTERN", pat}
		a, b := only(matchStrings(t, p.ti, args...), known), only(matchStrings(t, p.rd, args...), known)
		if !slices.Equal(a, b) {
			t.Errorf("COMMAND LIST FILTERBY PATTERN %q:\n titan: %q\n redis: %q", pat, a, b)
		}
		if len(b) == 0 && !strings.Contains(pat, `\`) {
			t.Errorf("COMMAND LIST FILTERBY PATTERN %q selects no shared command", pat)
		}
	}
	configNames := func(c *redis.Client, pat string) []string {
		m, err := c.ConfigGet(bg, pat).Result()
		if err != nil {
			t.Fatalf("CONFIG GET %q: %v", pat, err)
		}
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	params := both(configNames(p.ti, "*"), configNames(p.rd, "*"))
	for _, pat := range []string{"max*", "MAX*", "*[^a-z]*", "?ort", "[DP]*"} {
		a, b := only(configNames(p.ti, pat), params), only(configNames(p.rd, pat), params)
		if !slices.Equal(a, b) {
			t.Errorf("CONFIG GET %q:\n titan: %q\n redis: %q", pat, a, b)
		}
	}
}
