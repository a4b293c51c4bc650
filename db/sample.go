package db

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
)

// Random sampling: HRANDFIELD, SRANDMEMBER, SPOP, ZRANDMEMBER and
// RANDOMKEY all pick with sampleRange, over any range of keys holding one
// entry each.
//
// A small collection, or a request for a large share of one, is read
// whole and picked from exactly uniformly. Otherwise the sampler reads
// windows: the run of entries that follows a random point of the range
// within the store region holding it, going on from the region's start
// (one Scan request, two when it wraps), so a window steps over at most
// one region's deleted keys (regions.go).
//
// When the keys are spread evenly over the range (hash fields and set
// members sit behind a hash of their name), a window holds up to
// sampleWindow entries and up to samplePerWindow of them are picked
// uniformly: an entry's chance then depends on the key-space gaps before
// a whole window rather than before itself, which evens out the gaps'
// randomness. Otherwise (sorted set members, the keyspace) the random
// points fall between the first and last keys (two short Scans more,
// each reading at most edgeRegions regions: liveBounds) and
// cluster where the names leave gaps, so the sampler seeks more often and
// takes fewer entries at each point: min(|count|, samplePerWindow) windows
// of sampleWindow entries, ceil(|count| / windows) picked in each. Such
// picks are only as uniform as the keys are spread: names sharing long
// prefixes make some windows far likelier than others.
const (
	// sampleWindow is the size of a window, read in one Scan request,
	// and the largest collection always read whole. samplePerWindow is
	// the most entries picked in one window.
	sampleWindow    = 255
	samplePerWindow = 64
	// maxRandomCount bounds the replies of SRANDMEMBER and HRANDFIELD
	// with a negative count, which may repeat elements: Redis would try
	// to build any size and run out of memory.
	maxRandomCount = 1 << 22
)

// errCountRange answers a random-pick count out of range.
var errCountRange = UserError("ERR value is out of range")

// sampleSource is a range of keys to sample, one entry per key.
type sampleSource[T any] struct {
	// from and to bound the keys: [from, to).
	from, to []byte
	// n is how many entries the range holds (the collection's count);
	// negative when unknown (the keyspace), which is never read whole.
	n int64
	// spread is set when the keys are spread evenly over [from, to).
	spread bool
	decode decoder[T]
}

// sampleRange picks random entries of src as Redis's random commands
// count: up to count distinct ones for count > 0 (all of them, in random
// order, when count >= n), -count ones that may repeat for count < 0,
// none for 0. Entries decode passes over are never picked.
//
// Cost: a read of the whole range (one Scan of n keys, in batches of at
// most scanBatchMax) when n <= sampleWindow or |count| > n/4; otherwise
// ceil(|count|/samplePerWindow) windows of 1-2 Scans when the keys are
// spread, min(|count|, samplePerWindow) windows plus the two short Scans
// finding the first and last keys when they are not; more only when
// windows yield too few entries.
func sampleRange[T any](tx *Tx, src sampleSource[T], count int64) ([]T, error) {
	if count == math.MinInt64 {
		return nil, errCountRange
	}
	distinct, want := count > 0, count
	if !distinct {
		want = -count
	}
	if want == 0 || src.n == 0 {
		return nil, nil
	}
	if src.n > 0 && (src.n <= sampleWindow || want > src.n/4) {
		all := make([]T, 0, min(src.n, 1<<16))
		if _, err := src.read(tx, src.from, src.to, int(src.n), &all, nil); err != nil {
			return nil, err
		}
		return pickFrom(all, want, distinct), nil
	}
	lo, hi := src.from, src.to
	var edges [][]byte
	if !src.spread {
		var err error
		if lo, hi, edges, err = tx.liveBounds(src.from, src.to); err != nil || lo == nil {
			return nil, err
		}
	}
	s := sampler[T]{src: src, want: want, distinct: distinct, picked: map[string]bool{},
		size: sampleWindow, per: samplePerWindow}
	if !src.spread {
		seeks := min(want, samplePerWindow)
		s.per = (want + seeks - 1) / seeks
	}
	s.out = make([]T, 0, min(want, 1<<16))
	maxWindows := 2*((want+s.per-1)/s.per) + 4
	for windows := int64(0); s.short() && windows < maxWindows; windows++ {
		items, keys, err := s.window(tx, randomBetween(lo, hi))
		if err != nil {
			return nil, err
		}
		s.pick(items, keys)
	}
	if s.short() {
		// Unlucky windows, or mostly entries to pass over: walk the
		// range, wrapping, until enough are found, from a random point,
		// or, when the bounds found keys, from one of them: windows find
		// nothing when few keys lie among many deleted ones, and the
		// walk from a random point would step over the deleted keys up
		// to the next live one.
		point := randomBetween(lo, hi)
		if len(edges) > 0 {
			point = edges[rand.IntN(len(edges))]
		}
		if err := s.walk(tx, point); err != nil {
			return nil, err
		}
	}
	rand.Shuffle(len(s.out), func(i, j int) { s.out[i], s.out[j] = s.out[j], s.out[i] })
	return s.out, nil
}

