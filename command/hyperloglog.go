package command

import (
	"fmt"
	"strings"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/resp"
)

// hyperLogLogCommands is the HyperLogLog family: strings holding Redis's
// HyperLogLog layout.
func hyperLogLogCommands() []*Command {
	return []*Command{
		cmd("pfadd", pfadd),
		cmd("pfcount", pfcount),
		cmd("pfmerge", pfmerge),
		cmd("pfdebug", pfdebug),
		cmd("pfselftest", pfselftest),
	}
}

func pfadd(c *Call) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.BoolOf(tx.String(c.Args[1]).PFAdd(c.Args[2:]))
	})
}

// pfcount of one key may store the computed cardinality in the value's
// cache, as Redis does, so it is a write job.
func pfcount(c *Call) {
	if len(c.Args) > 2 {
		c.Read(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.Strings(c.Args[1:]).PFCount()) })
		return
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) { return resp.IntOf(tx.String(c.Args[1]).PFCount()) })
}

func pfmerge(c *Call) {
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		return resp.Of(resp.OK, tx.Strings(c.Args[2:]).PFMerge(c.Args[1]))
	})
}

func pfdebug(c *Call) {
	sub := string(c.Args[1])
	toDense := false
	switch strings.ToLower(sub) {
	case "getreg", "todense":
		toDense = true
	case "decode", "encoding":
	default:
		// Redis looks the key up before it reads the subcommand.
		c.Read(func(tx *db.Tx) (resp.Reply, error) {
			if _, _, err := tx.String(c.Args[2]).PFDebug(false); err != nil {
				return nil, err
			}
			return nil, db.UserError(fmt.Sprintf("ERR Unknown PFDEBUG subcommand '%s'", sub))
		})
		return
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		d, converted, err := tx.String(c.Args[2]).PFDebug(toDense && len(c.Args) == 3)
		if err != nil {
			return nil, err
		}
		if len(c.Args) != 3 {
			return nil, db.UserError(fmt.Sprintf("ERR Wrong number of arguments for the '%s' subcommand", sub))
		}
		switch strings.ToLower(sub) {
		case "getreg":
			regs := make(resp.Ints, len(d.Registers))
			for i, r := range d.Registers {
				regs[i] = int64(r)
			}
			return regs, nil
		case "todense":
			return resp.Bool(converted), nil
		case "encoding":
			if d.Sparse {
				return resp.Status("sparse"), nil
			}
			return resp.Status("dense"), nil
		}
		if !d.Sparse {
			return nil, db.UserError("ERR HLL encoding is not sparse")
		}
		return resp.Bulk(encoding.HLLDecodeSparse(d.Value)), nil
	})
}

func pfselftest(c *Call) {
	if err := encoding.HLLSelfTest(); err != nil {
		c.Error("TESTFAILED " + err.Error())
		return
	}
	c.Reply(resp.OK)
}
