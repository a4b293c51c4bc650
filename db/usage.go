package db

import "github.com/titan-kv/titan/encoding"

// Usage returns the bytes key takes in the store, as MEMORY USAGE
// answers: its metadata key and value, plus the keys and values of its
// elements, read whole when samples is 0 or at least the collection's
// size, otherwise estimated from its first samples element entries. ok is
// false when the key does not exist.
func (k Key) Usage(samples int) (size int64, ok bool, err error) {
	m, err := k.tx.meta(k.key)
	if err != nil || m == nil {
		return 0, false, err
	}
	metaKey := k.tx.d.keys.Meta(k.tx.DB, k.key)
	raw, err := k.tx.get(metaKey)
	if err != nil {
		return 0, false, err
	}
	size = int64(len(metaKey) + len(raw))
	if m.Type == encoding.TypeString {
		return size, true, nil
	}
	// A sorted set keeps two entries per member (by score and by name).
	entries := m.Count
	if m.Type == encoding.TypeZSet {
		entries *= 2
	}
	limit := samples
	if samples <= 0 || int64(samples) >= entries {
		limit = 0
	}
	var n, bytes int64
	for _, sp := range k.tx.objectSpans(m) {
		err = k.tx.rangeScan(sp[0], sp[1], limit, false, func(key, v []byte) (bool, error) {
			n++
			bytes += int64(len(key) + len(v))
			return limit == 0 || n < int64(limit), nil
		})
		if err != nil {
			return 0, false, err
		}
		if limit > 0 && n >= int64(limit) {
			break
		}
	}
	if limit == 0 || n == 0 || n >= entries {
		return size + bytes, true, nil
	}
	return size + bytes*entries/n, true, nil
}
