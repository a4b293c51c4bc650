// Package command runs Redis commands: the command table, the handlers
// (one file per family), per-client state (database, MULTI, WATCH, name),
// and the pipeline runner that hands a client's requests to package db as
// one group of jobs. Package server owns the network side: listening,
// reading RESP, writing replies.
package command

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/resp"
)

// Config is the front end's part of titan's configuration.
type Config struct {
	// RequirePass, when set, makes clients AUTH first.
	RequirePass string
	// Databases is the number of databases SELECT accepts.
	Databases int
	// MaxClients bounds the open connections; 0 means no bound.
	MaxClients int
	// IdleTimeout closes connections idle that long; 0 never does.
	IdleTimeout time.Duration
	// MaxBulkLen is the largest bulk argument accepted.
	MaxBulkLen int64
	// Port is the port clients connect to, as INFO and CONFIG GET report it.
	Port string
	// Version and Commit are reported by INFO and HELLO.
	Version, Commit string
}

// Engine runs the commands of every connected client against one DB and
// keeps the registry of clients that CLIENT LIST, CLIENT KILL and INFO see.
type Engine struct {
	cfg   Config
	db    *db.DB
	m     *metrics.Metrics
	table map[string]*Command
	start time.Time
	runID string

	nextID  atomic.Int64
	mu      sync.Mutex
	clients map[int64]*Client

	totalCommands    atomic.Int64
	totalConnections atomic.Int64
	rejectedConns    atomic.Int64
	cmdStats         sync.Map // lower-case name -> *cmdStat
}

type cmdStat struct {
	calls, usec, failed atomic.Int64
}

// NewEngine builds an engine over d.
func NewEngine(cfg Config, d *db.DB, m *metrics.Metrics) *Engine {
	if cfg.Databases <= 0 {
		cfg.Databases = 16
	}
	if cfg.MaxBulkLen <= 0 {
		cfg.MaxBulkLen = 512 << 20
	}
	s := &Engine{
		cfg:     cfg,
		db:      d,
		m:       m,
		start:   time.Now(),
		runID:   randomHex(40),
		clients: make(map[int64]*Client),
	}
	s.table = buildTable()
	return s
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

	// The fields below belong to the connection's own goroutine. Those
	// CLIENT LIST shows (name, lastCmd, the lib fields, db, multi and the
	// length of queued) are also read by other clients, so the connection
	// changes them under infoMu.
	infoMu  sync.Mutex
	name    string
	lastCmd string
	libName string
	libVer  string
	db      uint16
	authed  bool
	// proto is the protocol the connection speaks (HELLO changes it).
	proto resp.Proto

	multi           bool
	multiFailed     bool
	queued          [][][]byte
	watched         map[watchKey]uint64
	closeAfterReply bool
}

type watchKey struct {
	db  uint16
	key string
}

func (c *Client) info(now time.Time) string {
	c.infoMu.Lock()
	defer c.infoMu.Unlock()
	multi := -1
	if c.multi {
		multi = len(c.queued)
	}
	flags := "N"
	if c.multi {
		flags = "x"
	}
	idle := (now.UnixNano() - c.lastActive.Load()) / int64(time.Second)
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=0 name=%s age=%d idle=%d flags=%s db=%d sub=0 psub=0 ssub=0 multi=%d qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=%s user=default redir=-1 resp=2 lib-name=%s lib-ver=%s",
		c.id, c.addr, c.laddr, c.name, int64(now.Sub(c.created).Seconds()), idle, flags, c.db, multi,
		c.lastCmd, c.libName, c.libVer)
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
		authed:    s.cfg.RequirePass == "",
	}
	c.lastActive.Store(time.Now().UnixNano())
	s.mu.Lock()
	if s.cfg.MaxClients > 0 && len(s.clients) >= s.cfg.MaxClients {
		s.mu.Unlock()
		s.rejectedConns.Add(1)
		return nil, ErrMaxClients
	}
	s.clients[c.id] = c
	s.mu.Unlock()
	s.totalConnections.Add(1)
	if s.m != nil {
		s.m.ConnectedConns.Inc()
		s.m.ConnectionsTot.Inc()
	}
	return c, nil
}

// Disconnect forgets a client whose connection ended.
func (s *Engine) Disconnect(c *Client) {
	s.mu.Lock()
	delete(s.clients, c.id)
	s.mu.Unlock()
	if s.m != nil {
		s.m.ConnectedConns.Dec()
	}
}

// CloseAll closes every client's connection (at shutdown).
func (s *Engine) CloseAll() {
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
