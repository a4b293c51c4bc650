package encoding

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
)

// DUMP and RESTORE payloads: one value in Redis's RDB object serialization
// (rdb.c), followed by the RDB version (2 bytes, little-endian) and a
// CRC-64 (Jones polynomial, reflected, 8 bytes little-endian) of
// everything before it.

// RDBVersion is the RDB version of Redis 7.0, which titan presents.
const RDBVersion = 10

// RDB object types.
const (
	rdbString          = 0
	rdbList            = 1
	rdbSet             = 2
	rdbZSet            = 3
	rdbHash            = 4
	rdbZSet2           = 5
	rdbListZiplist     = 10
	rdbSetIntset       = 11
	rdbZSetZiplist     = 12
	rdbHashZiplist     = 13
	rdbListQuicklist   = 14
	rdbHashListpack    = 16
	rdbZSetListpack    = 17
	rdbListQuicklist2  = 18
	rdbSetListpack     = 20 // Redis 7.2 (RDB 11)
	quicklistNodePlain = 1
)

// ErrBadDump is a payload that does not decode.
var ErrBadDump = errors.New("bad DUMP payload")

// RDBValue is a decoded value: Type says which field holds it. Hash and
// sorted set entries alternate field (member) and value; a sorted set's
// scores are in Scores.
type RDBValue struct {
	Type   Type
	Str    []byte
	Elems  [][]byte
	Scores []float64
	// Stream is a stream's entries, IDs and groups.
	Stream *RDBStream
}

// crcTables are the slicing-by-8 tables of Redis's crc64: crcTables[0]
// is the byte-wise table, crcTables[k] advances a byte through k more
// zero bytes.
var crcTables = func() *[8][256]uint64 {
	var t [8][256]uint64
	for i := range t[0] {
		crc := uint64(i)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x95AC9329AC4BC9B5
			} else {
				crc >>= 1
			}
		}
		t[0][i] = crc
	}
	for k := 1; k < 8; k++ {
		for i := range t[k] {
			t[k][i] = t[k-1][i]>>8 ^ t[0][byte(t[k-1][i])]
		}
	}
	return &t
}()

// CRC64 is Redis's crc64 (Jones polynomial, reflected, no final xor),
// eight bytes per step.
func CRC64(crc uint64, b []byte) uint64 {
	t := crcTables
	for len(b) >= 8 {
		crc ^= binary.LittleEndian.Uint64(b)
		crc = t[7][byte(crc)] ^ t[6][byte(crc>>8)] ^ t[5][byte(crc>>16)] ^ t[4][byte(crc>>24)] ^
			t[3][byte(crc>>32)] ^ t[2][byte(crc>>40)] ^ t[1][byte(crc>>48)] ^ t[0][byte(crc>>56)]
		b = b[8:]
	}
	for _, c := range b {
		crc = t[0][byte(crc)^c] ^ crc>>8
	}
	return crc
}

// VerifyDump checks a payload's footer: its RDB version is at most ours
// and its checksum matches.
func VerifyDump(p []byte) bool {
	if len(p) < 10 {
		return false
	}
	footer := p[len(p)-10:]
	if binary.LittleEndian.Uint16(footer) > RDBVersion {
		return false
	}
	return CRC64(0, p[:len(p)-8]) == binary.LittleEndian.Uint64(footer[2:])
}

// rdbReader reads an RDB object.
type rdbReader struct {
	b   []byte
	err error
}

func (r *rdbReader) fail() { r.err = ErrBadDump }

func (r *rdbReader) take(n uint64) []byte {
	if r.err != nil || n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *rdbReader) byte() byte {
	v := r.take(1)
	if v == nil {
		return 0
	}
	return v[0]
}

