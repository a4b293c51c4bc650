package server

import (
	"sync"

	"github.com/titan-kv/titan/bigmem"
)

// longHold is a connection's hold on the process's long-value guard
// (bigmem): taken at the header of a bulk of bigmem.Min bytes or more,
// before its body is read, and released once the pipeline holding it was
// answered and dropped. The reading goroutine of a blocked client takes it
// while the connection's goroutine may release it: mu orders them.
type longHold struct {
	mu      sync.Mutex
	g       *bigmem.Guard
	release func()
}

// take holds the guard unless this connection already does.
func (h *longHold) take() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.release == nil {
		h.release = h.g.Hold()
	}
}

// drop releases the hold, if any.
func (h *longHold) drop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.release != nil {
		h.release()
		h.release = nil
	}
}
