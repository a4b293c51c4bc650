package command

import (
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/cmdspec"
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/resp"
	"github.com/titan-kv/titan/settings"
)

// Client-side caching, the instance's side: which clients track, which
// keys each default-mode client read (the tracking table, bounded by
// tracking-table-max-keys as in Redis), and the invalidation messages
// sent when keys change. Keys are names without their database, as in
// Redis: a change of "k" in any database invalidates "k". Changes reach
// here from the commit hook (this instance's commits, the expirer) and
// from the bus (other instances' commits, tracking_bus.go).

// trackedClient is the tracker's copy of one client's tracking mode, so
// that invalidating never takes a client's infoMu.
type trackedClient struct {
	cl       *Client
	bcast    bool
	noloop   bool
	redirect int64
	// remote: the client redirected to is another instance's; gone: no
	// instance has it any more.
	remote   bool
	gone     atomic.Bool
	prefixes []string
}

// tracker is one instance's client tracking state.
type tracker struct {
	mu sync.Mutex
	// keys is the tracking table: key -> ids of the default-mode clients
	// that read it since its last invalidation.
	keys  map[string]map[int64]struct{}
	items int
	// clients are the clients with tracking on.
	clients map[int64]*trackedClient
	// active is len(clients), read without the lock on every commit.
	active  atomic.Int64
	maxKeys atomic.Int64

	peers trackPeers // the bus side (tracking_bus.go)
}

// defaultTrackingMaxKeys is Redis's tracking-table-max-keys default.
const defaultTrackingMaxKeys = 1000000

func newTracker() *tracker {
	t := &tracker{keys: make(map[string]map[int64]struct{}), clients: make(map[int64]*trackedClient)}
	t.maxKeys.Store(defaultTrackingMaxKeys)
	t.peers.init()
	return t
}

// trackingSetting is tracking-table-max-keys (0: no bound).
func (s *Engine) trackingSetting() settings.Param {
	return settings.Int("tracking-table-max-keys", 0, math.MaxInt64, s.track.maxKeys.Load, func(v int64) {
		s.track.maxKeys.Store(v)
		s.pushAll(s.track.evict())
	})
}

// set records cl's new tracking mode (nil: off).
func (t *tracker) set(cl *Client, o *tracking) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if o == nil {
		delete(t.clients, cl.id)
	} else {
		t.clients[cl.id] = &trackedClient{cl: cl, bcast: o.bcast, noloop: o.noloop, redirect: o.redirect,
			remote: o.remoteRedirect, prefixes: slices.Clone(o.prefixes)}
	}
	t.active.Store(int64(len(t.clients)))
	if len(t.clients) == 0 {
		t.peers.announced.Store(false)
	}
}

// readsKeys reports whether a command (spec: its, or its subcommand's,
// COMMAND INFO) reads the keys it names, for tracking: read-only commands,
// and scripts, whose declared keys are remembered.
func readsKeys(name string, spec *cmdspec.Command) bool {
	switch name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		return true
	}
	return spec != nil && spec.Has("readonly")
}

// tracksReads reports whether cl remembers the keys of its next read:
// tracking on in default mode (not BCAST), and not opted out of it for
// this command (OPTIN without CLIENT CACHING yes, OPTOUT with CLIENT
// CACHING no). cl.infoMu is held.
func (cl *Client) tracksReads() bool {
	t := cl.tracking
	return t != nil && !t.bcast && !(t.optin && !t.caching) && !(t.optout && t.caching)
}

// trackReads remembers the keys a read-only command of a default-mode
// tracking client is about to read (call.trackRead, from prepare), before
// its job gets a snapshot, so an invalidation for any later commit finds
// them. Scripts remember their declared keys.
func (s *Engine) trackReads(call *Call) {
	if !call.trackRead || call.job == nil || len(call.job.Keys) == 0 {
		return
	}
	cl := call.c
	tr := s.track
	tr.mu.Lock()
	for _, k := range call.job.Keys {
		ids := tr.keys[string(k)]
		if ids == nil {
			ids = make(map[int64]struct{}, 1)
			tr.keys[string(k)] = ids
		}
		if _, ok := ids[cl.id]; !ok {
			ids[cl.id] = struct{}{}
			tr.items++
		}
	}
	over := tr.maxKeys.Load() > 0 && int64(len(tr.keys)) > tr.maxKeys.Load()
	tr.mu.Unlock()
	if over {
		s.pushAll(tr.evict())
	}
}

