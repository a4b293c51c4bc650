package tests

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestGeoDifferential compares the GEO commands with redis-server: the
// stored scores, positions, distances and hashes to the digit, the
// results of every search form with their options, and the errors.
func TestGeoDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	t.Run("add pos dist hash", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			"geoadd Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
			"zrange Sicily 0 -1 withscores",
			"geoadd Sicily nx 13.361389 38.115556 Palermo 1 1 new", "geoadd Sicily xx 1 1 Palermo 2 2 other",
			"geoadd Sicily xx ch 13.361389 38.115556 Palermo", "geoadd Sicily ch 13.361389 38.115556 Palermo",
			"geoadd Sicily ch nx 3 3 new 4 4 new2", "zrange Sicily 0 -1 withscores",
			"geoadd k 200 100 m", "geoadd k 180.0000001 0 m", "geoadd k 0 85.06 m", "geoadd k -180 -85.05112878 m",
			"geoadd k 180 85.05112878 m2", "geoadd k inf 0 m", "geoadd k 0 -inf m", "geoadd k nan 0 m",
			"geoadd k abc 0 m", "geoadd k 0 abc m", "geoadd k 1 2", "geoadd k nx xx 1 2 m", "geoadd k ch ch ch",
			"geoadd k gt 1 2 m", "geoadd k 1 2 m 3", "geoadd k 1e-300 1e-300 tiny", "geoadd k 0 0 zero",
			"zrange k 0 -1 withscores",
			"geopos Sicily Palermo Catania nosuch new", "geopos nokey a b", "geopos Sicily",
			"geopos k m m2 tiny zero",
			"geodist Sicily Palermo Catania", "geodist Sicily Palermo Catania km", "geodist Sicily Palermo Catania mi",
			"geodist Sicily Palermo Catania ft", "geodist Sicily Palermo Catania M", "geodist Sicily Palermo Catania yd",
			"geodist Sicily Palermo nosuch", "geodist nokey a b", "geodist Sicily Palermo Catania km x",
			"geodist Sicily Palermo Palermo", "geodist k m m2", "geodist k tiny zero",
			"geohash Sicily Palermo Catania nosuch new", "geohash nokey a", "geohash k m m2 tiny zero",
			"set str v", "geoadd str 1 1 m", "geopos str a", "geodist str a b", "geohash str a",
			"georadius str 1 1 1 km", "geosearch str fromlonlat 1 1 byradius 1 km", "geosearchstore dst str fromlonlat 1 1 byradius 1 km",
			"georadiusbymember str a 1 km",
		)
	})
	t.Run("search", func(t *testing.T) {
		d.t = t
		d.run("flushall",
			"geoadd Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 12.758489 38.788135 edge1 17.241510 38.788135 edge2",
			"geoadd Sicily 13.583333 37.316667 Agrigento 15.2 37.1 Siracusa 14.0 37.5 Enna")
		var lines []string
		for _, opts := range []string{"", "asc", "desc", "withdist", "withcoord", "withhash",
			"withdist withcoord withhash asc", "count 2", "count 2 desc", "count 1 any", "count 3 any asc withdist",
			"desc withdist count 10"} {
			lines = append(lines,
				"georadius Sicily 15 37 200 km "+opts,
				"georadius_ro Sicily 15 37 100 km "+opts,
				"georadiusbymember Sicily Palermo 150 km "+opts,
				"georadiusbymember_ro Sicily Catania 100000 m "+opts,
				"geosearch Sicily frommember Palermo byradius 200 km "+opts,
				"geosearch Sicily fromlonlat 15 37 bybox 400 400 km "+opts,
				"geosearch Sicily fromlonlat 15 37 bybox 200 50 mi "+opts,
				"geosearch Sicily frommember Enna bybox 120 400000 ft "+opts,
			)
		}
		d.run(lines...)
		d.run(
			"georadius Sicily 15 37 200 km store dst", "zrange dst 0 -1 withscores",
			"georadius Sicily 15 37 200 km storedist dst2 count 3 desc", "zrange dst2 0 -1 withscores",
			"georadiusbymember Sicily Palermo 200 km store dst3 asc count 2", "zrange dst3 0 -1 withscores",
			"geosearchstore dst4 Sicily fromlonlat 15 37 byradius 200 km", "zrange dst4 0 -1 withscores",
			"geosearchstore dst5 Sicily fromlonlat 15 37 bybox 400 400 km storedist asc", "zrange dst5 0 -1 withscores",
			"geosearchstore dst5 Sicily fromlonlat 0 0 byradius 1 m", "exists dst5",
			"geosearchstore dst4 nokey fromlonlat 0 0 byradius 1 m", "exists dst4",
			"georadius nokey 1 1 1 km store dst", "exists dst", "georadius nokey 1 1 1 km",
			"georadiusbymember nokey x 1 km", "georadiusbymember nokey x abc km", "georadiusbymember Sicily x 1 km",
			"georadiusbymember Sicily Palermo abc km", "georadiusbymember Sicily Palermo -1 km",
			"georadius Sicily 15 37 -1 km", "georadius Sicily 15 37 abc km", "georadius Sicily 15 37 1 yd",
			"georadius Sicily 200 37 1 km", "georadius Sicily 15 37 200 km store", "georadius Sicily 15 37 200 km foo",
			"georadius Sicily 15 37 200 km count 0", "georadius Sicily 15 37 200 km count -1",
			"georadius Sicily 15 37 200 km count abc", "georadius Sicily 15 37 200 km count",
			"georadius Sicily 15 37 200 km any", "georadius Sicily 15 37 200 km store x withdist",
			"georadius_ro Sicily 15 37 200 km store x", "georadiusbymember_ro Sicily Palermo 200 km storedist x",
			"geosearch Sicily fromlonlat 15 37", "geosearch Sicily byradius 10 km", "geosearch Sicily",
			"GEOSEARCH Sicily bybox 1 1 km", "geosearch Sicily frommember nosuch byradius 1 km",
			"geosearch nokey frommember nosuch byradius 1 km", "geosearch nokey fromlonlat 1 1 byradius 1 km",
			"geosearch Sicily frommember Palermo fromlonlat 1 1 byradius 1 km",
			"geosearch Sicily fromlonlat 1 1 frommember Palermo byradius 1 km",
			"geosearch Sicily fromlonlat 1 1 byradius 1 km bybox 1 1 km",
			"geosearch Sicily fromlonlat 1 1 bybox 1 1 km byradius 1 km",
			"geosearch Sicily fromlonlat 1 1 bybox -1 1 km", "geosearch Sicily fromlonlat 1 1 bybox a 1 km",
			"geosearch Sicily fromlonlat 1 1 bybox 1 a km", "geosearch Sicily fromlonlat 1 1 bybox 1 1 yd",
			"geosearch Sicily fromlonlat 1 1 byradius 1 km store x", "geosearch Sicily fromlonlat 1 1 byradius 1 km storedist",
			"geosearch Sicily fromlonlat 1 1 byradius 1 km any", "geosearch Sicily fromlonlat 1 1 byradius 1",
			"geosearchstore d Sicily fromlonlat 1 1 byradius 1 km withdist",
			"geosearchstore d Sicily fromlonlat 1 1 byradius 1 km store x",
			"geosearch Sicily fromlonlat 999 1 byradius 1 km", "geosearch Sicily frommember Palermo byradius 0 km",
			"geosearch Sicily frommember Palermo bybox 0 0 km withcoord",
		)
	})
	t.Run("random", func(t *testing.T) {
		d.t = t
		r := rand.New(rand.NewPCG(7, 11))
		d.run("flushall")
		// Points spread around a few centres, at every latitude band
		// (poles included) and across the antimeridian.
		centres := [][2]float64{{2.35, 48.85}, {-73.98, 40.75}, {179.9, 0.5}, {-179.9, -0.5}, {10, 80}, {-60, -84}, {0, 0}, {139.7, 35.7}}
		for _, c := range centres {
			var b strings.Builder
			b.WriteString("geoadd pts")
			for i := 0; i < 150; i++ {
				lon := c[0] + (r.Float64()-0.5)*r.Float64()*8
				lat := c[1] + (r.Float64()-0.5)*r.Float64()*4
				lon = min(max(lon, -180), 180)
				lat = min(max(lat, -85.05), 85.05)
				fmt.Fprintf(&b, " %.6f %.6f p%.1f_%.1f_%d", lon, lat, c[0], c[1], i)
			}
			d.run(b.String())
		}
		d.run("zrange pts 0 -1 withscores", "geopos pts p2.4_48.9_1 p0.0_0.0_3")
		units := []string{"m", "km", "mi", "ft"}
		exact, total := 0, 0
		for _, c := range centres {
			for _, radius := range []float64{0.5, 5, 50, 300, 1500, 8000} {
				u := units[r.IntN(len(units))]
				rad := radius * map[string]float64{"m": 1000, "km": 1, "mi": 0.62, "ft": 3280}[u]
				lon, lat := c[0]+(r.Float64()-0.5), c[1]+(r.Float64()-0.5)
				lat = min(max(lat, -85.05), 85.05)
				lon = min(max(lon, -180), 180)
				d.run(
					fmt.Sprintf("georadius pts %.5f %.5f %g %s withdist withcoord withhash", lon, lat, rad, u),
					fmt.Sprintf("geosearch pts fromlonlat %.5f %.5f byradius %g %s asc withdist", lon, lat, rad, u),
					fmt.Sprintf("geosearch pts fromlonlat %.5f %.5f bybox %g %g %s desc withcoord", lon, lat, rad, rad*1.7, u),
					fmt.Sprintf("geosearch pts fromlonlat %.5f %.5f bybox %g %g %s", lon, lat, rad*2, rad/3, u),
					fmt.Sprintf("georadiusbymember pts p%.1f_%.1f_%d %g %s count 5 withdist", c[0], c[1], r.IntN(150), rad, u),
					fmt.Sprintf("geosearchstore st pts fromlonlat %.5f %.5f byradius %g %s storedist", lon, lat, rad, u),
					"zrange st 0 -1",
				)
				sameDistances(t, d, &exact, &total)
				if d.failed > 10 {
					t.FailNow()
				}
			}
		}
		// glibc's sin, cos and asin are not always correctly rounded:
		// a stored distance may rarely differ in its last bit.
		if total < 1000 || exact < total*98/100 {
			t.Errorf("STOREDIST: %d of %d distances equal to the digit", exact, total)
		}
	})
}

// sameDistances compares the scores of the sorted set st on both servers
// (a GEOSEARCHSTORE ... STOREDIST result): each within 4 ulps, counting
// those equal to the last digit.
func sameDistances(t *testing.T, d *differ, exact, total *int) {
	t.Helper()
	ti, re := d.both("zrange", "st", "0", "-1", "withscores")
	if len(ti.elems) != len(re.elems) {
		t.Errorf("zrange st: %d vs %d elements", len(ti.elems), len(re.elems))
		return
	}
	for i := 1; i < len(ti.elems); i += 2 {
		a, _ := strconv.ParseFloat(ti.elems[i].str, 64)
		b, _ := strconv.ParseFloat(re.elems[i].str, 64)
		*total++
		if a == b {
			*exact++
		} else if math.Abs(a-b) > 4*(math.Nextafter(b, math.Inf(1))-b) {
			t.Errorf("distance of %s: titan %s, redis %s", re.elems[i-1].str, ti.elems[i].str, re.elems[i].str)
		}
	}
}
