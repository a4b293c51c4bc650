package command

import (
	"bytes"
	"slices"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// sortQuery is a parsed SORT.
type sortQuery struct {
	desc, alpha, dontSort bool
	limitStart, limitCnt  int64
	by                    []byte
	gets                  [][]byte
	store                 []byte
}

// sortPattern splits a BY or GET pattern applied to elem into the key to
// read and the hash field (nil: the string itself), as Redis's
// lookupKeyByPattern does; ok is false for a pattern without '*'.
func sortPattern(pat, elem []byte) (key, field []byte, ok bool) {
	p := bytes.IndexByte(pat, '*')
	if p < 0 {
		return nil, nil, false
	}
	post := pat[p+1:]
	if f := bytes.Index(post, []byte("->")); f >= 0 && f+2 < len(post) {
		field = post[f+2:]
		post = post[:f]
	}
	key = make([]byte, 0, p+len(elem)+len(post))
	key = append(append(append(key, pat[:p]...), elem...), post...)
	return key, field, true
}

// sortScore reads a value as SORT does (strtod over the whole string; ""
// is 0).
func sortScore(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	return parse.Score(b[i:])
}

func sortCmd(readOnly bool) func(*Call) {
	return func(c *Call) {
		q := sortQuery{limitCnt: -1}
		for j := 2; j < len(c.Args); j++ {
			left := len(c.Args) - j - 1
			switch a := c.Args[j]; {
			case argIs(a, "asc"):
				q.desc = false
			case argIs(a, "desc"):
				q.desc = true
			case argIs(a, "alpha"):
				q.alpha = true
			case argIs(a, "limit") && left >= 2:
				s, ok1 := parse.Int(c.Args[j+1])
				n, ok2 := parse.Int(c.Args[j+2])
				if !ok1 || !ok2 {
					c.Error(errNotInteger)
					return
				}
				q.limitStart, q.limitCnt = s, n
				j += 2
			case !readOnly && argIs(a, "store") && left >= 1:
				q.store = c.Args[j+1]
				j++
			case argIs(a, "by") && left >= 1:
				q.by = c.Args[j+1]
				q.dontSort = bytes.IndexByte(q.by, '*') < 0
				j++
			case argIs(a, "get") && left >= 1:
				q.gets = append(q.gets, c.Args[j+1])
				j++
			default:
				c.Error(errSyntax)
				return
			}
		}
		job := func(tx *db.Tx) (resp.Reply, error) { return q.run(tx, c.Args[1]) }
		if q.store != nil {
			c.Write(job)
		} else {
			c.Read(job)
		}
	}
}

type sortItem struct {
	elem  []byte
	score float64
	cmp   []byte // the BY value under ALPHA; nil when missing
}

func (q sortQuery) run(tx *db.Tx, key []byte) (resp.Reply, error) {
	t, n, err := tx.Key(key).SortLen()
	if err != nil {
		return nil, err
	}
	if q.dontSort && t == encoding.TypeSet && q.store != nil {
		// A set has no order of its own: a stored result is sorted.
		q.dontSort, q.alpha, q.by = false, true, nil
	}
	start := max(q.limitStart, 0)
	end := n - 1
	if q.limitCnt >= 0 {
		end = start + q.limitCnt - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	end = min(end, n-1)
	ranged := (t == encoding.TypeZSet || t == encoding.TypeList) && q.dontSort
	var elems [][]byte
	if t != 0 && (!ranged || end >= start) {
		if elems, err = tx.Key(key).SortElements(t, ranged, start, end, q.desc); err != nil {
			return nil, err
		}
	}
	if ranged {
		end -= start
		start = 0
	}
	items := make([]sortItem, len(elems))
	for i, e := range elems {
		items[i].elem = e
	}
	if !q.dontSort {
		if err := q.sort(tx, items, start, end); err != nil {
			return nil, err
		}
	}
	end = min(end, int64(len(items))-1)
	if end < start {
		items = nil
	} else {
		items = items[start : end+1]
	}
	// The GET values of every item, pattern by pattern.
	var got [][][]byte
	for _, g := range q.gets {
		vals, err := q.lookup(tx, g, items)
		if err != nil {
			return nil, err
		}
		got = append(got, vals)
	}
	var out [][]byte
	for i, it := range items {
		if len(q.gets) == 0 {
			out = append(out, it.elem)
		}
		for g := range q.gets {
			out = append(out, got[g][i])
		}
	}
	if q.store != nil {
		for i, v := range out {
			if v == nil {
				out[i] = []byte{}
			}
		}
		return resp.Int(len(out)), tx.StoreList(q.store, out)
	}
	return resp.Bulks(out), nil
}

// lookup returns what pattern names for each item ("#": the element).
func (q sortQuery) lookup(tx *db.Tx, pattern []byte, items []sortItem) ([][]byte, error) {
	out := make([][]byte, len(items))
	if string(pattern) == "#" {
		for i, it := range items {
			out[i] = it.elem
		}
		return out, nil
	}
	var keys, fields [][]byte
	var idx []int
	for i, it := range items {
		k, f, ok := sortPattern(pattern, it.elem)
		if !ok {
			continue
		}
		keys, fields, idx = append(keys, k), append(fields, f), append(idx, i)
	}
	if len(keys) == 0 {
		return out, nil
	}
	vals, err := tx.SortLookups(keys, fields)
	if err != nil {
		return nil, err
	}
	for j, i := range idx {
		out[i] = vals[j]
	}
	return out, nil
}

// sort orders items as Redis's sortCompare: by number (ties by element
// bytes) or, with ALPHA, by bytes (the C locale's strcoll); BY takes the
// compared values from its pattern.
func (q sortQuery) sort(tx *db.Tx, items []sortItem, start, end int64) error {
	var byVals [][]byte
	if q.by != nil {
		var err error
		if byVals, err = q.lookup(tx, q.by, items); err != nil {
			return err
		}
	}
	for i := range items {
		v := items[i].elem
		if q.by != nil {
			if byVals[i] == nil {
				continue
			}
			v = byVals[i]
		}
		if q.alpha {
			if q.by != nil {
				items[i].cmp = v
			}
			continue
		}
		f, ok := sortScore(v)
		if !ok {
			return db.UserError("ERR One or more scores can't be converted into double")
		}
		items[i].score = f
	}
	slices.SortStableFunc(items, func(a, b sortItem) int {
		var c int
		switch {
		case !q.alpha:
			switch {
			case a.score > b.score:
				c = 1
			case a.score < b.score:
				c = -1
			default:
				c = bytes.Compare(a.elem, b.elem)
			}
		case q.by != nil:
			switch {
			case a.cmp == nil && b.cmp == nil:
				c = 0
			case a.cmp == nil:
				c = -1
			case b.cmp == nil:
				c = 1
			default:
				c = bytes.Compare(a.cmp, b.cmp)
			}
		default:
			c = bytes.Compare(a.elem, b.elem)
		}
		if q.desc {
			return -c
		}
		return c
	})
	return nil
}
