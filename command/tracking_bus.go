package command

import (
	"context"
	"encoding/binary"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/titan-kv/titan/resp"
)

// Client tracking across instances. An instance sends the keys its commits
// changed to the others only while some other instance has a tracking
// client (or during its first moments, see trackGrace): instances without
// tracking clients cost nothing.
//
//   - An instance with tracking clients says so (msgTrackHello, a call)
//     when its first client turns tracking on — before CLIENT TRACKING
//     answers, so every reachable peer sends it what changes after — and
//     then every trackHeartbeat. A peer forgets a tracker not heard from
//     for trackerTTL; msgTrackBye ends it at once.
//   - A writer numbers its invalidation frames (msgInvalidate: sender,
//     sequence number, keys or flush) and broadcasts them. The hello's
//     reply is the peer's last sequence number.
//   - Lost frames are detected: a gap in a peer's numbers, a peer whose
//     frames up to the number it replied one heartbeat earlier have not
//     all arrived, a peer that did not answer the hello, or one that
//     answered the last hello and is gone at this one. Then the
//     instance flushes: every tracking client gets the null invalidation
//     (as for FLUSHALL) and the tracking table is emptied. A cached value
//     is thus stale at most until its invalidation arrives (a bus round
//     trip) or, when the bus loses a frame, about 2 heartbeats.

// The message kinds of client tracking (see peers.go for the others).
const (
	msgTrackHello byte = 16 + iota
	msgTrackBye
	msgInvalidate
	// msgClientProbe asks whether the peer has a client (8-byte id);
	// the reply is 1 when it has.
	msgClientProbe
	// msgRedirected carries an invalidation to the peer's client that a
	// tracking client of the sender redirects to.
	msgRedirected
)

const (
	// trackHeartbeat is how often an instance with tracking clients
	// says so and checks that it missed nothing.
	trackHeartbeat = time.Second
	// trackerTTL is how long a peer counts as tracking after its last
	// hello.
	trackerTTL = 5 * trackHeartbeat
)

// trackPeers is the tracker's view of the other instances.
type trackPeers struct {
	// until is the time (unix ns) until which some peer tracks, or the
	// start's grace period ends: writers broadcast while it is ahead.
	until atomic.Int64

	sendMu sync.Mutex // orders sequence numbers and broadcasts
	seq    uint64

	// helloMu orders the first hello of a tracking period and the bye
	// that ends one; announced: the peers were told of this period.
	helloMu   sync.Mutex
	announced atomic.Bool

	mu       sync.Mutex
	graceEnd time.Time            // the end of the start's grace period
	trackers map[string]time.Time // peers with tracking clients: last hello
	lastSeq  map[string]uint64    // last frame number received per sender
	expect   map[string]uint64    // numbers peers replied at the last hello
	answered map[string]bool      // the peers that replied to the last hello
}

func (p *trackPeers) init() {
	p.trackers = make(map[string]time.Time)
	p.lastSeq = make(map[string]uint64)
	p.expect = make(map[string]uint64)
}

// anyTracker reports whether changes must go to the other instances.
func (p *trackPeers) anyTracker() bool { return time.Now().UnixNano() < p.until.Load() }

// refresh forgets the trackers not heard from for trackerTTL and sets
// until. Under p.mu.
func (p *trackPeers) refresh(now time.Time) {
	u := p.graceEnd
	for id, at := range p.trackers {
		if now.Sub(at) > trackerTTL {
			delete(p.trackers, id)
		} else if at.Add(trackerTTL).After(u) {
			u = at.Add(trackerTTL)
		}
	}
	p.until.Store(u.UnixNano())
}

// startTrackingBus registers the tracking messages and starts the
// heartbeat. Until grace has passed the instance broadcasts every change:
// a peer that tracks learns of this new instance only at its next
// registry refresh and says hello one heartbeat after.
func (s *Engine) startTrackingBus(p Peers, grace time.Duration) {
	tp := &s.track.peers
	tp.mu.Lock()
	tp.graceEnd = time.Now().Add(grace)
	tp.refresh(time.Now())
	tp.mu.Unlock()
	p.Handle(msgTrackHello, s.trackHelloFromPeer)
	p.Handle(msgTrackBye, func(payload []byte) []byte {
		tp.mu.Lock()
		delete(tp.trackers, string(payload))
		tp.refresh(time.Now())
		tp.mu.Unlock()
		return nil
	})
	p.Handle(msgInvalidate, s.invalidationFromPeer)
	p.Handle(msgClientProbe, func(payload []byte) []byte {
		if len(payload) == 8 && s.clientExists(int64(binary.BigEndian.Uint64(payload))) {
			return []byte{1}
		}
		return nil
	})
	p.Handle(msgRedirected, s.redirectedFromPeer)
	go s.trackHeartbeatLoop()
}

