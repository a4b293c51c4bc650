package command

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// digest is Redis's DEBUG DIGEST accumulator (debug.c): 20 bytes mixed
// with SHA1 so that the same dataset gives the same digest on titan and
// on redis-server.
type digest [20]byte

// xor adds b order-independently.
func (d *digest) xor(b []byte) {
	h := sha1.Sum(b)
	for i := range d {
		d[i] ^= h[i]
	}
}

// mix adds b order-dependently.
func (d *digest) mix(b []byte) {
	d.xor(b)
	*d = sha1.Sum(d[:])
}

// redisObjType is Redis's OBJ_* number of a type, which the digest mixes in.
func redisObjType(t encoding.Type) uint32 {
	switch t {
	case encoding.TypeList:
		return 1
	case encoding.TypeSet:
		return 2
	case encoding.TypeZSet:
		return 3
	case encoding.TypeHash:
		return 4
	}
	return 0 // string
}

// valueDigest is Redis's xorObjectDigest of a value into d: its type,
// its elements (in order for lists, unordered for sets, hashes and sorted
// sets), and whether it has an expiry.
func valueDigest(d *digest, v *encoding.RDBValue, expires bool) {
	var aux [4]byte
	binary.BigEndian.PutUint32(aux[:], redisObjType(v.Type))
	d.mix(aux[:])
	switch v.Type {
	case encoding.TypeString:
		d.mix(v.Str)
	case encoding.TypeList:
		for _, e := range v.Elems {
			d.mix(e)
		}
	case encoding.TypeSet:
		for _, e := range v.Elems {
			d.xor(e)
		}
	case encoding.TypeZSet:
		for i, e := range v.Elems {
			var ed digest
			ed.mix(e)
			ed.mix([]byte(parse.FormatScore(v.Scores[i])))
			d.xor(ed[:])
		}
	case encoding.TypeHash:
		for i := 0; i+1 < len(v.Elems); i += 2 {
			var ed digest
			ed.mix(v.Elems[i])
			ed.mix(v.Elems[i+1])
			d.xor(ed[:])
		}
	}
	if expires {
		d.xor([]byte("!!expire!!"))
	}
}

// keyDigest adds key's value digest to d; a missing key adds nothing.
func keyDigest(tx *db.Tx, d *digest, key []byte) error {
	v, err := tx.Key(key).Dump()
	if err != nil || v == nil {
		return err
	}
	at, err := tx.Key(key).ExpireTime()
	if err != nil {
		return err
	}
	valueDigest(d, v, at >= 0)
	return nil
}

// debugDigest is DEBUG DIGEST: the digest of every database, read in one
// snapshot. Like Redis's, it reads the whole dataset.
func debugDigest(c *Call) {
	dbs := c.s.cfg.Databases
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		own := tx.Logical()
		defer func() { _ = tx.Select(own) }()
		var final digest
		for i := 0; i < dbs; i++ {
			if err := tx.Select(uint16(i)); err != nil {
				return nil, err
			}
			keys, err := tx.Keyspace().Keys([]byte("*"))
			if err != nil {
				return nil, err
			}
			if len(keys) == 0 {
				continue
			}
			var aux [4]byte
			binary.BigEndian.PutUint32(aux[:], uint32(i))
			final.mix(aux[:])
			for _, k := range keys {
				var kd digest
				kd.mix(k)
				if err := keyDigest(tx, &kd, k); err != nil {
					return nil, err
				}
				final.xor(kd[:])
			}
		}
		return resp.Status(hex.EncodeToString(final[:])), nil
	})
}

// debugDigestValue is DEBUG DIGEST-VALUE: each key's value digest, zeros
// for a missing key.
func debugDigestValue(c *Call) {
	keys := c.Args[2:]
	c.Read(func(tx *db.Tx) (resp.Reply, error) {
		out := make(resp.Array, len(keys))
		for i, k := range keys {
			var d digest
			if err := keyDigest(tx, &d, k); err != nil {
				return nil, err
			}
			out[i] = resp.Status(hex.EncodeToString(d[:]))
		}
		return out, nil
	})
}
