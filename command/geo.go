package command

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/geo"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// geoCommands is the GEO family: sorted sets whose scores are 52-bit
// geohashes (package geo), searched box by box with score range scans.
func geoCommands() []*Command {
	return []*Command{
		cmd("geoadd", geoadd),
		cmd("geopos", geopos),
		cmd("geodist", geodist),
		cmd("geohash", geohash),
		cmd("georadius", geoSearchCmd(geoCoords)),
		cmd("georadius_ro", geoSearchCmd(geoCoords|geoNoStore)),
		cmd("georadiusbymember", geoSearchCmd(geoMember)),
		cmd("georadiusbymember_ro", geoSearchCmd(geoMember|geoNoStore)),
		cmd("geosearch", geoSearchCmd(geoSearch)),
		cmd("geosearchstore", geoSearchCmd(geoSearch|geoSearchStore)),
	}
}

// humanDouble is a coordinate as Redis replies it (addReplyHumanLongDouble):
// "%.17Lf" without trailing zeros, a bulk string in RESP2 and a double in
// RESP3.
type humanDouble float64

func (f humanDouble) Append(b []byte, p resp.Proto) []byte {
	s := strconv.FormatFloat(float64(f), 'f', 17, 64)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	if p >= resp.RESP3 {
		return append(append(append(b, ','), s...), '\r', '\n')
	}
	return redcon.AppendBulkString(b, s)
}

// geoDistance is a distance as Redis replies it: "%.4f", a bulk string.
func geoDistance(d float64) resp.Reply { return resp.BulkString(strconv.FormatFloat(d, 'f', 4, 64)) }

// cFloat formats like C's "%f".
func cFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// lonLat parses a longitude and a latitude as Redis does
// (extractLongLatOrReply).
func lonLat(args [][]byte) (long, lat float64, errMsg string) {
	var ok bool
	if long, ok = parse.Score(args[0]); !ok {
		return 0, 0, errNotFloat
	}
	if lat, ok = parse.Score(args[1]); !ok {
		return 0, 0, errNotFloat
	}
	if !geo.ValidPosition(long, lat) {
		return 0, 0, fmt.Sprintf("ERR invalid longitude,latitude pair %s,%s", cFloat(long), cFloat(lat))
	}
	return long, lat, ""
}

// geoUnit is extractUnitOrReply: meters per unit.
func geoUnit(b []byte) (float64, string) {
	switch strings.ToLower(string(b)) {
	case "m":
		return 1, ""
	case "km":
		return 1000, ""
	case "ft":
		return 0.3048, ""
	case "mi":
		return 1609.34, ""
	}
	return 0, "ERR unsupported unit provided. please use M, KM, FT, MI"
}

func geoadd(c *Call) {
	var o db.ZAddOptions
	ch := false
	i := 2
options:
	for ; i < len(c.Args); i++ {
		switch a := c.Args[i]; {
		case argIs(a, "nx"):
			o.NX = true
		case argIs(a, "xx"):
			o.XX = true
		case argIs(a, "ch"):
			ch = true
		default:
			break options
		}
	}
	rest := c.Args[i:]
	if len(rest)%3 != 0 || (o.NX && o.XX) || len(rest) == 0 {
		c.Error(errSyntax)
		return
	}
	items := make([]db.ScoredMember, 0, len(rest)/3)
	for j := 0; j < len(rest); j += 3 {
		long, lat, msg := lonLat(rest[j:])
		if msg != "" {
			c.Error(msg)
			return
		}
		score, _ := geo.Encode(long, lat)
		items = append(items, db.ScoredMember{Member: rest[j+2], Score: float64(score)})
	}
	c.Write(func(tx *db.Tx) (resp.Reply, error) {
		added, updated, err := tx.ZSet(c.Args[1]).Add(o, items)
		if ch {
			added += updated
		}
		return resp.IntOf(added, err)
	})
}

func geopos(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		scores, err := tx.ZSet(c.Args[1]).MScore(c.Args[2:])
		if err != nil {
			return nil, err
		}
		out := make(resp.Array, len(scores))
		for i, s := range scores {
			if s == nil {
				out[i] = resp.NullArray
				continue
			}
			long, lat := geo.Decode(*s)
			out[i] = resp.Array{humanDouble(long), humanDouble(lat)}
		}
		return out, nil
	})
}

func geodist(c *Call) {
	unit := 1.0
	if len(c.Args) == 5 {
		var msg string
		if unit, msg = geoUnit(c.Args[4]); msg != "" {
			c.Error(msg)
			return
		}
	} else if len(c.Args) > 5 {
		c.Error(errSyntax)
		return
	}
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		scores, err := tx.ZSet(c.Args[1]).MScore(c.Args[2:4])
		if err != nil || scores == nil || scores[0] == nil || scores[1] == nil {
			return resp.Null, err
		}
		long1, lat1 := geo.Decode(*scores[0])
		long2, lat2 := geo.Decode(*scores[1])
		return geoDistance(geo.Distance(long1, lat1, long2, lat2) / unit), nil
	})
}

