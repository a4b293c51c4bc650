package background

import (
	"github.com/titan-kv/titan/db"
)

// The Redis commands the tests use to make work for the background tasks,
// in one place: these are the only calls into db's per-type API.

func sadd(tx *db.Tx, key string, members [][]byte) error {
	_, err := tx.Set([]byte(key)).Add(members)
	return err
}

func setString(tx *db.Tx, key, value string, expireAt int64) error {
	_, err := tx.String([]byte(key)).Set([]byte(value), db.SetOptions{ExpireAt: expireAt})
	return err
}

func getString(tx *db.Tx, key string) ([]byte, error) {
	return tx.String([]byte(key)).Get()
}

func del(tx *db.Tx, key string) (bool, error) {
	return tx.Key([]byte(key)).Delete()
}

func expireAt(tx *db.Tx, key string, at int64) error {
	_, err := tx.Key([]byte(key)).ExpireAt(at, db.ExpireFlags{})
	return err
}

func persist(tx *db.Tx, key string) error {
	_, err := tx.Key([]byte(key)).Persist()
	return err
}