// length reads a length; encoded is true for the special string
// encodings (11xxxxxx), whose kind is then the length.
func (r *rdbReader) length() (n uint64, encoded bool) {
	b := r.byte()
	switch b >> 6 {
	case 0:
		return uint64(b & 0x3f), false
	case 1:
		return uint64(b&0x3f)<<8 | uint64(r.byte()), false
	case 3:
		return uint64(b & 0x3f), true
	}
	switch b {
	case 0x80:
		v := r.take(4)
		if v == nil {
			return 0, false
		}
		return uint64(binary.BigEndian.Uint32(v)), false
	case 0x81:
		v := r.take(8)
		if v == nil {
			return 0, false
		}
		return binary.BigEndian.Uint64(v), false
	}
	r.fail()
	return 0, false
}

func (r *rdbReader) count() int {
	n, enc := r.length()
	if enc || n > uint64(len(r.b)) {
		// Every element takes at least a byte.
		r.fail()
		return 0
	}
	return int(n)
}

func (r *rdbReader) str() []byte {
	n, enc := r.length()
	if r.err != nil {
		return nil
	}
	if !enc {
		return append([]byte{}, r.take(n)...)
	}
	switch n {
	case 0:
		return strconv.AppendInt(nil, int64(int8(r.byte())), 10)
	case 1:
		v := r.take(2)
		if v == nil {
			return nil
		}
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(v))), 10)
	case 2:
		v := r.take(4)
		if v == nil {
			return nil
		}
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(v))), 10)
	case 3:
		clen, e1 := r.length()
		ulen, e2 := r.length()
		// An LZF back reference (3 bytes) expands to at most 264 bytes:
		// a longer claimed length is corrupt, not worth allocating.
		if e1 || e2 || ulen > 1<<32 || ulen > 100*clen+100 {
			r.fail()
			return nil
		}
		out, err := lzfDecompress(r.take(clen), int(ulen))
		if err != nil {
			r.fail()
		}
		return out
	}
	r.fail()
	return nil
}

// lzfDecompress is liblzf's lzf_decompress; the output must be exactly n
// bytes.
func lzfDecompress(in []byte, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 {
			ctrl++
			if i+ctrl > len(in) || len(out)+ctrl > n {
				return nil, ErrBadDump
			}
			out = append(out, in[i:i+ctrl]...)
			i += ctrl
			continue
		}
		l := ctrl >> 5
		if i >= len(in) {
			return nil, ErrBadDump
		}
		if l == 7 {
			l += int(in[i])
			i++
			if i >= len(in) {
				return nil, ErrBadDump
			}
		}
		ref := len(out) - (ctrl&0x1f)<<8 - int(in[i]) - 1
		i++
		if ref < 0 || len(out)+l+2 > n {
			return nil, ErrBadDump
		}
		for k := 0; k < l+2; k++ {
			out = append(out, out[ref+k])
		}
	}
	if len(out) != n {
		return nil, ErrBadDump
	}
	return out, nil
}

// listpackEntries decodes a listpack into its entries (integers as their
// decimal text).
func listpackEntries(lp []byte) ([][]byte, error) {
	if len(lp) < 7 || int(binary.LittleEndian.Uint32(lp)) != len(lp) || lp[len(lp)-1] != 0xff {
		return nil, ErrBadDump
	}
	var out [][]byte
	p := lp[6 : len(lp)-1]
	for len(p) > 0 {
		b := p[0]
		var hdr, dlen int
		var ival int64
		isInt := true
		need := func(k int) bool { return len(p) >= k }
		switch {
		case b&0x80 == 0:
			hdr, ival = 1, int64(b&0x7f)
		case b&0xc0 == 0x80:
			hdr, dlen, isInt = 1, int(b&0x3f), false
		case b&0xe0 == 0xc0:
			if !need(2) {
				return nil, ErrBadDump
			}
			hdr = 2
			ival = int64(uint64(b&0x1f)<<8 | uint64(p[1]))
			if ival >= 1<<12 {
				ival -= 1 << 13
			}
		case b&0xf0 == 0xe0:
			if !need(2) {
				return nil, ErrBadDump
			}
			hdr, dlen, isInt = 2, int(b&0x0f)<<8|int(p[1]), false
		case b == 0xf0:
			if !need(5) {
				return nil, ErrBadDump
			}
			hdr, dlen, isInt = 5, int(binary.LittleEndian.Uint32(p[1:])), false
		case b == 0xf1 || b == 0xf2 || b == 0xf3 || b == 0xf4:
			w := map[byte]int{0xf1: 2, 0xf2: 3, 0xf3: 4, 0xf4: 8}[b]
			if !need(1 + w) {
				return nil, ErrBadDump
			}
			var u uint64
			for k := w; k >= 1; k-- {
				u = u<<8 | uint64(p[k])
			}
			shift := 64 - 8*uint(w)
			ival = int64(u<<shift) >> shift
			hdr = 1 + w
		default:
			return nil, ErrBadDump
		}
		l := hdr + dlen
		if dlen < 0 || !need(l) {
			return nil, ErrBadDump
		}
		if isInt {
			out = append(out, strconv.AppendInt(nil, ival, 10))
		} else {
			out = append(out, append([]byte{}, p[hdr:l]...))
		}
		back := lpBacklenSize(l)
		if !need(l + back) {
			return nil, ErrBadDump
		}
		p = p[l+back:]
	}
	return out, nil
}

