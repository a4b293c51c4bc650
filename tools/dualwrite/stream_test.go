package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

// TestStreamsSyncVerifyFix migrates streams with consumer groups from
// sharded redis-servers: sync copies them (RESTORE), verify compares
// them (XINFO STREAM FULL) and finds changes to entries, PELs, consumers
// and counters made on the target, and verify --fix copies them again.
func TestStreamsSyncVerifyFix(t *testing.T) {
	shards := startShards(t, 2)
	tg := startTarget(t)
	ctx := context.Background()
	var keys []string
	for i := range 6 {
		k := fmt.Sprintf("st:%d", i)
		keys = append(keys, k)
		p := shards.pool(k)
		var cmds [][][]byte
		n := 200
		if i == 0 {
			n = 1000 // tens of listpack nodes
		}
		for j := 1; j <= n; j++ {
			cmds = append(cmds, resp.Args("XADD", k, strconv.Itoa(j)+"-0", "f", strconv.Itoa(j), "v", strings.Repeat("x", j%20)))
		}
		cmds = append(cmds,
			resp.Args("XDEL", k, "7-0"),
			resp.Args("XGROUP", "CREATE", k, "g", "0"),
			resp.Args("XREADGROUP", "GROUP", "g", "alice", "COUNT", "50", "STREAMS", k, ">"),
			resp.Args("XREADGROUP", "GROUP", "g", "bob", "COUNT", "5", "STREAMS", k, ">"),
			resp.Args("XACK", k, "g", "3-0"),
			resp.Args("XGROUP", "CREATE", k, "late", "$"))
		if i%2 == 1 {
			cmds = append(cmds, resp.Args("PEXPIRE", k, "600000"))
		}
		vs, err := p.Pipeline(ctx, cmds)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if v.IsError() {
				t.Fatalf("seed %s: %v", k, v)
			}
		}
	}
	if out, logs, err := cli(ctx, append(append([]string{"sync"}, shards.sourceFlags()...), "--titan", tg.Addr, "--settle", "100ms")...); err != nil {
		t.Fatalf("sync: %v\n%s%s", err, out, logs)
	}
	verifyClean(t, shards.sourceFlags(), tg.Addr)
	titan := testutil.Client(t, tg.Addr)
	if v := testutil.Do(t, titan, "XLEN", "st:0"); v.Int != 999 {
		t.Fatalf("XLEN st:0 on titan after sync: %v", v)
	}

	inject := map[string][]string{
		"st:0": {"XACK", "st:0", "g", "10-0"},
		"st:1": {"XADD", "st:1", "500-0", "f", "x"},
		"st:2": {"XGROUP", "DELCONSUMER", "st:2", "g", "bob"},
		"st:3": {"XTRIM", "st:3", "MAXLEN", "100"},
		"st:4": {"DEL", "st:4"},
		"st:5": {"XGROUP", "SETID", "st:5", "late", "0"},
	}
	for _, cmd := range inject {
		if v := testutil.Do(t, titan, cmd...); v.IsError() {
			t.Fatalf("%v: %v", cmd, v)
		}
	}
	args := append(append([]string{"verify"}, shards.sourceFlags()...), "--titan", tg.Addr, "--ttl-tolerance", "2s")
	out, _, err := cli(ctx, args...)
	if exitStatus(err) != 1 {
		t.Fatalf("verify with differences: exit %d (%v), want 1\n%s", exitStatus(err), err, out)
	}
	for k := range inject {
		if !strings.Contains(out, strconv.Quote(k)) {
			t.Errorf("difference in %q not reported:\n%s", k, out)
		}
	}
	if !strings.Contains(out, fmt.Sprintf("%d differ", len(inject))) {
		t.Errorf("summary: %s", out)
	}
	out, _, err = cli(ctx, append(args, "--fix", "--settle", "100ms")...)
	if err != nil || !strings.Contains(out, fmt.Sprintf("%d fixed", len(inject))) {
		t.Fatalf("verify --fix: %v\n%s", err, out)
	}
	verifyClean(t, shards.sourceFlags(), tg.Addr)
}
