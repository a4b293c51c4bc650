package db

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	tikverr "github.com/tikv/client-go/v2/error"
)

// The replies a client gets when the store, not its input, made a command
// fail. They never carry the store's own text (paths, protobuf dumps,
// client-go wording): that goes to the log.
const (
	ReplyUnavailable  = "ERR store unavailable, try again"
	ReplyTimeout      = "ERR store timeout, try again"
	ReplyUndetermined = "ERR store unavailable, the command may or may not have taken effect"
	ReplyTooLarge     = "ERR value too large for the store, try a smaller value"
	ReplyConflict     = "ERR too many concurrent writers of the same keys, try again"
)

// ErrInternal marks a bug met while running a job (a panic): its text is
// the reply.
var ErrInternal = errors.New("internal error")

// ReplyText returns the Redis error text a client gets for err, the error
// of a command's job, and whether err is a fault of the store (to be
// logged with its detail) rather than an answer to the command's input.
func ReplyText(err error) (text string, storeFault bool) {
	var u UserError
	switch {
	case errors.As(err, &u):
		return string(u), false
	case errors.Is(err, ErrInternal):
		return "ERR " + err.Error(), true
	case errors.Is(err, ErrUndetermined):
		return ReplyUndetermined, true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, tikverr.ErrTiKVServerTimeout), errors.Is(err, tikverr.ErrResolveLockTimeout):
		return ReplyTimeout, true
	case tooLarge(err):
		return ReplyTooLarge, true
	case retryable(err):
		return ReplyConflict, true
	}
	return ReplyUnavailable, true
}

// tooLarge reports whether the store refused a request for its size.
func tooLarge(err error) bool {
	var txn *tikverr.ErrTxnTooLarge
	var entry *tikverr.ErrEntryTooLarge
	if errors.As(err, &txn) || errors.As(err, &entry) {
		return true
	}
	// A region error travels as text only.
	return strings.Contains(err.Error(), "raft_entry_too_large")
}

// health remembers the store's recent record: a store that failed a
// command more recently than it served one is unhealthy, until a command
// succeeds again or faultWindow passes without failures.
type health struct {
	mu          sync.Mutex
	lastOK      time.Time
	lastFault   time.Time
	faultReason string
}

// faultWindow is how long a store fault with no success after it keeps
// the store reported unhealthy.
const faultWindow = 10 * time.Second

func (h *health) ok() {
	h.mu.Lock()
	h.lastOK = time.Now()
	h.mu.Unlock()
}

func (h *health) fault(err error) {
	h.mu.Lock()
	h.lastFault = time.Now()
	h.faultReason, _ = ReplyText(err)
	h.mu.Unlock()
}

// StoreHealth reports whether the store serves commands; when it does
// not, why, as the reply text commands get. A fault counts until a
// command succeeds after it, or for 10 seconds without any new fault.
func (d *DB) StoreHealth() (healthy bool, reason string) {
	h := &d.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lastFault.IsZero() || h.lastOK.After(h.lastFault) || time.Since(h.lastFault) > faultWindow {
		return true, ""
	}
	return false, strings.TrimPrefix(h.faultReason, "ERR ")
}

// NoteResult records the outcome of a command's job for StoreHealth:
// errors of the store count as faults, success and user errors as the
// store serving.
func (d *DB) NoteResult(err error) {
	if err == nil {
		d.health.ok()
		return
	}
	switch text, _ := ReplyText(err); text {
	case ReplyUnavailable, ReplyTimeout, ReplyUndetermined:
		if !errors.Is(err, context.Canceled) { // the client went away
			d.health.fault(err)
		}
	default:
		d.health.ok()
	}
}
