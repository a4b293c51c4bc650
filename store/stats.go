package store

import (
	"fmt"
	"strings"
)

// EmbeddedStats reports the embedded store's LevelDB (its levels'
// tables, sizes and compaction totals, open tables and iterators) and its
// region count, for /debug/store and the aged-store benchmark. It returns
// ErrNotEmbedded on a cluster.
func (s *Store) EmbeddedStats() (string, error) {
	if s.mvcc == nil {
		return "", ErrNotEmbedded
	}
	db, err := levelDB(s.mvcc)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range []string{"stats", "openedtables", "aliveiters", "alivesnaps"} {
		v, err := db.GetProperty("leveldb." + p)
		if err != nil {
			return "", fmt.Errorf("leveldb property %s: %w", p, err)
		}
		if p == "stats" {
			b.WriteString(v)
		} else {
			fmt.Fprintf(&b, "%s: %s\n", p, v)
		}
	}
	if s.regions != nil {
		fmt.Fprintf(&b, "regions: %d\n", len(s.regions.cluster.GetAllRegions()))
	}
	return b.String(), nil
}
