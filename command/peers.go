package command

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/encoding"
)

// Peers is what the engine needs of the bus between instances (package
// bus implements it): one-way broadcasts and calls answered by every
// other instance, with handlers per message kind.
type Peers interface {
	Handle(kind byte, h func(payload []byte) []byte)
	Broadcast(kind byte, payload []byte)
	Call(ctx context.Context, kind byte, payload []byte) [][]byte
}

// The message kinds the engine sends over the bus.
const (
	// msgKeys carries the keys a commit left as lists or sorted sets:
	// the changes that can serve a blocked client elsewhere.
	msgKeys byte = 1 + iota
	// msgPublish carries a Pub/Sub message; the reply is the number of
	// the peer's receivers.
	msgPublish
	// msgQuery carries a PUBSUB query (CHANNELS, NUMSUB...); the reply
	// is the peer's part of the answer.
	msgQuery
	// msgStreamKeys carries the keys a commit left as streams: every
	// XREAD blocked on them is woken (it does not consume) and the first
	// XREADGROUP of each group (wait.Registry.WakeReaders).
	msgStreamKeys
	// msgSwapDB announces a SWAPDB (swapdb.go): the peer reloads the
	// mapping and wakes the clients blocked in either database.
	msgSwapDB
	// msgUnblock asks the peer to unblock its client (CLIENT UNBLOCK):
	// id u64, reason; the reply is 1 when it did.
	msgUnblock byte = 32
)

// UseBus connects the engine to the other instances: key changes wake
// their blocked clients and theirs wake ours, and Pub/Sub reaches their
// subscribers. Call it once, before the bus starts and before clients
// connect.
func (s *Engine) UseBus(p Peers) {
	s.peers = p
	p.Handle(msgKeys, s.wakeFromPeer(s.waiters.Wake))
	p.Handle(msgStreamKeys, s.wakeFromPeer(s.waiters.WakeReaders))
	p.Handle(msgPublish, s.publishFromPeer)
	p.Handle(msgQuery, s.queryFromPeer)
	p.Handle(msgUnblock, s.unblockFromPeer)
	p.Handle(msgSwapDB, s.swapFromPeer)
	grace := 12 * time.Second
	if lt, ok := p.(interface{ LeaseTTL() time.Duration }); ok {
		grace = lt.LeaseTTL() + 2*trackHeartbeat
	}
	s.startTrackingBus(p, grace)
}

// unblockRemote unblocks client id of another instance (CLIENT UNBLOCK);
// true when one did.
func (s *Engine) unblockRemote(id int64, reason unblockReason) bool {
	if s.peers == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(s.run, 2*time.Second)
	defer cancel()
	p := append(binary.BigEndian.AppendUint64(nil, uint64(id)), byte(reason))
	for _, r := range s.peers.Call(ctx, msgUnblock, p) {
		if len(r) == 1 && r[0] == 1 {
			return true
		}
	}
	return false
}

// unblockFromPeer is unblockRemote's other end.
func (s *Engine) unblockFromPeer(payload []byte) []byte {
	if len(payload) != 9 {
		return nil
	}
	reason := unblockReason(payload[8])
	if reason != unblockTimeout && reason != unblockError {
		return nil
	}
	if cl := s.clientByID(int64(binary.BigEndian.Uint64(payload))); cl != nil && cl.unblock(reason) {
		return []byte{1}
	}
	return nil
}

// UseClientIDBlock makes this instance's CLIENT IDs block<<32 + 1, + 2,
// ..., unique among the instances that took other blocks of the store
// (db.ClientIDBlock). Call it before clients connect.
func (s *Engine) UseClientIDBlock(block int64) { s.nextID.Store(block << 32) }

// wakeFromPeer handles a message of keys from a peer with wake.
func (s *Engine) wakeFromPeer(wake func(uint16, []byte)) func([]byte) []byte {
	return func(payload []byte) []byte {
		for len(payload) >= 6 {
			dbi := binary.BigEndian.Uint16(payload)
			n := binary.BigEndian.Uint32(payload[2:])
			if uint32(len(payload)-6) < n {
				break
			}
			wake(dbi, payload[6:6+n])
			payload = payload[6+n:]
		}
		return nil
	}
}

// wakeChanged is the engine's db.OnCommit hook: the lists and sorted sets
// a commit left at keys wake the first waiter of each key on this
// instance and, through the bus, on every other one; the streams wake
// their readers (every XREAD, the first XREADGROUP of each group).
func (s *Engine) wakeChanged(changes []db.Change) {
	s.notifyExpired(changes)
	var msg, streams []byte
	for _, ch := range changes {
		var to *[]byte
		switch ch.Type {
		case encoding.TypeList, encoding.TypeZSet:
			s.waiters.Wake(ch.DB, ch.Key)
			to = &msg
		case encoding.TypeStream:
			s.waiters.WakeReaders(ch.DB, ch.Key)
			to = &streams
		default:
			// Removed or now another type: this instance's XREADGROUP
			// waiters answer that their stream is gone; a stream's
			// removal goes to the other instances as a stream change
			// (their group readers then find it gone, their XREADs
			// keep waiting).
			s.waiters.WakeGroups(ch.DB, ch.Key)
			if ch.Was != encoding.TypeStream {
				continue
			}
			to = &streams
		}
		if s.peers != nil {
			*to = binary.BigEndian.AppendUint16(*to, ch.DB)
			*to = binary.BigEndian.AppendUint32(*to, uint32(len(ch.Key)))
			*to = append(*to, ch.Key...)
		}
	}
	if len(msg) > 0 {
		s.peers.Broadcast(msgKeys, msg)
	}
	if len(streams) > 0 {
		s.peers.Broadcast(msgStreamKeys, streams)
	}
}
