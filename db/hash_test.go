package db

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/titan-kv/titan/parse"
)

func hsHSet(t *testing.T, d *DB, key string, pairs ...string) int64 {
	t.Helper()
	var n int64
	update(t, d, func(tx *Tx) (err error) {
		n, err = tx.Hash([]byte(key)).Set(toBytes(pairs...))
		return err
	})
	return n
}

// hgetall returns "field=value" items, sorted.
func hsHGetAll(t *testing.T, d *DB, key string) []string {
	t.Helper()
	var out []string
	readView(t, d, func(tx *Tx) error {
		f, v, err := tx.Hash([]byte(key)).GetAll()
		for i := range f {
			out = append(out, string(f[i])+"="+string(v[i]))
		}
		return err
	})
	sort.Strings(out)
	return out
}

func hsHGet(t *testing.T, d *DB, key, field string) []byte {
	t.Helper()
	var v []byte
	readView(t, d, func(tx *Tx) (err error) {
		v, err = tx.Hash([]byte(key)).Get([]byte(field))
		return err
	})
	return v
}

func TestHSetHGet(t *testing.T) {
	d := openTest(t, false)
	if n := hsHSet(t, d, "h", "a", "1", "b", "2", "a", "3"); n != 2 {
		t.Fatalf("HSET a 1 b 2 a 3 = %d, want 2", n)
	}
	if got := hsHGetAll(t, d, "h"); !slices.Equal(got, []string{"a=3", "b=2"}) {
		t.Fatalf("HGETALL = %q", got)
	}
	// Overwriting counts nothing but still changes the key's version, so
	// WATCH sees it.
	var v1, v2 uint64
	readView(t, d, func(tx *Tx) (err error) { v1, err = tx.Key([]byte("h")).Version(); return err })
	if n := hsHSet(t, d, "h", "a", "4"); n != 0 {
		t.Fatalf("HSET of an existing field = %d", n)
	}
	readView(t, d, func(tx *Tx) (err error) { v2, err = tx.Key([]byte("h")).Version(); return err })
	if v1 == v2 || string(hsHGet(t, d, "h", "a")) != "4" {
		t.Fatalf("overwrite: version %d -> %d, value %q", v1, v2, hsHGet(t, d, "h", "a"))
	}
	// Values that TiKV cannot hold as they are round-trip.
	hsHSet(t, d, "h", "empty", "", "nul", "\x00", "nulx", "\x00x", "", "emptyfield")
	for f, want := range map[string]string{"empty": "", "nul": "\x00", "nulx": "\x00x", "": "emptyfield"} {
		if got := hsHGet(t, d, "h", f); got == nil || string(got) != want {
			t.Errorf("HGET %q = %q, want %q", f, got, want)
		}
	}
	if got := hsHGet(t, d, "h", "missing"); got != nil {
		t.Errorf("HGET missing = %q", got)
	}
	if got := hsHGet(t, d, "nokey", "a"); got != nil {
		t.Errorf("HGET nokey = %q", got)
	}
	readView(t, d, func(tx *Tx) error {
		vs, err := tx.Hash([]byte("h")).MGet(toBytes("a", "missing", "empty", "a"))
		if len(vs) != 4 || string(vs[0]) != "4" || vs[1] != nil || vs[2] == nil || len(vs[2]) != 0 || string(vs[3]) != "4" {
			t.Errorf("HMGET = %q", vs)
		}
		vs, _ = tx.Hash([]byte("nokey")).MGet(toBytes("a", "b"))
		if len(vs) != 2 || vs[0] != nil || vs[1] != nil {
			t.Errorf("HMGET nokey = %q", vs)
		}
		n, _ := tx.Hash([]byte("h")).Len()
		if n != 6 {
			t.Errorf("HLEN = %d, want 6", n)
		}
		n, _ = tx.Hash([]byte("nokey")).Len()
		if n != 0 {
			t.Errorf("HLEN nokey = %d", n)
		}
		ok, _ := tx.Hash([]byte("h")).Exists([]byte("empty"))
		no, _ := tx.Hash([]byte("h")).Exists([]byte("zz"))
		if !ok || no {
			t.Errorf("HEXISTS empty = %v, zz = %v", ok, no)
		}
		l, _ := tx.Hash([]byte("h")).StrLen([]byte("nulx"))
		l0, _ := tx.Hash([]byte("h")).StrLen([]byte("zz"))
		if l != 2 || l0 != 0 {
			t.Errorf("HSTRLEN = %d, %d", l, l0)
		}
		f, v, err2 := tx.Hash([]byte("nokey")).GetAll()
		if len(f) != 0 || len(v) != 0 {
			t.Errorf("HGETALL nokey = %q %q", f, v)
		}
		return errors.Join(err, err2)
	})
}

