package tests

import (
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestCommandDifferential compares COMMAND with redis-server 7.0: the
// COMMAND INFO and COMMAND DOCS entry of every command titan has (of a
// container, the subcommands titan lists), COMMAND GETKEYS, COUNT and
// LIST with filters.
func TestCommandDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	list, err := d.titan.Do(d.ctx, "command", "list").StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	// COMMAND LIST names the commands and, as Redis's does, the
	// subcommands of containers ("client|list"): those titan implements,
	// which the COMMAND INFO of a container lists.
	var top, listedSubs, subs []string
	for _, n := range list {
		if strings.Contains(n, "|") {
			listedSubs = append(listedSubs, n)
		} else {
			top = append(top, n)
		}
	}
	containers, _ := d.both("command", "info", "client", "config", "object", "command", "pubsub")
	for _, c := range containers.elems {
		for _, s := range c.elems[9].elems {
			subs = append(subs, s.elems[0].str)
		}
	}
	if len(top) < 100 || len(subs) < 10 {
		t.Fatalf("COMMAND LIST: %d commands, %d subcommands", len(top), len(subs))
	}
	sort.Strings(listedSubs)
	sort.Strings(subs)
	if !slices.Equal(listedSubs, subs) {
		t.Fatalf("COMMAND LIST subcommands %v, COMMAND INFO of the containers lists %v", listedSubs, subs)
	}

	t.Run("info", func(t *testing.T) {
		for _, name := range top {
			got, want := d.both("command", "info", name)
			if len(got.elems) != 1 || len(want.elems) != 1 || len(got.elems[0].elems) != 10 || len(want.elems[0].elems) != 10 {
				t.Errorf("COMMAND INFO %s:\n    redis: %s\n    titan: %s", name, want, got)
				continue
			}
			g, w := got.elems[0].elems, want.elems[0].elems
			if (respReply{kind: '*', elems: g[:9]}).String() != (respReply{kind: '*', elems: w[:9]}).String() {
				t.Errorf("COMMAND INFO %s:\n    redis: %s\n    titan: %s", name, want, got)
			}
			redisSubs := map[string]string{}
			for _, s := range w[9].elems {
				redisSubs[s.elems[0].str] = s.String()
			}
			if len(w[9].elems) > 0 && len(g[9].elems) == 0 {
				t.Errorf("COMMAND INFO %s lists no subcommands", name)
			}
			for _, s := range g[9].elems {
				if s.String() != redisSubs[s.elems[0].str] {
					t.Errorf("COMMAND INFO %s, subcommand %s:\n    redis: %s\n    titan: %s", name, s.elems[0].str, redisSubs[s.elems[0].str], s)
				}
			}
		}
		for _, name := range subs {
			d.run("command info " + name)
		}
		d.run("command info get nosuchcommand mset", "command info client|nosuch CLIENT|LIST nosuch|x")
	})

	t.Run("docs", func(t *testing.T) {
		for _, name := range top {
			got, want := d.both("command", "docs", name)
			if len(got.elems) != 2 || len(want.elems) != 2 || got.elems[0].str != name {
				t.Errorf("COMMAND DOCS %s:\n    redis: %s\n    titan: %s", name, want, got)
				continue
			}
			g, w := got.elems[1].elems, want.elems[1].elems
			redisField := map[string]respReply{}
			for i := 0; i+1 < len(w); i += 2 {
				redisField[w[i].str] = w[i+1]
			}
			if len(g) != len(w) {
				t.Errorf("COMMAND DOCS %s: %d fields, redis %d", name, len(g)/2, len(w)/2)
			}
			for i := 0; i+1 < len(g); i += 2 {
				field, gv, wv := g[i].str, g[i+1], redisField[g[i].str]
				if field != "subcommands" {
					if gv.String() != wv.String() || g[i].String() != w[i].String() {
						t.Errorf("COMMAND DOCS %s, %s:\n    redis: %s\n    titan: %s", name, field, wv, gv)
					}
					continue
				}
				redisSubs := map[string]string{}
				for j := 0; j+1 < len(wv.elems); j += 2 {
					redisSubs[wv.elems[j].str] = wv.elems[j+1].String()
				}
				for j := 0; j+1 < len(gv.elems); j += 2 {
					sub := gv.elems[j].str
					if gv.elems[j+1].String() != redisSubs[sub] {
						t.Errorf("COMMAND DOCS %s, subcommand %s:\n    redis: %s\n    titan: %s", name, sub, redisSubs[sub], gv.elems[j+1])
					}
				}
			}
		}
		for _, name := range subs {
			d.run("command docs " + name)
		}
		d.run("command docs nosuch", "command docs get nosuch SET", "command docs client|nosuch", "command docs CLIENT|list")
	})

	t.Run("getkeys", func(t *testing.T) {
		d.t = t
		d.run(
			"command getkeys get a", "command getkeys GET a", "command getkeys set a b ex 10 get",
			"command getkeys mset a 1 b 2 c 3", "command getkeys mset a 1 b", "command getkeys mget a b c",
			"command getkeys del a b c", "command getkeys msetnx a 1 b 2", "command getkeys bitop and d a b",
			"command getkeys zunionstore d 2 a b weights 1 2", "command getkeys zunionstore d 3 a b",
			"command getkeys zunionstore d 0 a", "command getkeys zunionstore d x a", "command getkeys zunionstore d +1 a",
			"command getkeys zinterstore d 1 a", "command getkeys zdiffstore d 2 a b",
			"command getkeys zintercard 2 a b limit 3", "command getkeys zintercard 1 a", "command getkeys zintercard 3 a b",
			"command getkeys sintercard 2 a b", "command getkeys sintercard 2 a b limit 1", "command getkeys sintercard 3 a b",
			"command getkeys sintercard 01 a", "command getkeys lmpop 2 a b left", "command getkeys lmpop 1 a right count 2",
			"command getkeys lmpop 0 a left", "command getkeys zmpop 2 a b min", "command getkeys zmpop 1 a max count 3",
			"command getkeys zinter 2 a b", "command getkeys zinter 2 a b withscores", "command getkeys zunion 1 a",
			"command getkeys zdiff 2 a b withscores", "command getkeys zdiff 3 a b",
			"command getkeys zrangestore d s 0 1", "command getkeys sinterstore d a b", "command getkeys smove a b m",
			"command getkeys lmove a b left right", "command getkeys rpoplpush a b", "command getkeys copy a b db 1",
			"command getkeys rename a b", "command getkeys watch a b", "command getkeys object encoding k",
			"command getkeys object help", "command getkeys object nosuch k", "command getkeys client list",
			"command getkeys sort k", "command getkeys sort k store d", "command getkeys sort k by x get y store d limit 0 1",
			"command getkeys sort k store d store e", "command getkeys sort_ro k by x",
			"command getkeys eval s 2 a b c", "command getkeys eval s 0", "command getkeys evalsha x 1 k", "command getkeys fcall f 2 a b x",
			"command getkeys xread count 2 streams a b 0 0", "command getkeys georadius k 0 0 1 km store d",
			"command getkeys migrate h 1 k 0 1", `command getkeys migrate h 1 "" 0 1 keys a b`, "command getkeys blmpop 0 2 a b left",
			"command getkeysandflags set a b", "command getkeysandflags mset a 1 b 2", "command getkeysandflags zunionstore d 2 a b",
			"command getkeysandflags lmove a b left right", "command getkeysandflags sort k store d", "command getkeysandflags eval s 1 a",
			"command getkeys", "command getkeys get", "command getkeys foo bar", "command getkeys ping x", "command getkeys get a b",
			"command getkeysandflags set a b ex 1 GET", "command getkeysandflags bitfield k get u8 0 overflow wrap",
			"command getkeysandflags bitfield k get u8 0 set u8 0 1", "command getkeysandflags bitfield k get u8",
			"command getkeys set a", "command getkeys spublish c m", "command getkeysandflags ping", "command getkeys zrank z m withscore",
		)
	})

	t.Run("count and list", func(t *testing.T) {
		d.t = t
		count, err := d.titan.Do(d.ctx, "command", "count").Int()
		if err != nil || count != len(top) {
			t.Fatalf("COMMAND COUNT = %d, %v; COMMAND LIST has %d commands", count, err, len(top))
		}
		titanHas := map[string]bool{}
		for _, n := range list {
			titanHas[n] = true
		}
		for _, filter := range [][]any{
			{"aclcat", "read"}, {"aclcat", "WRITE"}, {"aclcat", "fast"}, {"aclcat", "connection"}, {"aclcat", "keyspace"},
			{"aclcat", "dangerous"}, {"aclcat", "admin"}, {"aclcat", "nosuch"}, {"pattern", "z*"}, {"pattern", "client*"},
			{"pattern", "*get*"}, {"pattern", "?et"}, {"pattern", "CONFIG*"}, {"module", "x"},
		} {
			args := append([]any{"command", "list", "filterby"}, filter...)
			got, err := d.titan.Do(d.ctx, args...).StringSlice()
			if err != nil {
				t.Fatal(err)
			}
			all, err := d.redis.Do(d.ctx, args...).StringSlice()
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, n := range all {
				if titanHas[n] {
					want = append(want, n)
				}
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("COMMAND LIST FILTERBY %v:\n    redis: %v\n    titan: %v", filter, want, got)
			}
		}
		d.run("command list filterby aclcat", "command list filterby foo x", "command list filterby aclcat read pattern x",
			"command count x", "command foo", "command help", "command help x")
	})
}