func intsetEntries(b []byte) ([][]byte, error) {
	if len(b) < 8 {
		return nil, ErrBadDump
	}
	w := int(binary.LittleEndian.Uint32(b))
	n := int(binary.LittleEndian.Uint32(b[4:]))
	if (w != 2 && w != 4 && w != 8) || len(b) != 8+w*n {
		return nil, ErrBadDump
	}
	out := make([][]byte, n)
	for i := range out {
		p := b[8+i*w:]
		var v int64
		switch w {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(p)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(p)))
		default:
			v = int64(binary.LittleEndian.Uint64(p))
		}
		out[i] = strconv.AppendInt(nil, v, 10)
	}
	return out, nil
}

// ziplistEntries decodes a ziplist (RDB 9 and older: ziplist lists,
// hashes and sorted sets, quicklist nodes) into its entries.
func ziplistEntries(zl []byte) ([][]byte, error) {
	if len(zl) < 11 || int(binary.LittleEndian.Uint32(zl)) != len(zl) || zl[len(zl)-1] != 0xff {
		return nil, ErrBadDump
	}
	var out [][]byte
	p := zl[10 : len(zl)-1]
	for len(p) > 0 {
		// prevlen: 1 byte, or 0xfe and 4 bytes.
		if p[0] == 0xfe {
			if len(p) < 5 {
				return nil, ErrBadDump
			}
			p = p[5:]
		} else {
			p = p[1:]
		}
		if len(p) == 0 {
			return nil, ErrBadDump
		}
		b := p[0]
		var hdr, dlen, iw int
		switch {
		case b>>6 == 0:
			hdr, dlen = 1, int(b&0x3f)
		case b>>6 == 1:
			if len(p) < 2 {
				return nil, ErrBadDump
			}
			hdr, dlen = 2, int(b&0x3f)<<8|int(p[1])
		case b == 0x80:
			if len(p) < 5 {
				return nil, ErrBadDump
			}
			hdr, dlen = 5, int(binary.BigEndian.Uint32(p[1:]))
		case b == 0xc0:
			iw = 2
		case b == 0xd0:
			iw = 4
		case b == 0xe0:
			iw = 8
		case b == 0xf0:
			iw = 3
		case b == 0xfe:
			iw = 1
		case b >= 0xf1 && b <= 0xfd:
			out = append(out, strconv.AppendInt(nil, int64(b&0x0f)-1, 10))
			p = p[1:]
			continue
		default:
			return nil, ErrBadDump
		}
		if iw > 0 {
			if len(p) < 1+iw {
				return nil, ErrBadDump
			}
			var u uint64
			for k := iw; k >= 1; k-- {
				u = u<<8 | uint64(p[k])
			}
			shift := 64 - 8*uint(iw)
			out = append(out, strconv.AppendInt(nil, int64(u<<shift)>>shift, 10))
			p = p[1+iw:]
			continue
		}
		if dlen < 0 || len(p) < hdr+dlen {
			return nil, ErrBadDump
		}
		out = append(out, append([]byte{}, p[hdr:hdr+dlen]...))
		p = p[hdr+dlen:]
	}
	return out, nil
}