func TestHSetNXHDel(t *testing.T) {
	d := openTest(t, false)
	setnx := func(f, v string) bool {
		var ok bool
		update(t, d, func(tx *Tx) (err error) {
			ok, err = tx.Hash([]byte("h")).SetNX([]byte(f), []byte(v))
			return err
		})
		return ok
	}
	if !setnx("a", "1") || setnx("a", "2") || !setnx("b", "") {
		t.Fatal("HSETNX results wrong")
	}
	if got := hsHGetAll(t, d, "h"); !slices.Equal(got, []string{"a=1", "b="}) {
		t.Fatalf("HGETALL = %q", got)
	}
	del := func(key string, fields ...string) int64 {
		var n int64
		update(t, d, func(tx *Tx) (err error) {
			n, err = tx.Hash([]byte(key)).Del(toBytes(fields...))
			return err
		})
		return n
	}
	if n := del("h", "a", "a", "zz"); n != 1 {
		t.Fatalf("HDEL a a zz = %d", n)
	}
	if n := del("nokey", "a"); n != 0 {
		t.Fatalf("HDEL nokey = %d", n)
	}
	if n := del("h", "b"); n != 1 || hsType(t, d, "h") != "none" {
		t.Fatalf("HDEL of the last field = %d, key %s", n, hsType(t, d, "h"))
	}
	// HSETNX creates the hash.
	if !setnx("x", "y") || hsType(t, d, "h") != "hash" {
		t.Fatal("HSETNX on a missing key")
	}
}

func TestHashWrongType(t *testing.T) {
	d := openTest(t, false)
	hsSetString(t, d, "str", "v")
	k, f := []byte("str"), []byte("f")
	one := new(big.Float).SetInt64(1)
	for name, fn := range map[string]func(tx *Tx) error{
		"HSET":         func(tx *Tx) error { _, err := tx.Hash(k).Set(toBytes("a", "b")); return err },
		"HSETNX":       func(tx *Tx) error { _, err := tx.Hash(k).SetNX(f, f); return err },
		"HGET":         func(tx *Tx) error { _, err := tx.Hash(k).Get(f); return err },
		"HMGET":        func(tx *Tx) error { _, err := tx.Hash(k).MGet(toBytes("a")); return err },
		"HGETALL":      func(tx *Tx) error { _, _, err := tx.Hash(k).GetAll(); return err },
		"HDEL":         func(tx *Tx) error { _, err := tx.Hash(k).Del(toBytes("a")); return err },
		"HLEN":         func(tx *Tx) error { _, err := tx.Hash(k).Len(); return err },
		"HEXISTS":      func(tx *Tx) error { _, err := tx.Hash(k).Exists(f); return err },
		"HSTRLEN":      func(tx *Tx) error { _, err := tx.Hash(k).StrLen(f); return err },
		"HINCRBY":      func(tx *Tx) error { _, err := tx.Hash(k).IncrBy(f, 1); return err },
		"HINCRBYFLOAT": func(tx *Tx) error { _, err := tx.Hash(k).IncrByFloat(f, one); return err },
		"HRANDFIELD":   func(tx *Tx) error { _, _, err := tx.Hash(k).RandField(1); return err },
		"HSCAN":        func(tx *Tx) error { _, err := tx.Hash(k).Scan(nil, 10, nil, false); return err },
	} {
		if err := tryUpdate(d, fn); !errors.Is(err, ErrWrongType) {
			t.Errorf("%s on a string: %v, want WRONGTYPE", name, err)
		}
	}
	// And the other way round: a set is not a hash, a hash not a set.
	hsHSet(t, d, "h", "a", "1")
	if err := tryUpdate(d, func(tx *Tx) error { _, err := tx.Set([]byte("h")).Add(toBytes("a")); return err }); !errors.Is(err, ErrWrongType) {
		t.Errorf("SADD on a hash: %v", err)
	}
	hsSAdd(t, d, "s", "a")
	if err := tryUpdate(d, func(tx *Tx) error { _, err := tx.Hash([]byte("s")).Get(f); return err }); !errors.Is(err, ErrWrongType) {
		t.Errorf("HGET on a set: %v", err)
	}
}

