package tests

// Client-side caching: CLIENT TRACKING and its invalidation messages,
// byte for byte against redis-server (raw connections, since pushes
// arrive between replies), across two titan instances, and with the
// caches of rueidis and go-redis.

import (
	"strings"
	"testing"
	"time"
)

// trackSide is one server's connections of the tracking session: a
// tracks (RESP3), b writes, c tracks in RESP2 redirecting to r.
type trackSide struct {
	conns map[byte]*respConn
	rid   string // r's client id
}

// TestTrackingDifferential runs a client tracking session on titan and
// redis-server and compares every reply and push: default mode, BCAST
// with prefixes, NOLOOP, OPTIN/OPTOUT with CLIENT CACHING, MULTI,
// FLUSHDB/FLUSHALL's null invalidation, expiry, the RESP2 redirect to
// __redis__:invalidate, a broken redirect, and the INFO counters.
func TestTrackingDifferential(t *testing.T) {
	env := startDiffEnv(t, "--config", writeTitanConfig(t, fastExpiryConfig))
	var sides [2]*trackSide
	for i, addr := range []string{env.ti.Addr, env.redisAddr} {
		s := &trackSide{conns: map[byte]*respConn{}}
		for _, n := range []byte("abcr") {
			s.conns[n] = dialRESP(t, addr)
		}
		s.conns['a'].do("HELLO", "3")
		s.rid = strings.TrimSpace(strings.TrimPrefix(s.conns['r'].do("CLIENT", "ID"), ":"))
		sides[i] = s
	}
	steps := []struct {
		conn byte
		line string
		n    int // replies and pushes to read
	}{
		{'a', "CLIENT TRACKING ON", 1}, {'a', "CLIENT TRACKINGINFO", 1}, {'a', "CLIENT GETREDIR", 1},
		{'a', "GET k", 1}, {'a', "MGET k k2", 1},
		// Its own write: the reply, then the push.
		{'a', "SET k 1", 2}, {'a', "SET k 2", 1}, {'a', "GET k", 1},
		{'b', "SET k 3", 1}, {'a', "", 1},
		{'b', "SET k 4", 1}, {'a', "PING", 1}, // no longer tracked: no push before PONG
		{'a', "GET k", 1}, {'a', "GET h", 1}, {'b', "MSET k 1 j 2 k 3", 1}, {'a', "", 1},
		{'b', "HSET h f v", 1}, {'a', "", 1},
		{'a', "GET k", 1}, {'b', "DEL nosuch", 1}, {'a', "PING", 1}, {'b', "DEL k", 1}, {'a', "", 1},
		{'a', "GET k", 1}, {'b', "FLUSHALL", 1}, {'a', "", 1},
		{'b', "FLUSHDB", 1}, {'a', "", 1}, {'a', "FLUSHALL", 2},
		// Tracked keys are names, whatever the database.
		{'a', "GET d", 1}, {'b', "SELECT 1", 1}, {'b', "SET d 1", 1}, {'a', "", 1}, {'b', "SELECT 0", 1},
		// A read-only subcommand of a container.
		{'a', "OBJECT ENCODING d", 1}, {'b', "SET d 2", 1}, {'a', "", 1},
		// A key read inside MULTI.
		{'a', "MULTI", 1}, {'a', "GET m", 1}, {'a', "EXEC", 1}, {'b', "SET m 1", 1}, {'a', "", 1},
		// Expiry: the key read, then removed by the expirer.
		{'b', "SET e 1 PX 200", 1}, {'a', "GET e", 1}, {'a', "", 1},
		// NOLOOP.
		{'a', "CLIENT TRACKING OFF", 1}, {'a', "CLIENT TRACKING ON NOLOOP", 1}, {'a', "GET z", 1},
		{'a', "SET z 1", 1}, {'a', "PING", 1}, {'a', "GET z", 1}, {'b', "SET z 2", 1}, {'a', "", 1},
		{'a', "CLIENT TRACKINGINFO", 1},
		// OPTIN and OPTOUT.
		{'a', "CLIENT TRACKING OFF", 1}, {'a', "CLIENT TRACKING ON OPTIN", 1}, {'a', "GET o", 1},
		{'b', "SET o 1", 1}, {'a', "PING", 1}, {'a', "CLIENT CACHING YES", 1}, {'a', "CLIENT TRACKINGINFO", 1},
		{'a', "GET o", 1}, {'a', "GET o2", 1}, {'b', "MSET o 2 o2 2", 1}, {'a', "", 1}, {'a', "PING", 1},
		// CLIENT CACHING YES covers every command of the MULTI after it.
		{'a', "CLIENT CACHING YES", 1}, {'a', "MULTI", 1}, {'a', "GET q1", 1}, {'a', "GET q2", 1}, {'a', "EXEC", 1},
		{'a', "GET q3", 1}, {'b', "MSET q1 1 q2 2 q3 3", 1}, {'a', "", 2}, {'a', "PING", 1},
		{'a', "CLIENT TRACKING OFF", 1}, {'a', "CLIENT TRACKING ON OPTOUT", 1}, {'a', "CLIENT CACHING NO", 1},
		{'a', "GET p", 1}, {'b', "SET p 1", 1}, {'a', "PING", 1}, {'a', "GET p", 1}, {'b', "SET p 2", 1}, {'a', "", 1},
		{'a', "CLIENT CACHING YES", 1},
		// BCAST with prefixes: one message per prefix, keys sorted.
		{'a', "CLIENT TRACKING OFF", 1}, {'a', "CLIENT TRACKING ON BCAST PREFIX a PREFIX b", 1},
		{'a', "CLIENT TRACKING ON BCAST PREFIX ab", 1}, {'a', "CLIENT TRACKING ON BCAST PREFIX c PREFIX cd", 1},
		{'a', "CLIENT TRACKING ON BCAST PREFIX c", 1}, {'a', "CLIENT TRACKINGINFO", 1},
		{'b', "MSET a1 1 b1 2 z 3", 1}, {'a', "", 2},
		{'b', "MSET a2 1 a1 2 a2 3", 1}, {'a', "", 1},
		{'a', "MSET a1 1 c2 2", 3},
		{'a', "MULTI", 1}, {'a', "SET a1 x", 1}, {'a', "SET b2 y", 1}, {'a', "EXEC", 3},
		// No prefix adds "" to a and b: a1 is under two prefixes.
		{'a', "CLIENT TRACKING ON BCAST NOLOOP", 1}, {'a', "CLIENT TRACKINGINFO", 1},
		{'a', "SET a1 z", 1}, {'b', "SET a1 w", 1}, {'a', "", 2},
		{'a', "CLIENT TRACKING OFF", 1}, {'a', "CLIENT TRACKING ON BCAST", 1}, {'b', "DEL a1 a2", 1}, {'a', "", 1},
		{'a', "CLIENT TRACKING OFF", 1},
		// INFO's counters.
		{'a', "CLIENT TRACKING ON", 1}, {'a', "MGET i1 i2 i3", 1}, {'c', "CLIENT TRACKING ON", 1}, {'c', "GET i1", 1},
		{'a', "INFO clients", 1}, {'a', "INFO stats", 1},
		{'b', "SET i1 1", 1}, {'a', "", 1}, {'a', "INFO stats", 1},
		{'c', "CLIENT TRACKING OFF", 1}, {'a', "CLIENT TRACKING OFF", 1}, {'a', "INFO clients", 1},
		// RESP2: invalidations go to a redirect target subscribed to
		// __redis__:invalidate (the null of FLUSHALL too).
		{'r', "SUBSCRIBE __redis__:invalidate", 1},
		{'c', "CLIENT TRACKING ON REDIRECT {r}", 1}, {'c', "CLIENT GETREDIR", 1}, {'c', "CLIENT TRACKINGINFO", 1},
		{'c', "GET k", 1}, {'b', "MSET k 1 j 2", 1}, {'r', "", 1},
		{'c', "GET k", 1}, {'b', "FLUSHALL", 1}, {'r', "", 1},
		{'c', "CLIENT TRACKING OFF", 1}, {'c', "CLIENT TRACKING ON BCAST REDIRECT {r}", 1},
		{'b', "MSET z 1 b 2 a 3 b 4", 1}, {'r', "", 1},
		{'c', "CLIENT TRACKING ON REDIRECT 0", 1}, {'c', "CLIENT TRACKING ON REDIRECT {r} REDIRECT {r}", 1},
		{'c', "CLIENT TRACKING ON REDIRECT x", 1},
		// The redirect target leaves: RESP2 gets nothing, RESP3 is told.
		{'r', "QUIT", 1}, {'b', "SET z 5", 1}, {'c', "CLIENT TRACKINGINFO", 1},
		{'c', "HELLO 3", 0}, {'b', "SET z 6", 1}, {'c', "", 1}, {'c', "CLIENT TRACKINGINFO", 1},
		// tracking-table-max-keys: past it a random key is evicted and
		// its clients told (which key is random: compared as t?).
		{'a', "CONFIG SET tracking-table-max-keys 1", 1}, {'a', "CONFIG GET tracking-table-max-keys", 1},
		{'a', "CLIENT TRACKING ON", 1}, {'a', "GET t1", 1}, {'a', "GET t2", 2}, {'a', "INFO stats", 1},
		{'a', "CONFIG SET tracking-table-max-keys 1000000", 1},
	}
	norm := func(s *trackSide, out string) string {
		out = strings.ReplaceAll(out, "$2\r\nt1\r\n", "$2\r\nt?\r\n")
		out = strings.ReplaceAll(out, "$2\r\nt2\r\n", "$2\r\nt?\r\n")
		return strings.ReplaceAll(out, ":"+s.rid+"\r\n", ":{r}\r\n")
	}
	for _, st := range steps {
		var got [2]string
		for i, s := range sides {
			c := s.conns[st.conn]
			if st.line == "QUIT" {
				c.send("QUIT")
				got[i] = c.read()
				time.Sleep(200 * time.Millisecond) // the server sees it gone
				continue
			}
			if st.line != "" {
				c.send(strings.Fields(strings.ReplaceAll(st.line, "{r}", s.rid))...)
			}
			if st.line == "HELLO 3" {
				c.read()
				continue
			}
			for range st.n {
				got[i] += c.read()
			}
			if strings.HasPrefix(st.line, "INFO") {
				got[i] = trackingInfoLines(got[i])
			}
			got[i] = norm(s, got[i])
		}
		if testing.Verbose() {
			t.Logf("%c %q: %q | %q", st.conn, st.line, got[0], got[1])
		}
		if got[0] != got[1] {
			t.Errorf("%c %q:\n titan %q\n redis %q", st.conn, st.line, got[0], got[1])
		}
	}
}

// trackingInfoLines keeps INFO's tracking_* lines.
func trackingInfoLines(info string) string {
	var out []string
	for _, l := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(l, "tracking_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, " ")
}
