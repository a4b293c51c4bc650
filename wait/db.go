package wait

// WakeDB wakes every waiter of every key in the databases dbs (SWAPDB:
// the keys there are other keys now, so each waiter looks again).
func (r *Registry) WakeDB(dbs ...uint16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, q := range r.queues {
		for _, db := range dbs {
			if k.DB == db {
				for e := q.Front(); e != nil; e = e.Next() {
					e.Value.(*Waiter).signal()
				}
				break
			}
		}
	}
}
