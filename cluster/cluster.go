// Package cluster is what titan presents to Redis Cluster clients: the
// hash slot of a key, computed exactly as Redis does (CRC16 of the key or
// of its {hash tag}), and the division of the 16384 slots among the live
// titan instances that run in cluster mode.
//
// Every titan instance serves every key, so the division only spreads
// client load: each instance gets one contiguous range, in the order of
// the instances' node ids, so that every instance that sees the same
// members answers the same map. A node id is the SHA-1 of the address the
// instance announces, so an instance restarted at the same address keeps
// its id and its slots. The package is pure: no I/O, no clocks.
package cluster

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"net"
	"slices"
	"strconv"
	"strings"
)

// Slots is the number of hash slots of a Redis Cluster.
const Slots = 16384

// KeySlot returns the hash slot of key as Redis computes it
// (keyHashSlot): CRC16 (XMODEM) of the bytes between the first '{' and
// the first '}' after it when there are any, of the whole key otherwise,
// modulo 16384.
func KeySlot(key []byte) int {
	if s := bytes.IndexByte(key, '{'); s >= 0 {
		if e := bytes.IndexByte(key[s+1:], '}'); e > 0 {
			key = key[s+1 : s+1+e]
		}
	}
	return int(crc16(key) & (Slots - 1))
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), Redis's
// crc16.c.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// Node is one titan instance as cluster clients see it: a master serving
// one range of slots.
type Node struct {
	// ID is the node id: 40 hex characters, the SHA-1 of Addr.
	ID string
	// Addr is the address the instance announces, host:port.
	Addr string
	// IP and Port are Addr's parts.
	IP   string
	Port int
	// Start and End are the first and last slot the node serves.
	Start, End int
	// Epoch is the node's config epoch: its place in the map, from 1.
	Epoch int
	// Myself marks the instance answering.
	Myself bool
}

// NodeID returns the node id of the instance announced at addr.
func NodeID(addr string) string { return digest("node ", addr) }

// ShardID returns the shard id of the instance announced at addr (each
// instance is a shard of its own), for CLUSTER MYSHARDID.
func ShardID(addr string) string { return digest("shard ", addr) }

func digest(kind, addr string) string {
	h := sha1.Sum([]byte("titan cluster " + kind + addr))
	return hex.EncodeToString(h[:])
}

// Map divides the slots among the instances announced at addrs (in any
// order; duplicates count once) and self, the address of the instance
// answering, which is always part of the map. The nodes come in slot
// order, which is node id order; node i of n serves the slots from
// i*16384/n to (i+1)*16384/n-1. Addresses that are not host:port with a
// numeric port are left out.
func Map(self string, addrs []string) []Node {
	seen := map[string]bool{}
	var nodes []Node
	for _, a := range append([]string{self}, addrs...) {
		if seen[a] {
			continue
		}
		seen[a] = true
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			continue
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			continue
		}
		nodes = append(nodes, Node{ID: NodeID(a), Addr: a, IP: host, Port: p, Myself: a == self})
	}
	slices.SortFunc(nodes, func(a, b Node) int { return strings.Compare(a.ID, b.ID) })
	n := len(nodes)
	for i := range nodes {
		nodes[i].Start = i * Slots / n
		nodes[i].End = (i+1)*Slots/n - 1
		nodes[i].Epoch = i + 1
	}
	return nodes
}
