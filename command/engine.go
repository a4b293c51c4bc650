// Package command runs Redis commands: the command table, the handlers
// (one file per family), per-client state (database, MULTI, WATCH, name),
// and the pipeline runner that hands a client's requests to package db as
// one group of jobs. Package server owns the network side: listening,
// reading RESP, writing replies.
package command

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/titan-kv/titan/bigmem"
	"github.com/titan-kv/titan/conf"
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/resp"
	"github.com/titan-kv/titan/settings"
	"github.com/titan-kv/titan/wait"
)

// Config is the front end's part of titan's configuration.
type Config struct {
	// RequirePass, when set, makes clients AUTH first.
	RequirePass string
	// ACLFile is the file of ACL SAVE and ACL LOAD; empty: none.
	ACLFile string
	// Databases is the number of databases SELECT accepts.
	Databases int
	// MaxClients bounds the open connections; 0 means no bound.
	MaxClients int
	// IdleTimeout closes connections idle that long; 0 never does.
	IdleTimeout time.Duration
	// MaxBulkLen is the largest bulk argument accepted.
	MaxBulkLen int64
	// QueryBufferLimit bounds the arguments of one request
	// (client-query-buffer-limit); a client over it is disconnected. 0
	// means 1GB.
	QueryBufferLimit int64
	// OutputBufferLimit bounds the replies of one pipeline of a normal
	// client (the hard limit of client-output-buffer-limit normal); a
	// client over it is disconnected without them. 0 means no bound.
	OutputBufferLimit int64
	// Port is the port clients connect to, as INFO and CONFIG GET report it.
	Port string
	// PubSubLimit bounds a client's waiting out-of-band output (pushes);
	// the zero value is DefaultPubSubLimit.
	PubSubLimit OutputLimit
	// NotifyKeyspaceEvents is notify-keyspace-events at start.
	NotifyKeyspaceEvents string
	// Version and Commit are reported by INFO and HELLO.
	Version, Commit string
	// Settings is the instance's registry of runtime parameters (CONFIG
	// GET/SET/REWRITE); the engine registers its own parameters in it.
	// Nil: the engine makes one without a configuration file.
	Settings *settings.Registry
	// LogLevel, when set, is the process's log level CONFIG SET loglevel
	// changes.
	LogLevel *slog.LevelVar
	// Memory, when set, is the process's guard of long values in flight
	// (bigmem); nil: none.
	Memory *bigmem.Guard
	// Store describes the store for INFO's titan section.
	Store StoreInfo
	// Lua configures scripts and functions.
	Lua LuaConfig
	// Cluster configures cluster mode (command/cluster.go).
	Cluster ClusterConfig
}

// LuaConfig configures Lua scripts and functions.
type LuaConfig struct {
	// BusyReplyThreshold is how long a script runs before other commands
	// on its keys answer BUSY; 0 means 5s.
	BusyReplyThreshold time.Duration
	// MaxMemory bounds the heap growth while one script runs; 0 means 1GB.
	MaxMemory int64
}

// Engine runs the commands of every connected client against one DB and
// keeps the registry of clients that CLIENT LIST, CLIENT KILL and INFO see.
type Engine struct {
	// run is the context of every command's store work; abort cancels
	// it at shutdown, so commands still waiting for the store are
	// answered with an error.
	run   context.Context
	abort context.CancelFunc

	cfg   Config
	acl   aclState
	db    *db.DB
	m     *metrics.Metrics
	table map[string]*Command
	start time.Time
	runID string
	// replid is master_replid once DEBUG CHANGE-REPL-ID changed it.
	replid atomic.Pointer[string]
	// qlPacked is DEBUG QUICKLIST-PACKED-THRESHOLD (0: Redis's 1 GB), for
	// DEBUG OBJECT's ql_* fields.
	qlPacked atomic.Int64

	nextID  atomic.Int64
	mu      sync.Mutex
	clients map[int64]*Client

	pause pauseState // CLIENT PAUSE (client.go)

	// waiters are the clients blocked on keys (block.go).
	waiters        *wait.Registry
	blockedClients atomic.Int64
	// peers is the bus to the other instances, nil when alone.
	peers Peers
	// hub holds this instance's Pub/Sub subscribers (pubsub.go).
	hub *hub
	// monitors are the clients in MONITOR mode (monitor.go).
	monitors monitors
	// notifyFlags are the notify-keyspace-events classes (notify.go).
	notifyFlags atomic.Int64
	// track is client-side caching's tracking (tracking_table.go).
	track *tracker

	scriptsOnce sync.Once
	scripting   *scripts // Lua scripts and functions (scripting.go)

	// The parameters CONFIG SET changes while clients run.
	requirePass atomic.Pointer[string]
	maxClients  atomic.Int64
	idleTimeout atomic.Int64 // seconds

	stats    *stats
	runners  *runners // goroutines handing pipelines to the store (runners.go)
	peakMem  atomic.Int64
	slowlog  *slowLog
	latency  *latencyMonitor
	settings *settings.Registry
}