// trackHelloFromPeer notes a peer with tracking clients and answers this
// instance's id and last frame number.
func (s *Engine) trackHelloFromPeer(payload []byte) []byte {
	tp := &s.track.peers
	now := time.Now()
	tp.mu.Lock()
	tp.trackers[string(payload)] = now
	tp.refresh(now)
	tp.mu.Unlock()
	tp.sendMu.Lock()
	seq := tp.seq
	tp.sendMu.Unlock()
	return binary.BigEndian.AppendUint64([]byte(s.runID), seq)
}

// announceTracking tells the peers that this instance tracks, once per
// period with tracking clients, before CLIENT TRACKING answers: the other
// instances then send it every change committed after, before the client
// can read anything it would cache. Clients turning tracking on meanwhile
// wait for the same hello.
func (s *Engine) announceTracking() {
	tp := &s.track.peers
	if tp.announced.Load() {
		return
	}
	tp.helloMu.Lock()
	defer tp.helloMu.Unlock()
	if tp.announced.Load() || s.track.active.Load() == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(s.run, 2*trackHeartbeat)
	s.trackHello(ctx)
	cancel()
	tp.announced.Store(true)
}

// trackHello tells every peer that this instance tracks and records the
// frame numbers they answer; it reports whether a peer did not answer.
func (s *Engine) trackHello(ctx context.Context) (missed bool) {
	tp := &s.track.peers
	replies := s.peers.Call(ctx, msgTrackHello, []byte(s.runID))
	tp.mu.Lock()
	defer tp.mu.Unlock()
	answered := make(map[string]bool, len(replies))
	for _, r := range replies {
		if len(r) < 8 {
			continue
		}
		id, seq := string(r[:len(r)-8]), binary.BigEndian.Uint64(r[len(r)-8:])
		answered[id] = true
		tp.expect[id] = seq
		if _, ok := tp.lastSeq[id]; !ok {
			tp.lastSeq[id] = seq
		}
	}
	// A peer that answered the last hello and not this one may have
	// committed changes whose frames never came: its bus went down (its
	// lease in the registry lapses a few seconds later, and then it is no
	// longer even counted among the peers below, so this is the only trace
	// of it once a slow heartbeat comes after that).
	for id := range tp.answered {
		if !answered[id] {
			missed = true
		}
	}
	tp.answered = answered
	if pc, ok := s.peers.(interface{ Peers() int }); ok && len(replies) < pc.Peers() {
		return true
	}
	return missed
}

// trackHeartbeatLoop says hello every heartbeat while the instance has
// tracking clients, flushes them when frames were lost, says bye when the
// last one is gone, and forgets peers that stopped saying hello.
func (s *Engine) trackHeartbeatLoop() {
	tp := &s.track.peers
	t := time.NewTicker(trackHeartbeat)
	defer t.Stop()
	wasActive := false
	for {
		select {
		case <-s.run.Done():
			return
		case <-s.acl.stop: // closed by CloseAll at shutdown
			return
		case <-t.C:
		}
		tp.mu.Lock()
		tp.refresh(time.Now())
		tp.mu.Unlock()
		tp.helloMu.Lock()
		active := s.track.active.Load() > 0
		if !active && wasActive {
			s.peers.Broadcast(msgTrackBye, []byte(s.runID))
		}
		tp.helloMu.Unlock()
		if !active {
			wasActive = false
			continue
		}
		s.probeRemoteRedirects()
		lost := wasActive && s.trackLost()
		wasActive = true
		ctx, cancel := context.WithTimeout(s.run, trackHeartbeat)
		if s.trackHello(ctx) {
			lost = true
		}
		cancel()
		if lost {
			slog.Debug("client tracking: invalidations from another instance may be lost; flushing tracking clients")
			s.pushAll(s.track.flush())
		}
	}
}

// trackLost reports whether a frame a peer numbered before its last hello
// reply has not arrived.
func (s *Engine) trackLost() bool {
	tp := &s.track.peers
	tp.mu.Lock()
	defer tp.mu.Unlock()
	lost := false
	for id, want := range tp.expect {
		if tp.lastSeq[id] < want {
			lost = true
		}
	}
	clear(tp.expect)
	return lost
}

// sendInvalidation broadcasts changed keys (or a flush) to the other
// instances as one numbered frame: sender id, number, flush flag, keys.
func (s *Engine) sendInvalidation(chs []keyChange, flush bool) {
	msg := make([]byte, 0, 64)
	msg = binary.BigEndian.AppendUint16(msg, uint16(len(s.runID)))
	msg = append(msg, s.runID...)
	seqAt := len(msg)
	msg = binary.BigEndian.AppendUint64(msg, 0)
	if flush {
		msg = append(msg, 1)
	} else {
		msg = append(msg, 0)
	}
	for _, ch := range chs {
		msg = appendFrameKey(msg, ch.key)
	}
	tp := &s.track.peers
	tp.sendMu.Lock()
	tp.seq++
	binary.BigEndian.PutUint64(msg[seqAt:], tp.seq)
	s.peers.Broadcast(msgInvalidate, msg)
	tp.sendMu.Unlock()
}

