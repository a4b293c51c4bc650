package dirty

import (
	"context"
	"sort"
	"testing"

	"github.com/titan-kv/titan/tools/dualwrite/internal/testutil"
)

func TestOwnersKeepEachOthersFlag(t *testing.T) {
	p := testutil.Client(t, testutil.StartRedis(t).Addr)
	ctx := context.Background()
	if on, err := Active(ctx, p); err != nil || on {
		t.Fatalf("active before any raise: %v %v", on, err)
	}
	sync, fix := Owner("sync"), Owner("verify-fix")
	for _, o := range []string{sync, fix} {
		if err := Raise(ctx, p, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := Lower(ctx, p, fix); err != nil {
		t.Fatal(err)
	}
	if on, _ := Active(ctx, p); !on {
		t.Fatal("verify --fix ending lowered the flag of a running sync")
	}
	Lower(ctx, p, sync)
	if on, _ := Active(ctx, p); on {
		t.Fatal("flag still up after both owners lowered theirs")
	}
	// A field whose time ran out (a crashed owner) does not count.
	testutil.Do(t, p, "HSET", FlagKey, "dead", "1")
	if on, _ := Active(ctx, p); on {
		t.Fatal("a dead owner keeps proxies marking")
	}
}

func TestTakeIsCrashSafe(t *testing.T) {
	p := testutil.Client(t, testutil.StartRedis(t).Addr)
	ctx := context.Background()
	testutil.Do(t, p, "SADD", SetKey, "a", "b", "c")
	crashed := Taker{Titan: p, Owner: "crashed"}
	keys, err := crashed.Take(ctx, 2)
	if err != nil || len(keys) != 2 {
		t.Fatalf("take: %q %v", keys, err)
	}
	// The taker dies before copying: a new one takes its keys back.
	next := Taker{Titan: p, Owner: "next"}
	if n, err := next.Recover(ctx); err != nil || n != 2 {
		t.Fatalf("recover: %d %v", n, err)
	}
	var all []string
	for {
		keys, err := next.Take(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) == 0 {
			break
		}
		for _, k := range keys {
			all = append(all, string(k))
		}
		// A mark arriving during the copy stays for the next round.
		testutil.Do(t, p, "SADD", SetKey, "late")
		if err := next.Done(ctx, keys); err != nil {
			t.Fatal(err)
		}
		if len(all) >= 3 {
			break
		}
	}
	sort.Strings(all)
	if len(all) < 3 || all[0] != "a" || all[1] != "b" || all[2] != "c" {
		t.Fatalf("taken %q, want a b c", all)
	}
	if n, _ := Count(ctx, p); n != 1 {
		t.Errorf("%d dirty left, want the late mark", n)
	}
	if v := testutil.Do(t, p, "KEYS", processingPrefix+"*"); len(v.Elems) != 0 {
		t.Errorf("processing sets left: %v", v)
	}
}
