package command

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tikv/client-go/v2/tikvrpc"
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/store"
)

// TestCommandNeedsAuth: with a password set, COMMAND answers NOAUTH
// before AUTH, as Redis does (issue 18 item 6).
func TestCommandNeedsAuth(t *testing.T) {
	st, err := store.Open(context.Background(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := db.New(st, db.Options{}, nil)
	t.Cleanup(func() { d.Close(); st.Close() })
	e := NewEngine(Config{Databases: 16, RequirePass: "pw"}, d, nil)
	cl, err := e.Connect("test:1", "test:2", func() {})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"COMMAND", "COMMAND COUNT", "COMMAND DOCS get", "INFO", "CONFIG GET maxclients", "CLIENT LIST", "ECHO x"} {
		if got := run(t, e, cl, c); got != "-NOAUTH Authentication required.\r\n" {
			t.Errorf("%s before AUTH = %q", c, got)
		}
	}
	if got := run(t, e, cl, "AUTH pw", "COMMAND COUNT"); !strings.HasPrefix(got, "+OK\r\n:") {
		t.Errorf("after AUTH: %q", got)
	}
}

// TestErrorReplyHidesInternals: store failures reach the client as short
// Redis-style errors without paths, protobuf text or client-go wording
// (issue 18 item 5).
func TestErrorReplyHidesInternals(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{db.ErrWrongType, "WRONGTYPE Operation against a key holding the wrong kind of value"},
		{fmt.Errorf("commit: %w", errors.New("write /data/kv/000006.log: no space left on device")), "ERR store unavailable, try again"},
		{fmt.Errorf("get: %w", errors.New("epoch_not_match:<> ")), "ERR store unavailable, try again"},
		{fmt.Errorf("commit: %w", errors.New("raft_entry_too_large:<region_id:2 entry_size:9000000 >")), "ERR value too large for the store, try a smaller value"},
		{fmt.Errorf("batch: %w", context.DeadlineExceeded), "ERR store timeout, try again"},
		{fmt.Errorf("%w: %w", db.ErrUndetermined, errors.New("rpc error")), "ERR store unavailable, the command may or may not have taken effect"},
	}
	for _, c := range cases {
		if got := errorReply("test", c.err); got != c.want {
			t.Errorf("errorReply(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// TestStoreFaultHeals: while the store refuses writes (as a full disk
// does), writes fail with a short error, INFO and StoreHealth report the
// store unhealthy; once the cause is gone, the same connection works
// again without a restart and the store is healthy (issue 18 items 4, 7).
func TestStoreFaultHeals(t *testing.T) {
	var full atomic.Bool
	st, err := store.Open(context.Background(), store.Options{Fault: func(r *tikvrpc.Request) error {
		if full.Load() && (r.Type == tikvrpc.CmdPrewrite || r.Type == tikvrpc.CmdCommit) {
			return errors.New("write /data/kv/000006.log: no space left on device")
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	d := db.New(st, db.Options{Batch: db.BatchOptions{Enabled: true}, CommandTimeout: 500 * time.Millisecond}, nil)
	t.Cleanup(func() { d.Close(); st.Close() })
	e := NewEngine(Config{Databases: 16}, d, nil)
	cl, err := e.Connect("test:1", "test:2", func() {})
	if err != nil {
		t.Fatal(err)
	}
	if got := run(t, e, cl, "SET k v"); got != "+OK\r\n" {
		t.Fatalf("SET = %q", got)
	}
	full.Store(true)
	for range 3 {
		got := run(t, e, cl, "SET k v2")
		if got != "-"+db.ReplyTimeout+"\r\n" && got != "-"+db.ReplyUnavailable+"\r\n" {
			t.Fatalf("SET with the disk full = %q", got)
		}
	}
	if ok, why := d.StoreHealth(); ok {
		t.Fatal("store reported healthy while writes fail")
	} else {
		t.Logf("unhealthy: %s", why)
	}
	if got := run(t, e, cl, "INFO server"); !strings.Contains(got, "store_status:unhealthy: store") {
		t.Fatalf("INFO while writes fail:\n%s", got)
	}
	full.Store(false)
	if got := run(t, e, cl, "SET k v3", "GET k"); got != "+OK\r\n$2\r\nv3\r\n" {
		t.Fatalf("after the disk was freed: %q", got)
	}
	if ok, why := d.StoreHealth(); !ok {
		t.Fatalf("store still unhealthy after it healed: %s", why)
	}
	if got := run(t, e, cl, "INFO server"); !strings.Contains(got, "store_status:ok") {
		t.Fatalf("INFO after healing:\n%s", got)
	}
}
