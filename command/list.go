package command

import (
	"math"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
)

func push(left, xx bool) func(*Call) {
	return func(c *Call) {
		var n int64
		c.legacyWrite(func(tx *db.Tx) (err error) {
			n, err = tx.Push(c.Args[1], c.Args[2:], left, xx)
			return err
		}, func(w *redcon.Writer) { w.WriteInt64(n) })
	}
}

func pop(left bool) func(*Call) {
	return func(c *Call) {
		count, hasCount := int64(1), len(c.Args) == 3
		switch {
		case len(c.Args) > 3:
			c.Error("ERR wrong number of arguments for '" + c.name + "' command")
			return
		case hasCount:
			n, ok := parseInt(c.Args[2])
			if !ok || n < 0 {
				c.Error("ERR value is out of range, must be positive")
				return
			}
			count = n
		}
		var vals [][]byte
		var exists bool
		c.legacyWrite(func(tx *db.Tx) (err error) {
			vals, exists, err = tx.Pop(c.Args[1], left, count)
			return err
		}, func(w *redcon.Writer) {
			switch {
			case !exists && hasCount:
				writeNullArray(w)
			case !exists:
				w.WriteNull()
			case hasCount:
				writeBulks(w, vals)
			default:
				writeBulkOrNull(w, vals[0])
			}
		})
	}
}

func llen(c *Call) {
	var n int64
	c.legacyRead(func(tx *db.Tx) (err error) {
		n, err = tx.LLen(c.Args[1])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

// parseInts parses integer arguments, answering Redis's error if one is
// not an integer.
func parseInts(c *Call, args ...[]byte) ([]int64, bool) {
	out := make([]int64, len(args))
	for i, a := range args {
		n, ok := parseInt(a)
		if !ok {
			c.Error(errNotInteger)
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

func lrange(c *Call) {
	n, ok := parseInts(c, c.Args[2], c.Args[3])
	if !ok {
		return
	}
	var vals [][]byte
	c.legacyRead(func(tx *db.Tx) (err error) {
		vals, err = tx.LRange(c.Args[1], n[0], n[1])
		return err
	}, func(w *redcon.Writer) { writeBulks(w, vals) })
}

func lindex(c *Call) {
	n, ok := parseInts(c, c.Args[2])
	if !ok {
		return
	}
	var v []byte
	c.legacyRead(func(tx *db.Tx) (err error) {
		v, err = tx.LIndex(c.Args[1], n[0])
		return err
	}, func(w *redcon.Writer) { writeBulkOrNull(w, v) })
}

func lset(c *Call) {
	n, ok := parseInts(c, c.Args[2])
	if !ok {
		return
	}
	c.legacyWrite(func(tx *db.Tx) error {
		return tx.LSet(c.Args[1], n[0], c.Args[3])
	}, func(w *redcon.Writer) { w.WriteString("OK") })
}

func linsert(c *Call) {
	var before bool
	switch {
	case argIs(c.Args[2], "before"):
		before = true
	case argIs(c.Args[2], "after"):
	default:
		c.Error(errSyntax)
		return
	}
	var n int64
	c.legacyWrite(func(tx *db.Tx) (err error) {
		n, err = tx.LInsert(c.Args[1], before, c.Args[3], c.Args[4])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(n) })
}

func lrem(c *Call) {
	n, ok := parseInts(c, c.Args[2])
	if !ok {
		return
	}
	var removed int64
	c.legacyWrite(func(tx *db.Tx) (err error) {
		removed, err = tx.LRem(c.Args[1], n[0], c.Args[3])
		return err
	}, func(w *redcon.Writer) { w.WriteInt64(removed) })
}

func ltrim(c *Call) {
	n, ok := parseInts(c, c.Args[2], c.Args[3])
	if !ok {
		return
	}
	c.legacyWrite(func(tx *db.Tx) error {
		return tx.LTrim(c.Args[1], n[0], n[1])
	}, func(w *redcon.Writer) { w.WriteString("OK") })
}

func lpos(c *Call) {
	rank, count, maxLen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(c.Args); j++ {
		more := j+1 < len(c.Args)
		switch {
		case argIs(c.Args[j], "rank") && more:
			n, ok := parseInt(c.Args[j+1])
			if !ok {
				c.Error(errNotInteger)
				return
			}
			if n == 0 {
				c.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
				return
			}
			rank = n
		case argIs(c.Args[j], "count") && more:
			n, ok := parseInt(c.Args[j+1])
			if !ok || n < 0 {
				c.Error("ERR COUNT can't be negative")
				return
			}
			count = n
		case argIs(c.Args[j], "maxlen") && more:
			n, ok := parseInt(c.Args[j+1])
			if !ok || n < 0 {
				c.Error("ERR MAXLEN can't be negative")
				return
			}
			maxLen = n
		default:
			c.Error(errSyntax)
			return
		}
		j++
	}
	want := count
	if rank == math.MinInt64 {
		// Redis 7.0 negates the rank and overflows: it matches from the
		// tail and never reaches the count.
		rank = -1
		if want > 0 {
			want = 0
		}
	}
	if count == -1 {
		want = 1
	}
	var idx []int64
	c.legacyRead(func(tx *db.Tx) (err error) {
		idx, err = tx.LPos(c.Args[1], c.Args[2], rank, want, maxLen)
		return err
	}, func(w *redcon.Writer) {
		if count == -1 {
			if len(idx) == 0 {
				w.WriteNull()
			} else {
				w.WriteInt64(idx[0])
			}
			return
		}
		w.WriteArray(len(idx))
		for _, i := range idx {
			w.WriteInt64(i)
		}
	})
}

func move(c *Call, fromLeft, toLeft bool) {
	var v []byte
	var ok bool
	c.legacyWrite(func(tx *db.Tx) (err error) {
		v, ok, err = tx.LMove(c.Args[1], c.Args[2], fromLeft, toLeft)
		return err
	}, func(w *redcon.Writer) {
		if !ok {
			w.WriteNull()
			return
		}
		w.WriteBulk(v)
	})
}

func rpoplpush(c *Call) { move(c, false, true) }

func lmove(c *Call) {
	var ends [2]bool
	for i, a := range c.Args[3:5] {
		switch {
		case argIs(a, "left"):
			ends[i] = true
		case argIs(a, "right"):
		default:
			c.Error(errSyntax)
			return
		}
	}
	move(c, ends[0], ends[1])
}

func lmpop(c *Call) {
	keys, left, count, ok := parseMPop(c, "left", "right")
	if !ok {
		return
	}
	var key []byte
	var vals [][]byte
	c.legacyWrite(func(tx *db.Tx) (err error) {
		key, vals, err = tx.LMPop(keys, left, count)
		return err
	}, func(w *redcon.Writer) {
		if key == nil {
			writeNullArray(w)
			return
		}
		w.WriteArray(2)
		w.WriteBulk(key)
		writeBulks(w, vals)
	})
}
