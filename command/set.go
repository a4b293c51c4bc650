package command

import (
	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
)

func sadd(c *Call) {
	var n int64
	c.legacyWrite(func(tx *db.Tx) (err error) {
		n, err = tx.SAdd(c.Args[1], c.Args[2:])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func srem(c *Call) {
	var n int64
	c.legacyWrite(func(tx *db.Tx) (err error) {
		n, err = tx.SRem(c.Args[1], c.Args[2:])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func scard(c *Call) {
	var n int64
	c.legacyRead(func(tx *db.Tx) (err error) {
		n, err = tx.SCard(c.Args[1])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func sismember(c *Call) {
	var ok bool
	c.legacyRead(func(tx *db.Tx) (err error) {
		ok, err = tx.SIsMember(c.Args[1], c.Args[2])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(boolInt(ok)) })
}

func smismember(c *Call) {
	var in []bool
	c.legacyRead(func(tx *db.Tx) (err error) {
		in, err = tx.SMIsMember(c.Args[1], c.Args[2:])
		return err
	}, func(w *redcon.Writer) {
		w.WriteArray(len(in))
		for _, b := range in {
			w.WriteInt64(boolInt(b))
		}
	})
}

func smembers(c *Call) {
	var ms [][]byte
	c.legacyRead(func(tx *db.Tx) (err error) {
		ms, err = tx.SMembers(c.Args[1])
		return err
	}, func(w *redcon.Writer) { writeBulks(w, ms) })
}

func spop(c *Call) {
	if len(c.Args) > 3 {
		c.Error(errSyntax)
		return
	}
	count, hasCount := int64(1), len(c.Args) == 3
	if hasCount {
		n, ok := parseInt(c.Args[2])
		if !ok || n < 0 {
			c.Error("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	var ms [][]byte
	c.legacyWrite(func(tx *db.Tx) (err error) {
		if count == 0 {
			// Nothing to pop, but the key's type is still checked.
			_, err = tx.SCard(c.Args[1])
			ms = nil
			return err
		}
		ms, err = tx.SPop(c.Args[1], count)
		return err
	}, func(w *redcon.Writer) { writeOneOrMany(w, ms, hasCount) })
}

// writeOneOrMany writes the members of SPOP and SRANDMEMBER: an array
// when a count was given, else one bulk string or a null.
func writeOneOrMany(w *redcon.Writer, ms [][]byte, many bool) {
	switch {
	case many:
		writeBulks(w, ms)
	case len(ms) == 0:
		w.WriteNull()
	default:
		w.WriteBulk(ms[0])
	}
}

func srandmember(c *Call) {
	if len(c.Args) > 3 {
		c.Error(errSyntax)
		return
	}
	count, hasCount := int64(1), len(c.Args) == 3
	if hasCount {
		var ok bool
		if count, ok = parseRandomCount(c, c.Args[2]); !ok {
			return
		}
	}
	var ms [][]byte
	c.legacyRead(func(tx *db.Tx) (err error) {
		ms, err = tx.SRandMember(c.Args[1], count)
		return err
	}, func(w *redcon.Writer) { writeOneOrMany(w, ms, hasCount) })
}

func smove(c *Call) {
	var ok bool
	c.legacyWrite(func(tx *db.Tx) (err error) {
		ok, err = tx.SMove(c.Args[1], c.Args[2], c.Args[3])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(boolInt(ok)) })
}

// setAlgebra implements SINTER, SUNION and SDIFF.
func setAlgebra(op func(tx *db.Tx, keys [][]byte) ([][]byte, error)) func(*Call) {
	return func(c *Call) {
		var ms [][]byte
		c.legacyRead(func(tx *db.Tx) (err error) {
			ms, err = op(tx, c.Args[1:])
			return err
		}, func(w *redcon.Writer) { writeBulks(w, ms) })
	}
}

// setStore implements SINTERSTORE, SUNIONSTORE and SDIFFSTORE.
func setStore(op func(tx *db.Tx, dst []byte, keys [][]byte) (int64, error)) func(*Call) {
	return func(c *Call) {
		var n int64
		c.legacyWrite(func(tx *db.Tx) (err error) {
			n, err = op(tx, c.Args[1], c.Args[2:])
			return err
		}, func(w *redcon.Writer) { w.WriteInt64(n) })
	}
}

func sintercard(c *Call) {
	numkeys, ok := parseInt(c.Args[1])
	if !ok || numkeys < 1 {
		c.Error("ERR numkeys should be greater than 0")
		return
	}
	if numkeys > int64(len(c.Args)-2) {
		c.Error("ERR Number of keys can't be greater than number of args")
		return
	}
	keys := c.Args[2 : 2+numkeys]
	var limit int64
	for i := 2 + int(numkeys); i < len(c.Args); i++ {
		if !argIs(c.Args[i], "LIMIT") || i+1 >= len(c.Args) {
			c.Error(errSyntax)
			return
		}
		i++
		n, ok := parseInt(c.Args[i])
		if !ok || n < 0 {
			c.Error("ERR LIMIT can't be negative")
			return
		}
		limit = n
	}
	var n int64
	c.legacyRead(func(tx *db.Tx) (err error) {
		n, err = tx.SInterCard(keys, limit)
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func sscan(c *Call) {
	elemScan(c, false, func(tx *db.Tx) (int64, error) { return tx.SCard(c.Args[1]) },
		func(tx *db.Tx, from []byte, o elemScanOptions) (db.ElemScan, error) {
			return tx.SScan(c.Args[1], from, o.count, o.match)
		})
}
