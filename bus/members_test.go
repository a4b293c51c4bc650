package bus

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestMembers: every bus sees the live members with the info each
// published (cluster mode's announce address); one that stops without
// leaving (a crash) drops out of the others' members when its lease ends,
// one that comes back is seen again.
func TestMembers(t *testing.T) {
	reg := newMemRegistry()
	start := func(i int) *Bus {
		b := New(Options{LeaseTTL: 300 * time.Millisecond, Info: fmt.Sprintf("10.0.0.%d:6379", i)}, reg, nil)
		if err := b.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		return b
	}
	infos := func(b *Bus) []string {
		var out []string
		for _, m := range b.Members() {
			out = append(out, m.Info)
		}
		slices.Sort(out)
		return out
	}
	a, b, c := start(1), start(2), start(3)
	all := []string{"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"}
	waitFor(t, "three members", func() bool {
		return slices.Equal(infos(a), all) && slices.Equal(infos(b), all) && slices.Equal(infos(c), all)
	})
	c.Stop()
	waitFor(t, "the crashed member to drop out", func() bool {
		return slices.Equal(infos(a), all[:2]) && slices.Equal(infos(b), all[:2])
	})
	start(3)
	waitFor(t, "the member to come back", func() bool { return slices.Equal(infos(a), all) })
	if ms := New(Options{Info: "x:1"}, reg, nil).Members(); len(ms) != 1 || ms[0].Info != "x:1" {
		t.Fatalf("members before Start: %+v", ms)
	}
}
