// Package server is titan's network side: it accepts Redis connections,
// reads RESP requests (package resp), hands each client's pipeline to the
// command engine (package command) and flushes the replies.
package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/bigmem"
	"github.com/titan-kv/titan/command"
	"github.com/titan-kv/titan/resp"
)

// maxPipeline bounds the requests of one client run as one group, and
// maxPipelineBytes the bytes of their arguments: a pipeline is cut there
// and run, so a connection holds at most that much of requests besides
// the one being read (itself bounded by client-query-buffer-limit).
const (
	maxPipeline      = 1024
	maxPipelineBytes = 16 << 20
)

// maxKeptReplyBuffer bounds the reply buffer a connection keeps between
// pipelines; a larger one (a big LRANGE) is dropped after its write.
const maxKeptReplyBuffer = 1 << 20

// Server serves Redis clients over TCP with one command engine.
type Server struct {
	engine *command.Engine
	cfg    command.Config

	mu       sync.Mutex
	lns      []net.Listener // plain and TLS
	closing  bool
	inflight sync.WaitGroup
}

// New returns a server that runs its clients' commands on engine.
func New(engine *command.Engine) *Server {
	return &Server{engine: engine, cfg: engine.Config()}
}

// Serve accepts connections on ln until Shutdown. It may be called for
// several listeners (the plain port and the TLS port).
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return net.ErrClosed
	}
	s.lns = append(s.lns, ln)
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
	// Registering under s.mu orders it with Shutdown: a connection is either
	// refused or closed by Shutdown's CloseAll.
	s.mu.Lock()
	var cl *command.Client
	err := command.ErrMaxClients
	if !s.closing {
		cl, err = s.engine.Connect(nc.RemoteAddr().String(), nc.LocalAddr().String(), func() { nc.Close() })
	}
	s.mu.Unlock()
	if err != nil {
		nc.Write(redcon.AppendError(nil, err.Error()))
		nc.Close()
		return
	}
	go s.serveConn(nc, cl)
}

