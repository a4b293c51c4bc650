package wait

import "testing"

func woken(w *Waiter) bool {
	select {
	case <-w.C():
		return true
	default:
		return false
	}
}

// TestFIFO: a change wakes the first waiter only; when it leaves, the next
// one is woken.
func TestFIFO(t *testing.T) {
	r := New()
	a := r.Wait(0, [][]byte{[]byte("k")})
	b := r.Wait(0, [][]byte{[]byte("k"), []byte("j")})
	r.Wake(0, []byte("k"))
	if !woken(a) || woken(b) {
		t.Fatal("Wake must wake the first waiter only")
	}
	a.Done()
	if !woken(b) {
		t.Fatal("the next waiter must be woken when the first leaves")
	}
	if got := r.Len(); got != 1 {
		t.Fatalf("Len = %d", got)
	}
	r.Wake(1, []byte("k"))
	r.Wake(0, []byte("x"))
	if woken(b) {
		t.Fatal("a change of another key or database woke the waiter")
	}
	r.Wake(0, []byte("j"))
	if !woken(b) {
		t.Fatal("j's first waiter not woken")
	}
	b.Done()
	b.Done()
	if r.Len() != 0 || len(r.Keys()) != 0 || r.Waiting(0, []byte("k")) {
		t.Fatal("registry not empty after every waiter left")
	}
}

// TestWakeReaders wakes every waiter outside a group; duplicate keys
// count once.
func TestWakeReaders(t *testing.T) {
	r := New()
	a := r.Wait(2, [][]byte{[]byte("s"), []byte("s")})
	b := r.Wait(2, [][]byte{[]byte("s")})
	r.WakeReaders(2, []byte("s"))
	if !woken(a) || !woken(b) {
		t.Fatal("WakeReaders must wake every waiter outside a group")
	}
	if len(a.Keys()) != 1 {
		t.Fatalf("keys = %v", a.Keys())
	}
	a.Done()
	b.Done()
}

// TestWakeGroupReaders: of the readers of one group, a change wakes the
// first only (the readers of other groups and outside a group too); when
// the first leaves, the next of its group is woken, not a later waiter of
// another group.
func TestWakeGroupReaders(t *testing.T) {
	r := New()
	s := [][]byte{[]byte("s")}
	g1 := r.WaitGroup(0, s, "g")
	h1 := r.WaitGroup(0, s, "h")
	g2 := r.WaitGroup(0, s, "g")
	x := r.Wait(0, s)
	g3 := r.WaitGroup(0, s, "g")
	r.WakeReaders(0, []byte("s"))
	if !woken(g1) || !woken(h1) || !woken(x) {
		t.Fatal("the first reader of each group and every other reader must be woken")
	}
	if woken(g2) || woken(g3) {
		t.Fatal("only the first reader of a group may be woken")
	}
	g2.Done() // not the first of g: wakes no one
	if woken(g3) || woken(h1) || woken(x) {
		t.Fatal("a reader that was not first of its group left: no one is woken")
	}
	g1.Done()
	if !woken(g3) || woken(h1) || woken(x) {
		t.Fatal("the next reader of the group must be woken when the first leaves")
	}
	h1.Done()
	x.Done()
	g3.Done()
	if r.Len() != 0 || r.Waiting(0, []byte("s")) {
		t.Fatal("registry not empty")
	}
}

// TestWakeGroups: a removed stream wakes the first waiter of each group
// and no reader outside a group.
func TestWakeGroups(t *testing.T) {
	r := New()
	k := [][]byte{[]byte("s")}
	plain := r.Wait(0, k)
	g1a, g1b := r.WaitGroup(0, k, "g1"), r.WaitGroup(0, k, "g1")
	g2 := r.WaitGroup(0, k, "g2")
	r.WakeGroups(0, []byte("s"))
	if woken(plain) || !woken(g1a) || woken(g1b) || !woken(g2) {
		t.Fatal("WakeGroups must wake the first waiter of each group only")
	}
	g1a.Done()
	if !woken(g1b) {
		t.Fatal("the next waiter of the group must be woken when the first leaves")
	}
	r.WakeGroups(0, []byte("other"))
	if woken(plain) || woken(g2) {
		t.Fatal("another key woke a waiter")
	}
}

// TestDoneWithoutKeys: a waiter registered with no keys is counted and
// uncounted like any other (Len, the group waiters WakeGroups looks at),
// once however often Done is called.
func TestDoneWithoutKeys(t *testing.T) {
	r := New()
	w := r.WaitGroup(0, nil, "g")
	if r.Len() != 1 || r.groupWaiters.Load() != 1 {
		t.Fatalf("registered: Len %d, group waiters %d", r.Len(), r.groupWaiters.Load())
	}
	w.Done()
	w.Done()
	if r.Len() != 0 || r.groupWaiters.Load() != 0 {
		t.Fatalf("after Done: Len %d, group waiters %d, want 0 and 0", r.Len(), r.groupWaiters.Load())
	}
	k := r.WaitGroup(0, [][]byte{[]byte("k")}, "g")
	k.Done()
	k.Done()
	if r.Len() != 0 || r.groupWaiters.Load() != 0 {
		t.Fatalf("a waiter with a key done twice: Len %d, group waiters %d", r.Len(), r.groupWaiters.Load())
	}
}
