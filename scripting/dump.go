package scripting

import (
	"encoding/binary"
	"errors"
)

// FUNCTION DUMP's payload is Redis's: for each library the RDB opcode
// FUNCTION2 (245) and its code as an RDB string, then the RDB version
// (10, Redis 7.0) and a CRC64 (Jones) of everything before it, both
// little-endian. titan writes the code uncompressed (Redis compresses
// long strings with LZF); it reads both.

const (
	rdbOpcodeFunction2 = 245
	rdbVersion         = 10
)

// errBadPayload is FUNCTION RESTORE's answer to a payload it cannot read.
var errBadPayload = errors.New("ERR DUMP payload version or checksum are wrong")

// DumpLibraries encodes the codes of libraries as FUNCTION DUMP does.
func DumpLibraries(codes []string) []byte {
	var b []byte
	for _, c := range codes {
		b = append(b, rdbOpcodeFunction2)
		b = appendRDBLen(b, uint64(len(c)))
		b = append(b, c...)
	}
	b = binary.LittleEndian.AppendUint16(b, rdbVersion)
	return binary.LittleEndian.AppendUint64(b, crc64(0, b))
}

// RestoreLibraries decodes a FUNCTION DUMP payload into library codes.
func RestoreLibraries(p []byte) ([]string, error) {
	if len(p) < 10 {
		return nil, errBadPayload
	}
	body := p[:len(p)-10]
	if binary.LittleEndian.Uint16(p[len(p)-10:]) > rdbVersion ||
		binary.LittleEndian.Uint64(p[len(p)-8:]) != crc64(0, p[:len(p)-8]) {
		return nil, errBadPayload
	}
	var codes []string
	for len(body) > 0 {
		if body[0] != rdbOpcodeFunction2 {
			return nil, errors.New("ERR given type is not a function")
		}
		s, rest, ok := readRDBString(body[1:])
		if !ok {
			return nil, errors.New("ERR Failed loading library payload")
		}
		codes = append(codes, string(s))
		body = rest
	}
	return codes, nil
}

func appendRDBLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// readRDBLen reads a length; enc reports the special encodings (0xC0...).
func readRDBLen(b []byte) (n uint64, enc bool, rest []byte, ok bool) {
	if len(b) == 0 {
		return 0, false, nil, false
	}
	switch b[0] >> 6 {
	case 0:
		return uint64(b[0] & 0x3f), false, b[1:], true
	case 1:
		if len(b) < 2 {
			return 0, false, nil, false
		}
		return uint64(b[0]&0x3f)<<8 | uint64(b[1]), false, b[2:], true
	case 2:
		switch {
		case b[0] == 0x80 && len(b) >= 5:
			return uint64(binary.BigEndian.Uint32(b[1:])), false, b[5:], true
		case b[0] == 0x81 && len(b) >= 9:
			return binary.BigEndian.Uint64(b[1:]), false, b[9:], true
		}
		return 0, false, nil, false
	}
	return uint64(b[0] & 0x3f), true, b[1:], true
}

func readRDBString(b []byte) ([]byte, []byte, bool) {
	n, enc, b, ok := readRDBLen(b)
	if !ok {
		return nil, nil, false
	}
	if !enc {
		if uint64(len(b)) < n {
			return nil, nil, false
		}
		return b[:n], b[n:], true
	}
	if n != 3 { // only LZF strings hold library code
		return nil, nil, false
	}
	clen, _, b, ok := readRDBLen(b)
	if !ok {
		return nil, nil, false
	}
	ulen, _, b, ok := readRDBLen(b)
	if !ok || uint64(len(b)) < clen || ulen > 512<<20 {
		return nil, nil, false
	}
	out, ok := lzfDecompress(b[:clen], int(ulen))
	return out, b[clen:], ok
}

// lzfDecompress is liblzf's lzf_decompress.
func lzfDecompress(in []byte, n int) ([]byte, bool) {
	out := make([]byte, 0, n)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 {
			ctrl++
			if i+ctrl > len(in) || len(out)+ctrl > n {
				return nil, false
			}
			out = append(out, in[i:i+ctrl]...)
			i += ctrl
			continue
		}
		l := ctrl >> 5
		if l == 7 {
			if i >= len(in) {
				return nil, false
			}
			l += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, false
		}
		ref := len(out) - (ctrl&0x1f)<<8 - 1 - int(in[i])
		i++
		if ref < 0 || len(out)+l+2 > n {
			return nil, false
		}
		for j := 0; j < l+2; j++ {
			out = append(out, out[ref+j])
		}
	}
	return out, len(out) == n
}

// crc64 is Redis's CRC-64/Jones (reflected, no final xor).
func crc64(crc uint64, b []byte) uint64 {
	const poly = 0x95ac9329ac4bc9b5 // 0xad93d23594c935a9 reflected
	for _, c := range b {
		crc ^= uint64(c)
		for k := 0; k < 8; k++ {
			if crc&1 != 0 {
				crc = crc>>1 ^ poly
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}
