// Package bus connects the titan instances that serve one store, so that
// what happens on one instance reaches clients of the others: key changes
// that wake blocked clients, Pub/Sub messages, keyspace notifications and
// client-side caching invalidations.
//
// Instances find each other through the store: each registers itself with
// a lease (Registry, implemented by db.DB) and renews it every LeaseTTL/3,
// and at once when a peer connects (a new instance registers, then dials
// every member: they learn of it then, not at their next renewal); a dead
// instance stops renewing and drops out. A peer whose lease lapsed
// while this instance still holds a working connection to it (its renewals
// fail on a slow store, it is alive) stays a peer for two more leases, so
// its clients keep their messages through a store hiccup. Each instance listens on
// its own port and dials every other one; messages are frames on those TCP
// connections:
//
//	length uint32 | kind byte | flags byte | id uint64 | payload
//
// (big-endian; length counts what follows it). A kind is a message type
// registered with Handle by the user of the bus (package command). Frames
// from one instance to another travel on one connection, written in the
// order they were sent and handled one at a time in that order on the
// receiving side: messages sent by one goroutine arrive in order.
//
// The bus is best effort: a message to a peer that is unreachable or
// whose queue is full is dropped and counted (titan_bus_errors_total).
// Users that need more than that add a fallback of their own: blocking
// commands re-check the keys they wait on at a low rate.
package bus

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/metrics"
)

// Registry is where instances register and find each other (db.DB).
type Registry interface {
	// RegisterInstance registers or renews me for ttl and returns the
	// live members, me included.
	RegisterInstance(ctx context.Context, me db.Member, ttl time.Duration) ([]db.Member, error)
	// UnregisterInstance removes id.
	UnregisterInstance(ctx context.Context, id string) error
}

// Options configure a Bus.
type Options struct {
	// Listen is the address the bus listens on; empty: 127.0.0.1:0.
	Listen string
	// Advertise is the address other instances dial; empty: the
	// listener's address (the host name for a wildcard listener).
	Advertise string
	// LeaseTTL is the registration lease; 0: 10s.
	LeaseTTL time.Duration
	// CallTimeout bounds the wait for the peers' replies to Call; 0: 5s.
	CallTimeout time.Duration
	// QueueLen bounds the frames waiting to be sent to one peer; 0: 65536.
	QueueLen int
	// Info is published with the registration for the other instances to
	// read in Members (the cluster announce address); empty: nothing.
	Info string
}

// Bus is one instance's end of the bus.
type Bus struct {
	id       string
	opts     Options
	reg      Registry
	m        *metrics.Metrics
	ln       net.Listener
	addr     string
	handlers [256]func(payload []byte) []byte

	mu     sync.Mutex
	peers  map[string]*peer // by instance id
	conns  map[net.Conn]struct{}
	closed bool
	// members are the live instances of the last registration, this one
	// included (under mu).
	members []db.Member

	nextID  atomic.Uint64
	calls   sync.Map // id -> chan []byte
	cancel  context.CancelFunc
	done    chan struct{}
	started bool
	// joined asks for a refresh before the next tick: a peer connected,
	// maybe one started since the last refresh (accept).
	joined chan struct{}
}

// Frame flags.
const (
	flagOneWay byte = iota
	flagRequest
	flagReply
)

const headerLen = 4 + 1 + 1 + 8

// maxFrame bounds a frame's length (a Pub/Sub message up to 512MB plus
// its channel).
const maxFrame = 1 << 30

// New returns a bus for one instance; register handlers, then Start.
func New(o Options, reg Registry, m *metrics.Metrics) *Bus {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 10 * time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 5 * time.Second
	}
	if o.QueueLen <= 0 {
		o.QueueLen = 1 << 16
	}
	id := make([]byte, 10)
	rand.Read(id)
	return &Bus{id: hex.EncodeToString(id), opts: o, reg: reg, m: m,
		peers: make(map[string]*peer), conns: make(map[net.Conn]struct{}), done: make(chan struct{}),
		joined: make(chan struct{}, 1)}
}

