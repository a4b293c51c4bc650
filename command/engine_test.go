package command

import (
	"context"
	"os"
	"strings"
	"testing"

	plog "github.com/pingcap/log"
	"go.uber.org/zap/zapcore"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/resp"
	"github.com/titan-kv/titan/store"
)

func TestMain(m *testing.M) {
	plog.SetLevel(zapcore.ErrorLevel) // client-go's own logging
	os.Exit(m.Run())
}

// run sends one pipeline through the engine and returns the raw replies.
func run(t *testing.T, e *Engine, cl *Client, cmds ...string) string {
	t.Helper()
	var batch [][][]byte
	for _, c := range cmds {
		var args [][]byte
		for _, f := range strings.Fields(c) {
			args = append(args, []byte(f))
		}
		batch = append(batch, args)
	}
	return string(e.Run(cl, batch, nil))
}

// TestPanicIsAnError: a bug that panics in a handler or inside the store
// transaction answers an error; the other commands of the pipeline and the
// engine go on.
func TestPanicIsAnError(t *testing.T) {
	e := newTestEngine(t)
	// Test-only commands borrow the specs of DBSIZE (no arguments) and
	// PERSIST (one key).
	e.table["boom"] = cmd("dbsize", func(c *Call) { panic("handler bug") })
	e.table["boomtx"] = cmd("persist", func(c *Call) {
		c.Write(func(tx *db.Tx) (resp.Reply, error) { panic("store bug") })
	})
	cl, err := e.Connect("test:1", "test:2", func() {})
	if err != nil {
		t.Fatal(err)
	}
	got := run(t, e, cl, "SET k v", "BOOM", "BOOMTX k", "GET k")
	want := "+OK\r\n-ERR internal error in 'boom': handler bug\r\n-ERR internal error: store bug\r\n$1\r\nv\r\n"
	if got != want {
		t.Fatalf("replies = %q, want %q", got, want)
	}
	if got := run(t, e, cl, "PING"); got != "+PONG\r\n" {
		t.Fatalf("after the panics PING = %q", got)
	}
}

// newTestEngine returns an engine over an in-memory embedded store with
// write batching on.
func newTestEngine(t testing.TB) *Engine {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := db.New(st, db.Options{Batch: db.BatchOptions{Enabled: true}}, nil)
	t.Cleanup(func() { d.Close(); st.Close() })
	return NewEngine(Config{Databases: 16}, d, nil)
}

// panicReply is a reply whose encoding panics, as a bug in a reply type
// would.
type panicReply struct{}

func (panicReply) Append([]byte, resp.Proto) []byte { panic("reply bug") }

// TestReplyPanicInExec: a reply that panics inside EXEC answers an error
// for that command alone; the others, committed, answer as usual.
func TestReplyPanicInExec(t *testing.T) {
	e := newTestEngine(t)
	e.table["boomreply"] = cmd("dbsize", func(c *Call) { c.Reply(panicReply{}) })
	cl, err := e.Connect("test:1", "test:2", func() {})
	if err != nil {
		t.Fatal(err)
	}
	got := run(t, e, cl, "BOOMREPLY", "MULTI", "SET a 1", "BOOMREPLY", "SET b 2", "EXEC", "GET b")
	want := "-ERR internal error in 'boomreply': reply bug\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n" +
		"*3\r\n+OK\r\n-ERR internal error in 'boomreply': reply bug\r\n+OK\r\n$1\r\n2\r\n"
	if got != want {
		t.Fatalf("replies = %q, want %q", got, want)
	}
}
