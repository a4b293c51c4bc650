package db

import (
	"context"
	"fmt"
)

// activeExpireOffKey is the system key whose presence pauses the active
// expirer of every instance (DEBUG SET-ACTIVE-EXPIRE 0).
const activeExpireOffKey = "active-expire-off"

// SetActiveExpire turns the active expirer on or off for every instance
// sharing the store (DEBUG SET-ACTIVE-EXPIRE), in this transaction. Off,
// expired keys stay until a command touches them, as in Redis.
func (tx *Tx) SetActiveExpire(on bool) error {
	if on {
		return tx.del(tx.d.keys.System(activeExpireOffKey))
	}
	return tx.set(tx.d.keys.System(activeExpireOffKey), []byte{1})
}

// ActiveExpire reports whether the active expirer runs (one point read;
// the expirer asks once a round).
func (d *DB) ActiveExpire(ctx context.Context) (bool, error) {
	on := true
	err := d.View(ctx, 0, func(tx *Tx) error {
		b, err := tx.get(d.keys.System(activeExpireOffKey))
		on = b == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("active expire: %w", err)
	}
	return on, nil
}
