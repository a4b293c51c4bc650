package encoding

import (
	"bytes"
	"fmt"
)

// The instance registry's entry of one titan instance (system key
// ns:S instance/<id>):
//
//	<lease end: unix ms, int64> <bus address> [0x00 <info>]
//
// Info is what the instance publishes to the others besides its bus
// address (the address cluster clients reach it at, in cluster mode). An
// entry without info is written exactly as before info existed, so
// instances that publish none stay readable by older ones.

// EncodeInstance returns the registry entry of an instance whose lease
// ends at until, whose bus listens at addr and which publishes info.
func EncodeInstance(until int64, addr, info string) []byte {
	b := append(EncodeInt64(until), addr...)
	if info != "" {
		b = append(append(b, 0), info...)
	}
	return b
}

// DecodeInstance inverts EncodeInstance.
func DecodeInstance(v []byte) (until int64, addr, info string, err error) {
	if len(v) < 8 {
		return 0, "", "", fmt.Errorf("instance entry of %d bytes: %w", len(v), ErrMalformed)
	}
	until, _ = DecodeInt64(v[:8])
	rest := v[8:]
	if i := bytes.IndexByte(rest, 0); i >= 0 {
		return until, string(rest[:i]), string(rest[i+1:]), nil
	}
	return until, string(rest), "", nil
}