// NewEngine builds an engine over d.
func NewEngine(cfg Config, d *db.DB, m *metrics.Metrics) *Engine {
	if cfg.Databases <= 0 {
		cfg.Databases = 16
	}
	if cfg.MaxBulkLen <= 0 {
		cfg.MaxBulkLen = 512 << 20
	}
	if cfg.QueryBufferLimit <= 0 {
		cfg.QueryBufferLimit = 1 << 30
	}
	if cfg.NotifyKeyspaceEvents != "" {
		if _, ok := parseNotifyFlags(cfg.NotifyKeyspaceEvents); !ok {
			cfg.NotifyKeyspaceEvents = ""
		}
	}
	if cfg.PubSubLimit == (OutputLimit{}) {
		cfg.PubSubLimit = DefaultPubSubLimit
	}
	s := &Engine{
		cfg:      cfg,
		db:       d,
		m:        m,
		start:    time.Now(),
		runID:    randomHex(40),
		clients:  make(map[int64]*Client),
		stats:    newStats(),
		runners:  newRunners(),
		slowlog:  newSlowLog(),
		latency:  newLatencyMonitor(),
		settings: cfg.Settings,
		track:    newTracker(),
	}
	s.requirePass.Store(&cfg.RequirePass)
	s.maxClients.Store(int64(cfg.MaxClients))
	s.idleTimeout.Store(int64(cfg.IdleTimeout / time.Second))
	if s.settings == nil {
		s.settings = settings.New(conf.Default())
	}
	s.registerSettings()
	s.registerClusterSettings()
	s.run, s.abort = context.WithCancel(context.Background())
	s.acl.stop = make(chan struct{})
	go s.aclWatch()
	s.table = buildTable()
	s.waiters = wait.New()
	s.hub = newHub()
	flags, _ := parseNotifyFlags(cfg.NotifyKeyspaceEvents)
	s.notifyFlags.Store(int64(flags))
	d.OnCommit(s.wakeChanged)
	d.OnCommit(s.trackChanged)
	return s
}

// Settings returns the instance's registry of runtime parameters, where
// other parts of titan register theirs.
func (s *Engine) Settings() *settings.Registry { return s.settings }

// IdleTimeout is how long a connection may stay idle (the timeout
// parameter); 0 never closes it.
func (s *Engine) IdleTimeout() time.Duration {
	return time.Duration(s.idleTimeout.Load()) * time.Second
}

// RequirePass is the password clients must AUTH with; empty: none.
func (s *Engine) RequirePass() string { return *s.requirePass.Load() }

// CountNet adds bytes read from and written to clients, as INFO's
// total_net_input_bytes and total_net_output_bytes report them.
func (s *Engine) CountNet(in, out int) {
	s.stats.netIn.Add(int64(in))
	s.stats.netOut.Add(int64(out))
}

