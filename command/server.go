// Package command is titan's Redis front end: it reads RESP requests,
// looks commands up in the command table, runs them against package db
// (batching pipelines and concurrent writers), and writes Redis replies.
package command

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/metrics"
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
	// Version and Commit are reported by INFO and HELLO.
	Version, Commit string
}

// Server serves Redis clients from one DB.
type Server struct {
	cfg     Config
	db      *db.DB
	m       *metrics.Metrics
	table   map[string]*Command
	cursors *cursorTable
	start   time.Time
	runID   string

	nextID   atomic.Int64
	mu       sync.Mutex
	clients  map[int64]*Client
	ln       net.Listener
	closing  bool
	inflight sync.WaitGroup

	totalCommands    atomic.Int64
	totalConnections atomic.Int64
	rejectedConns    atomic.Int64
	cmdStats         sync.Map // lower-case name -> *cmdStat
}

type cmdStat struct {
	calls, usec, failed atomic.Int64
}

// NewServer builds a server over d.
func NewServer(cfg Config, d *db.DB, m *metrics.Metrics) *Server {
	if cfg.Databases <= 0 {
		cfg.Databases = 16
	}
	if cfg.MaxBulkLen <= 0 {
		cfg.MaxBulkLen = 512 << 20
	}
	s := &Server{
		cfg:     cfg,
		db:      d,
		m:       m,
		cursors: newCursorTable(100_000),
		start:   time.Now(),
		runID:   randomHex(40),
		clients: make(map[int64]*Client),
	}
	s.table = buildTable()
	return s
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return net.ErrClosed
	}
	s.ln = ln
	s.mu.Unlock()
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing || errors.Is(err, net.ErrClosed) {
				return nil
			}
			slog.Warn("accept failed", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.accept(nc)
	}
}

func (s *Server) accept(nc net.Conn) {
	c := &Client{
		id:      s.nextID.Add(1),
		nc:      nc,
		w:       redcon.NewWriter(nc),
		addr:    nc.RemoteAddr().String(),
		laddr:   nc.LocalAddr().String(),
		created: time.Now(),
		authed:  s.cfg.RequirePass == "",
	}
	c.lastActive.Store(time.Now().UnixNano())
	s.mu.Lock()
	if s.closing || (s.cfg.MaxClients > 0 && len(s.clients) >= s.cfg.MaxClients) {
		s.mu.Unlock()
		s.rejectedConns.Add(1)
		c.w.WriteError("ERR max number of clients reached")
		c.w.Flush()
		nc.Close()
		return
	}
	s.clients[c.id] = c
	s.mu.Unlock()
	s.totalConnections.Add(1)
	if s.m != nil {
		s.m.ConnectedConns.Inc()
		s.m.ConnectionsTot.Inc()
	}
	go s.serveConn(c)
}

// serveConn reads requests until the client leaves, errs, or is killed.
func (s *Server) serveConn(c *Client) {
	defer func() {
		c.nc.Close()
		s.mu.Lock()
		delete(s.clients, c.id)
		s.mu.Unlock()
		if s.m != nil {
			s.m.ConnectedConns.Dec()
		}
	}()
	rd := newReader(c.nc, s.cfg.MaxBulkLen)
	for {
		if s.cfg.IdleTimeout > 0 {
			c.nc.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout))
		}
		batch, err := readPipeline(rd)
		if len(batch) > 0 {
			if !s.enter() {
				return
			}
			s.runPipeline(c, batch)
			s.inflight.Done()
			if ferr := c.w.Flush(); ferr != nil {
				return
			}
		}
		if err != nil {
			var pe protocolError
			if errors.As(err, &pe) {
				c.w.WriteError("ERR " + pe.Error())
				c.w.Flush()
			} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !c.killed.Load() {
				slog.Debug("connection closed", "client", c.id, "err", err)
			}
			return
		}
		if c.closeAfterReply || c.killed.Load() {
			return
		}
	}
}

// readPipeline blocks for one request, then takes every request that has
// already arrived, so a pipeline can be run as a whole.
func readPipeline(rd *reader) ([][][]byte, error) {
	var batch [][][]byte
	for {
		args, err := rd.readCommand()
		if err != nil {
			return batch, err
		}
		if args != nil {
			batch = append(batch, args)
		}
		if (len(batch) > 0 && !rd.buffered()) || len(batch) >= 1024 {
			return batch, nil
		}
	}
}

// enter registers an in-flight pipeline; false once shutting down.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.inflight.Add(1)
	return true
}

// Shutdown stops accepting, lets in-flight commands finish and reply, and
// closes every connection.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	if s.ln != nil {
		s.ln.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	s.mu.Lock()
	for _, c := range s.clients {
		c.nc.Close()
	}
	s.mu.Unlock()
	return ctx.Err()
}

// Client is one connection's state.
type Client struct {
	id         int64
	nc         net.Conn
	w          *redcon.Writer
	addr       string
	laddr      string
	created    time.Time
	lastActive atomic.Int64
	killed     atomic.Bool

	// The fields below are only used by the connection's own goroutine,
	// except name and lastCmd which CLIENT LIST reads under infoMu.
	infoMu  sync.Mutex
	name    string
	lastCmd string
	libName string
	libVer  string
	db      uint16
	authed  bool

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
