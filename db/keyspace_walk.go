package db

import "github.com/titan-kv/titan/encoding"

// Walk calls fn with the live keys of the database in key order until fn
// returns false, examining at most limit metadata entries (expired keys
// count). It reports whether the walk ended within the limit: at the end
// of the database or because fn stopped it. titan keeps no index of keys
// by hash slot, so CLUSTER COUNTKEYSINSLOT and GETKEYSINSLOT walk the
// database with it. Costs one Scan of at most limit+1 keys.
func (ks Keyspace) Walk(limit int, fn func(key []byte) bool) (ended bool, err error) {
	tx := ks.tx
	prefix := tx.d.keys.MetaPrefix(tx.DB)
	decode := ks.liveKeys(prefix, 0)
	seen := 0
	ended = true
	err = tx.scan(prefix, encoding.PrefixEnd(prefix), limit+1, func(k, v []byte) (bool, error) {
		if seen == limit {
			ended = false
			return false, nil
		}
		seen++
		key, ok, err := decode(k, v)
		if err != nil {
			return false, err
		}
		return !ok || fn(key), nil
	})
	return ended && err == nil, err
}