// ID is the instance's id in the registry.
func (b *Bus) ID() string { return b.id }

// Handle registers h for messages of kind; h returns the reply payload of
// a Call (ignored for Broadcast). h runs on the connection's reading
// goroutine, one message at a time and in the order they were sent, so it
// must not block for long. Call Handle before Start.
func (b *Bus) Handle(kind byte, h func(payload []byte) []byte) { b.handlers[kind] = h }

// Start listens, registers the instance and connects to the others; it
// keeps the registration and the connections up to date until Close.
func (b *Bus) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", b.opts.Listen)
	if err != nil {
		return fmt.Errorf("bus listen: %w", err)
	}
	b.ln = ln
	b.addr = b.opts.Advertise
	if b.addr == "" {
		b.addr = advertised(ln.Addr())
	}
	if err := b.refresh(ctx); err != nil {
		ln.Close()
		return err
	}
	var bg context.Context
	bg, b.cancel = context.WithCancel(context.Background())
	b.started = true
	go b.accept()
	go func() {
		defer close(b.done)
		t := time.NewTicker(b.opts.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-bg.Done():
				return
			case <-t.C:
			case <-b.joined:
			}
			// A whole lease to renew: a commit cut short by its
			// deadline is undetermined and leaves locks behind.
			ctx, cancel := context.WithTimeout(bg, b.opts.LeaseTTL)
			if err := b.refresh(ctx); err != nil {
				slog.Warn("bus: registration", "err", err)
			}
			cancel()
		}
	}()
	return nil
}

// advertised is the address peers dial for a listener at a: the host's
// name when the listener takes every interface.
func advertised(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() {
		return a.String()
	}
	host, err := os.Hostname()
	if err != nil {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(ta.Port))
}

// Addr is the address other instances dial.
func (b *Bus) Addr() string { return b.addr }

// refresh renews the registration and connects to new members, dropping
// the peers that left.
func (b *Bus) refresh(ctx context.Context) error {
	members, err := b.reg.RegisterInstance(ctx, db.Member{ID: b.id, Addr: b.addr, Info: b.opts.Info}, b.opts.LeaseTTL)
	if err != nil {
		b.fail("register")
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.members = members
	live := make(map[string]bool, len(members))
	for _, mb := range members {
		if mb.ID == b.id {
			continue
		}
		live[mb.ID] = true
		if p := b.peers[mb.ID]; p == nil || p.addr != mb.Addr {
			if p != nil {
				p.close()
			}
			b.peers[mb.ID] = b.newPeer(mb.ID, mb.Addr)
		}
	}
	now := time.Now()
	for id, p := range b.peers {
		switch {
		case live[id]:
			p.lapsed = time.Time{}
		case p.up.Load() && (p.lapsed.IsZero() || now.Sub(p.lapsed) < lapseGrace*b.opts.LeaseTTL):
			if p.lapsed.IsZero() {
				p.lapsed = now
				slog.Warn("bus: a peer's lease lapsed while it is connected; keeping it", "peer", id, "addr", p.addr)
			}
		default:
			p.close()
			delete(b.peers, id)
		}
	}
	if b.m != nil {
		b.m.BusPeers.Set(float64(len(b.peers)))
	}
	return nil
}

func (b *Bus) fail(op string) {
	if b.m != nil {
		b.m.BusErrors.WithLabelValues(op).Inc()
	}
}

// Peers is the number of other instances known.
func (b *Bus) Peers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.peers)
}

// Members are the live instances as the last renewal of the
// registration found them, this one included (with the Info each
// published); until Start, only this one.
func (b *Bus) Members() []db.Member {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.members) == 0 {
		return []db.Member{{ID: b.id, Addr: b.addr, Info: b.opts.Info}}
	}
	return slices.Clone(b.members)
}

