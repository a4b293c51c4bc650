package command

import (
	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/resp"
)

func multi(c *Call) {
	if c.c.multi {
		c.Error("ERR MULTI calls can not be nested")
		return
	}
	c.c.setMulti(true)
	c.Reply(resp.OK)
}

func discard(c *Call) {
	if !c.c.multi {
		c.Error("ERR DISCARD without MULTI")
		return
	}
	c.c.setMulti(false)
	c.c.watched = nil
	c.Reply(resp.OK)
}

func unwatch(c *Call) {
	c.c.watched = nil
	c.Reply(resp.OK)
}

// watch records the version of each key; EXEC fails if any changes.
func watch(c *Call) {
	if c.c.multi {
		c.Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	keys := c.Args[1:]
	versions := make([]uint64, len(keys))
	var swapped uint64
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		var err error
		if swapped, err = tx.SwappedAt(tx.Logical()); err != nil {
			return nil, err
		}
		for i, k := range keys {
			v, err := tx.Key(k).Version()
			if err != nil {
				return nil, err
			}
			versions[i] = v
		}
		return resp.OK, nil
	})
	c.after = func() {
		if c.c.watched == nil {
			c.c.watched = make(map[watchKey]uint64)
		}
		for i, k := range keys {
			wk := watchKey{db: c.c.db, key: string(k)}
			if _, ok := c.c.watched[wk]; !ok {
				c.c.watched[wk] = versions[i]
			}
		}
		// The database's last SWAPDB, as of the first WATCH in it.
		if wk := (watchKey{db: c.c.db, swap: true}); c.c.watched[wk] == 0 {
			c.c.watched[wk] = swapped + 1
		}
	}
}

// exec runs the queued commands in one transaction: all of them or, when a
// watched key changed, none (a null array).
func exec(c *Call) {
	cl := c.c
	if !cl.multi {
		c.Error("ERR EXEC without MULTI")
		return
	}
	queued, failed, watched := cl.queued, cl.multiFailed, cl.watched
	cl.setMulti(false)
	cl.watched = nil
	if failed {
		c.Error("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	// Run each queued handler now, in order, so that SELECT and argument
	// errors take effect where they stand; their jobs share one transaction.
	subs := make([]*Call, len(queued))
	readOnly := true
	var keys [][]byte
	cl.inExec = true
	defer func() { cl.inExec = false }()
	for i, args := range queued {
		sub := c.s.prepare(cl, args)
		sub.nested = true
		if !sub.answered() {
			sub.handle()
		}
		c.s.trackReads(sub)
		if sub.job != nil {
			readOnly = readOnly && sub.job.ReadOnly
			keys = append(keys, sub.job.Keys...)
		}
		subs[i] = sub
	}
	for wk := range watched {
		if !wk.swap {
			keys = append(keys, []byte(wk.key))
		}
	}
	c.job = &db.Job{DB: cl.db, Conn: cl.id, Keys: keys, ReadOnly: readOnly && len(watched) == 0, Fn: func(tx *db.Tx) error {
		c.result = execReply(subs)
		for wk, v := range watched {
			if wk.swap {
				continue
			}
			if err := tx.Select(wk.db); err != nil {
				return err
			}
			cur, err := tx.Key([]byte(wk.key)).Version()
			if err != nil {
				return err
			}
			swapped, err := tx.SwappedAt(wk.db)
			if err != nil {
				return err
			}
			if cur != v || swappedSince(watched, wk.db, swapped, v, cur) {
				c.result = resp.NullArray
				return nil
			}
			tx.Key([]byte(wk.key)).Lock()
		}
		for _, sub := range subs {
			if sub.job == nil {
				continue
			}
			if err := tx.Select(sub.job.DB); err != nil {
				return err
			}
			sub.job.Err = tx.Sub(sub.job.Fn)
			if sub.job.Err != nil && !db.IsUserError(sub.job.Err) {
				return sub.job.Err
			}
		}
		return nil
	}}
}

// execReply is EXEC's answer: the replies of the queued commands.
type execReply []*Call

// Append implements resp.Reply.
func (subs execReply) Append(b []byte, p resp.Proto) []byte {
	b = redcon.AppendArray(b, len(subs))
	for _, sub := range subs {
		b = sub.safeAppend(b)
	}
	return b
}

// swappedSince reports whether a SWAPDB of logical database dbi since the
// WATCH (swapped is its last swap's epoch now) touched a watched key: as
// in Redis, one that existed in either database (here: when watched, v,
// or now, cur).
func swappedSince(watched map[watchKey]uint64, dbi uint16, swapped, v, cur uint64) bool {
	rec := watched[watchKey{db: dbi, swap: true}]
	return rec != 0 && rec-1 != swapped && (v != 0 || cur != 0)
}