// evict drops keys past tracking-table-max-keys, as Redis does, and
// returns the invalidations of their clients.
func (t *tracker) evict() []invalidation {
	t.mu.Lock()
	defer t.mu.Unlock()
	max := t.maxKeys.Load()
	var out []invalidation
	for k, ids := range t.keys {
		if max == 0 || int64(len(t.keys)) <= max {
			break
		}
		delete(t.keys, k)
		t.items -= len(ids)
		out = t.appendKeyInvalidations(out, k, ids, 0)
	}
	return out
}

// appendKeyInvalidations adds one message per default-mode client of ids
// for key, in id order. Under t.mu.
func (t *tracker) appendKeyInvalidations(out []invalidation, key string, ids map[int64]struct{}, origin int64) []invalidation {
	sorted := make([]int64, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	slices.Sort(sorted)
	for _, id := range sorted {
		tc := t.clients[id]
		if tc == nil || tc.bcast || (tc.noloop && id == origin) {
			continue
		}
		out = append(out, invalidation{to: tc, keys: [][]byte{[]byte(key)}})
	}
	return out
}

// keyChange is one changed key and the client that changed it (0: none
// of this instance's).
type keyChange struct {
	key    string
	origin int64
}

// trackChanged is the engine's commit hook for client tracking: the keys
// a commit changed are invalidated here and, when some other instance
// tracks, sent to the others.
func (s *Engine) trackChanged(changes []db.Change) {
	local := s.track.active.Load() > 0
	remote := s.peers != nil && s.track.peers.anyTracker()
	if !local && !remote {
		return
	}
	chs := make([]keyChange, len(changes))
	for i, ch := range changes {
		chs[i] = keyChange{key: string(ch.Key), origin: ch.Origin}
	}
	if local {
		s.pushAll(s.track.invalidate(chs))
	}
	if remote {
		s.sendInvalidation(chs, false)
	}
}

// invalidate returns the messages for changed keys: default-mode clients
// that read a key get it alone, once (the key leaves the table); BCAST
// clients get, per prefix, the sorted keys under it, as Redis 7 sends them.
func (t *tracker) invalidate(chs []keyChange) []invalidation {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []invalidation
	for _, ch := range chs {
		if ids := t.keys[ch.key]; ids != nil {
			delete(t.keys, ch.key)
			t.items -= len(ids)
			out = t.appendKeyInvalidations(out, ch.key, ids, ch.origin)
		}
	}
	type sub struct {
		prefix string
		tc     *trackedClient
	}
	var subs []sub
	for _, tc := range t.clients {
		if tc.bcast {
			for _, p := range tc.prefixes {
				subs = append(subs, sub{p, tc})
			}
		}
	}
	if len(subs) == 0 {
		return out
	}
	slices.SortFunc(subs, func(a, b sub) int {
		if c := strings.Compare(a.prefix, b.prefix); c != 0 {
			return c
		}
		return int(a.tc.cl.id - b.tc.cl.id)
	})
	last := make(map[string]int64, len(chs)) // key -> its last writer
	for _, ch := range chs {
		last[ch.key] = ch.origin
	}
	for _, sb := range subs {
		var keys []string
		for k, origin := range last {
			if strings.HasPrefix(k, sb.prefix) && !(sb.tc.noloop && origin == sb.tc.cl.id) {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			continue
		}
		slices.Sort(keys)
		bk := make([][]byte, len(keys))
		for i, k := range keys {
			bk[i] = []byte(k)
		}
		out = append(out, invalidation{to: sb.tc, keys: bk})
	}
	return out
}

// flush empties the tracking table and returns a null invalidation for
// every tracking client (FLUSHDB, FLUSHALL, or missed bus messages).
func (t *tracker) flush() []invalidation {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.keys)
	t.items = 0
	ids := make([]int64, 0, len(t.clients))
	for id := range t.clients {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]invalidation, 0, len(ids))
	for _, id := range ids {
		out = append(out, invalidation{to: t.clients[id], flush: true})
	}
	return out
}