func (b *Bus) peerList() []*peer {
	b.mu.Lock()
	defer b.mu.Unlock()
	ps := make([]*peer, 0, len(b.peers))
	for _, p := range b.peers {
		ps = append(ps, p)
	}
	return ps
}

// Broadcast sends a one-way message of kind to every other instance. It
// never blocks: a peer whose queue is full misses the message.
func (b *Bus) Broadcast(kind byte, payload []byte) {
	f := frame(kind, flagOneWay, 0, payload)
	for _, p := range b.peerList() {
		p.send(f)
	}
}

// Call sends a request of kind to every other instance and returns the
// replies of those that answered within the call timeout (or before ctx
// ends); unreachable peers are skipped and counted as errors.
func (b *Bus) Call(ctx context.Context, kind byte, payload []byte) [][]byte {
	peers := b.peerList()
	if len(peers) == 0 {
		return nil
	}
	type pending struct {
		id uint64
		ch chan []byte
	}
	ps := make([]pending, 0, len(peers))
	for _, p := range peers {
		id := b.nextID.Add(1)
		ch := make(chan []byte, 1)
		b.calls.Store(id, ch)
		if !p.send(frame(kind, flagRequest, id, payload)) {
			b.calls.Delete(id)
			continue
		}
		ps = append(ps, pending{id, ch})
	}
	timer := time.NewTimer(b.opts.CallTimeout)
	defer timer.Stop()
	var replies [][]byte
	for i, pc := range ps {
		select {
		case r := <-pc.ch:
			replies = append(replies, r)
		case <-timer.C:
			b.fail("call")
			for _, q := range ps[i:] {
				b.calls.Delete(q.id)
			}
			return replies
		case <-ctx.Done():
			for _, q := range ps[i:] {
				b.calls.Delete(q.id)
			}
			return replies
		}
		b.calls.Delete(pc.id)
	}
	return replies
}

// Close leaves the registry and closes every connection.
func (b *Bus) Close() {
	if !b.shut() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := b.reg.UnregisterInstance(ctx, b.id); err != nil {
		slog.Warn("bus: leaving the registry", "err", err)
	}
}

// Stop closes the bus without leaving the registry, as a crash would:
// peers see the instance go only when its lease ends (tests).
func (b *Bus) Stop() { b.shut() }

// shut closes the peers, the connections, the renewals and the listener;
// it reports whether the bus had been started and was not shut before.
func (b *Bus) shut() bool {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return false
	}
	b.closed = true
	for _, p := range b.peers {
		p.close()
	}
	b.peers = nil
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	if !b.started {
		return false
	}
	b.cancel()
	<-b.done
	b.ln.Close()
	return true
}

// accept serves the connections of other instances.
func (b *Bus) accept() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			b.fail("accept")
			time.Sleep(10 * time.Millisecond)
			continue
		}
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			c.Close()
			return
		}
		b.conns[c] = struct{}{}
		b.mu.Unlock()
		// An instance that just started dials every member at once,
		// having registered first: refresh now, so that this one's
		// broadcasts reach it from the start, not a renewal later
		// (LeaseTTL/3). Reconnects of known peers cost a refresh too.
		select {
		case b.joined <- struct{}{}:
		default:
		}
		go b.serve(c)
	}
}

// serve handles the frames one peer sends, in order.
func (b *Bus) serve(c net.Conn) {
	defer func() {
		c.Close()
		b.mu.Lock()
		delete(b.conns, c)
		b.mu.Unlock()
	}()
	rd := bufio.NewReaderSize(c, 64<<10)
	wr := bufio.NewWriter(c)
	for {
		kind, flags, id, payload, err := readFrame(rd)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				b.fail("read")
			}
			return
		}
		h := b.handlers[kind]
		var reply []byte
		if h != nil {
			reply = h(payload)
		}
		if flags != flagRequest {
			continue
		}
		wr.Write(frame(kind, flagReply, id, reply))
		if rd.Buffered() == 0 {
			if err := wr.Flush(); err != nil {
				b.fail("send")
				return
			}
		}
	}
}