// Client is one connection's state as commands see it. The network side
// (package server) owns the socket and closes it through closeConn.
type Client struct {
	id         int64
	closeConn  func()
	addr       string
	laddr      string
	created    time.Time
	lastActive atomic.Int64
	killed     atomic.Bool
	// qbuf, qbufFree and omem are the sizes of the connection's buffers,
	// set by the network side (CLIENT LIST's qbuf, qbuf-free, omem).
	qbuf, qbufFree, omem atomic.Int64
	// out is the way to the socket, for replies and pushes (push.go).
	out output
	// blk is set while the client is blocked (block.go).
	blk atomic.Pointer[blocked]
	// subs are the client's Pub/Sub subscriptions, under Engine.hub.mu.
	subs clientSubs
	hub  *hub

	// The fields below belong to the connection's own goroutine. Those
	// CLIENT LIST shows (name, lastCmd, db, proto, multi, the length of
	// queued and the CLIENT flags) are also read by other clients, so the
	// connection changes them under infoMu.
	infoMu  sync.Mutex
	name    string
	lastCmd string
	db      uint16
	user    string // the ACL user, "" before AUTH (the default user)
	authed  bool
	// proto is the protocol the connection speaks (HELLO changes it).
	proto resp.Proto
	// noEvict is CLIENT NO-EVICT; replyOff and skipNext are CLIENT REPLY
	// OFF and SKIP (client.go).
	noEvict, replyOff, skipNext bool
	// tracking is CLIENT TRACKING's state, nil when off (tracking.go).
	tracking *tracking

	multi           bool
	multiFailed     bool
	inExec          bool // EXEC is preparing its queued commands
	queued          [][][]byte
	watched         map[watchKey]uint64
	closeAfterReply bool
}

type watchKey struct {
	db  uint16
	key string
	// swap marks the entry of db itself: 1 + the epoch of its last
	// SWAPDB when the first key of db was watched (swapdb.go).
	swap bool
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ErrMaxClients refuses a connection beyond Config.MaxClients.
var ErrMaxClients = errors.New("ERR max number of clients reached")

// Connect registers a new connection from addr to laddr; closeConn closes
// its socket (CLIENT KILL uses it).
func (s *Engine) Connect(addr, laddr string, closeConn func()) (*Client, error) {
	c := &Client{
		id:        s.nextID.Add(1),
		closeConn: closeConn,
		addr:      addr,
		laddr:     laddr,
		created:   time.Now(),
		proto:     resp.RESP2,

		authed: s.defaultOpen(),
	}
	c.out.limit = s.cfg.PubSubLimit
	c.hub = s.hub
	c.lastActive.Store(time.Now().UnixNano())
	s.mu.Lock()
	if mc := s.maxClients.Load(); mc > 0 && int64(len(s.clients)) >= mc {
		s.mu.Unlock()
		s.stats.rejectedConns.Add(1)
		return nil, ErrMaxClients
	}
	s.clients[c.id] = c
	s.mu.Unlock()
	s.stats.connections.Add(1)
	if s.m != nil {
		s.m.ConnectedConns.Inc()
		s.m.ConnectionsTot.Inc()
	}
	return c, nil
}

// Disconnect forgets a client whose connection ended.
func (s *Engine) Disconnect(c *Client) {
	c.out.mu.Lock()
	c.out.dead, c.out.pending = true, nil
	c.out.wakeWriter()
	c.out.mu.Unlock()
	s.unsubscribeAll(c)
	s.endBlock(c)
	s.dropMonitor(c)
	s.track.set(c, nil)
	s.mu.Lock()
	delete(s.clients, c.id)
	s.mu.Unlock()
	if s.m != nil {
		s.m.ConnectedConns.Dec()
	}
}

// CloseAll closes every client's connection (at shutdown).
func (s *Engine) CloseAll() {
	s.acl.once.Do(func() { close(s.acl.stop) })
	defer s.runners.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		c.closeConn()
	}
}

// Closing reports whether the connection must close once the replies
// written so far are flushed (QUIT, CLIENT KILL of itself) or at once
// (killed by another client).
func (c *Client) Closing() bool { return c.closeAfterReply || c.killed.Load() }

// Killed reports whether another client killed this connection.
func (c *Client) Killed() bool { return c.killed.Load() }

// ID returns the client's id, as CLIENT ID reports it.
func (c *Client) ID() int64 { return c.id }

// Config returns the engine's configuration.
func (s *Engine) Config() Config { return s.cfg }

// setMulti enters (on) or leaves a MULTI block, with an empty queue.
func (c *Client) setMulti(on bool) {
	c.infoMu.Lock()
	c.multi, c.multiFailed, c.queued = on, false, nil
	c.infoMu.Unlock()
}

// queue adds a copy of args to the MULTI queue.
func (c *Client) queue(args [][]byte) {
	q := make([][]byte, len(args))
	for i, a := range args {
		q[i] = bytes.Clone(a)
	}
	c.infoMu.Lock()
	c.queued = append(c.queued, q)
	c.infoMu.Unlock()
}