func TestHIncrBy(t *testing.T) {
	d := openTest(t, false)
	incr := func(f string, by int64) (int64, error) {
		var n int64
		err := tryUpdate(d, func(tx *Tx) (err error) {
			n, err = tx.Hash([]byte("h")).IncrBy([]byte(f), by)
			return err
		})
		return n, err
	}
	if n, err := incr("n", 5); n != 5 || err != nil {
		t.Fatalf("HINCRBY new = %d, %v", n, err)
	}
	if n, err := incr("n", -7); n != -2 || err != nil {
		t.Fatalf("HINCRBY -7 = %d, %v", n, err)
	}
	hsHSet(t, d, "h", "s", "abc", "lead", "01", "sp", " 1", "big", "9223372036854775807", "e", "")
	for _, f := range []string{"s", "lead", "sp", "e"} {
		if _, err := incr(f, 1); err != ErrHashNotInt {
			t.Errorf("HINCRBY %s: %v, want %v", f, err, ErrHashNotInt)
		}
	}
	if _, err := incr("big", 1); err != ErrOverflow {
		t.Errorf("HINCRBY past the maximum: %v", err)
	}
	if n, err := incr("big", math.MinInt64); n != -1 || err != nil {
		t.Errorf("HINCRBY big MinInt64 = %d, %v", n, err)
	}
	if got := hsHGetAll(t, d, "h"); !slices.Contains(got, "n=-2") || !slices.Contains(got, "big=-1") || len(got) != 6 {
		t.Fatalf("HGETALL = %q", got)
	}
}

func TestHIncrByFloat(t *testing.T) {
	d := openTest(t, false)
	incr := func(f, by string) (string, error) {
		x, ok := parse.LongDouble([]byte(by))
		if !ok {
			t.Fatalf("%q is not a float", by)
		}
		var v []byte
		err := tryUpdate(d, func(tx *Tx) (err error) {
			v, err = tx.Hash([]byte("h")).IncrByFloat([]byte(f), x)
			return err
		})
		return string(v), err
	}
	// Results as Redis 7 prints them (long double arithmetic).
	for _, c := range []struct{ field, by, want string }{
		{"a", "0.1", "0.1"},
		{"a", "0.2", "0.3"},
		{"b", "1e20", "100000000000000000000"},
		{"b", "1.5", "100000000000000000000"},
		{"c", "3.0e3", "3000"},
		{"d", "0x10", "16"},
		{"e", "-0", "0"},
		{"f", "1e-20", "0"},
		{"g", "10.5", "10.5"},
		{"g", "-20.5", "-10"},
	} {
		if got, err := incr(c.field, c.by); got != c.want || err != nil {
			t.Errorf("HINCRBYFLOAT %s %s = %q, %v; want %q", c.field, c.by, got, err, c.want)
		}
	}
	if got := string(hsHGet(t, d, "h", "a")); got != "0.3" {
		t.Errorf("stored value %q", got)
	}
	hsHSet(t, d, "h", "s", "abc", "sp", " 1", "inf", "inf", "n", "5")
	for _, f := range []string{"s", "sp"} {
		if _, err := incr(f, "1"); err != ErrHashNotFloat {
			t.Errorf("HINCRBYFLOAT %s: %v", f, err)
		}
	}
	if _, err := incr("inf", "1"); err != ErrNaN {
		t.Errorf("HINCRBYFLOAT of inf: %v", err)
	}
	if got, err := incr("n", "1.5"); got != "6.5" || err != nil {
		t.Errorf("HINCRBYFLOAT of an integer = %q, %v", got, err)
	}
	readView(t, d, func(tx *Tx) error {
		n, err := tx.Hash([]byte("h")).Len()
		if n != 11 {
			t.Errorf("HLEN = %d", n)
		}
		return err
	})
}

func TestHRandField(t *testing.T) {
	d := openTest(t, false)
	want := map[string]string{}
	var pairs []string
	for i := range 600 {
		f, v := fmt.Sprintf("f%d", i), fmt.Sprintf("v%d", i)
		want[f] = v
		pairs = append(pairs, f, v)
	}
	hsHSet(t, d, "h", pairs...)
	hsHSet(t, d, "small", "a", "1", "b", "2")
	for _, c := range []struct {
		key      string
		count    int64
		n        int
		distinct bool
	}{
		{"h", 1, 1, true},
		{"h", 100, 100, true}, // windows
		{"h", 400, 400, true}, // reads all
		{"h", 600, 600, true},
		{"h", 10000, 600, true},
		{"h", -700, 700, false},
		{"h", -50, 50, false},
		{"small", 0, 0, true},
		{"small", 5, 2, true},
		{"small", -5, 5, false},
		{"nokey", 3, 0, true},
	} {
		var fs, vs [][]byte
		readView(t, d, func(tx *Tx) (err error) {
			fs, vs, err = tx.Hash([]byte(c.key)).RandField(c.count)
			return err
		})
		if len(fs) != c.n || len(vs) != c.n {
			t.Errorf("HRANDFIELD %s %d: %d fields, %d values; want %d", c.key, c.count, len(fs), len(vs), c.n)
			continue
		}
		seen := map[string]bool{}
		for i := range fs {
			f, v := string(fs[i]), string(vs[i])
			if c.key == "h" && want[f] != v || c.key == "small" && !(f == "a" && v == "1" || f == "b" && v == "2") {
				t.Errorf("HRANDFIELD %s %d returned %q=%q", c.key, c.count, f, v)
			}
			if c.distinct && seen[f] {
				t.Errorf("HRANDFIELD %s %d repeated %q", c.key, c.count, f)
			}
			seen[f] = true
		}
	}
}

