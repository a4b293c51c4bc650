package db

import "github.com/titan-kv/titan/encoding"

// LCSInputs returns the strings LCS compares (a missing key is empty),
// or Redis's error when a key holds another type.
func (ss Strings) LCSInputs() (a, b []byte, err error) {
	var vs [2][]byte
	for i, k := range ss.keys[:2] {
		m, err := ss.tx.meta(k)
		if err != nil {
			return nil, nil, err
		}
		if m != nil && m.Type != encoding.TypeString {
			return nil, nil, UserError("ERR The specified keys must contain string values")
		}
		if m != nil {
			vs[i] = m.Value
		}
	}
	return vs[0], vs[1], nil
}

// LCSMatch is one range of a common subsequence: a[AStart:AEnd+1]
// equals b[BStart:BEnd+1].
type LCSMatch struct {
	AStart, AEnd, BStart, BEnd, Len int64
}

// LCSResult is what LCS computes: the length, the subsequence and its
// matching ranges from the end of the strings, as Redis emits them.
type LCSResult struct {
	Len     int64
	Seq     []byte
	Matches []LCSMatch
}

// LCSMaxTable bounds the transient table (4 bytes per pair of positions)
// as Redis bounds it by its proto-max-bulk-len default.
const LCSMaxTable = 512 << 20

// LCS is Redis 7.0's dynamic programming LCS; walk says whether to build
// the subsequence and ranges (not for LEN alone); ranges shorter than
// minLen are left out.
func LCS(a, b []byte, walk bool, minLen int64) (*LCSResult, error) {
	alen, blen := len(a), len(b)
	size := uint64(alen+1) * uint64(blen+1) * 4
	if size > LCSMaxTable {
		return nil, UserError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
	}
	w := blen + 1
	t := make([]uint32, (alen+1)*w)
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			if a[i-1] == b[j-1] {
				t[i*w+j] = t[(i-1)*w+j-1] + 1
			} else {
				t[i*w+j] = max(t[(i-1)*w+j], t[i*w+j-1])
			}
		}
	}
	r := &LCSResult{Len: int64(t[alen*w+blen])}
	if !walk {
		return r, nil
	}
	idx := t[alen*w+blen]
	r.Seq = make([]byte, idx)
	aStart, aEnd, bStart, bEnd := alen, 0, 0, 0
	i, j := alen, blen
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			r.Seq[idx-1] = a[i-1]
			if aStart == alen {
				aStart, aEnd, bStart, bEnd = i-1, i-1, j-1, j-1
			} else if aStart == i && bStart == j {
				aStart--
				bStart--
			} else {
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if t[(i-1)*w+j] > t[i*w+j-1] {
				i--
			} else {
				j--
			}
			if aStart != alen {
				emit = true
			}
		}
		if emit {
			n := int64(aEnd - aStart + 1)
			if minLen == 0 || n >= minLen {
				r.Matches = append(r.Matches, LCSMatch{int64(aStart), int64(aEnd), int64(bStart), int64(bEnd), n})
			}
			aStart = alen
		}
	}
	return r, nil
}
