package command

import (
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

func lcs(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		a, b, err := tx.Strings(c.Args[1:3]).LCSInputs()
		if err != nil {
			return nil, err
		}
		var getLen, getIdx, withLen bool
		var minLen int64
		for j := 3; j < len(c.Args); j++ {
			switch o := c.Args[j]; {
			case argIs(o, "idx"):
				getIdx = true
			case argIs(o, "len"):
				getLen = true
			case argIs(o, "withmatchlen"):
				withLen = true
			case argIs(o, "minmatchlen") && j+1 < len(c.Args):
				n, ok := parse.Int(c.Args[j+1])
				if !ok {
					return nil, db.UserError(errNotInteger)
				}
				minLen = max(n, 0)
				j++
			default:
				return nil, db.UserError(errSyntax)
			}
		}
		if getIdx && getLen {
			return nil, db.UserError("ERR If you want both the length and indexes, please just use IDX.")
		}
		r, err := db.LCS(a, b, getIdx || !getLen, minLen)
		switch {
		case err != nil:
			return nil, err
		case getLen:
			return resp.Int(r.Len), nil
		case !getIdx:
			return resp.Bulk(r.Seq), nil
		}
		matches := make(resp.Array, len(r.Matches))
		for i, m := range r.Matches {
			e := resp.Array{resp.Ints{m.AStart, m.AEnd}, resp.Ints{m.BStart, m.BEnd}}
			if withLen {
				e = append(e, resp.Int(m.Len))
			}
			matches[i] = e
		}
		return resp.Map{resp.BulkString("matches"), matches, resp.BulkString("len"), resp.Int(r.Len)}, nil
	})
}
