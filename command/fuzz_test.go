package command

import (
	"bytes"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// FuzzCommandArgs runs every command's handler on fuzzed arguments,
// without running the store job it may hand out: argument parsing must
// never panic (a panic is answered "ERR internal error") and must answer
// a Redis error, a reply or a job. Commands whose handlers reach the store
// or the process directly are left out.
// errorCode is the start of a Redis error reply: an upper-case code (ERR,
// WRONGTYPE, NOSCRIPT, BUSYKEY...) and a space.
var errorCode = regexp.MustCompile(`^[A-Z][A-Z_]+ `)

func FuzzCommandArgs(f *testing.F) {
	e := newTestEngine(f)
	skip := []string{"acl", "flushdb", "flushall", "info", "config", "quit", "reset", "client", "hello", "auth", "exec", "multi", "discard", "watch", "unwatch", "debug"}
	var names []string
	for n := range e.table {
		if !slices.Contains(skip, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, s := range []string{"set\x00k\x00v\x00EX\x0010", "zrangebyscore\x00k\x00(1\x00+inf\x00LIMIT\x000\x00-1", "getex\x00k\x00PXAT\x00-1",
		"lpos\x00k\x00a\x00RANK\x00-9223372036854775808", "bitcount\x00k\x000\x00-1\x00BIT", "zadd\x00k\x00NX\x00GT\x001\x00m", "sintercard\x002\x00a\x00b\x00LIMIT\x00-1"} {
		i := strings.IndexByte(s, 0)
		f.Add(s[:i], []byte(s[i+1:]))
	}
	f.Fuzz(func(t *testing.T, name string, rest []byte) {
		name = strings.ToLower(name)
		if !slices.Contains(names, name) {
			if len(names) == 0 {
				return
			}
			name = names[int(len(name)+len(rest))%len(names)]
		}
		args := [][]byte{[]byte(name)}
		if len(rest) > 0 {
			args = append(args, bytes.Split(rest, []byte{0})...)
		}
		cl, err := e.Connect("fuzz:1", "fuzz:2", func() {})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Disconnect(cl)
		call := e.prepare(cl, args)
		if !call.answered() {
			call.handle()
		}
		if strings.Contains(call.errMsg, "internal error") {
			t.Fatalf("%q: %s", args, call.errMsg)
		}
		if call.errMsg != "" && !errorCode.MatchString(call.errMsg) {
			t.Fatalf("%q: error without a code: %q", args, call.errMsg)
		}
		if call.job == nil && call.errMsg == "" && call.result != nil {
			// Replies built at once must encode.
			call.result.Append(nil, cl.proto)
		}
	})
}
