package db

import (
	"github.com/titan-kv/titan/geo"
	"github.com/titan-kv/titan/parse"
)

// GeoPoint is a member a geo search found: its score (the geohash), its
// position and its distance from the centre in meters.
type GeoPoint struct {
	Member          []byte
	Score           float64
	Long, Lat, Dist float64
}

// GeoSearch returns the members of the sorted set inside shape, in the
// order Redis finds them: box by box (geo.Shape.Ranges), each box one
// range scan of the score index, in score order. limit > 0 stops once
// that many were found (COUNT ... ANY). A missing key has none.
func (z ZSet) GeoSearch(shape *geo.Shape, limit int) ([]GeoPoint, error) {
	m, err := z.meta()
	if err != nil || m == nil {
		return nil, err
	}
	var out []GeoPoint
	for _, r := range shape.Ranges() {
		if limit > 0 && len(out) >= limit {
			break
		}
		spec := ZRangeSpec{By: ZByScore, Score: parse.ScoreRange{Min: r.Min, Max: r.Max, MaxEx: true}}
		err := z.tx.zRange(m, spec, func(sm ScoredMember) (bool, error) {
			if long, lat, dist, ok := shape.Contains(sm.Score); ok {
				out = append(out, GeoPoint{Member: sm.Member, Score: sm.Score, Long: long, Lat: lat, Dist: dist})
			}
			return limit <= 0 || len(out) < limit, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