// frame encodes one frame.
func frame(kind, flags byte, id uint64, payload []byte) []byte {
	f := make([]byte, headerLen, headerLen+len(payload))
	binary.BigEndian.PutUint32(f, uint32(headerLen-4+len(payload)))
	f[4], f[5] = kind, flags
	binary.BigEndian.PutUint64(f[6:], id)
	return append(f, payload...)
}

func readFrame(rd *bufio.Reader) (kind, flags byte, id uint64, payload []byte, err error) {
	var h [headerLen]byte
	if _, err = io.ReadFull(rd, h[:]); err != nil {
		return
	}
	n := binary.BigEndian.Uint32(h[:4])
	if n < headerLen-4 || n > maxFrame {
		return 0, 0, 0, nil, fmt.Errorf("bus: bad frame length %d", n)
	}
	payload = make([]byte, n-(headerLen-4))
	if _, err = io.ReadFull(rd, payload); err != nil {
		return
	}
	return h[4], h[5], binary.BigEndian.Uint64(h[6:]), payload, nil
}

// lapseGrace is how many leases a connected peer stays after its
// registration lapsed.
const lapseGrace = 2

// peer is the connection to one other instance: a queue of frames and a
// goroutine that dials, writes them (coalescing what is queued into one
// write) and reads the replies to calls.
type peer struct {
	b     *Bus
	id    string
	addr  string
	queue chan []byte
	quit  chan struct{}
	once  sync.Once
	// up is true while a connection to the peer works.
	up atomic.Bool
	// lapsed is when the peer's registration was first found gone while
	// it was connected; zero while registered (under b.mu).
	lapsed time.Time
}

func (b *Bus) newPeer(id, addr string) *peer {
	p := &peer{b: b, id: id, addr: addr, queue: make(chan []byte, b.opts.QueueLen), quit: make(chan struct{})}
	go p.run()
	return p
}

func (p *peer) close() { p.once.Do(func() { close(p.quit) }) }

// send queues a frame; false when the queue is full (the frame is lost).
func (p *peer) send(f []byte) bool {
	select {
	case p.queue <- f:
		return true
	default:
		p.b.fail("send")
		return false
	}
}

func (p *peer) run() {
	backoff := 10 * time.Millisecond
	for {
		select {
		case <-p.quit:
			return
		default:
		}
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err != nil {
			p.b.fail("dial")
			select {
			case <-p.quit:
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, time.Second)
			continue
		}
		backoff = 10 * time.Millisecond
		p.up.Store(true)
		p.pump(c)
		p.up.Store(false)
	}
}

// pump writes queued frames to c until c fails or the peer is closed.
func (p *peer) pump(c net.Conn) {
	defer c.Close()
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		rd := bufio.NewReaderSize(c, 64<<10)
		for {
			_, flags, id, payload, err := readFrame(rd)
			if err != nil {
				c.Close()
				return
			}
			if flags == flagReply {
				if ch, ok := p.b.calls.Load(id); ok {
					ch.(chan []byte) <- payload
				}
			}
		}
	}()
	wr := bufio.NewWriterSize(c, 64<<10)
	for {
		select {
		case <-p.quit:
			return
		case <-readDone:
			return
		case f := <-p.queue:
			wr.Write(f)
		drain:
			for wr.Buffered() < 1<<20 {
				select {
				case f := <-p.queue:
					wr.Write(f)
				default:
					break drain
				}
			}
			if err := wr.Flush(); err != nil {
				p.b.fail("send")
				return
			}
		}
	}
}

// LeaseTTL is the registration lease: a new member is seen by the others
// within a third of it.
func (b *Bus) LeaseTTL() time.Duration { return b.opts.LeaseTTL }
