package replica

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// spool is the disk queue between the master link and the applier: the
// link appends the replication stream as it arrives (so the master never
// buffers it, however slow titan is), the applier reads it in order.
// It is a chain of segment files; a segment the reader has finished is
// removed.
type spool struct {
	dir    string
	segMax int64

	mu      sync.Mutex
	cond    *sync.Cond
	wseq    int      // segment being written
	w       *os.File // its file
	written int64    // bytes in segment wseq
	closed  bool     // no more writes
	err     error    // why the writer stopped, if it failed

	rseq int      // segment being read
	r    *os.File // its file
	rpos int64    // read position in segment rseq
}

func newSpool(dir string, segMax int64) (*spool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &spool{dir: dir, segMax: segMax}
	s.cond = sync.NewCond(&s.mu)
	w, err := os.Create(s.path(0))
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	r, err := os.Open(s.path(0))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	s.w, s.r = w, r
	return s, nil
}

func (s *spool) path(seq int) string { return filepath.Join(s.dir, fmt.Sprintf("stream-%06d", seq)) }

// Write appends p; it never blocks on the reader.
func (s *spool) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errors.New("spool: closed")
	}
	if s.written >= s.segMax {
		w, err := os.Create(s.path(s.wseq + 1))
		if err != nil {
			return 0, fmt.Errorf("spool: %w", err)
		}
		s.w.Close()
		s.wseq, s.w, s.written = s.wseq+1, w, 0
	}
	n, err := s.w.Write(p)
	s.written += int64(n)
	s.cond.Broadcast()
	if err != nil {
		return n, fmt.Errorf("spool: %w", err)
	}
	return n, nil
}

// CloseWrite ends the stream: the reader gets err (io.EOF when nil) once
// it has read everything written.
func (s *spool) CloseWrite(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed, s.err = true, err
		s.cond.Broadcast()
	}
}

// Read reads what was written, waiting for more when it has caught up.
func (s *spool) Read(p []byte) (int, error) {
	s.mu.Lock()
	for {
		avail := s.segSize(s.rseq) - s.rpos
		if avail > 0 {
			if int64(len(p)) > avail {
				p = p[:avail]
			}
			r, pos := s.r, s.rpos
			s.mu.Unlock()
			n, err := r.ReadAt(p, pos)
			s.mu.Lock()
			s.rpos += int64(n)
			s.mu.Unlock()
			if err == io.EOF && n > 0 {
				err = nil
			}
			return n, err
		}
		if s.rseq < s.wseq { // finished segment: on to the next
			s.r.Close()
			os.Remove(s.path(s.rseq))
			r, err := os.Open(s.path(s.rseq + 1))
			if err != nil {
				s.mu.Unlock()
				return 0, fmt.Errorf("spool: %w", err)
			}
			s.rseq, s.r, s.rpos = s.rseq+1, r, 0
			continue
		}
		if s.closed {
			err := s.err
			s.mu.Unlock()
			if err == nil {
				err = io.EOF
			}
			return 0, err
		}
		s.cond.Wait()
	}
}

// segSize is the number of bytes written to segment seq (s.mu held).
func (s *spool) segSize(seq int) int64 {
	if seq == s.wseq {
		return s.written
	}
	fi, err := s.r.Stat()
	if err != nil {
		return 0
	}
	return fi.Size()
}

// Ready reports whether Read would return at once.
func (s *spool) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.segSize(s.rseq) > s.rpos || s.rseq < s.wseq || s.closed
}

// Remove closes the files and deletes the spool.
func (s *spool) Remove() {
	s.CloseWrite(nil)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.Close()
	s.r.Close()
	os.RemoveAll(s.dir)
}
