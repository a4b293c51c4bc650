package geo

import "math"

// Redis computes distances with the C library's sin, cos and asin, which
// round (almost always) correctly, where Go's math package may be an ulp
// or two off. Distances are printed to
// 17 digits (GEOSEARCHSTORE ... STOREDIST), so they are computed with sin, cos and asin evaluated in
// double-double arithmetic (about 104 bits) and rounded once, as the C
// library returns them.

// dd is an unevaluated sum hi + lo with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoSum(a, b float64) (float64, float64) {
	s := a + b
	bb := s - a
	return s, (a - (s - bb)) + (b - bb)
}

func (x dd) add(y dd) dd {
	s, e := twoSum(x.hi, y.hi)
	e += x.lo + y.lo
	return quickTwoSum(s, e)
}

func (x dd) neg() dd { return dd{-x.hi, -x.lo} }

func (x dd) mul(y dd) dd {
	p := x.hi * y.hi
	e := math.FMA(x.hi, y.hi, -p)
	e += x.hi*y.lo + x.lo*y.hi
	return quickTwoSum(p, e)
}

func (x dd) divFloat(d float64) dd {
	q1 := x.hi / d
	p := q1 * d
	pe := math.FMA(q1, d, -p)
	s, se := twoSum(x.hi, -p)
	se -= pe
	se += x.lo
	return quickTwoSum(q1, (s+se)/d)
}

func (x dd) div(y dd) dd {
	q1 := x.hi / y.hi
	r := x.add(y.mul(dd{q1, 0}).neg())
	q2 := r.hi / y.hi
	r = r.add(y.mul(dd{q2, 0}).neg())
	q3 := r.hi / y.hi
	return quickTwoSum(q1, q2).add(dd{q3, 0})
}

// series sums the Taylor series of sin (odd) or cos (even) at x
// (|x| <= 2) until a term no longer counts.
func series(x dd, odd bool) dd {
	x2 := x.mul(x)
	term, n := dd{1, 0}, 0
	if odd {
		term, n = x, 1
	}
	sum := term
	for range 40 {
		term = term.mul(x2).divFloat(float64((n + 1) * (n + 2))).neg()
		n += 2
		sum = sum.add(term)
		if term.hi == 0 || math.Abs(term.hi) < math.Abs(sum.hi)*0x1p-110 {
			break
		}
	}
	return sum
}

func preciseSin(x float64) float64 {
	if math.Abs(x) > 2 {
		return math.Sin(x)
	}
	return series(dd{x, 0}, true).hi
}

func preciseCos(x float64) float64 {
	if math.Abs(x) > 2 {
		return math.Cos(x)
	}
	return series(dd{x, 0}, false).hi
}

// preciseAsin refines math.Asin by Newton steps on sin.
func preciseAsin(a float64) float64 {
	if a <= 0 || a >= 0.99 {
		return math.Asin(a)
	}
	y := dd{math.Asin(a), 0}
	for range 2 {
		s, c := series(y, true), series(y, false)
		y = y.add(s.add(dd{-a, 0}).div(c).neg())
	}
	return y.hi
}
