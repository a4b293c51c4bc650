package command

import (
	"strconv"
	"strings"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// The SCAN family (SCAN, HSCAN, SSCAN, ZSCAN): one option parser, one
// reply, and the three key scans written once over a per-type page.

// scanOptions are the options after a scan's cursor.
type scanOptions struct {
	// match is the MATCH pattern; nil means none (MATCH * is none too).
	match []byte
	count int
	// typ is SCAN's TYPE filter (0: none).
	typ      encoding.Type
	noValues bool
}

// parseScanOptions parses a scan's options as Redis's scanGenericCommand
// does: withType allows TYPE (SCAN), withNoValues NOVALUES (HSCAN). errMsg
// is the error to answer, "" when the options are valid.
func parseScanOptions(args [][]byte, withType, withNoValues bool) (o scanOptions, errMsg string) {
	o.count = 10
	for i := 0; i < len(args); i++ {
		more := i+1 < len(args)
		switch {
		case argIs(args[i], "COUNT") && more:
			n, ok := parse.Int(args[i+1])
			if !ok {
				return o, errNotInteger
			}
			if n < 1 {
				return o, errSyntax
			}
			o.count = int(min(n, 100000))
			i++
		case argIs(args[i], "MATCH") && more:
			o.match = args[i+1]
			if string(o.match) == "*" {
				o.match = nil
			}
			i++
		case withType && argIs(args[i], "TYPE") && more:
			o.typ = typeByName(strings.ToLower(string(args[i+1])))
			if o.typ == 0 {
				// Redis 7.0 answers an unknown type with an empty scan.
				o.typ = 0xff
			}
			i++
		case withNoValues && argIs(args[i], "NOVALUES"):
			o.noValues = true
		default:
			return o, errSyntax
		}
	}
	return o, ""
}

// typeByName returns the type TYPE reports as name, 0 for none.
func typeByName(name string) encoding.Type {
	for t := encoding.TypeString; t <= encoding.TypeStream; t++ {
		if t.String() == name {
			return t
		}
	}
	return 0
}

// scanReply is the reply of the SCAN family: the cursor to go on with (0
// once the scan is complete) and one page of items.
type scanReply struct {
	cursor uint64
	items  [][]byte
}

// Append implements resp.Reply.
func (r scanReply) Append(b []byte, p resp.Proto) []byte {
	b = redcon.AppendArray(b, 2)
	b = redcon.AppendBulkString(b, strconv.FormatUint(r.cursor, 10))
	return resp.Bulks(r.items).Append(b, p)
}

// pageReply saves where the scan of scope goes on (next; nil when it is
// complete) and returns the reply handing out its cursor.
func pageReply(tx *db.Tx, scope, next []byte, items [][]byte, err error) (resp.Reply, error) {
	if err != nil {
		return nil, err
	}
	cursor, err := tx.SaveCursor(scope, next)
	return scanReply{cursor: cursor, items: items}, err
}

// Scans are read jobs: a call with a next page stores the record of the
// cursor it hands out in a transaction of its own (db.Tx.SaveCursor); the
// last page and a scan that fits in one page write nothing.

func scan(c *Call) {
	cursor, ok := parseCursor(c.Args[1])
	if !ok {
		c.Error("ERR invalid cursor")
		return
	}
	o, errMsg := parseScanOptions(c.Args[2:], true, false)
	if errMsg != "" {
		c.Error(errMsg)
		return
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		scope := encoding.CursorScope('k', tx.Logical(), nil)
		res, err := tx.Keyspace().ScanCursor(cursor, scope, o.count, o.match, o.typ)
		return pageReply(tx, scope, res.Next, res.Items, err)
	})
}

// keyScan implements HSCAN, SSCAN and ZSCAN (kind 'h', 's', 'z'). size
// reads the collection's size and checks its type; page reads one page
// from position from. As in Redis, a missing key answers an empty scan
// and the options are checked only once the key is known to exist with
// the right type.
func keyScan(c *Call, kind byte, withNoValues bool, size func(tx *db.Tx) (int64, error),
	page func(tx *db.Tx, from []byte, size int64, o scanOptions) (next []byte, items [][]byte, err error)) {
	cursor, ok := parseCursor(c.Args[2])
	if !ok {
		c.Error("ERR invalid cursor")
		return
	}
	o, errMsg := parseScanOptions(c.Args[3:], false, withNoValues)
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		n, err := size(tx)
		if err != nil || n == 0 {
			return scanReply{}, err
		}
		if errMsg != "" {
			return nil, db.UserError(errMsg)
		}
		scope := encoding.CursorScope(kind, tx.Logical(), c.Args[1])
		from, err := tx.Cursor(cursor, scope)
		if err != nil {
			return nil, err
		}
		next, items, err := page(tx, from, n, o)
		return pageReply(tx, scope, next, items, err)
	})
}

func hscan(c *Call) {
	keyScan(c, 'h', true, func(tx *db.Tx) (int64, error) { return tx.Hash(c.Args[1]).Len() },
		func(tx *db.Tx, from []byte, _ int64, o scanOptions) ([]byte, [][]byte, error) {
			res, err := tx.Hash(c.Args[1]).Scan(from, o.count, o.match, o.noValues)
			return res.Next, res.Items, err
		})
}

func sscan(c *Call) {
	keyScan(c, 's', false, func(tx *db.Tx) (int64, error) { return tx.Set(c.Args[1]).Card() },
		func(tx *db.Tx, from []byte, _ int64, o scanOptions) ([]byte, [][]byte, error) {
			res, err := tx.Set(c.Args[1]).Scan(from, o.count, o.match)
			return res.Next, res.Items, err
		})
}

// zscanSmall is the size up to which Redis keeps a sorted set as a
// listpack, which ZSCAN returns whole in one call.
const zscanSmall = 128

func zscan(c *Call) {
	keyScan(c, 'z', false, func(tx *db.Tx) (int64, error) { return tx.ZSet(c.Args[1]).Card() },
		func(tx *db.Tx, from []byte, n int64, o scanOptions) ([]byte, [][]byte, error) {
			count := o.count
			if n <= zscanSmall && from == nil {
				count = zscanSmall
			}
			res, err := tx.ZSet(c.Args[1]).Scan(from, count, o.match)
			items := make([][]byte, 0, 2*len(res.Items))
			for _, it := range res.Items {
				items = append(items, it.Member, []byte(parse.FormatScore(it.Score)))
			}
			return res.Next, items, err
		})
}
