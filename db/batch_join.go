package db

// A batch that takes hot locks (hotlock.go) may wait for them a long
// time: on a stream that every instance writes, the lock goes round the
// instances one batch at a time. Meanwhile the groups of this process on
// the same stream queue behind the batch's latch, and without more they
// would wait for the next batch, which queues for the lock all over
// again: a blocked XREADGROUP woken during the wait, the next pipeline of
// XACKs, cost one more turn of the lock each. So once the batch holds
// its hot locks, it takes in (join) the queued groups that wait for those
// keys, in queue order and up to MaxCommands: they share the turn.

// join adds to bt, which holds the hot locks on the metadata keys locked,
// the queued groups that name one of them and that bt may run: every key
// they name is one bt holds in a mode that allows their use, or one no
// batch in flight holds; every key their Lock jobs name is locked; no
// group left in the queue before them names one of their keys. It
// reports whether a group joined.
func (b *batcher) join(bt *batch, locked [][]byte) bool {
	hot := make(map[string]bool, len(locked))
	for _, k := range locked {
		hot[string(k)] = true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var blocked map[string]bool
	rest := b.pending[:0]
	joined := 0
	for _, g := range b.pending {
		if bt.n+len(g.jobs) <= b.opts.MaxCommands && b.joinable(bt, g, hot, blocked) {
			bt.groups = append(bt.groups, g)
			bt.n += len(g.jobs)
			joined += len(g.jobs)
			for _, l := range g.latches {
				w, mine := bt.latches[l.key]
				switch {
				case !mine && l.write:
					b.held[l.key] = -1
				case !mine:
					b.held[l.key]++
				}
				bt.latches[l.key] = w || l.write
			}
			continue
		}
		if blocked == nil {
			blocked = make(map[string]bool)
		}
		for _, l := range g.latches {
			blocked[l.key] = true
		}
		rest = append(rest, g)
	}
	clear(b.pending[len(rest):])
	b.pending = rest
	b.queued -= joined
	return joined > 0
}

// joinable reports whether g may join bt (see join). b.mu is held.
func (b *batcher) joinable(bt *batch, g *group, hot, blocked map[string]bool) bool {
	if g.global {
		return false
	}
	touches := false
	for _, l := range g.latches {
		if blocked[l.key] {
			return false
		}
		w, mine := bt.latches[l.key]
		switch {
		case mine && l.write && !w:
			// bt only reads it, maybe beside other readers in flight.
			return false
		case mine:
			touches = touches || hot[l.key]
		default:
			if h := b.held[l.key]; h < 0 || (l.write && h > 0) {
				return false
			}
		}
	}
	if !touches {
		return false
	}
	i := 0
	for _, j := range g.jobs {
		n := len(j.Keys)
		if j.Lock && !j.ReadOnly {
			for _, k := range g.meta[i : i+n] {
				if !hot[string(k)] {
					return false
				}
			}
		}
		i += n
	}
	return true
}
