package db

import (
	"bytes"

	"github.com/titan-kv/titan/encoding"
)

// Sets. Each member is one key, Data(object, SetMemberSub(member)), with a
// placeholder value; the metadata counts the members. Reads and scans go
// through the element helpers of elements.go, shared with hashes. This
// file holds the view of one set; sets.go the operations over several.

// setKind is the element layout of sets.
var setKind = elemKind{
	typ:    encoding.TypeSet,
	prefix: encoding.SetMemberPrefix(),
	sub:    encoding.SetMemberSub,
	decode: encoding.DecodeSetMemberSub,
}

// Set is the set stored at one key, as one transaction sees it.
type Set struct {
	tx  *Tx
	key []byte
}

// Set returns the view of the set at key in the transaction's current
// database.
func (tx *Tx) Set(key []byte) Set { return Set{tx: tx, key: key} }

// meta returns the set's metadata, nil when the key is missing and
// ErrWrongType when it holds another type.
func (s Set) meta() (*encoding.Meta, error) {
	return s.tx.typedMeta(s.key, encoding.TypeSet)
}

// putMember writes member into set m.
func (tx *Tx) putMember(m *encoding.Meta, member []byte) error {
	return tx.set(tx.data(m, encoding.SetMemberSub(member)), nil)
}

// Add adds members and returns how many were not there.
func (s Set) Add(members [][]byte) (int64, error) {
	m, err := s.meta()
	if err != nil {
		return 0, err
	}
	existed := m != nil
	var present [][]byte
	if existed {
		if present, err = s.tx.lookup(m, setKind, members); err != nil {
			return 0, err
		}
	} else {
		present = make([][]byte, len(members))
		m = s.tx.newObject(encoding.TypeSet)
	}
	added := int64(0)
	seen := make(map[string]bool, len(members))
	for i, x := range members {
		if present[i] != nil || seen[string(x)] {
			continue
		}
		seen[string(x)] = true
		if err := s.tx.putMember(m, x); err != nil {
			return 0, err
		}
		added++
	}
	if added == 0 {
		return 0, nil
	}
	return added, s.tx.saveCount(s.key, m, added, existed)
}

// Rem removes members and returns how many were there.
func (s Set) Rem(members [][]byte) (int64, error) {
	m, err := s.meta()
	if err != nil || m == nil {
		return 0, err
	}
	return s.tx.removeElems(s.key, m, setKind, members)
}

// Card returns the number of members, 0 for a missing key.
func (s Set) Card() (int64, error) {
	m, err := s.meta()
	if err != nil || m == nil {
		return 0, err
	}
	return m.Count, nil
}

// IsMember reports whether member is in the set.
func (s Set) IsMember(member []byte) (bool, error) {
	r, err := s.MIsMember([][]byte{member})
	if err != nil {
		return false, err
	}
	return r[0], nil
}

// MIsMember reports which members are in the set.
func (s Set) MIsMember(members [][]byte) ([]bool, error) {
	out := make([]bool, len(members))
	m, err := s.meta()
	if err != nil || m == nil {
		return out, err
	}
	present, err := s.tx.lookup(m, setKind, members)
	if err != nil {
		return nil, err
	}
	for i, v := range present {
		out[i] = v != nil
	}
	return out, nil
}

// Members returns every member.
func (s Set) Members() ([][]byte, error) {
	m, err := s.meta()
	if err != nil || m == nil {
		return nil, err
	}
	all, err := s.tx.readAll(m, setKind)
	return names(all), err
}

// RandMember returns count random members: distinct ones for count >= 0
// (the whole set when count >= Card), -count possibly repeated ones for
// count < 0.
func (s Set) RandMember(count int64) ([][]byte, error) {
	m, err := s.meta()
	if err != nil || m == nil {
		return nil, err
	}
	es, err := s.tx.sampleElems(m, setKind, count)
	return names(es), err
}

// Pop removes and returns count distinct random members (all of them
// when count >= Card).
func (s Set) Pop(count int64) ([][]byte, error) {
	m, err := s.meta()
	if err != nil || m == nil || count <= 0 {
		return nil, err
	}
	es, err := s.tx.sampleElems(m, setKind, count)
	if err != nil || len(es) == 0 {
		return nil, err
	}
	if int64(len(es)) >= m.Count {
		// Popping everything: drop the object at once, the collector
		// deletes the elements.
		return names(es), s.tx.deleteKey(s.key, m)
	}
	for _, e := range es {
		if err := s.tx.del(s.tx.data(m, e.sub)); err != nil {
			return nil, err
		}
	}
	return names(es), s.tx.saveCount(s.key, m, -int64(len(es)), true)
}

// Move moves member from this set to the set at dst and reports whether
// it was in this set.
func (s Set) Move(dst, member []byte) (bool, error) {
	tx := s.tx
	sm, err := s.meta()
	if err != nil || sm == nil {
		return false, err
	}
	dm, err := tx.Set(dst).meta()
	if err != nil {
		return false, err
	}
	if bytes.Equal(s.key, dst) {
		return s.IsMember(member)
	}
	sk := tx.data(sm, encoding.SetMemberSub(member))
	v, err := tx.get(sk)
	if err != nil || v == nil {
		return false, err
	}
	if err := tx.del(sk); err != nil {
		return false, err
	}
	if err := tx.saveCount(s.key, sm, -1, true); err != nil {
		return false, err
	}
	existed := dm != nil
	if !existed {
		dm = tx.newObject(encoding.TypeSet)
	} else {
		dv, err := tx.get(tx.data(dm, encoding.SetMemberSub(member)))
		if err != nil {
			return false, err
		}
		if dv != nil {
			return true, nil
		}
	}
	if err := tx.putMember(dm, member); err != nil {
		return false, err
	}
	return true, tx.saveCount(dst, dm, 1, existed)
}

// Scan examines up to count members from position from (nil: the
// start) and returns those matching pattern (nil: all).
func (s Set) Scan(from []byte, count int, pattern []byte) (ScanPage[[]byte], error) {
	m, err := s.meta()
	if err != nil || m == nil {
		return ScanPage[[]byte]{}, err
	}
	page, err := s.tx.elemPage(m, setKind, from, count, pattern)
	return ScanPage[[]byte]{Items: names(page.Items), Next: page.Next}, err
}