func TestHScan(t *testing.T) {
	d := openTest(t, false)
	var pairs []string
	for i := range 50 {
		pairs = append(pairs, fmt.Sprintf("f%d", i), fmt.Sprintf("v%d", i))
	}
	hsHSet(t, d, "h", append(pairs, "other", "x")...)
	var got []string
	var from []byte
	for calls := 0; ; calls++ {
		if calls > 20 {
			t.Fatal("HSCAN does not end")
		}
		var page ScanPage[[]byte]
		readView(t, d, func(tx *Tx) (err error) {
			page, err = tx.Hash([]byte("h")).Scan(from, 7, []byte("f*"), false)
			return err
		})
		if len(page.Items)%2 != 0 {
			t.Fatalf("odd HSCAN page %q", toStrs(page.Items))
		}
		for i := 0; i < len(page.Items); i += 2 {
			got = append(got, string(page.Items[i])+"="+string(page.Items[i+1]))
		}
		if page.Next == nil {
			break
		}
		from = page.Next
	}
	sort.Strings(got)
	var want []string
	for i := 0; i < len(pairs); i += 2 {
		want = append(want, pairs[i]+"="+pairs[i+1])
	}
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("HSCAN MATCH f* = %q", got)
	}
	readView(t, d, func(tx *Tx) error {
		page, err := tx.Hash([]byte("h")).Scan(nil, 100, nil, true)
		if len(page.Items) != 51 || page.Next != nil || strings.HasPrefix(string(page.Items[0]), "v") {
			t.Errorf("HSCAN NOVALUES = %d items, next %q", len(page.Items), page.Next)
		}
		return err
	})
}

func TestHashCosts(t *testing.T) {
	d, cost := openCostTest(t)
	hsHSet(t, d, "h", "a", "1", "b", "2", "c", "3")
	k := []byte("h")
	one := new(big.Float).SetInt64(1)
	for _, c := range []struct {
		name string
		ro   bool
		fn   func(tx *Tx) error
		want string
	}{
		{"HSET", false, func(tx *Tx) error { _, err := tx.Hash(k).Set(toBytes("a", "9", "d", "4")); return err }, "BatchGet=2 Prewrite=1 Commit=1"},
		{"HSET one", false, func(tx *Tx) error { _, err := tx.Hash(k).Set(toBytes("a", "8")); return err }, "Get=1 BatchGet=1 Prewrite=1 Commit=1"},
		{"HSETNX", false, func(tx *Tx) error { _, err := tx.Hash(k).SetNX([]byte("e"), []byte("5")); return err }, "Get=1 BatchGet=1 Prewrite=1 Commit=1"},
		{"HGET", true, func(tx *Tx) error { _, err := tx.Hash(k).Get([]byte("a")); return err }, "Get=1 BatchGet=1"},
		{"HMGET", true, func(tx *Tx) error { _, err := tx.Hash(k).MGet(toBytes("a", "b", "z")); return err }, "BatchGet=2"},
		{"HGETALL", true, func(tx *Tx) error { _, _, err := tx.Hash(k).GetAll(); return err }, "BatchGet=1 Scan=1"},
		{"HLEN", true, func(tx *Tx) error { _, err := tx.Hash(k).Len(); return err }, "BatchGet=1"},
		{"HDEL", false, func(tx *Tx) error { _, err := tx.Hash(k).Del(toBytes("d", "e")); return err }, "BatchGet=2 Prewrite=1 Commit=1"},
		{"HINCRBY", false, func(tx *Tx) error { _, err := tx.Hash(k).IncrBy([]byte("n"), 1); return err }, "Get=1 BatchGet=1 Prewrite=1 Commit=1"},
		{"HINCRBYFLOAT", false, func(tx *Tx) error { _, err := tx.Hash(k).IncrByFloat([]byte("n"), one); return err }, "Get=1 BatchGet=1 Prewrite=1 Commit=1"},
		{"HRANDFIELD", true, func(tx *Tx) error { _, _, err := tx.Hash(k).RandField(1); return err }, "BatchGet=1 Scan=1"},
		{"HSCAN", true, func(tx *Tx) error { _, err := tx.Hash(k).Scan(nil, 10, nil, false); return err }, "BatchGet=1 Scan=1"},
	} {
		if got := cost(c.ro, []string{"h"}, c.fn); got != c.want {
			t.Errorf("%s costs %s, want %s", c.name, got, c.want)
		}
	}
}
