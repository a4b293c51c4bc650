package db

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/titan-kv/titan/encoding"
)

// Instance registry: each running titan instance keeps one system key,
// ns:S instance/<id>, holding the end of its lease (unix ms), the
// address of its bus (package bus) and what else it publishes (Info;
// layout: encoding.EncodeInstance). An instance renews its entry well
// within the lease; one that dies stops renewing and drops out of
// everyone's view when the lease ends, and the next renewal of any
// instance deletes its entry.

// Member is one live instance in the registry.
type Member struct {
	// ID is the instance's unique id.
	ID string
	// Addr is the address its bus listens on.
	Addr string
	// Info is what the instance publishes besides (in cluster mode, the
	// address cluster clients reach it at); empty: nothing.
	Info string
}

const instancePrefix = "instance/"

// RegisterInstance registers (or renews) instance me for ttl, in one
// transaction that also deletes the entries whose lease ended, and
// returns the live members, me included.
func (d *DB) RegisterInstance(ctx context.Context, me Member, ttl time.Duration) ([]Member, error) {
	id := me.ID
	prefix := d.keys.System(instancePrefix)
	var live []Member
	err := d.Update(ctx, 0, func(tx *Tx) error {
		live = live[:0]
		var dead [][]byte
		err := tx.scan(prefix, encoding.PrefixEnd(prefix), 0, func(k, v []byte) (bool, error) {
			mid := string(k[len(prefix):])
			until, maddr, info, err := encoding.DecodeInstance(v)
			switch {
			case mid == id:
			case err != nil || until <= tx.now:
				dead = append(dead, bytes.Clone(k))
			default:
				live = append(live, Member{ID: mid, Addr: maddr, Info: info})
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, k := range dead {
			if err := tx.del(k); err != nil {
				return err
			}
		}
		live = append(live, me)
		return tx.set(d.keys.System(instancePrefix+id), encoding.EncodeInstance(tx.now+ttl.Milliseconds(), me.Addr, me.Info))
	})
	if err != nil {
		return nil, fmt.Errorf("register instance: %w", err)
	}
	return live, nil
}

// UnregisterInstance removes instance id from the registry (a clean stop).
func (d *DB) UnregisterInstance(ctx context.Context, id string) error {
	if strings.Contains(id, "/") {
		return fmt.Errorf("instance id %q: no slashes", id)
	}
	err := d.Update(ctx, 0, func(tx *Tx) error { return tx.del(d.keys.System(instancePrefix + id)) })
	if err != nil {
		return fmt.Errorf("unregister instance: %w", err)
	}
	return nil
}
