package encoding

import (
	"encoding/binary"
	"errors"
)

// FUNCTION DUMP's payload is Redis's: for each library the RDB opcode
// FUNCTION2 (245) and its code as an RDB string, then the footer of every
// DUMP payload (RDB version, CRC64). titan writes the code uncompressed
// (Redis compresses long strings with LZF); it reads both.

const rdbOpcodeFunction2 = 245

// Errors of DecodeFunctions besides ErrBadDump (a wrong footer).
var (
	// ErrNotFunction: the payload holds something else than libraries.
	ErrNotFunction = errors.New("not a function payload")
	// ErrBadLibrary: a library's code cannot be read.
	ErrBadLibrary = errors.New("bad library in function payload")
)

// EncodeFunctions encodes the codes of libraries as FUNCTION DUMP does.
func EncodeFunctions(codes []string) []byte {
	w := &rdbWriter{}
	for _, c := range codes {
		w.b = append(w.b, rdbOpcodeFunction2)
		w.length(uint64(len(c)))
		w.b = append(w.b, c...)
	}
	w.b = binary.LittleEndian.AppendUint16(w.b, RDBVersion)
	return binary.LittleEndian.AppendUint64(w.b, CRC64(0, w.b))
}

// DecodeFunctions decodes a FUNCTION DUMP payload into library codes.
func DecodeFunctions(p []byte) ([]string, error) {
	if !VerifyDump(p) {
		return nil, ErrBadDump
	}
	r := &rdbReader{b: p[:len(p)-10]}
	var codes []string
	for len(r.b) > 0 {
		if r.byte() != rdbOpcodeFunction2 {
			return nil, ErrNotFunction
		}
		code := r.str()
		if r.err != nil {
			return nil, ErrBadLibrary
		}
		codes = append(codes, string(code))
	}
	return codes, nil
}
