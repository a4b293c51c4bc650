package db

// Move moves the key to logical database dstDB unless it exists there, keeping
// its expiry. Like RENAME it moves the metadata only (a collection's
// elements live under its object id): O(1) for any size. It reports
// whether the key moved.
func (k Key) Move(dstDB uint16) (bool, error) {
	tx := k.tx
	m, err := tx.meta(k.key)
	if err != nil || m == nil {
		return false, err
	}
	srcDB := tx.DB
	tx.DB = tx.Physical(dstDB)
	defer func() { tx.DB = srcDB }()
	d, err := tx.meta(k.key)
	if err != nil || d != nil {
		return false, err
	}
	// The expiry index entry of the source names srcDB: the expirer
	// drops it; putMeta writes one for dstDB.
	if err := tx.putMeta(k.key, m, 0); err != nil {
		return false, err
	}
	return true, tx.delMeta(srcDB, k.key, m)
}
