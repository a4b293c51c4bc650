package bigmem

import (
	"sync"
	"testing"
)

// TestGuard: the first hold lowers GOGC, nested holds keep it lowered,
// the last release restores the process's own and frees memory once; a
// process already below Percent keeps its GOGC; a nil Guard does nothing.
func TestGuard(t *testing.T) {
	gc := 100
	var mu sync.Mutex
	freed := make(chan struct{}, 4)
	g := &Guard{
		setGC: func(p int) int { mu.Lock(); defer mu.Unlock(); prev := gc; gc = p; return prev },
		free:  func() { freed <- struct{}{} },
	}
	get := func() int { mu.Lock(); defer mu.Unlock(); return gc }
	r1 := g.Hold()
	if get() != Percent {
		t.Fatalf("GOGC %d during a hold", get())
	}
	r2 := g.Hold()
	r1()
	r1() // a second call does nothing
	if get() != Percent || g.Holding() != 1 {
		t.Fatalf("GOGC %d, %d holds after one of two releases", get(), g.Holding())
	}
	r2()
	if get() != 100 || g.Holding() != 0 {
		t.Fatalf("GOGC %d, %d holds after the last release", get(), g.Holding())
	}
	<-freed
	select {
	case <-freed:
		t.Fatal("memory freed twice")
	default:
	}

	gc = 10
	r := g.Hold()
	if get() != 10 {
		t.Fatalf("GOGC %d: a lower GOGC was raised", get())
	}
	r()
	if get() != 10 {
		t.Fatalf("GOGC %d after release", get())
	}
	<-freed

	var none *Guard
	none.Hold()()
	if none.Holding() != 0 {
		t.Fatal("nil guard holds")
	}
}
