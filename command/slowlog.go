package command

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/titan-kv/titan/resp"
)

// Redis's bounds on what a slow log entry keeps of a command.
const (
	slowlogMaxArgc   = 32
	slowlogMaxString = 128
)

// slowLog keeps the commands of this instance that took longer than
// slowlog-log-slower-than microseconds, newest first, at most
// slowlog-max-len of them (Redis's SLOWLOG).
type slowLog struct {
	slower atomic.Int64 // microseconds; negative: off, 0: every command
	maxLen atomic.Int64

	mu      sync.Mutex
	entries []slowEntry // oldest first: adding one copies nothing
	nextID  int64
}

type slowEntry struct {
	id, time, usec int64
	args           []string
	addr, name     string
}

func newSlowLog() *slowLog {
	l := &slowLog{}
	l.slower.Store(10000)
	l.maxLen.Store(128)
	return l
}

// add logs c if it ran for us microseconds or more.
func (l *slowLog) add(c *Call, us int64) {
	th := l.slower.Load()
	if th < 0 || us < th {
		return
	}
	e := slowEntry{time: time.Now().Unix(), usec: us, args: slowArgs(c), addr: c.c.addr}
	c.c.infoMu.Lock()
	e.name = c.c.name
	c.c.infoMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	e.id = l.nextID
	l.nextID++
	l.entries = append(l.entries, e)
	l.trim()
}

// trim drops the oldest entries beyond slowlog-max-len; l.mu is held.
func (l *slowLog) trim() {
	if drop := len(l.entries) - int(l.maxLen.Load()); drop > 0 {
		// Slicing off the front keeps add O(1): the next append that
		// outgrows the array moves only the kept entries.
		clear(l.entries[:drop])
		l.entries = l.entries[drop:]
	}
}

func (l *slowLog) setMaxLen(n int64) {
	l.maxLen.Store(n)
	l.mu.Lock()
	l.trim()
	l.mu.Unlock()
}

// slowArgs copies a command's arguments as Redis keeps them: at most 32
// (the last saying how many more there were), each cut at 128 bytes, and
// secrets redacted.
func slowArgs(c *Call) []string {
	n := min(len(c.Args), slowlogMaxArgc)
	out := make([]string, n)
	redacted := redactedArgs(c)
	for i := 0; i < n; i++ {
		if i == slowlogMaxArgc-1 && len(c.Args) > slowlogMaxArgc {
			out[i] = fmt.Sprintf("... (%d more arguments)", len(c.Args)-slowlogMaxArgc+1)
			break
		}
		a := c.Args[i]
		if redacted[i] {
			out[i] = "(redacted)"
			continue
		}
		if len(a) > slowlogMaxString {
			out[i] = fmt.Sprintf("%s... (%d more bytes)", a[:slowlogMaxString], len(a)-slowlogMaxString)
		} else {
			out[i] = string(a)
		}
	}
	return out
}

// redactedArgs marks the arguments Redis hides from the slow log: AUTH's,
// HELLO's AUTH username and password, and the values of sensitive
// parameters in CONFIG SET.
func redactedArgs(c *Call) map[int]bool {
	r := map[int]bool{}
	switch c.name {
	case "auth":
		for i := 1; i < len(c.Args); i++ {
			r[i] = true
		}
	case "hello":
		for i := 2; i+2 < len(c.Args); i++ {
			if strings.EqualFold(string(c.Args[i]), "auth") {
				r[i+1], r[i+2] = true, true
			}
		}
	case "config":
		if len(c.Args) > 2 && strings.EqualFold(string(c.Args[1]), "set") {
			for i := 3; i < len(c.Args); i += 2 {
				if sensitiveParam(string(c.Args[i-1])) {
					r[i] = true
				}
			}
		}
	}
	return r
}

// sensitiveParam reports whether CONFIG SET of the parameter hides its
// value from the slow log, as Redis does.
func sensitiveParam(name string) bool {
	switch strings.ToLower(name) {
	case "requirepass", "masterauth", "masteruser":
		return true
	}
	return false
}

var slowlogHelp = resp.Lines{
	"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GET [<count>]",
	"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
	"    Entries are made of:",
	"    id, timestamp, time in microseconds, arguments array, client IP and port,",
	"    client name",
	"LEN",
	"    Return the length of the slowlog.",
	"RESET",
	"    Reset the slowlog.",
	"HELP",
	"    Prints this help.",
}

func slowlogCmd(c *Call) {
	l := c.s.slowlog
	sub := strings.ToLower(string(c.Args[1]))
	switch {
	case sub == "help" && len(c.Args) == 2:
		c.Reply(slowlogHelp)
	case sub == "len" && len(c.Args) == 2:
		l.mu.Lock()
		n := len(l.entries)
		l.mu.Unlock()
		c.Reply(resp.Int(n))
	case sub == "reset" && len(c.Args) == 2:
		l.mu.Lock()
		l.entries = nil
		l.mu.Unlock()
		c.Reply(resp.OK)
	case sub == "get" && len(c.Args) <= 3:
		count := int64(10)
		if len(c.Args) == 3 {
			n, err := strconv.ParseInt(string(c.Args[2]), 10, 64)
			if err != nil || n < -1 {
				c.Error("ERR count should be greater than or equal to -1")
				return
			}
			count = n
		}
		l.mu.Lock()
		n := len(l.entries)
		if count >= 0 && int64(n) > count {
			n = int(count)
		}
		out := make(resp.Array, n)
		for i := range out {
			e := l.entries[len(l.entries)-1-i] // newest first
			out[i] = resp.Array{resp.Int(e.id), resp.Int(e.time), resp.Int(e.usec),
				resp.Strings(e.args), resp.BulkString(e.addr), resp.BulkString(e.name)}
		}
		l.mu.Unlock()
		c.Reply(out)
	default:
		c.badSubcommand()
	}
}