// invalidationFromPeer applies another instance's frame: its keys are
// invalidated here (they were changed by no client of this instance), a
// flush flushes, and a gap in the sender's numbers flushes too.
func (s *Engine) invalidationFromPeer(payload []byte) []byte {
	if len(payload) < 2 {
		return nil
	}
	n := int(binary.BigEndian.Uint16(payload))
	if len(payload) < 2+n+9 {
		return nil
	}
	id := string(payload[2 : 2+n])
	p := payload[2+n:]
	seq, flush := binary.BigEndian.Uint64(p), p[8] == 1
	p = p[9:]
	tp := &s.track.peers
	tp.mu.Lock()
	last, known := tp.lastSeq[id]
	gap := known && seq > last+1
	if !known || seq > last {
		tp.lastSeq[id] = seq
	}
	tp.mu.Unlock()
	if s.track.active.Load() == 0 {
		return nil
	}
	if gap || flush {
		s.pushAll(s.track.flush())
		return nil
	}
	var chs []keyChange
	eachFrameKey(p, func(k []byte) { chs = append(chs, keyChange{key: string(k)}) })
	s.pushAll(s.track.invalidate(chs))
	return nil
}

// Redirects across instances. CLIENT IDs are unique among the instances
// of a store (each takes a block of IDs at start, db.ClientIDBlock), so a
// tracking client may redirect to a client of another instance, as a
// RESP2 client behind a load balancer does when its subscriber connection
// lands elsewhere. CLIENT TRACKING asks the peers whether the client
// exists (msgClientProbe); invalidations for it are broadcast
// (msgRedirected) and pushed by the instance that has it; the heartbeat
// asks again, and once no peer has the client the redirect is broken as
// a local one would be.

// remoteClientExists reports whether another instance has client id.
func (s *Engine) remoteClientExists(id int64) bool {
	if s.peers == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(s.run, 2*trackHeartbeat)
	defer cancel()
	for _, r := range s.peers.Call(ctx, msgClientProbe, binary.BigEndian.AppendUint64(nil, uint64(id))) {
		if len(r) == 1 && r[0] == 1 {
			return true
		}
	}
	return false
}

// probeRemoteRedirects marks the remote redirects whose client no peer
// has any more as gone.
func (s *Engine) probeRemoteRedirects() {
	s.track.mu.Lock()
	var remote []*trackedClient
	for _, tc := range s.track.clients {
		if tc.remote && !tc.gone.Load() {
			remote = append(remote, tc)
		}
	}
	s.track.mu.Unlock()
	for _, tc := range remote {
		if !s.remoteClientExists(tc.redirect) {
			tc.gone.Store(true)
		}
	}
}

// sendRedirected broadcasts msg for client id of another instance:
// id, flags (1: flush, 2: the flush's null is RESP3's), keys.
func (s *Engine) sendRedirected(id int64, msg invalidateMsg) {
	p := binary.BigEndian.AppendUint64(make([]byte, 0, 64), uint64(id))
	var flags byte
	if msg.null != nil {
		flags = 1
		if string(msg.null) == string(nullOf(resp.RESP3)) {
			flags |= 2
		}
	}
	p = append(p, flags)
	for _, k := range msg.keys {
		p = appendFrameKey(p, k)
	}
	s.peers.Broadcast(msgRedirected, p)
}

// redirectedFromPeer pushes an invalidation sent by sendRedirected to
// its client, when it is a client of this instance.
func (s *Engine) redirectedFromPeer(payload []byte) []byte {
	if len(payload) < 9 {
		return nil
	}
	target := s.clientByID(int64(binary.BigEndian.Uint64(payload)))
	if target == nil {
		return nil
	}
	msg := invalidateMsg{redirected: true}
	switch flags := payload[8]; {
	case flags&2 != 0:
		msg.null = nullOf(resp.RESP3)
	case flags&1 != 0:
		msg.null = nullOf(resp.RESP2)
	}
	eachFrameKey(payload[9:], func(k []byte) { msg.keys = append(msg.keys, k) })
	s.pushTo(target, msg)
	return nil
}

// appendFrameKey appends a key to a tracking frame: length u32, bytes.
func appendFrameKey[K string | []byte](b []byte, k K) []byte {
	return append(binary.BigEndian.AppendUint32(b, uint32(len(k))), k...)
}

// eachFrameKey calls f with each key appendFrameKey wrote to p, stopping
// at a truncated one.
func eachFrameKey(p []byte, f func([]byte)) {
	for len(p) >= 4 {
		kl := binary.BigEndian.Uint32(p)
		if uint32(len(p)-4) < kl {
			return
		}
		f(p[4 : 4+kl])
		p = p[4+kl:]
	}
}
