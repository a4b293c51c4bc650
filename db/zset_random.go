package db

import (
	"bytes"
	"math"
	"math/rand/v2"
)

// Random members (ZRANDMEMBER). randomPick and randomSeeker sample any
// collection stored as one key per element; the sets and hashes have
// their own sampler (elements.go) for now.

// randomSeeker picks random points of a key span to read from.
type randomSeeker struct {
	tx          *Tx
	from, to    []byte
	first, last []byte
}

func (tx *Tx) newRandomSeeker(from, to []byte) (*randomSeeker, error) {
	s := &randomSeeker{tx: tx, from: from, to: to}
	err := tx.rangeScan(from, to, 1, false, func(k, _ []byte) (bool, error) {
		s.first = bytes.Clone(k)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	err = tx.rangeScan(from, to, 1, true, func(k, _ []byte) (bool, error) {
		s.last = bytes.Clone(k)
		return false, nil
	})
	return s, err
}

// point returns a random key between the first and last keys, treating
// the 8 bytes after their common prefix as a number.
func (s *randomSeeker) point() []byte {
	a, b := s.first, s.last
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	num := func(k []byte) uint64 {
		var x uint64
		for i := 0; i < 8; i++ {
			x <<= 8
			if p+i < len(k) {
				x |= uint64(k[p+i])
			}
		}
		return x
	}
	lo, hi := num(a), num(b)
	x := lo
	if hi > lo {
		if hi-lo == math.MaxUint64 {
			x = rand.Uint64()
		} else {
			x = lo + rand.Uint64N(hi-lo+1)
		}
	}
	k := append(bytes.Clone(a[:p]), make([]byte, 8)...)
	for i := 7; i >= 0; i-- {
		k[p+i] = byte(x)
		x >>= 8
	}
	return k
}

// window reads up to n consecutive entries from a random point, wrapping
// around to the first entry.
func (s *randomSeeker) window(n int, fn func(k, v []byte) error) error {
	at := s.point()
	got := 0
	visit := func(k, v []byte) (bool, error) {
		got++
		return true, fn(k, v)
	}
	if err := s.tx.rangeScan(at, s.to, n, false, visit); err != nil {
		return err
	}
	if got < n {
		rest := n - got
		got = 0
		if err := s.tx.rangeScan(s.from, at, rest, false, visit); err != nil {
			return err
		}
	}
	return nil
}

// randomReadAll is the size up to which a random pick reads the whole
// collection.
const randomReadAll = 128

// randomSeeks bounds the random seeks of one command.
const randomSeeks = 64

// RandMember returns random members: up to count distinct members for
// count > 0; -count members that may repeat for count < 0 (ZRANDMEMBER
// without count asks for 1).
func (z ZSet) RandMember(count int64) ([]ScoredMember, error) {
	tx := z.tx
	m, err := z.meta()
	if err != nil || m == nil || count == 0 {
		return nil, err
	}
	from, to := tx.zMemberSpan(m)
	decode := func(k, v []byte) (ScoredMember, error) { return tx.zDecodeMember(m, k, v) }
	return randomPick(tx, m.Count, count, from, to, decode, func() ([]ScoredMember, error) { return tx.zReadAll(m) })
}

// randomPick implements the sampling of ZRANDMEMBER (and friends) over a
// collection of n entries in [from, to).
func randomPick[T any](tx *Tx, n, count int64, from, to []byte, decode func(k, v []byte) (T, error), all func() ([]T, error)) ([]T, error) {
	distinct := count > 0
	want := count
	if !distinct {
		want = -count
	}
	if distinct && want >= n {
		items, err := all()
		rand.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		return items, err
	}
	if n <= randomReadAll || (distinct && want*2 >= n) || (!distinct && want >= n) {
		items, err := all()
		if err != nil || len(items) == 0 {
			return nil, err
		}
		if distinct {
			for i := int64(0); i < want; i++ {
				j := i + rand.Int64N(int64(len(items))-i)
				items[i], items[j] = items[j], items[i]
			}
			return items[:want], nil
		}
		out := make([]T, want)
		for i := range out {
			out[i] = items[rand.IntN(len(items))]
		}
		return out, nil
	}
	s, err := tx.newRandomSeeker(from, to)
	if err != nil {
		return nil, err
	}
	seeks := min(want, randomSeeks)
	per := int((want + seeks - 1) / seeks)
	var out []T
	seen := map[string]bool{}
	add := func(k, v []byte) error {
		if int64(len(out)) >= want || (distinct && seen[string(k)]) {
			return nil
		}
		it, err := decode(k, v)
		if err != nil {
			return err
		}
		seen[string(k)] = true
		out = append(out, it)
		return nil
	}
	for i := int64(0); i < seeks*2 && int64(len(out)) < want; i++ {
		if err := s.window(per, add); err != nil {
			return nil, err
		}
	}
	if int64(len(out)) < want {
		// Unlucky seeks: fill up in order (only distinct picks get here).
		if err := tx.rangeScan(from, to, 0, false, func(k, v []byte) (bool, error) {
			return int64(len(out)) < want, add(k, v)
		}); err != nil {
			return nil, err
		}
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, nil
}
