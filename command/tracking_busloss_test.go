package command

import (
	"context"
	"encoding/binary"
	"testing"
	"time"
)

// TestTrackingHelloPeerGone: a peer that answered the last hello and is
// gone at the next one, no longer counted among the peers (its bus died
// and its registry lease lapsed before the heartbeat came), counts as
// missed: its last changes may never have been sent.
func TestTrackingHelloPeerGone(t *testing.T) {
	e := newTestEngine(t)
	fp := &fakePeers{peers: 1, replies: [][]byte{binary.BigEndian.AppendUint64([]byte("peer1"), 3)}}
	e.UseBus(fp)
	e.track.peers.graceEnd = time.Time{}
	ctx := context.Background()
	if e.trackHello(ctx) {
		t.Fatal("the peer answered: nothing missed")
	}
	if e.trackHello(ctx) {
		t.Fatal("the peer answered again: nothing missed")
	}
	fp.mu.Lock()
	fp.peers, fp.replies = 0, nil
	fp.mu.Unlock()
	if !e.trackHello(ctx) {
		t.Fatal("a peer that answered the last hello vanished: want missed")
	}
	if e.trackHello(ctx) {
		t.Fatal("no peer, none before: nothing missed")
	}
}
