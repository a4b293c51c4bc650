package hashkit

import "github.com/titan-kv/titan/cluster"

// ClusterSlot returns the Redis Cluster hash slot of key: CRC16 (XMODEM) of
// the key, or of its {hash tag} when present, modulo 16384.
func ClusterSlot(key []byte) int { return cluster.KeySlot(key) }