// serveConn reads requests until the client leaves, errs, or is killed.
// Replies go out through the client (command.Client.Flush), which also
// writes the pushes other goroutines send it (Pub/Sub messages...).
func (s *Server) serveConn(nc net.Conn, cl *command.Client) {
	defer func() {
		nc.Close()
		s.engine.Disconnect(cl)
	}()
	cl.SetConn(nc)
	cr := &countingReader{r: nc}
	rd := resp.NewReader(cr, s.cfg.MaxBulkLen)
	rd.SetQueryLimit(s.cfg.QueryBufferLimit)
	long := &longHold{g: s.engine.Config().Memory}
	rd.OnLongBulk(bigmem.Min, long.take)
	defer long.drop()
	var out []byte // the replies of one pipeline, reused
	// ahead is a read started while the client was blocked: it watches
	// for the connection closing and holds the next pipeline.
	var ahead chan readResult
	var gone chan struct{} // closed when the read ahead failed
	// deadline: the connection has a read deadline (--timeout), cleared
	// only when set, not before every read.
	deadline := false
	flush := func(out []byte) error {
		if lim := s.cfg.OutputBufferLimit; lim > 0 && int64(len(out)) > lim {
			slog.Warn("client closed for overcoming of output buffer limits", "client", cl.ID(),
				"addr", nc.RemoteAddr().String(), "reply_bytes", len(out), "limit", lim)
			return errOutputLimit
		}
		cl.SetReplyBuffer(len(out))
		s.engine.CountNet(cr.take(), len(out))
		err := cl.Flush(out)
		cl.SetReplyBuffer(0)
		return err
	}
	for {
		var batch [][][]byte
		var err error
		if ahead != nil {
			r := <-ahead
			ahead, gone, batch, err = nil, nil, r.batch, r.err
		} else {
			if t := s.engine.IdleTimeout(); t > 0 && !cl.Subscribed() {
				nc.SetReadDeadline(time.Now().Add(t))
				deadline = true
			} else if deadline {
				nc.SetReadDeadline(time.Time{})
				deadline = false
			}
			batch, err = readPipeline(rd)
		}
		if len(batch) > 0 {
			if !s.enter() {
				return
			}
			cl.SetQueryBuffer(rd.BufferUse())
			out = s.engine.Run(cl, batch, out[:0])
			// In flight until the reply is written: Shutdown closes the
			// connections once nothing is in flight, which must not cut
			// off a reply (an aborted command's error) not yet sent.
			werr := flush(out)
			s.inflight.Done()
			for werr == nil && cl.Blocked() {
				// A blocked client is not idle (--timeout) and its
				// connection is watched while it waits.
				nc.SetReadDeadline(time.Time{})
				deadline = false
				switch {
				case err != nil:
					gone = make(chan struct{})
					close(gone)
				case ahead == nil:
					ahead, gone = make(chan readResult, 1), make(chan struct{})
					go func(ahead chan<- readResult, gone chan struct{}) {
						b, e := readPipeline(rd)
						if e != nil && len(b) == 0 {
							close(gone)
						}
						ahead <- readResult{b, e}
					}(ahead, gone)
				}
				if !s.enter() {
					return
				}
				out = s.engine.Wait(cl, gone, out[:0])
				werr = flush(out)
				s.inflight.Done()
			}
			if werr != nil {
				return
			}
			long.drop()
			if cap(out) > maxKeptReplyBuffer {
				out = nil
			}
		}
		if err != nil {
			var pe resp.ProtocolError
			if errors.Is(err, resp.ErrQueryLimit) {
				slog.Warn("closing client that reached max query buffer length", "client", cl.ID(),
					"addr", nc.RemoteAddr().String(), "limit", s.cfg.QueryBufferLimit)
			} else if errors.As(err, &pe) {
				cl.Flush(redcon.AppendError(nil, "ERR "+pe.Error()))
			} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !cl.Killed() {
				slog.Debug("connection closed", "client", cl.ID(), "err", err)
			}
			return
		}
		if cl.Closing() {
			return
		}
	}
}

// errOutputLimit ends a connection whose replies exceed
// client-output-buffer-limit normal.
var errOutputLimit = errors.New("output buffer limit")

// readResult is a pipeline read ahead while the client was blocked.
type readResult struct {
	batch [][][]byte
	err   error
}

// readPipeline blocks for one request, then takes every request that has
// already arrived, so a pipeline can be run as a whole.
func readPipeline(rd *resp.Reader) ([][][]byte, error) {
	var batch [][][]byte
	var size int
	for {
		args, err := rd.ReadCommand()
		if err != nil {
			return batch, err
		}
		if args != nil {
			batch = append(batch, args)
			for _, a := range args {
				size += len(a)
			}
		}
		if (len(batch) > 0 && !rd.Buffered()) || len(batch) >= maxPipeline || size >= maxPipelineBytes {
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

// abortGrace is how long Shutdown waits for the replies of aborted
// commands before it closes the connections.
const abortGrace = time.Second

// Shutdown stops accepting, lets in-flight commands finish and reply, and
// closes every connection. When ctx ends first, the commands still
// waiting for the store are aborted and answered with an error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for _, ln := range s.lns {
		ln.Close()
	}
	s.mu.Unlock()
	// Blocked clients leave without taking anything, so that no element is
	// popped for a connection about to close.
	s.engine.UnblockAll()
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		// Commands still waiting for the store are answered with an
		// error rather than cut off; give their replies a moment.
		s.engine.Abort()
		select {
		case <-done:
		case <-time.After(abortGrace):
		}
	}
	s.mu.Lock()
	s.engine.CloseAll()
	s.mu.Unlock()
	return ctx.Err()
}

// countingReader counts the bytes read from a connection, for INFO's
// total_net_input_bytes. The connection's goroutine takes the count while
// the read-ahead goroutine of a blocked client may be reading: n is atomic.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// take returns the bytes read since the last call.
func (c *countingReader) take() int { return int(c.n.Swap(0)) }
