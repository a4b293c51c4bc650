package command

import (
	"context"
	"encoding/binary"
	"log/slog"
	"math"
	"time"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// swapdb swaps two logical databases by swapping their entries in the
// store's database mapping (db/dbmap.go): O(1), whatever the data. The
// clients blocked in either database look again, here and, through the
// bus, on every instance, which also reloads the mapping at once.
func swapdb(c *Call) {
	if c.s.cfg.Cluster.Enabled {
		c.Error("ERR SWAPDB is not allowed in cluster mode")
		return
	}
	a, ok := swapIndex(c, c.Args[1], "ERR invalid first DB index")
	if !ok {
		return
	}
	b, ok := swapIndex(c, c.Args[2], "ERR invalid second DB index")
	if !ok {
		return
	}
	if a < 0 || a >= int64(c.s.cfg.Databases) || b < 0 || b >= int64(c.s.cfg.Databases) {
		c.Error("ERR DB index is out of range")
		return
	}
	if c.nested {
		// Inside MULTI or a script: a part of their transaction.
		c.Write(func(tx *db.Tx) (resp.Reply, error) {
			return resp.OK, tx.Keyspace().Swap(uint16(a), uint16(b))
		})
	} else {
		// On its own (a barrier: what the pipeline sent before it has
		// committed): waits for the writers of both databases instead of
		// losing to them (db/swapdb.go).
		if err := c.s.db.SwapDB(c.s.run, uint16(a), uint16(b)); err != nil {
			c.Error(c.errorReply(err))
			return
		}
		c.Reply(resp.OK)
	}
	if a == b {
		return
	}
	c.after = func() { c.s.swapped(uint16(a), uint16(b)) }
}

// swapIndex parses a SWAPDB index as Redis's getIntFromObjectOrReply: an
// integer that fits a C int, else msg.
func swapIndex(c *Call, arg []byte, msg string) (int64, bool) {
	n, ok := parse.Int(arg)
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		c.Error(msg)
		return 0, false
	}
	return n, true
}

// swapped wakes this instance's clients blocked in databases a and b and
// tells the other instances.
func (s *Engine) swapped(a, b uint16) {
	s.waiters.WakeDB(a, b)
	if s.peers != nil {
		msg := binary.BigEndian.AppendUint16(nil, a)
		s.peers.Broadcast(msgSwapDB, binary.BigEndian.AppendUint16(msg, b))
	}
}

// swapFromPeer handles another instance's SWAPDB: reload the mapping, then
// wake the clients blocked in either database.
func (s *Engine) swapFromPeer(payload []byte) []byte {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.db.ReloadDBMap(ctx); err != nil {
		// The next command's prefetch finds the new mapping anyway.
		slog.Warn("swapdb: reloading the database mapping", "err", err)
	}
	if len(payload) >= 4 {
		s.waiters.WakeDB(binary.BigEndian.Uint16(payload), binary.BigEndian.Uint16(payload[2:]))
	}
	return nil
}
