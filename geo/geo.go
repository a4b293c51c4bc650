// Package geo is Redis 7.0's geohash arithmetic (geohash.c and
// geohash_helper.c), operation for operation so that scores, coordinates,
// distances and the boxes a search scans equal redis-server's: 52-bit
// interleaved geohashes over longitude [-180, 180] and latitude
// [-85.05112878, 85.05112878], the haversine distance on a sphere of
// 6372797.560856 m, and the 9 boxes covering a radius or a box search.
package geo

import "math"

// The coordinate limits Redis accepts (EPSG:3857).
const (
	LatMin  = -85.05112878
	LatMax  = 85.05112878
	LongMin = -180.0
	LongMax = 180.0
	// stepMax is the precision of stored geohashes: 26 steps, 52 bits.
	stepMax = 26

	degToRad     = 0.017453292519943295769236907684886
	earthRadius  = 6372797.560856
	mercatorMax  = 20037726.37
	hashAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"
)

// hash is a geohash of step steps (2*step bits).
type hash struct {
	bits uint64
	step uint8
}

func (h hash) zero() bool { return h.bits == 0 && h.step == 0 }

type span struct{ min, max float64 }

// area is the box a hash covers.
type area struct{ long, lat span }

var (
	wgsLong = span{LongMin, LongMax}
	wgsLat  = span{LatMin, LatMax}
)

func interleave64(xlo, ylo uint32) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF}
	s := [...]uint{1, 2, 4, 8, 16}
	x, y := uint64(xlo), uint64(ylo)
	for i := 4; i >= 0; i-- {
		x = (x | x<<s[i]) & b[i]
		y = (y | y<<s[i]) & b[i]
	}
	return x | y<<1
}

func deinterleave64(v uint64) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF}
	s := [...]uint{0, 1, 2, 4, 8, 16}
	x, y := v, v>>1
	for i := range b {
		x = (x | x>>s[i]) & b[i]
		y = (y | y>>s[i]) & b[i]
	}
	return x | y<<32
}

// encode is geohashEncode: false outside the limits or the ranges.
func encode(longR, latR span, long, lat float64, step uint8) (hash, bool) {
	if step > 32 || step == 0 || long > LongMax || long < LongMin || lat > LatMax || lat < LatMin {
		return hash{}, false
	}
	if lat < latR.min || lat > latR.max || long < longR.min || long > longR.max {
		return hash{}, false
	}
	latOff := float64((lat - latR.min) / (latR.max - latR.min))
	longOff := float64((long - longR.min) / (longR.max - longR.min))
	latOff = float64(latOff * float64(uint64(1)<<step))
	longOff = float64(longOff * float64(uint64(1)<<step))
	return hash{bits: interleave64(uint32(latOff), uint32(longOff)), step: step}, true
}

func decode(longR, latR span, h hash) area {
	sep := deinterleave64(h.bits)
	latScale := latR.max - latR.min
	longScale := longR.max - longR.min
	ilato := uint32(sep)
	ilono := uint32(sep >> 32)
	div := float64(uint64(1) << h.step)
	var a area
	a.lat.min = latR.min + float64(float64(float64(ilato)*1.0)/div)*latScale
	a.lat.max = latR.min + float64(float64(float64(ilato+1)*1.0)/div)*latScale
	a.long.min = longR.min + float64(float64(float64(ilono)*1.0)/div)*longScale
	a.long.max = longR.min + float64(float64(float64(ilono+1)*1.0)/div)*longScale
	return a
}

func (a area) center() (long, lat float64) {
	long = (a.long.min + a.long.max) / 2
	long = min(max(long, LongMin), LongMax)
	lat = (a.lat.min + a.lat.max) / 2
	lat = min(max(lat, LatMin), LatMax)
	return long, lat
}

// Encode returns the 52-bit score of a position (GEOADD); ok is false
// outside the limits.
func Encode(long, lat float64) (uint64, bool) {
	h, ok := encode(wgsLong, wgsLat, long, lat, stepMax)
	return align52(h), ok
}

// Decode returns the position a score stands for (the centre of its box).
func Decode(score float64) (long, lat float64) {
	return decode(wgsLong, wgsLat, hash{bits: uint64(score), step: stepMax}).center()
}

// ValidPosition reports whether Redis accepts a longitude, latitude pair.
func ValidPosition(long, lat float64) bool {
	return long >= LongMin && long <= LongMax && lat >= LatMin && lat <= LatMax
}

// String returns the standard 11-character geohash of a score (GEOHASH):
// the decoded position re-encoded over latitude [-90, 90].
func String(score float64) string {
	long, lat := Decode(score)
	h, _ := encode(span{-180, 180}, span{-90, 90}, long, lat, 26)
	var buf [11]byte
	for i := range buf {
		idx := 0
		if i < 10 {
			idx = int(h.bits >> (52 - (i+1)*5) & 0x1f)
		}
		buf[i] = hashAlphabet[idx]
	}
	return string(buf[:])
}

func align52(h hash) uint64 { return h.bits << (52 - uint(h.step)*2) }

func moveX(h *hash, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - uint(h.step)*2)
	if d > 0 {
		x = x + (zz + 1)
	} else {
		x = x | zz
		x = x - (zz + 1)
	}
	x &= uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.step)*2)
	h.bits = x | y
}

func moveY(h *hash, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.step)*2)
	if d > 0 {
		y = y + (zz + 1)
	} else {
		y = y | zz
		y = y - (zz + 1)
	}
	y &= uint64(0x5555555555555555) >> (64 - uint(h.step)*2)
	h.bits = x | y
}

