package db

import (
	"github.com/titan-kv/titan/encoding"
)

// Dump reads the key's value for DUMP (nil when missing). Collections are
// read whole, as DUMP serializes them whole.
func (k Key) Dump() (*encoding.RDBValue, error) {
	tx := k.tx
	m, err := tx.meta(k.key)
	if err != nil || m == nil {
		return nil, err
	}
	v := &encoding.RDBValue{Type: m.Type}
	switch m.Type {
	case encoding.TypeStream:
		v.Stream, err = tx.Stream(k.key).dump()
	case encoding.TypeString:
		v.Str = m.Value
	case encoding.TypeList:
		v.Elems, err = tx.List(k.key).Range(0, -1)
	case encoding.TypeSet:
		v.Elems, err = tx.Set(k.key).Members()
	case encoding.TypeHash:
		var fs, vs [][]byte
		fs, vs, err = tx.Hash(k.key).GetAll()
		for i := range fs {
			v.Elems = append(v.Elems, fs[i], vs[i])
		}
	case encoding.TypeZSet:
		var items []ScoredMember
		items, err = tx.ZSet(k.key).Range(ZRangeSpec{By: ZByRank, Start: 0, Stop: -1})
		for _, it := range items {
			v.Elems = append(v.Elems, it.Member)
			v.Scores = append(v.Scores, it.Score)
		}
	}
	return v, err
}

// ErrBusyKey is RESTORE's answer when the key exists and REPLACE is not
// given.
var ErrBusyKey = UserError("BUSYKEY Target key name already exists.")

// ErrBadDumpData is RESTORE's answer to a payload that does not decode.
var ErrBadDumpData = UserError("ERR Bad data format")

// Restore makes the key hold v, replacing what it held, expiring at
// expireAt (unix ms, 0: never; in the past: the key is only deleted).
func (k Key) Restore(v *encoding.RDBValue, expireAt int64) error {
	tx := k.tx
	if err := restoreUnique(v); err != nil {
		return err
	}
	if _, err := k.Delete(); err != nil {
		return err
	}
	if expireAt != 0 && expireAt <= tx.now {
		return nil
	}
	var err error
	switch v.Type {
	case encoding.TypeString:
		_, err = tx.String(k.key).Set(v.Str, SetOptions{ExpireAt: expireAt})
		return err
	case encoding.TypeList:
		_, err = tx.List(k.key).Push(v.Elems, false, false)
	case encoding.TypeSet:
		_, err = tx.Set(k.key).Add(v.Elems)
	case encoding.TypeHash:
		_, err = tx.Hash(k.key).Set(v.Elems)
	case encoding.TypeStream:
		err = tx.Stream(k.key).restore(v.Stream)
	case encoding.TypeZSet:
		items := make([]ScoredMember, len(v.Elems))
		for i := range items {
			items[i] = ScoredMember{Member: v.Elems[i], Score: v.Scores[i]}
		}
		_, _, err = tx.ZSet(k.key).Add(ZAddOptions{}, items)
	}
	if err != nil || expireAt == 0 {
		return err
	}
	_, err = k.ExpireAt(expireAt, ExpireFlags{})
	return err
}

// restoreUnique rejects a set, hash or sorted set payload that repeats an
// element, as Redis's sanitization of RESTORE payloads does.
func restoreUnique(v *encoding.RDBValue) error {
	step := 1
	switch v.Type {
	case encoding.TypeHash:
		step = 2
	case encoding.TypeSet, encoding.TypeZSet:
	default:
		return nil
	}
	seen := make(map[string]bool, len(v.Elems)/step)
	for i := 0; i < len(v.Elems); i += step {
		if seen[string(v.Elems[i])] {
			return ErrBadDumpData
		}
		seen[string(v.Elems[i])] = true
	}
	return nil
}
