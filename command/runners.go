package command

import (
	"sync/atomic"

	"github.com/titan-kv/titan/db"
)

// maxIdleRunners bounds the runners kept waiting for work; more are made
// when more pipelines wait for the store at once, and end when they are
// not needed.
const maxIdleRunners = 256

// runners are long-lived goroutines that hand pipelines to the store
// (db.Do) for the connections' goroutines, which wait for them or, at an
// abort, stop waiting. Reusing them matters: a store call runs deep into
// client-go (and the embedded store), and a new goroutine would grow its
// stack there from scratch, copying it several times, for every pipeline.
type runners struct {
	idle    chan *runner
	stopped atomic.Bool
}

// runner is one goroutine running one pipeline's jobs, or one batch, at
// a time.
type runner struct {
	work chan task
	done chan struct{}
}

// task is a runner's work: a pipeline's jobs (db.Do), whose end is
// signalled on done and whose waiter puts the runner back, or a batch to
// lead (db.Submit), after which the runner puts itself back.
type task struct {
	jobs []*db.Job
	lead func()
}

func newRunners() *runners { return &runners{idle: make(chan *runner, maxIdleRunners)} }

// get returns an idle runner, or starts one.
func (rs *runners) get(s *Engine) *runner {
	select {
	case r := <-rs.idle:
		return r
	default:
	}
	r := &runner{work: make(chan task, 1), done: make(chan struct{}, 1)}
	go func() {
		for t := range r.work {
			if t.lead != nil {
				t.lead()
				rs.put(r)
				continue
			}
			s.db.Do(s.run, t.jobs...)
			r.done <- struct{}{}
			if rs.stopped.Load() {
				return // the engine closed (its waiter may be gone)
			}
		}
	}()
	return r
}

// leadBatch runs a batch a connection's group leads (db.Submit) on a
// runner.
func (s *Engine) leadBatch(run func()) { s.runners.get(s).work <- task{lead: run} }

// put keeps r for the next pipeline, or ends it when enough are idle. A
// runner whose pipeline was abandoned (Abort) is never put back.
func (rs *runners) put(r *runner) {
	if rs.stopped.Load() {
		close(r.work)
		return
	}
	select {
	case rs.idle <- r:
		if rs.stopped.Load() {
			rs.stop() // stop ran between the check and the put
		}
	default:
		close(r.work)
	}
}

// stop ends the idle runners (the engine closes): they hold the engine.
// A runner busy then ends once its work is done, abandoned (Abort) or not.
func (rs *runners) stop() {
	rs.stopped.Store(true)
	for {
		select {
		case r := <-rs.idle:
			close(r.work)
		default:
			return
		}
	}
}