// parseScore reads a score stored as text (listpack entries, RDB_TYPE_ZSET).
func parseScore(b []byte) (float64, error) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, ErrBadDump
	}
	if math.IsNaN(f) {
		return 0, ErrBadDump
	}
	return f, nil
}

// DecodeDump decodes a payload VerifyDump accepted.
func DecodeDump(p []byte) (*RDBValue, error) {
	r := &rdbReader{b: p[:len(p)-10]}
	v, err := r.object()
	if err != nil || len(r.b) != 0 {
		return nil, ErrBadDump
	}
	return v, nil
}

// object reads one value: its type byte and its encoding.
func (r *rdbReader) object() (*RDBValue, error) { return r.value(r.byte()) }

// value reads the encoding of a value of RDB type t.
func (r *rdbReader) value(t byte) (*RDBValue, error) {
	v := &RDBValue{}
	switch t {
	case rdbString:
		v.Type, v.Str = TypeString, r.str()
		if v.Str == nil && r.err == nil {
			v.Str = []byte{}
		}
	case rdbList, rdbSet:
		v.Type = TypeList
		if t == rdbSet {
			v.Type = TypeSet
		}
		n := r.count()
		for i := 0; i < n && r.err == nil; i++ {
			v.Elems = append(v.Elems, r.str())
		}
	case rdbHash:
		v.Type = TypeHash
		n := r.count()
		for i := 0; i < n && r.err == nil; i++ {
			v.Elems = append(v.Elems, r.str(), r.str())
		}
	case rdbZSet, rdbZSet2:
		v.Type = TypeZSet
		n := r.count()
		for i := 0; i < n && r.err == nil; i++ {
			v.Elems = append(v.Elems, r.str())
			var f float64
			if t == rdbZSet2 {
				b := r.take(8)
				if b != nil {
					f = math.Float64frombits(binary.LittleEndian.Uint64(b))
				}
			} else {
				switch l := r.byte(); l {
				case 253:
					f = math.NaN()
				case 254:
					f = math.Inf(1)
				case 255:
					f = math.Inf(-1)
				default:
					var err error
					if f, err = parseScore(r.take(uint64(l))); err != nil {
						r.fail()
					}
				}
			}
			if math.IsNaN(f) {
				r.fail()
			}
			v.Scores = append(v.Scores, f)
		}
	case rdbSetIntset:
		v.Type = TypeSet
		if b := r.str(); r.err == nil {
			v.Elems, r.err = intsetEntries(b)
		}
	case rdbSetListpack:
		v.Type = TypeSet
		if b := r.str(); r.err == nil {
			v.Elems, r.err = listpackEntries(b)
		}
	case rdbListZiplist:
		v.Type = TypeList
		if b := r.str(); r.err == nil {
			v.Elems, r.err = ziplistEntries(b)
		}
	case rdbHashListpack, rdbZSetListpack, rdbHashZiplist, rdbZSetZiplist:
		b := r.str()
		if r.err != nil {
			break
		}
		decode := listpackEntries
		if t == rdbHashZiplist || t == rdbZSetZiplist {
			decode = ziplistEntries
		}
		es, err := decode(b)
		if err != nil || len(es)%2 != 0 || len(es) == 0 {
			return nil, ErrBadDump
		}
		if t == rdbHashListpack || t == rdbHashZiplist {
			v.Type, v.Elems = TypeHash, es
			break
		}
		v.Type = TypeZSet
		for i := 0; i < len(es); i += 2 {
			f, err := parseScore(es[i+1])
			if err != nil {
				return nil, err
			}
			v.Elems = append(v.Elems, es[i])
			v.Scores = append(v.Scores, f)
		}
	case rdbListQuicklist:
		v.Type = TypeList
		n := r.count()
		for i := 0; i < n && r.err == nil; i++ {
			b := r.str()
			if r.err != nil {
				break
			}
			es, err := ziplistEntries(b)
			if err != nil || len(es) == 0 {
				return nil, ErrBadDump
			}
			v.Elems = append(v.Elems, es...)
		}
	case rdbListQuicklist2:
		v.Type = TypeList
		n := r.count()
		for i := 0; i < n && r.err == nil; i++ {
			container, _ := r.length()
			b := r.str()
			if r.err != nil {
				break
			}
			if container == quicklistNodePlain {
				v.Elems = append(v.Elems, b)
				continue
			}
			es, err := listpackEntries(b)
			if err != nil || len(es) == 0 {
				return nil, ErrBadDump
			}
			v.Elems = append(v.Elems, es...)
		}
	case rdbStreamListpacks, rdbStreamListpacks2, rdbStreamListpacks3:
		v.Type, v.Stream = TypeStream, r.readStream(t)
	default:
		// Zipmaps (RDB 3 and older) and modules are not read.
		return nil, ErrBadDump
	}
	if r.err != nil {
		return nil, ErrBadDump
	}
	if v.Type != TypeString && v.Type != TypeStream && len(v.Elems) == 0 {
		return nil, ErrBadDump
	}
	return v, nil
}

