package command

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/titan-kv/titan/cluster"
	"github.com/titan-kv/titan/db"
)

// fakeMembers is a bus whose registry holds fixed members.
type fakeMembers []db.Member

func (fakeMembers) Handle(byte, func([]byte) []byte)            {}
func (fakeMembers) Broadcast(byte, []byte)                      {}
func (fakeMembers) Call(context.Context, byte, []byte) [][]byte { return nil }
func (m fakeMembers) Members() []db.Member                      { return m }

func newClusterEngine(t *testing.T, scanLimit int, members fakeMembers) (*Engine, *Client) {
	t.Helper()
	e := newTestEngine(t)
	e.cfg.Cluster = ClusterConfig{Enabled: true, Announce: "127.0.0.1:7000", ScanLimit: scanLimit}
	e.UseBus(members)
	cl, err := e.Connect("test:1", "test:2", func() {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Disconnect(cl) })
	return e, cl
}

// TestClusterMapFromMembers: the map holds this instance and the members
// that published an announce address, each once; members without one
// (cluster mode off) or with a malformed one are left out.
func TestClusterMapFromMembers(t *testing.T) {
	e, cl := newClusterEngine(t, 0, fakeMembers{
		{ID: "a", Info: "127.0.0.1:7001"}, {ID: "b"}, {ID: "c", Info: "127.0.0.1:7002"},
		{ID: "d", Info: "127.0.0.1:7001"}, {ID: "e", Info: "garbage"}, {ID: "self", Info: "127.0.0.1:7000"},
	})
	nodes := run(t, e, cl, "cluster nodes")
	lines := strings.Split(strings.TrimSpace(nodes[strings.Index(nodes, "\n")+1:]), "\n")
	if len(lines) != 3 || strings.Count(nodes, "myself,master") != 1 {
		t.Fatalf("CLUSTER NODES:\n%s", nodes)
	}
	for _, want := range []string{"127.0.0.1:7000@17000", "127.0.0.1:7001@17001", "127.0.0.1:7002@17002", " 0-5460\n", " 5461-10921\n", " 10922-16383\n"} {
		if !strings.Contains(nodes, want) {
			t.Errorf("CLUSTER NODES without %q:\n%s", want, nodes)
		}
	}
	other := cluster.NodeID("127.0.0.1:7002")
	if got := run(t, e, cl, "cluster replicas "+other, "cluster count-failure-reports "+other, "cluster myid"); got != "*0\r\n:0\r\n$40\r\n"+cluster.NodeID("127.0.0.1:7000")+"\r\n" {
		t.Fatalf("replies: %q", got)
	}
	if got := run(t, e, cl, "cluster info"); !strings.Contains(got, "cluster_known_nodes:3\r\ncluster_size:3\r\n") {
		t.Fatalf("CLUSTER INFO: %q", got)
	}
}

// TestClusterSlotWalkLimit: COUNTKEYSINSLOT and GETKEYSINSLOT answer
// within the scan limit and refuse past it.
func TestClusterSlotWalkLimit(t *testing.T) {
	e, cl := newClusterEngine(t, 5, nil)
	run(t, e, cl, "mset {a}1 x {a}2 x {a}3 x")
	slot := cluster.KeySlot([]byte("a"))
	if got := run(t, e, cl, "cluster countkeysinslot "+strconv.Itoa(slot), "cluster getkeysinslot "+strconv.Itoa(slot)+" 2"); got != ":3\r\n*2\r\n$4\r\n{a}1\r\n$4\r\n{a}2\r\n" {
		t.Fatalf("within the limit: %q", got)
	}
	run(t, e, cl, "mset |1 x |2 x |3 x") // after {a}... in key order
	if got := run(t, e, cl, "cluster countkeysinslot "+strconv.Itoa(slot)); !strings.HasPrefix(got, "-ERR titan keeps no index of keys by slot: CLUSTER COUNTKEYSINSLOT walks the database and gives up past 5 keys") {
		t.Fatalf("past the limit: %q", got)
	}
	// GETKEYSINSLOT stops as soon as it has its keys.
	if got := run(t, e, cl, "cluster getkeysinslot "+strconv.Itoa(slot)+" 3"); got != "*3\r\n$4\r\n{a}1\r\n$4\r\n{a}2\r\n$4\r\n{a}3\r\n" {
		t.Fatalf("found within the limit: %q", got)
	}
	if got := run(t, e, cl, "cluster getkeysinslot "+strconv.Itoa(slot)+" 4"); !strings.HasPrefix(got, "-ERR titan keeps no index") {
		t.Fatalf("not found within the limit: %q", got)
	}
	if got := run(t, e, cl, "cluster getkeysinslot 0 9223372036854775807"); !strings.HasPrefix(got, "-ERR titan keeps no index") {
		t.Fatalf("huge count: %q", got)
	}
}
