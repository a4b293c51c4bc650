package command

import (
	"context"
	"encoding/binary"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePeers records what the engine sends to other instances.
type fakePeers struct {
	mu       sync.Mutex
	handlers [256]func([]byte) []byte
	sent     []byte // kinds, in order
	frames   [][]byte
	replies  [][]byte
	peers    int
}

func (f *fakePeers) Handle(k byte, h func([]byte) []byte) { f.handlers[k] = h }

func (f *fakePeers) Broadcast(k byte, p []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, k)
	if k == msgInvalidate {
		f.frames = append(f.frames, p)
	}
}

func (f *fakePeers) Call(_ context.Context, k byte, _ []byte) [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, k)
	return f.replies
}

func (f *fakePeers) Peers() int { return f.peers }

func (f *fakePeers) count(kind byte) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Count(string(f.sent), string([]byte{kind}))
}

// frameFrom builds a peer's invalidation frame.
func frameFrom(id string, seq uint64, flush bool, keys ...string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(id)))
	b = append(b, id...)
	b = binary.BigEndian.AppendUint64(b, seq)
	if flush {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	for _, k := range keys {
		b = binary.BigEndian.AppendUint32(b, uint32(len(k)))
		b = append(b, k...)
	}
	return b
}

// TestTrackingBus checks the tracking protocol between instances with a
// fake bus: writers send nothing while no peer tracks, the first
// tracking client says hello, frames from peers invalidate, and a gap in
// a peer's numbers, a flush, a frame missed by the heartbeat's check or
// a peer that did not answer flushes every tracking client.
func TestTrackingBus(t *testing.T) {
	e := newTestEngine(t)
	fp := &fakePeers{peers: 1}
	e.UseBus(fp)
	e.track.peers.graceEnd = time.Time{} // past the start's grace period
	e.track.peers.refresh(time.Now())

	w, _ := e.Connect("w:1", "w:2", func() {})
	run(t, e, w, "set k v")
	if n := fp.count(msgInvalidate); n != 0 {
		t.Fatalf("%d invalidation frames sent while no instance tracks", n)
	}

	// A peer says it tracks: changes now go out, numbered.
	reply := fp.handlers[msgTrackHello]([]byte("peer1"))
	if got := string(reply[:len(reply)-8]); got != e.runID {
		t.Fatalf("hello reply id %q", got)
	}
	run(t, e, w, "set k v2")
	run(t, e, w, "mset a 1 b 2")
	if n := fp.count(msgInvalidate); n != 2 {
		t.Fatalf("%d frames after 2 writes with a tracking peer, want 2", n)
	}
	want := frameFrom(e.runID, 2, false, "a", "b")
	if got := fp.frames[1]; string(got) != string(want) {
		t.Fatalf("frame %q, want %q", got, want)
	}
	run(t, e, w, "flushall")
	if got, want := fp.frames[2], frameFrom(e.runID, 3, true); string(got) != string(want) {
		t.Fatalf("FLUSHALL frame %q, want %q", got, want)
	}

	// The first tracking client says hello before CLIENT TRACKING answers.
	cl, _ := e.Connect("c:1", "c:2", func() {})
	var sock syncBuffer
	cl.SetConn(&sock)
	flush := func(out string) {
		if err := cl.Flush([]byte(out)); err != nil {
			t.Fatal(err)
		}
	}
	flush(run(t, e, cl, "hello 3"))
	flush(run(t, e, cl, "client tracking on"))
	if n := fp.count(msgTrackHello); n != 1 {
		t.Fatalf("%d hellos after the first tracking client, want 1", n)
	}
	other, _ := e.Connect("o:1", "o:2", func() {})
	run(t, e, other, "client tracking on")
	if n := fp.count(msgTrackHello); n != 1 {
		t.Fatalf("%d hellos after a second tracking client, want 1", n)
	}
	sock = syncBuffer{}
	inv := func(k string) string { return ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\n" + k + "\r\n" }
	const null = ">2\r\n$10\r\ninvalidate\r\n_\r\n"
	from := fp.handlers[msgInvalidate]

	flush(run(t, e, cl, "get k"))
	from(frameFrom("peer2", 5, false, "k"))
	waitOutput(t, &sock, "_\r\n"+inv("k"))
	flush(run(t, e, cl, "get k"))
	from(frameFrom("peer2", 7, false, "zz")) // 6 is missing
	waitOutput(t, &sock, "_\r\n"+inv("k")+"_\r\n"+null)
	from(frameFrom("peer2", 8, true))
	waitOutput(t, &sock, "_\r\n"+inv("k")+"_\r\n"+null+null)

	// The heartbeat: peer2 answered 10 at the last hello, 9 arrived.
	from(frameFrom("peer2", 9, false))
	e.track.peers.expect["peer2"] = 10
	if !e.trackLost() {
		t.Fatal("a frame numbered before the hello reply is missing: not seen as lost")
	}
	if e.trackLost() {
		t.Fatal("lost again without a new hello")
	}
	fp.peers = 2
	fp.replies = [][]byte{binary.BigEndian.AppendUint64([]byte("peer2"), 9)}
	if !e.trackHello(context.Background()) {
		t.Fatal("a peer that did not answer the hello is not seen as a loss")
	}
	if e.trackLost() {
		t.Fatal("every frame up to the number answered arrived: not a loss")
	}

	// A peer's bye: changes stop going out.
	fp.handlers[msgTrackBye]([]byte("peer1"))
	n := fp.count(msgInvalidate)
	run(t, e, w, "set k v3")
	if fp.count(msgInvalidate) != n {
		t.Fatal("an invalidation frame was sent after the only tracking peer said bye")
	}

	// The last tracking client gone: the instance stops being counted
	// and its peers are told (by the heartbeat loop: Bye).
	run(t, e, cl, "client tracking off")
	e.Disconnect(other)
	if n := e.track.active.Load(); n != 0 {
		t.Fatalf("%d tracking clients after both left", n)
	}
}