// neighbours returns the box and its 8 neighbours in the order Redis
// searches them: centre, north, south, east, west, north-east,
// north-west, south-east, south-west.
func neighbours(h hash) [9]hash {
	moves := [9][2]int{{0, 0}, {0, 1}, {0, -1}, {1, 0}, {-1, 0}, {1, 1}, {-1, 1}, {1, -1}, {-1, -1}}
	var n [9]hash
	for i, m := range moves {
		n[i] = h
		moveX(&n[i], m[0])
		moveY(&n[i], m[1])
	}
	return n
}

func degRad(a float64) float64 { return a * degToRad }
func radDeg(a float64) float64 { return a / degToRad }

// Distance is the haversine distance in meters between two positions,
// computed as Redis computes it (see precise.go for sin, cos and asin).
func Distance(long1, lat1, long2, lat2 float64) float64 {
	lat1r, long1r := degRad(lat1), degRad(long1)
	lat2r, long2r := degRad(lat2), degRad(long2)
	u := preciseSin((lat2r - lat1r) / 2)
	v := preciseSin((long2r - long1r) / 2)
	a := float64(u*u) + float64(float64(preciseCos(lat1r)*preciseCos(lat2r))*v)*v
	return 2.0 * earthRadius * preciseAsin(math.Sqrt(a))
}

// Shape is a search area: a circle of Radius, or a box of Width by
// Height, around Long, Lat; the sizes are in units of Unit meters.
type Shape struct {
	Long, Lat     float64
	Box           bool
	Radius        float64
	Width, Height float64
	Unit          float64
}

// Contains reports whether the position a score stands for lies in the
// shape, and its distance (meters) from the centre.
func (s *Shape) Contains(score float64) (long, lat, dist float64, ok bool) {
	long, lat = Decode(score)
	if !s.Box {
		dist = Distance(s.Long, s.Lat, long, lat)
		return long, lat, dist, dist <= s.Radius*s.Unit
	}
	w, h := s.Width*s.Unit, s.Height*s.Unit
	lonDist := Distance(long, lat, s.Long, lat)
	latDist := Distance(long, lat, long, s.Lat)
	if lonDist > w/2 || latDist > h/2 {
		return long, lat, 0, false
	}
	return long, lat, Distance(s.Long, s.Lat, long, lat), true
}

func stepsByRadius(meters, lat float64) uint8 {
	if meters == 0 {
		return 26
	}
	step := 1
	for meters < mercatorMax {
		meters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

func (s *Shape) boundingBox() (minLong, minLat, maxLong, maxLat float64) {
	height, width := s.Unit*s.Radius, s.Unit*s.Radius
	if s.Box {
		height, width = s.Unit*(s.Height/2), s.Unit*(s.Width/2)
	}
	latDelta := radDeg(height / earthRadius)
	longDeltaTop := radDeg(width / earthRadius / math.Cos(degRad(s.Lat+latDelta)))
	longDeltaBottom := radDeg(width / earthRadius / math.Cos(degRad(s.Lat-latDelta)))
	if s.Lat < 0 {
		minLong, maxLong = s.Long-longDeltaBottom, s.Long+longDeltaBottom
	} else {
		minLong, maxLong = s.Long-longDeltaTop, s.Long+longDeltaTop
	}
	return minLong, s.Lat - latDelta, maxLong, s.Lat + latDelta
}

// ScoreRange is a half-open range of scores [Min, Max) one box covers.
type ScoreRange struct{ Min, Max float64 }

// Ranges returns the score ranges of the boxes that cover the shape, in
// the order Redis scans them (geohashCalculateAreasByShapeWGS84 and
// membersOfAllNeighbors, with its skipping of a box equal to the one
// scanned before).
func (s *Shape) Ranges() []ScoreRange {
	minLong, minLat, maxLong, maxLat := s.boundingBox()
	meters := s.Radius
	if s.Box {
		meters = math.Sqrt((s.Width/2)*(s.Width/2) + (s.Height/2)*(s.Height/2))
	}
	meters *= s.Unit
	steps := stepsByRadius(meters, s.Lat)
	h, _ := encode(wgsLong, wgsLat, s.Long, s.Lat, steps)
	n := neighbours(h)
	a := decode(wgsLong, wgsLat, h)
	north, south := decode(wgsLong, wgsLat, n[1]), decode(wgsLong, wgsLat, n[2])
	east, west := decode(wgsLong, wgsLat, n[3]), decode(wgsLong, wgsLat, n[4])
	if steps > 1 && (north.lat.max < maxLat || south.lat.min > minLat || east.long.max < maxLong || west.long.min > minLong) {
		steps--
		h, _ = encode(wgsLong, wgsLat, s.Long, s.Lat, steps)
		n = neighbours(h)
		a = decode(wgsLong, wgsLat, h)
	}
	if steps >= 2 {
		if a.lat.min < minLat {
			n[2], n[8], n[7] = hash{}, hash{}, hash{}
		}
		if a.lat.max > maxLat {
			n[1], n[5], n[6] = hash{}, hash{}, hash{}
		}
		if a.long.min < minLong {
			n[4], n[8], n[6] = hash{}, hash{}, hash{}
		}
		if a.long.max > maxLong {
			n[3], n[7], n[5] = hash{}, hash{}, hash{}
		}
	}
	var out []ScoreRange
	last := 0
	for i, b := range n {
		if b.zero() {
			continue
		}
		if last != 0 && b == n[last] {
			continue
		}
		next := b
		next.bits++
		out = append(out, ScoreRange{float64(align52(b)), float64(align52(next))})
		last = i
	}
	return out
}
