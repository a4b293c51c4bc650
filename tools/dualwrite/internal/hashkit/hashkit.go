// Package hashkit reproduces twemproxy's (nutcracker's) key distribution so
// that dualwrite places every key on the same shard a twemproxy configured
// with the same hash, distribution and hash tag would.
//
// The algorithms follow nc_hashkit.c, nc_ketama.c, nc_modula.c, nc_crc32.c,
// nc_fnv.c and nc_md5.c. Servers are identified by the name twemproxy uses
// for an unnamed server entry "host:port:1", which is "host:port".
package hashkit

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"hash/crc32"
	"math"
	"sort"
)

// HashFunc hashes a key to 32 bits the way the named twemproxy hash does.
type HashFunc func(key []byte) uint32

// Hash returns the twemproxy hash function with the given name. Supported:
// fnv1a_64, crc32, crc32a, md5.
func Hash(name string) (HashFunc, error) {
	switch name {
	case "fnv1a_64":
		return FNV1a64, nil
	case "crc32":
		return CRC32, nil
	case "crc32a":
		return CRC32a, nil
	case "md5":
		return MD5, nil
	default:
		return nil, fmt.Errorf("unsupported hash %q (want fnv1a_64, crc32, crc32a or md5)", name)
	}
}

// FNV1a64 is twemproxy's hash_fnv1a_64, which despite its name computes on
// 32 bits (the 64-bit offset basis and prime truncated) and sign-extends
// each key byte, as the C code reads it through a plain (signed) char.
func FNV1a64(key []byte) uint32 {
	const (
		init32  = 0xcbf29ce484222325 & 0xffffffff // FNV_64_INIT truncated
		prime32 = 0x100000001b3 & 0xffffffff      // FNV_64_PRIME truncated
	)
	h := uint32(init32)
	for _, b := range key {
		h ^= uint32(int32(int8(b)))
		h *= prime32
	}
	return h
}

// CRC32 is twemproxy's hash_crc32: the IEEE CRC-32 reduced to 15 bits
// (libmemcached compatible).
func CRC32(key []byte) uint32 {
	return (crc32.ChecksumIEEE(key) >> 16) & 0x7fff
}

// CRC32a is twemproxy's hash_crc32a: the full IEEE CRC-32.
func CRC32a(key []byte) uint32 { return crc32.ChecksumIEEE(key) }

// MD5 is twemproxy's hash_md5: the first four digest bytes, little endian.
func MD5(key []byte) uint32 {
	d := md5.Sum(key)
	return uint32(d[3])<<24 | uint32(d[2])<<16 | uint32(d[1])<<8 | uint32(d[0])
}

// HashTagKey returns the part of key twemproxy hashes when hash_tag is tag
// (two characters, e.g. "{}"): the bytes between the first tag[0] and the
// next tag[1], if that span is non-empty; otherwise the whole key.
func HashTagKey(key []byte, tag string) []byte {
	if len(tag) != 2 {
		return key
	}
	start := bytes.IndexByte(key, tag[0])
	if start < 0 {
		return key
	}
	end := bytes.IndexByte(key[start+1:], tag[1])
	if end <= 0 {
		return key
	}
	return key[start+1 : start+1+end]
}

// Distributor maps a key to the index of the server that owns it.
type Distributor interface {
	Server(key []byte) int
}

// Config describes a twemproxy server pool.
type Config struct {
	Servers      []string // "host:port", in configuration order
	Hash         string   // fnv1a_64, crc32, crc32a, md5
	Distribution string   // ketama or modula
	HashTag      string   // "" or two characters such as "{}"
}

// New returns the distributor twemproxy would use for cfg.
func New(cfg Config) (Distributor, error) {
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("no servers")
	}
	if cfg.HashTag != "" && len(cfg.HashTag) != 2 {
		return nil, fmt.Errorf("hash tag %q must be two characters", cfg.HashTag)
	}
	h, err := Hash(cfg.Hash)
	if err != nil {
		return nil, err
	}
	base := pool{hash: h, tag: cfg.HashTag, n: len(cfg.Servers)}
	switch cfg.Distribution {
	case "ketama":
		return &ketama{pool: base, points: ketamaContinuum(cfg.Servers)}, nil
	case "modula":
		return &modula{pool: base, order: nameOrder(cfg.Servers)}, nil
	default:
		return nil, fmt.Errorf("unsupported distribution %q (want ketama or modula)", cfg.Distribution)
	}
}

type pool struct {
	hash HashFunc
	tag  string
	n    int
}

// keyHash mirrors server_pool_hash: a single server or an empty key hash to 0.
func (p *pool) keyHash(key []byte) uint32 {
	if p.n == 1 {
		return 0
	}
	key = HashTagKey(key, p.tag)
	if len(key) == 0 {
		return 0
	}
	return p.hash(key)
}

type modula struct {
	pool
	order []int // continuum position -> configuration index
}

// Server implements Distributor: hash modulo the number of servers (every
// server has weight 1, so the continuum has one point per server).
func (m *modula) Server(key []byte) int { return m.order[m.keyHash(key)%uint32(m.n)] }

// nameOrder returns configuration indexes in the order twemproxy keeps its
// servers: conf_validate_server sorts the pool's servers in place by name
// (string_compare: shorter names first, then bytewise) to reject duplicates,
// and the continuum is built from that sorted array. This matters for
// modula, whose continuum position is the server's position.
func nameOrder(servers []string) []int {
	order := make([]int, len(servers))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		sa, sb := servers[order[a]], servers[order[b]]
		if len(sa) != len(sb) {
			return len(sa) < len(sb)
		}
		return sa < sb
	})
	return order
}

type point struct {
	value uint32
	index int
}

type ketama struct {
	pool
	points []point
}

// ketamaContinuum builds the continuum of nc_ketama.c's ketama_update for
// servers of weight 1: each server gets
// floorf(percent*160/4*nlive + 1e-10)*4 points, taken four per md5 digest of
// "name-N".
func ketamaContinuum(servers []string) []point {
	n := len(servers)
	var pts []point
	for i, name := range servers {
		percent := float32(1) / float32(n)
		f := percent * 160 / 4 * float32(n)
		perServer := int(float32(math.Floor(float64(float32(float64(f)+0.0000000001))))) * 4
		for idx := 0; idx < perServer/4; idx++ {
			d := md5.Sum(fmt.Appendf(nil, "%s-%d", name, idx))
			for x := 0; x < 4; x++ {
				v := uint32(d[3+x*4])<<24 | uint32(d[2+x*4])<<16 | uint32(d[1+x*4])<<8 | uint32(d[x*4])
				pts = append(pts, point{value: v, index: i})
			}
		}
	}
	sort.SliceStable(pts, func(a, b int) bool { return pts[a].value < pts[b].value })
	return pts
}

// Server implements Distributor: the first continuum point at or after the
// key's hash, wrapping around (ketama_dispatch).
func (k *ketama) Server(key []byte) int {
	h := k.keyHash(key)
	i := sort.Search(len(k.points), func(i int) bool { return k.points[i].value >= h })
	if i == len(k.points) {
		i = 0
	}
	return k.points[i].index
}
