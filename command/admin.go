package command

import (
	"context"
	"strconv"
	"time"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/resp"
)

func dbsize(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		n, err := tx.Keyspace().Counts()
		return resp.IntOf(n.Keys, err)
	})
}

// flushOptions accepts FLUSHDB/FLUSHALL's ASYNC and SYNC; both delete the
// metadata at once and leave collection elements to the collector.
func flushOptions(c *Call) bool {
	if len(c.Args) > 2 || (len(c.Args) == 2 && !argIs(c.Args[1], "ASYNC") && !argIs(c.Args[1], "SYNC")) {
		c.Error(errSyntax)
		return false
	}
	return true
}

func flushdb(c *Call) {
	if !flushOptions(c) {
		return
	}
	defer c.s.trackFlush()
	if err := c.s.flush(c.c.db, true); err != nil {
		c.Error(c.errorReply(err))
		return
	}
	c.Reply(resp.OK)
}

func flushall(c *Call) {
	if !flushOptions(c) {
		return
	}
	defer c.s.trackFlush()
	for i := 0; i < c.s.cfg.Databases; i++ {
		if err := c.s.flush(uint16(i), false); err != nil {
			c.Error(c.errorReply(err))
			return
		}
	}
	c.Reply(resp.OK)
}

// flush deletes every key of one database in bounded transactions: a
// logical database (FLUSHDB, through the SWAPDB mapping of each
// transaction) or a physical one (FLUSHALL, which flushes them all).
func (s *Engine) flush(dbIndex uint16, logical bool) error {
	var from []byte
	for {
		err := s.db.Update(context.Background(), dbIndex, func(tx *db.Tx) (err error) {
			if logical {
				if err := tx.Select(dbIndex); err != nil {
					return err
				}
			}
			from, err = tx.Keyspace().Flush(from, 1000)
			return err
		})
		if err != nil || from == nil {
			return err
		}
	}
}

func timeCmd(c *Call) {
	now := time.Now()
	c.Reply(resp.Strings{strconv.FormatInt(now.Unix(), 10), strconv.Itoa(now.Nanosecond() / 1000)})
}
