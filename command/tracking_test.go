package command

import (
	"strconv"
	"strings"
	"testing"
)

// TestClientTracking checks CLIENT TRACKING, CACHING, TRACKINGINFO and
// GETREDIR against the replies redis-server 7.0.15 gave to the same
// commands over RESP3.
func TestClientTracking(t *testing.T) {
	e := newTestEngine(t)
	cl, err := e.Connect("test:1", "test:2", func() {})
	if err != nil {
		t.Fatal(err)
	}
	off := "%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n"
	steps := []struct{ cmd, want string }{
		{"hello 3", ""},
		{"client trackinginfo", off},
		{"client getredir", ":-1\r\n"},
		{"client caching yes", "-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled\r\n"},
		{"client tracking", "-ERR wrong number of arguments for 'client|tracking' command\r\n"},
		{"client tracking foo", "-ERR syntax error\r\n"},
		{"client tracking on foo", "-ERR syntax error\r\n"},
		{"client tracking on prefix a", "-ERR PREFIX option requires BCAST mode to be enabled\r\n"},
		{"client tracking on redirect", "-ERR syntax error\r\n"},
		{"client tracking on redirect abc", "-ERR value is not an integer or out of range\r\n"},
		{"client tracking on redirect 999999", "-ERR The client ID you want redirect to does not exist\r\n"},
		{"client tracking on redirect 0", "-ERR The client ID you want redirect to does not exist\r\n"},
		{"client tracking on redirect 1 redirect 1", "-ERR A client can only redirect to a single other client\r\n"},
		{"client tracking on bcast optin", "-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n"},
		{"client tracking on optin optout", "-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n"},
		{"client tracking on bcast prefix a prefix ab", "-ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client must not overlap.\r\n"},
		{"client tracking off prefix a", "+OK\r\n"},
		{"client tracking on optin noloop", "+OK\r\n"},
		{"client trackinginfo", "%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\noptin\r\n$6\r\nnoloop\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n"},
		{"client getredir", ":0\r\n"},
		{"client caching no", "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n"},
		{"client caching foo", "-ERR syntax error\r\n"},
		{"client caching yes", "+OK\r\n"},
		{"client trackinginfo", "%3\r\n$5\r\nflags\r\n~4\r\n$2\r\non\r\n$5\r\noptin\r\n$11\r\ncaching-yes\r\n$6\r\nnoloop\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n"},
		{"client trackinginfo", "%3\r\n$5\r\nflags\r\n~4\r\n$2\r\non\r\n$5\r\noptin\r\n$11\r\ncaching-yes\r\n$6\r\nnoloop\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n"},
		{"get x", "_\r\n"},
		{"client trackinginfo", "%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\noptin\r\n$6\r\nnoloop\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n"},
		{"client tracking on optout", "-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.\r\n"},
		{"client tracking on bcast", "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.\r\n"},
		{"client tracking on", "+OK\r\n"},
		{"client tracking off", "+OK\r\n"},
		{"client tracking on optout redirect 1", "+OK\r\n"},
		{"client caching no", "+OK\r\n"},
		{"client trackinginfo", "%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$6\r\noptout\r\n$10\r\ncaching-no\r\n$8\r\nredirect\r\n:1\r\n$8\r\nprefixes\r\n*0\r\n"},
		{"client getredir", ":1\r\n"},
		{"client tracking off", "+OK\r\n"},
		{"client tracking on bcast prefix a prefix b noloop", "+OK\r\n"},
		{"client trackinginfo", "%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\nbcast\r\n$6\r\nnoloop\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
		{"client tracking on bcast prefix c", "+OK\r\n"},
		{"client trackinginfo", "%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\nbcast\r\n$6\r\nnoloop\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"},
		{"client tracking on bcast prefix cd", "-ERR Prefix 'cd' overlaps with an existing prefix 'c'. Prefixes for a single client must not overlap.\r\n"},
		{"client tracking off", "+OK\r\n"},
		{"client tracking on bcast", "+OK\r\n"},
		{"client trackinginfo", "%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*1\r\n$0\r\n\r\n"},
		{"client tracking on bcast prefix a", "-ERR Prefix 'a' overlaps with an existing prefix ''. Prefixes for a single client must not overlap.\r\n"},
		{"reset", "+RESET\r\n"},
		{"client trackinginfo", "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n"},
		{"client caching", "-ERR wrong number of arguments for 'client|caching' command\r\n"},
		{"client trackinginfo x", "-ERR wrong number of arguments for 'client|trackinginfo' command\r\n"},
		{"client getredir x", "-ERR wrong number of arguments for 'client|getredir' command\r\n"},
	}
	for _, s := range steps {
		got := run(t, e, cl, s.cmd)
		if s.want != "" && got != s.want {
			t.Errorf("%s:\n got %q\nwant %q", s.cmd, got, s.want)
		}
	}
	// CLIENT LIST shows tracking: flags t (and B), redir.
	run(t, e, cl, "client tracking on bcast")
	if l := run(t, e, cl, "client info"); !strings.Contains(l, " flags=tB ") || !strings.Contains(l, " redir=0 ") {
		t.Errorf("CLIENT INFO with tracking: %q", l)
	}

	// A redirect to a client that left: flag R (broken_redirect).
	target, _ := e.Connect("test:3", "test:4", func() {})
	c2, _ := e.Connect("test:5", "test:6", func() {})
	run(t, e, c2, "client tracking on redirect "+strconv.FormatInt(target.ID(), 10))
	run(t, e, c2, "get k")
	e.Disconnect(target)
	run(t, e, cl, "set k v")
	if l := run(t, e, c2, "client info"); !strings.Contains(l, " flags=tR ") {
		t.Errorf("CLIENT INFO with a broken redirect: %q", l)
	}
}