// trackFlush invalidates everything every client of every instance
// tracks: FLUSHDB and FLUSHALL.
func (s *Engine) trackFlush() {
	if s.track.active.Load() > 0 {
		s.pushAll(s.track.flush())
	}
	if s.peers != nil && s.track.peers.anyTracker() {
		s.sendInvalidation(nil, true)
	}
}

// trackingCounts are INFO's tracking_clients, tracking_total_keys,
// tracking_total_items and tracking_total_prefixes.
func (t *tracker) counts() (clients, keys, items, prefixes int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ps := make(map[string]struct{})
	for _, tc := range t.clients {
		for _, p := range tc.prefixes {
			ps[p] = struct{}{}
		}
	}
	return len(t.clients), len(t.keys), t.items, len(ps)
}

// invalidation is one message for one tracking client: keys, or every
// key (flush).
type invalidation struct {
	to    *trackedClient
	keys  [][]byte
	flush bool
}

// pushAll sends the invalidations, each to its client or the client it
// redirects to, as Redis's sendTrackingMessage does: a RESP3 push
// ["invalidate", keys], or for a RESP2 connection redirected to and
// subscribed to something, a message on __redis__:invalidate; a redirect
// to a client that is gone marks the tracking client broken_redirect and
// tells it so if it speaks RESP3.
func (s *Engine) pushAll(msgs []invalidation) {
	for _, m := range msgs {
		cl := m.to.cl
		msg := invalidateMsg{keys: m.keys, redirected: m.to.redirect != 0}
		if m.flush {
			msg.null = nullOf(cl.protoNow())
		}
		target := cl
		if m.to.redirect != 0 {
			switch {
			case m.to.remote && !m.to.gone.Load():
				s.sendRedirected(m.to.redirect, msg)
				continue
			case m.to.remote:
				target = nil
			default:
				target = s.clientByID(m.to.redirect)
			}
			if target == nil {
				cl.infoMu.Lock()
				if cl.tracking != nil {
					cl.tracking.brokenRedirect = true
				}
				cl.infoMu.Unlock()
				if cl.protoNow() == resp.RESP3 {
					cl.Push(resp.Push{resp.BulkString("tracking-redir-broken"), resp.Int(m.to.redirect)})
				}
				continue
			}
		}
		s.pushTo(target, msg)
	}
}

// pushTo pushes msg to target: always on RESP3, on RESP2 only to a
// redirect target subscribed to something (as Redis does).
func (s *Engine) pushTo(target *Client, msg invalidateMsg) {
	if target.protoNow() != resp.RESP3 && (!msg.redirected || !s.subscribed(target)) {
		return
	}
	target.Push(msg)
}

// protoNow is the connection's protocol, read from any goroutine.
func (c *Client) protoNow() resp.Proto {
	c.out.mu.Lock()
	defer c.out.mu.Unlock()
	return c.proto
}

// nullOf is the null of protocol p as bytes: Redis writes the tracking
// client's null even when the message goes to a client of the other
// protocol.
func nullOf(p resp.Proto) []byte {
	if p == resp.RESP3 {
		return []byte("_\r\n")
	}
	return []byte("$-1\r\n")
}

// invalidateMsg is an invalidation as the receiving connection's protocol
// carries it.
type invalidateMsg struct {
	keys       [][]byte
	null       []byte // the flush's null, when set
	redirected bool
}

// Append implements resp.Reply.
func (m invalidateMsg) Append(b []byte, p resp.Proto) []byte {
	if p == resp.RESP3 {
		b = append(b, ">2\r\n"...)
		b = redcon.AppendBulkString(b, "invalidate")
	} else {
		b = redcon.AppendArray(b, 3)
		b = redcon.AppendBulkString(b, "message")
		b = redcon.AppendBulkString(b, "__redis__:invalidate")
	}
	if m.null != nil {
		return append(b, m.null...)
	}
	b = redcon.AppendArray(b, len(m.keys))
	for _, k := range m.keys {
		b = redcon.AppendBulk(b, k)
	}
	return b
}