// pickFrom picks want entries of all: distinct ones in random order (all
// of them when want >= len(all)), or independent picks that may repeat.
func pickFrom[T any](all []T, want int64, distinct bool) []T {
	if len(all) == 0 {
		return nil
	}
	if distinct {
		want = min(want, int64(len(all)))
		for i := range want {
			j := i + rand.Int64N(int64(len(all))-i)
			all[i], all[j] = all[j], all[i]
		}
		return all[:want]
	}
	out := make([]T, want)
	for i := range out {
		out[i] = all[rand.IntN(len(all))]
	}
	return out
}

// read decodes the entries of [from, to), at most limit keys of them
// (0: no limit), appending them to items and, when keys is not nil, their
// keys to keys; it returns how many keys it read, passed over or not.
func (src sampleSource[T]) read(tx *Tx, from, to []byte, limit int, items *[]T, keys *[]string) (int, error) {
	seen := 0
	err := tx.rangeScan(from, to, limit, false, func(k, v []byte) (bool, error) {
		seen++
		it, ok, err := src.decode(k, v)
		if err != nil || !ok {
			return err == nil, err
		}
		*items = append(*items, it)
		if keys != nil {
			*keys = append(*keys, string(k))
		}
		return true, nil
	})
	return seen, err
}

// sampler is the state of one windowed sampleRange.
type sampler[T any] struct {
	src      sampleSource[T]
	want     int64
	distinct bool
	// size is the entries a window reads, per the most it picks there.
	size int
	per  int64
	out  []T
	// picked holds the keys of the distinct picks.
	picked map[string]bool
}

func (s *sampler[T]) short() bool { return int64(len(s.out)) < s.want }

// window reads the window around point within the store region holding
// point (regions.go): the entries after point, then, when they are too
// few, those from the region's start on (forward: a reverse Scan costs
// the embedded store several times more), which wraps around the range
// when the region holds all of it. It returns the entries and their keys.
func (s *sampler[T]) window(tx *Tx, point []byte) (items []T, keys []string, err error) {
	start, end, _ := tx.region(point, false, s.src.from, s.src.to)
	seen, err := s.src.read(tx, point, end, s.size, &items, &keys)
	if err != nil || seen == s.size {
		return items, keys, err
	}
	_, err = s.src.read(tx, start, point, s.size-seen, &items, &keys)
	return items, keys, err
}

// pick takes up to s.per of the window's entries, uniformly.
func (s *sampler[T]) pick(items []T, keys []string) {
	if len(items) == 0 {
		return
	}
	take := min(s.want-int64(len(s.out)), s.per)
	if !s.distinct {
		for range take {
			s.out = append(s.out, items[rand.IntN(len(items))])
		}
		return
	}
	for _, i := range rand.Perm(len(items)) {
		if take == 0 {
			break
		}
		if !s.picked[keys[i]] {
			s.picked[keys[i]] = true
			s.out = append(s.out, items[i])
			take--
		}
	}
}

// walk adds the entries from point on, wrapping around once, in order,
// until the sample is complete.
func (s *sampler[T]) walk(tx *Tx, point []byte) error {
	visit := func(k, v []byte) (bool, error) {
		if s.distinct && s.picked[string(k)] {
			return true, nil
		}
		it, ok, err := s.src.decode(k, v)
		if err != nil || !ok {
			return err == nil, err
		}
		s.picked[string(k)] = true
		s.out = append(s.out, it)
		return s.short(), nil
	}
	if err := tx.rangeScan(point, s.src.to, 0, false, visit); err != nil || !s.short() {
		return err
	}
	return tx.rangeScan(s.src.from, point, 0, false, visit)
}

// randomBetween returns a random key between a and b (a <= b), uniform
// over the 8 bytes that follow their common prefix.
func randomBetween(a, b []byte) []byte {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	word := func(k []byte) uint64 {
		var w [8]byte
		copy(w[:], k[n:])
		return binary.BigEndian.Uint64(w[:])
	}
	lo, hi := word(a), word(b)
	x := lo
	if hi > lo {
		x = lo + rand.Uint64N(hi-lo)
	}
	return binary.BigEndian.AppendUint64(bytes.Clone(a[:n]), x)
}
