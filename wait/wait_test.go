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

// TestWakeAll wakes every waiter; duplicate keys count once.
func TestWakeAll(t *testing.T) {
	r := New()
	a := r.Wait(2, [][]byte{[]byte("s"), []byte("s")})
	b := r.Wait(2, [][]byte{[]byte("s")})
	r.WakeAll(2, []byte("s"))
	if !woken(a) || !woken(b) {
		t.Fatal("WakeAll must wake every waiter")
	}
	if len(a.Keys()) != 1 {
		t.Fatalf("keys = %v", a.Keys())
	}
	a.Done()
	b.Done()
}
