// Package bigmem keeps the process's memory near what it holds while a
// long value (a bulk argument or a reply of Min bytes or more) is in
// flight: it lowers the Go garbage collector's headroom for that time and
// gives the freed memory back to the OS after it.
//
// The GC lets the heap grow by GOGC percent (100 by default) of what it
// found live before it collects again. A 100 MB argument makes the live
// heap ~130 MB, so the garbage of writing it out (client-go's and the
// embedded store's copies of every chunk) could pile up to another 130 MB
// before a collection: 2.6x the value plus the process. Lowering GOGC to
// Percent while such a value is in flight bounds that pile to a quarter of
// the live heap. It costs little: a long value is one pointer-free slice,
// which the GC marks without scanning, and the collections it triggers are
// those of the process's ordinary, small heap. Normal workloads (no long
// value in flight) run with the process's own GOGC.
package bigmem

import (
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Min is the length from which a value counts as long (32 MiB).
const Min = 32 << 20

// Percent is the GOGC the process runs with while a long value is in
// flight (when its own GOGC is higher).
const Percent = 25

// Guard counts the long values in flight in one process. Every titan
// instance of the process shares one (GOGC is the process's); a nil
// Guard does nothing.
type Guard struct {
	mu   sync.Mutex
	n    int // holds in flight
	prev int // GOGC before the first hold
	// freeing is set while a goroutine gives memory back to the OS.
	freeing atomic.Bool
	// setGC and free are debug.SetGCPercent and debug.FreeOSMemory
	// (tests replace them).
	setGC func(int) int
	free  func()
}

// New returns a Guard for the process.
func New() *Guard {
	return &Guard{setGC: debug.SetGCPercent, free: debug.FreeOSMemory}
}

// Hold marks a long value in flight until release is called (once). The
// first hold lowers GOGC to Percent; the last release restores it and
// gives the freed memory back to the OS in the background.
func (g *Guard) Hold() (release func()) {
	if g == nil {
		return func() {}
	}
	g.mu.Lock()
	if g.n == 0 {
		g.prev = g.setGC(Percent)
		if g.prev < Percent {
			// Lower already (or off): keep the process's own.
			g.setGC(g.prev)
		}
	}
	g.n++
	g.mu.Unlock()
	var once sync.Once
	return func() { once.Do(g.release) }
}

func (g *Guard) release() {
	g.mu.Lock()
	g.n--
	last := g.n == 0
	if last {
		g.setGC(g.prev)
	}
	g.mu.Unlock()
	if last && g.freeing.CompareAndSwap(false, true) {
		go func() {
			defer g.freeing.Store(false)
			g.free()
		}()
	}
}

// Holding reports how many long values are in flight.
func (g *Guard) Holding() int {
	if g == nil {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}