func geohash(c *Call) {
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		scores, err := tx.ZSet(c.Args[1]).MScore(c.Args[2:])
		if err != nil {
			return nil, err
		}
		out := make(resp.Array, len(scores))
		for i, s := range scores {
			if s == nil {
				out[i] = resp.Null
				continue
			}
			out[i] = resp.BulkString(geo.String(*s))
		}
		return out, nil
	})
}

// The variants of georadiusGeneric.
const (
	geoCoords      = 1 << iota // GEORADIUS: around coordinates
	geoMember                  // GEORADIUSBYMEMBER: around a member
	geoNoStore                 // the _RO forms: no STORE, STOREDIST
	geoSearch                  // GEOSEARCH's arguments
	geoSearchStore             // GEOSEARCHSTORE: the destination first
)

// geoQuery is a parsed search.
type geoQuery struct {
	shape                       geo.Shape
	store                       []byte
	storeDist                   bool
	withDist, withHash, withPos bool
	desc, asc, any              bool
	count                       int64
}

// parseGeoQuery reads a search's arguments in Redis's order: errors come
// in the order Redis meets them, and a missing member (FROMMEMBER,
// GEORADIUSBYMEMBER) is an error when it meets it. exists tells whether
// the source key holds a sorted set; score looks a member up.
func parseGeoQuery(args [][]byte, flags int, exists bool, score func([]byte) (float64, bool, error)) (*geoQuery, error) {
	q := &geoQuery{}
	fail := func(msg string) (*geoQuery, error) { return nil, db.UserError(msg) }
	distance := func(a [][]byte, what string) (float64, float64, string) {
		d, ok := parse.Score(a[0])
		if !ok {
			return 0, 0, "ERR need numeric " + what
		}
		if d < 0 {
			return 0, 0, "ERR radius cannot be negative"
		}
		u, msg := geoUnit(a[1])
		return d, u, msg
	}
	fromMember := func(m []byte) (string, error) {
		s, ok, err := score(m)
		if err != nil {
			return "", err
		}
		if !ok {
			return "ERR could not decode requested zset member", nil
		}
		q.shape.Long, q.shape.Lat = geo.Decode(s)
		return "", nil
	}
	base := 0
	switch {
	case flags&geoCoords != 0:
		base = 6
		var msg string
		if q.shape.Long, q.shape.Lat, msg = lonLat(args[2:]); msg != "" {
			return fail(msg)
		}
		if q.shape.Radius, q.shape.Unit, msg = distance(args[4:], "radius"); msg != "" {
			return fail(msg)
		}
	case flags&geoMember != 0:
		base = 5
		if exists {
			if msg, err := fromMember(args[2]); err != nil || msg != "" {
				return nil, orMsg(err, msg)
			}
			var msg string
			if q.shape.Radius, q.shape.Unit, msg = distance(args[3:], "radius"); msg != "" {
				return fail(msg)
			}
		}
	default:
		base = 2
		if flags&geoSearchStore != 0 {
			base = 3
			q.store = args[1]
		}
	}
	var frommember, fromloc, byradius, bybox bool
	rest := args[base:]
	for i := 0; i < len(rest); i++ {
		a, more := rest[i], len(rest)-i-1
		search := flags&geoSearch != 0
		switch {
		case argIs(a, "withdist"):
			q.withDist = true
		case argIs(a, "withhash"):
			q.withHash = true
		case argIs(a, "withcoord"):
			q.withPos = true
		case argIs(a, "any"):
			q.any = true
		case argIs(a, "asc"):
			q.asc, q.desc = true, false
		case argIs(a, "desc"):
			q.asc, q.desc = false, true
		case argIs(a, "count") && more >= 1:
			n, ok := parse.Int(rest[i+1])
			if !ok {
				return fail(errNotInteger)
			}
			if n <= 0 {
				return fail("ERR COUNT must be > 0")
			}
			q.count = n
			i++
		case (argIs(a, "store") || argIs(a, "storedist")) && more >= 1 && flags&(geoNoStore|geoSearch) == 0:
			q.store, q.storeDist = rest[i+1], argIs(a, "storedist")
			i++
		case argIs(a, "storedist") && search && flags&geoSearchStore != 0:
			q.storeDist = true
		case argIs(a, "frommember") && more >= 1 && search && !fromloc:
			if exists {
				if msg, err := fromMember(rest[i+1]); err != nil || msg != "" {
					return nil, orMsg(err, msg)
				}
			}
			frommember = true
			i++
		case argIs(a, "fromlonlat") && more >= 2 && search && !frommember:
			var msg string
			if q.shape.Long, q.shape.Lat, msg = lonLat(rest[i+1:]); msg != "" {
				return fail(msg)
			}
			fromloc = true
			i += 2
		case argIs(a, "byradius") && more >= 2 && search && !bybox:
			var msg string
			if q.shape.Radius, q.shape.Unit, msg = distance(rest[i+1:], "radius"); msg != "" {
				return fail(msg)
			}
			q.shape.Box, byradius = false, true
			i += 2
		case argIs(a, "bybox") && more >= 3 && search && !byradius:
			w, okw := parse.Score(rest[i+1])
			if !okw {
				return fail("ERR need numeric width")
			}
			h, okh := parse.Score(rest[i+2])
			if !okh {
				return fail("ERR need numeric height")
			}
			if h < 0 || w < 0 {
				return fail("ERR height or width cannot be negative")
			}
			u, msg := geoUnit(rest[i+3])
			if msg != "" {
				return fail(msg)
			}
			q.shape.Width, q.shape.Height, q.shape.Unit, q.shape.Box, bybox = w, h, u, true, true
			i += 3
		default:
			return fail(errSyntax)
		}
	}
	name := string(args[0])
	switch {
	case q.store != nil && (q.withDist || q.withHash || q.withPos):
		what := "STORE option in GEORADIUS"
		if flags&geoSearchStore != 0 {
			what = "GEOSEARCHSTORE"
		}
		return fail("ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
	case flags&geoSearch != 0 && !frommember && !fromloc:
		return fail("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + name)
	case flags&geoSearch != 0 && !byradius && !bybox:
		return fail("ERR exactly one of BYRADIUS and BYBOX can be specified for " + name)
	case q.any && q.count == 0:
		return fail("ERR the ANY argument requires COUNT argument")
	}
	return q, nil
}

func orMsg(err error, msg string) error {
	if err != nil {
		return err
	}
	return db.UserError(msg)
}

func geoSearchCmd(flags int) func(*Call) {
	return func(c *Call) {
		src := c.Args[1]
		if flags&geoSearchStore != 0 {
			src = c.Args[2]
		}
		job := func(tx *db.Tx) (resp.Reply, error) {
			z := tx.ZSet(src)
			card, err := z.Card()
			if err != nil {
				return nil, err
			}
			q, err := parseGeoQuery(c.Args, flags, card > 0, z.Score)
			if err != nil {
				return nil, err
			}
			var points []db.GeoPoint
			if card > 0 {
				limit := 0
				if q.any {
					limit = int(min(q.count, math.MaxInt32))
				}
				if points, err = z.GeoSearch(&q.shape, limit); err != nil {
					return nil, err
				}
			}
			return q.result(tx, points)
		}
		if flags&(geoNoStore) != 0 || flags == geoSearch {
			c.Read(job)
		} else {
			c.Write(job)
		}
	}
}

// result sorts and cuts the points found and replies or stores them.
func (q *geoQuery) result(tx *db.Tx, points []db.GeoPoint) (resp.Reply, error) {
	switch {
	case q.desc:
		slices.SortStableFunc(points, func(a, b db.GeoPoint) int { return cmpFloat(b.Dist, a.Dist) })
	case q.asc || (q.count > 0 && !q.any):
		slices.SortStableFunc(points, func(a, b db.GeoPoint) int { return cmpFloat(a.Dist, b.Dist) })
	}
	if q.count > 0 && int64(len(points)) > q.count {
		points = points[:q.count]
	}
	if q.store != nil {
		items := make([]db.ScoredMember, 0, len(points))
		seen := make(map[string]bool, len(points))
		for _, p := range points {
			if seen[string(p.Member)] {
				continue
			}
			seen[string(p.Member)] = true
			s := p.Score
			if q.storeDist {
				s = p.Dist / q.shape.Unit
			}
			items = append(items, db.ScoredMember{Member: p.Member, Score: s})
		}
		return resp.IntOf(tx.ZSet(q.store).Store(items))
	}
	out := make(resp.Array, len(points))
	for i, p := range points {
		if !q.withDist && !q.withHash && !q.withPos {
			out[i] = resp.Bulk(p.Member)
			continue
		}
		e := resp.Array{resp.Bulk(p.Member)}
		if q.withDist {
			e = append(e, geoDistance(p.Dist/q.shape.Unit))
		}
		if q.withHash {
			e = append(e, resp.Int(int64(p.Score)))
		}
		if q.withPos {
			e = append(e, resp.Array{humanDouble(p.Long), humanDouble(p.Lat)})
		}
		out[i] = e
	}
	return out, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a > b:
		return 1
	case a < b:
		return -1
	}
	return 0
}
