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

// clientIDBlocks is the system key counting the blocks of client IDs
// handed out: an instance takes one at start, so CLIENT IDs are unique
// across the instances of a store and a client can name another
// instance's client (CLIENT TRACKING ... REDIRECT).
const clientIDBlocks = "client-id-blocks"

// ClientIDBlock hands out the next block of client IDs: the instance's IDs
// are block<<32 + 1, + 2, ...; the first block of a store is 0.
func (d *DB) ClientIDBlock(ctx context.Context) (int64, error) {
	key := d.keys.System(clientIDBlocks)
	var block int64
	err := d.Update(ctx, 0, func(tx *Tx) error {
		v, err := tx.get(key)
		if err != nil {
			return err
		}
		block = 0
		if v != nil {
			if block, err = encoding.DecodeInt64(v); err != nil {
				return err
			}
		}
		return tx.set(key, encoding.EncodeInt64(block+1))
	})
	if err != nil {
		return 0, fmt.Errorf("client id block: %w", err)
	}
	return block, nil
}
