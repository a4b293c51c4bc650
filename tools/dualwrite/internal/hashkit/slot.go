package hashkit

// ClusterSlot returns the Redis Cluster hash slot of key: CRC16 (XMODEM) of
// the key, or of its {hash tag} when present, modulo 16384.
func ClusterSlot(key []byte) int {
	return int(crc16(HashTagKey(key, "{}")) & 16383)
}

func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for i := 0; i < 8; i++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
