package command

import (
	"math/rand/v2"
	"strconv"
	"sync"
)

// cursorTable maps the numeric cursors SCAN-family commands hand out to the
// key a scan resumes from. Clients only ever see numbers, as Redis's do;
// the table is bounded and forgets the oldest cursors first.
type cursorTable struct {
	mu    sync.Mutex
	limit int
	byID  map[uint64][]byte
	order []uint64
	next  uint64
}

func newCursorTable(limit int) *cursorTable {
	return &cursorTable{limit: limit, byID: make(map[uint64][]byte), next: 1 + rand.Uint64N(1<<40)}
}

// put stores a resume position and returns its cursor.
func (t *cursorTable) put(pos []byte) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next++
	id := t.next
	t.byID[id] = append([]byte{}, pos...)
	t.order = append(t.order, id)
	for len(t.order) > t.limit {
		delete(t.byID, t.order[0])
		t.order = t.order[1:]
	}
	return strconv.FormatUint(id, 10)
}

// get returns the position of cursor; "0" is the start. ok is false for a
// cursor that is not a number; an unknown one restarts the scan.
func (t *cursorTable) get(cursor []byte) (pos []byte, ok bool) {
	id, err := strconv.ParseUint(string(cursor), 10, 64)
	if err != nil {
		return nil, false
	}
	if id == 0 {
		return nil, true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byID[id], true
}
