package command

import (
	"time"

	"github.com/titan-kv/titan/db"
)

// storeStatus is INFO's store_status: "ok", or "unhealthy: " and why
// commands fail in the store (db.StoreHealth).
func (s *Engine) storeStatus() string {
	if ok, why := s.db.StoreHealth(); !ok {
		return "unhealthy: " + why
	}
	return "ok"
}

// ReplyAborted answers the commands still waiting for the store when the
// server stops (Engine.Abort).
const ReplyAborted = "ERR server shutting down, the command may or may not have taken effect"

// Abort makes every command still waiting for the store return at once,
// answered with ReplyAborted; the server calls it when the grace period
// of a shutdown is over.
func (s *Engine) Abort() { s.abort() }

// do runs jobs in the store and reports whether they finished; false when
// the engine was aborted while they were still waiting for the store.
func (s *Engine) do(jobs []*db.Job) bool {
	if len(jobs) == 0 {
		return true
	}
	if p := s.db.Submit(s.leadBatch, jobs...); p != nil {
		select {
		case <-p.Done():
			return true
		case <-s.run.Done():
			select {
			case <-p.Done():
				return true
			case <-time.After(100 * time.Millisecond):
				return false
			}
		}
	}
	r := s.runners.get(s)
	r.work <- task{jobs: jobs}
	select {
	case <-r.done:
		s.runners.put(r)
		return true
	case <-s.run.Done():
		select {
		case <-r.done:
			s.runners.put(r)
			return true
		case <-time.After(100 * time.Millisecond):
			return false
		}
	}
}