// rdbWriter writes an RDB object.
type rdbWriter struct{ b []byte }

func (w *rdbWriter) length(n uint64) {
	switch {
	case n < 1<<6:
		w.b = append(w.b, byte(n))
	case n < 1<<14:
		w.b = append(w.b, byte(n>>8)|0x40, byte(n))
	case n <= math.MaxUint32:
		w.b = binary.BigEndian.AppendUint32(append(w.b, 0x80), uint32(n))
	default:
		w.b = binary.BigEndian.AppendUint64(append(w.b, 0x81), n)
	}
}

// str writes a string, as an integer when it is one Redis would encode
// so (rdbTryIntegerEncoding), else raw (titan does not compress).
func (w *rdbWriter) str(s []byte) {
	if len(s) <= 11 && len(s) > 0 {
		if n, err := strconv.ParseInt(string(s), 10, 64); err == nil && strconv.FormatInt(n, 10) == string(s) {
			switch {
			case n >= math.MinInt8 && n <= math.MaxInt8:
				w.b = append(w.b, 0xc0, byte(int8(n)))
				return
			case n >= math.MinInt16 && n <= math.MaxInt16:
				w.b = binary.LittleEndian.AppendUint16(append(w.b, 0xc1), uint16(int16(n)))
				return
			case n >= math.MinInt32 && n <= math.MaxInt32:
				w.b = binary.LittleEndian.AppendUint32(append(w.b, 0xc2), uint32(int32(n)))
				return
			}
		}
	}
	w.length(uint64(len(s)))
	w.b = append(w.b, s...)
}

// EncodeDump writes a value as a DUMP payload in the plain encodings
// every Redis version reads (string, list, set, ZSET_2, hash) and
// streams as Redis 7.0 writes them (STREAM_LISTPACKS_2), with the footer.
func EncodeDump(v *RDBValue) []byte {
	w := &rdbWriter{}
	switch v.Type {
	case TypeString:
		w.b = append(w.b, rdbString)
		w.str(v.Str)
	case TypeList, TypeSet:
		t := byte(rdbList)
		if v.Type == TypeSet {
			t = rdbSet
		}
		w.b = append(w.b, t)
		w.length(uint64(len(v.Elems)))
		for _, e := range v.Elems {
			w.str(e)
		}
	case TypeHash:
		w.b = append(w.b, rdbHash)
		w.length(uint64(len(v.Elems) / 2))
		for _, e := range v.Elems {
			w.str(e)
		}
	case TypeZSet:
		w.b = append(w.b, rdbZSet2)
		w.length(uint64(len(v.Elems)))
		for i, e := range v.Elems {
			w.str(e)
			w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(v.Scores[i]))
		}
	case TypeStream:
		w.writeStream(v.Stream)
	}
	w.b = binary.LittleEndian.AppendUint16(w.b, RDBVersion)
	return binary.LittleEndian.AppendUint64(w.b, CRC64(0, w.b))
}
