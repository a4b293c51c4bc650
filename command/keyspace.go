package command

import (
	"math"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// keyspaceCommands are the keyspace commands of their own file: MOVE,
// WAIT, SORT, SORT_RO, DUMP, RESTORE.
func keyspaceCommands() []*Command {
	return []*Command{
		cmd("move", moveCmd),
		cmd("wait", waitCmd),
		cmd("sort", sortCmd(false)),
		cmd("sort_ro", sortCmd(true)),
		cmd("dump", dump),
		cmd("restore", restore),
		cmd("restore-asking", restore),
	}
}

func moveCmd(c *Call) {
	if n, ok := parse.Int(c.Args[2]); ok && (n < math.MinInt32 || n > math.MaxInt32) {
		c.Error("ERR value is out of range, value must between -2147483648 and 2147483647")
		return
	}
	dst, ok := c.dbIndex(c.Args[2])
	if !ok {
		return
	}
	if dst == c.c.db {
		c.Error("ERR source and destination objects are the same")
		return
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) { return resp.BoolOf(tx.Key(c.Args[1]).Move(dst)) })
}

// waitCmd answers at once: every write titan acknowledged was committed by
// TiKV, whose Raft log is replicated to a majority of each region's
// replicas before the commit returns, so there is nothing to wait for.
// It reports numreplicas as reached.
func waitCmd(c *Call) {
	n, ok := parse.Int(c.Args[1])
	if !ok {
		c.Error(errNotInteger)
		return
	}
	t, ok := parse.Int(c.Args[2])
	if !ok {
		c.Error("ERR timeout is not an integer or out of range")
		return
	}
	if t < 0 {
		c.Error("ERR timeout is negative")
		return
	}
	c.Reply(resp.Int(max(n, 0)))
}
