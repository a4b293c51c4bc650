package proxy

import (
	"context"
	"strings"
	"testing"

	"github.com/titan-kv/titan/tools/dualwrite/internal/resp"
)

// TestRepairReplaysHeldWrites: with a snapshot copy (hold), the writes
// before the snapshot are dropped (the snapshot has them), the writes
// after it are replayed in order instead of asking for another copy, and
// the key is then handed back to the queue.
func TestRepairReplaysHeldWrites(t *testing.T) {
	p := newTestProxy(t, newFakeSource())
	q := p.titanQ
	var applied []string
	reply := resp.OK()
	q.apply = func(_ context.Context, ops []*op) ([]resp.Value, error) {
		vs := make([]resp.Value, len(ops))
		for i, o := range ops {
			applied = append(applied, string(joinArgs(o.args)))
			vs[i] = reply
		}
		return vs, nil
	}
	ok := resp.OK()
	q.enqueue(&op{key: "k", args: split("SET k 1"), redis: ok, compare: true})
	q.beginCopy("k", true)
	q.enqueue(&op{key: "k", args: split("SET k 2"), redis: ok, compare: true}) // before the snapshot
	q.hold("k")
	q.enqueue(&op{key: "k", args: split("SET k 3"), redis: ok, compare: true})
	q.enqueue(&op{key: "k", args: split("SET k 4"), redis: ok, compare: true})
	if again := q.replayHeld(context.Background(), "k"); again {
		t.Fatal("held writes replayed cleanly, yet another copy was asked for")
	}
	if got := strings.Join(applied, ","); got != "SET k 3,SET k 4" {
		t.Errorf("replayed %q, want the writes after the snapshot, in order", got)
	}
	s := q.shard("k")
	s.mu.Lock()
	st := s.keys["k"]
	if st == nil || st.repairing || st.holding || st.queued != 1 {
		t.Errorf("key state after the replay %+v, want handed back with the write queued before the copy", st)
	}
	s.mu.Unlock()

	// A replayed write titan answers differently asks for a copy.
	applied, reply = nil, resp.Int(7)
	q.beginCopy("k", true)
	q.hold("k")
	q.enqueue(&op{key: "k", args: split("SET k 5"), redis: ok, compare: true})
	if again := q.replayHeld(context.Background(), "k"); !again {
		t.Error("a differing reply during the replay did not ask for another copy")
	}
	// Too many writes during the copy fall back to another copy.
	q.beginCopy("k", true)
	q.hold("k")
	for range maxHeld + 1 {
		q.enqueue(&op{key: "k", args: split("SET k 6"), redis: ok, compare: true})
	}
	if again := q.replayHeld(context.Background(), "k"); !again {
		t.Error("an overflow of held writes did not ask for another copy")
	}
}
