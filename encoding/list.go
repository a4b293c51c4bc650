package encoding

import "fmt"

// listValueTag prefixes every stored list element value. TiKV cannot store
// an empty value, so an element is never stored bare: the tag keeps empty
// elements non-empty and lets decoding tell them apart from a placeholder.
const listValueTag = 'v'

// EncodeListValue encodes a list element's value.
func EncodeListValue(v []byte) []byte {
	b := make([]byte, 0, 1+len(v))
	b = append(b, listValueTag)
	return append(b, v...)
}

// DecodeListValue inverts EncodeListValue. The result aliases b.
func DecodeListValue(b []byte) ([]byte, error) {
	if len(b) == 0 || b[0] != listValueTag {
		return nil, fmt.Errorf("list value %q: %w", b, ErrMalformed)
	}
	return b[1:], nil
}

// ListOffset returns the position of the element i places after pos
// when elements are ListGap apart (i may be negative); ok is false when
// the position would leave the uint64 space.
func ListOffset(pos uint64, i int64) (uint64, bool) {
	if i >= 0 {
		d := uint64(i)
		if d > (^uint64(0)-pos)/ListGap {
			return 0, false
		}
		return pos + d*ListGap, true
	}
	d := uint64(-i)
	if d > pos/ListGap {
		return 0, false
	}
	return pos - d*ListGap, true
}
