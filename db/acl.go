package db

import (
	"context"
	"fmt"

	"github.com/titan-kv/titan/encoding"
)

// ACL users live in system keys, shared by every titan instance over the
// store: "acl/user/<name>" holds the user's rules (acl.User.Rules), and
// "acl/version" changes with every change, so instances notice changes
// with one small read.
const (
	aclUserPrefix = "acl/user/"
	aclVersionKey = "acl/version"
)

// ACLVersion returns the version of the stored ACL users (0: never
// changed).
func (d *DB) ACLVersion(ctx context.Context) (uint64, error) {
	var v uint64
	err := d.View(ctx, 0, func(tx *Tx) error {
		b, err := tx.get(d.keys.System(aclVersionKey))
		if err != nil || b == nil {
			return err
		}
		n, err := encoding.DecodeInt64(b)
		v = uint64(n)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("acl version: %w", err)
	}
	return v, nil
}

// ACLUsers returns every stored user's rules by name, and the version
// they were read at.
func (d *DB) ACLUsers(ctx context.Context) (users map[string]string, version uint64, err error) {
	err = d.View(ctx, 0, func(tx *Tx) error {
		users, version = map[string]string{}, 0
		b, err := tx.get(d.keys.System(aclVersionKey))
		if err != nil {
			return err
		}
		if b != nil {
			n, err := encoding.DecodeInt64(b)
			if err != nil {
				return err
			}
			version = uint64(n)
		}
		prefix := d.keys.System(aclUserPrefix)
		return tx.scan(prefix, encoding.PrefixEnd(prefix), 0, func(k, v []byte) (bool, error) {
			users[string(k[len(prefix):])] = string(v)
			return true, nil
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("acl users: %w", err)
	}
	return users, version, nil
}

// ACLUpdate changes stored users in one transaction: put holds the new
// rules of users to create or replace, del the names to delete. It bumps
// the version and returns it.
func (d *DB) ACLUpdate(ctx context.Context, put map[string]string, del []string) (uint64, error) {
	var version uint64
	err := d.Update(ctx, 0, func(tx *Tx) error {
		vk := d.keys.System(aclVersionKey)
		b, err := tx.get(vk)
		if err != nil {
			return err
		}
		var n int64
		if b != nil {
			if n, err = encoding.DecodeInt64(b); err != nil {
				return err
			}
		}
		version = uint64(n + 1)
		for name, rules := range put {
			if err := tx.set(d.keys.System(aclUserPrefix+name), []byte(rules)); err != nil {
				return err
			}
		}
		for _, name := range del {
			if err := tx.del(d.keys.System(aclUserPrefix + name)); err != nil {
				return err
			}
		}
		return tx.set(vk, encoding.EncodeInt64(n+1))
	})
	if err != nil {
		return 0, fmt.Errorf("acl update: %w", err)
	}
	return version, nil
}
