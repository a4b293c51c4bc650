// Package wait keeps, for one titan instance, the clients waiting for keys
// to change: blocking list and sorted set pops and stream reads.
// Waiters of one key form a FIFO queue; a change of the key wakes the
// first one (Wake) or, for stream readers, every reader that does not
// consume and the first waiter of each consumer group (WakeReaders). A
// woken waiter tries its
// operation in a store transaction and either leaves (Done) or keeps its
// place and waits again. When the first waiter of a key leaves, for any
// reason, the next one is woken: a wake-up is never lost to a waiter that
// timed out or disconnected, and items pushed together reach the waiters
// one after the other in FIFO order. A woken group reader that finds more
// than it takes wakes the next one of its group at once (PassOn), so that
// a backlog is taken by several readers together.
//
// The registry knows nothing of the store or the network: the instance
// feeds it the key changes of its own commits (db.OnCommit) and those the
// bus brings from other instances.
package wait

import (
	"container/list"
	"sync"
	"sync/atomic"
)

// Key names one key of one database.
type Key struct {
	DB  uint16
	Key string
}

// Registry is the set of waiters of one instance. Its zero value is not
// usable: call New.
type Registry struct {
	mu     sync.Mutex
	queues map[Key]*list.List
	n      int
	// groupWaiters counts the waiters with a group, so that WakeGroups,
	// called for every key a commit removes or turns into a non-stream
	// (every string write), costs nothing while nobody reads a group.
	groupWaiters atomic.Int64
}

// New returns an empty registry.
func New() *Registry { return &Registry{queues: make(map[Key]*list.List)} }

// Waiter is one client waiting on one or more keys.
type Waiter struct {
	r     *Registry
	c     chan struct{}
	keys  []Key
	elems []*list.Element
	// group is the consumer group a stream reader consumes for ("": a
	// waiter that is not a group reader).
	group string
	// left is set by Done (a waiter with no keys has no elems to tell).
	left bool
}

// Wait registers a waiter at the end of the queue of each of keys (in db).
// Register before trying the operation once, so that a change committed
// after the try began always wakes the waiter.
func (r *Registry) Wait(db uint16, keys [][]byte) *Waiter {
	return r.WaitGroup(db, keys, "")
}

// WaitGroup registers a waiter that consumes for a group (XREADGROUP's
// consumer group, non-empty): WakeReaders wakes only the first waiter of
// each group, as Wake does for a list, and when that one leaves the next
// one of its group is woken.
func (r *Registry) WaitGroup(db uint16, keys [][]byte, group string) *Waiter {
	w := &Waiter{r: r, c: make(chan struct{}, 1), group: group}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		key := Key{DB: db, Key: string(k)}
		if containsKey(w.keys, key) {
			continue
		}
		q := r.queues[key]
		if q == nil {
			q = list.New()
			r.queues[key] = q
		}
		w.keys = append(w.keys, key)
		w.elems = append(w.elems, q.PushBack(w))
	}
	r.n++
	if group != "" {
		r.groupWaiters.Add(1)
	}
	return w
}

func containsKey(keys []Key, k Key) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// C delivers a wake-up: one of the waiter's keys changed (or might have).
// Wake-ups do not queue up: one pending wake-up stands for any number.
func (w *Waiter) C() <-chan struct{} { return w.c }

// Keys are the keys the waiter waits on.
func (w *Waiter) Keys() []Key { return w.keys }

func (w *Waiter) signal() {
	select {
	case w.c <- struct{}{}:
	default:
	}
}

// Done removes the waiter from every queue; the next waiter of each queue
// it headed is woken. Done may be called more than once.
func (w *Waiter) Done() {
	r := w.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if w.left {
		return
	}
	w.left = true
	for i, e := range w.elems {
		q := r.queues[w.keys[i]]
		head := q.Front() == e
		var next *Waiter
		if w.group != "" && firstOfGroup(e) {
			next = nextOfGroup(e)
		}
		q.Remove(e)
		switch {
		case q.Len() == 0:
			delete(r.queues, w.keys[i])
		case next != nil:
			next.signal()
		case head && w.group == "":
			q.Front().Value.(*Waiter).signal()
		}
	}
	w.elems = nil
	r.n--
	if w.group != "" {
		r.groupWaiters.Add(-1)
	}
}

// PassOn wakes, in each queue of a group waiter, the next waiter of its
// group, which then looks for itself: the woken waiter found more than it
// takes. It does nothing for a waiter outside a group or one that left.
func (w *Waiter) PassOn() {
	if w.group == "" {
		return
	}
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	for _, e := range w.elems {
		if next := nextOfGroup(e); next != nil {
			next.signal()
		}
	}
}

// Wake wakes the first waiter of key in db, if any.
func (r *Registry) Wake(db uint16, key []byte) {
	r.mu.Lock()
	if q := r.queues[Key{DB: db, Key: string(key)}]; q != nil {
		q.Front().Value.(*Waiter).signal()
	}
	r.mu.Unlock()
}

// WakeReaders wakes, among the waiters of key in db, every one outside a
// group (readers that do not consume, such as XREAD) and the first one of
// each group (one consumer takes the new entries; when it leaves, the
// next of its group is woken for what it left).
func (r *Registry) WakeReaders(db uint16, key []byte) {
	r.mu.Lock()
	if q := r.queues[Key{DB: db, Key: string(key)}]; q != nil {
		var groups map[string]bool
		for e := q.Front(); e != nil; e = e.Next() {
			w := e.Value.(*Waiter)
			if w.group != "" {
				if groups[w.group] {
					continue
				}
				if groups == nil {
					groups = make(map[string]bool)
				}
				groups[w.group] = true
			}
			w.signal()
		}
	}
	r.mu.Unlock()
}

// WakeGroups wakes the first waiter of each group among the waiters of key
// in db, and no other: the key was removed or now holds another type, so
// group readers must answer that their stream is gone, while readers that
// do not consume keep waiting.
func (r *Registry) WakeGroups(db uint16, key []byte) {
	if r.groupWaiters.Load() == 0 {
		return
	}
	r.mu.Lock()
	if q := r.queues[Key{DB: db, Key: string(key)}]; q != nil {
		for e := q.Front(); e != nil; e = e.Next() {
			if w := e.Value.(*Waiter); w.group != "" && firstOfGroup(e) {
				w.signal()
			}
		}
	}
	r.mu.Unlock()
}

// firstOfGroup reports whether no waiter before e in its queue is of e's
// group.
func firstOfGroup(e *list.Element) bool {
	g := e.Value.(*Waiter).group
	for p := e.Prev(); p != nil; p = p.Prev() {
		if p.Value.(*Waiter).group == g {
			return false
		}
	}
	return true
}

// nextOfGroup returns the next waiter after e in its queue of e's group.
func nextOfGroup(e *list.Element) *Waiter {
	g := e.Value.(*Waiter).group
	for n := e.Next(); n != nil; n = n.Next() {
		if w := n.Value.(*Waiter); w.group == g {
			return w
		}
	}
	return nil
}

// Waiting reports whether key in db has waiters.
func (r *Registry) Waiting(db uint16, key []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.queues[Key{DB: db, Key: string(key)}] != nil
}

// Keys returns the keys that have waiters (for the bounded re-check that
// catches a missed wake-up).
func (r *Registry) Keys() []Key {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]Key, 0, len(r.queues))
	for k := range r.queues {
		keys = append(keys, k)
	}
	return keys
}

// Len is the number of waiters.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}
