package db

import (
	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/parse"
)

// Redis 7.0's default encoding limits: a hash or sorted set stays a
// listpack up to 128 entries of at most 64 bytes, a set of integers an
// intset up to 512 members (7.0 has no listpack sets).
const (
	listpackMaxEntries = 128
	listpackMaxValue   = 64
	intsetMaxEntries   = 512
)

// collectionEncoding is the encoding Redis 7.0 would report for a hash,
// set or sorted set holding what m holds: the small ones are read (at
// most 512 elements) to check the sizes or integers Redis checks. Redis
// never converts back to the compact encoding, so for a collection that
// shrank titan may report the compact one where Redis kept the big one.
func (k Key) collectionEncoding(m *encoding.Meta) (string, error) {
	tx := k.tx
	switch m.Type {
	case encoding.TypeSet:
		if m.Count > intsetMaxEntries {
			return "hashtable", nil
		}
		members, err := tx.Set(k.key).Members()
		if err != nil {
			return "", err
		}
		for _, v := range members {
			if _, ok := parse.Int(v); !ok {
				return "hashtable", nil
			}
		}
		return "intset", nil
	case encoding.TypeHash:
		if m.Count > listpackMaxEntries {
			return "hashtable", nil
		}
		fs, vs, err := tx.Hash(k.key).GetAll()
		if err != nil {
			return "", err
		}
		for i := range fs {
			if len(fs[i]) > listpackMaxValue || len(vs[i]) > listpackMaxValue {
				return "hashtable", nil
			}
		}
		return "listpack", nil
	default:
		if m.Count > listpackMaxEntries {
			return "skiplist", nil
		}
		items, err := tx.ZSet(k.key).Range(ZRangeSpec{By: ZByRank, Start: 0, Stop: -1})
		if err != nil {
			return "", err
		}
		for _, it := range items {
			if len(it.Member) > listpackMaxValue {
				return "skiplist", nil
			}
		}
		return "listpack", nil
	}
}

// IdleTime is OBJECT IDLETIME in seconds. titan does not track reads (a
// read would have to write), so it is the time since the key was last
// written: the physical part of the TiKV timestamp stamped on its
// metadata by that write.
func (k Key) IdleTime() (int64, error) {
	m, err := k.tx.meta(k.key)
	if err != nil || m == nil {
		return 0, err
	}
	written := int64(m.Version >> 18)
	return max(k.tx.now-written, 0) / 1000, nil
}
