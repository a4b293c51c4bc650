package command

import (
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

func dump(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		v, err := tx.Key(c.Args[1]).Dump()
		if err != nil || v == nil {
			return resp.Null, err
		}
		return resp.Bulk(encoding.EncodeDump(v)), nil
	})
}

// restore is RESTORE and RESTORE-ASKING. titan keeps no LRU or LFU
// state, so IDLETIME and FREQ are checked and then ignored.
func restore(c *Call) {
	replace, absTTL := false, false
	idle, freq := false, false
	for j := 4; j < len(c.Args); j++ {
		more := len(c.Args) - j - 1
		switch a := c.Args[j]; {
		case argIs(a, "replace"):
			replace = true
		case argIs(a, "absttl"):
			absTTL = true
		case argIs(a, "idletime") && more >= 1 && !freq:
			n, ok := parse.Int(c.Args[j+1])
			if !ok {
				c.Error(errNotInteger)
				return
			}
			if n < 0 {
				c.Error("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle = true
			j++
		case argIs(a, "freq") && more >= 1 && !idle:
			n, ok := parse.Int(c.Args[j+1])
			if !ok {
				c.Error(errNotInteger)
				return
			}
			if n < 0 || n > 255 {
				c.Error("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq = true
			j++
		default:
			c.Error(errSyntax)
			return
		}
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		k := tx.Key(c.Args[1])
		if !replace {
			if ok, err := k.Exists(); err != nil || ok {
				return nil, orErr(err, db.ErrBusyKey)
			}
		}
		ttl, ok := parse.Int(c.Args[2])
		switch {
		case !ok:
			return nil, db.ErrNotInteger
		case ttl < 0:
			return nil, db.UserError("ERR Invalid TTL value, must be >= 0")
		case !encoding.VerifyDump(c.Args[3]):
			return nil, db.UserError("ERR DUMP payload version or checksum are wrong")
		}
		v, err := encoding.DecodeDump(c.Args[3])
		if err != nil {
			return nil, db.ErrBadDumpData
		}
		if ttl != 0 && !absTTL {
			ttl += tx.Now()
		}
		return resp.Of(resp.OK, k.Restore(v, ttl))
	})
}

func orErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}
