package scripting

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// structLib is Roberto Ierusalimschy's struct library as Redis bundles
// it: pack, unpack and size over the formats <, >, =, !n, b, B, h, H, l,
// L, T, i[n], I[n], c[n], s, f, d, x and spaces, on x86-64 sizes.
func (st *state) structLib() *lua.LTable {
	L := st.L
	t := L.CreateTable(0, 3)
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(structSize))
	return t
}

type structFormat struct {
	L      *lua.LState
	f      string
	i      int
	little bool
	align  int
	fname  string
}

func newStructFormat(L *lua.LState, fname string) *structFormat {
	return &structFormat{L: L, f: checkString(L, 1, fname), little: true, align: 1, fname: fname}
}

func (s *structFormat) num(def int) int {
	if s.i >= len(s.f) || s.f[s.i] < '0' || s.f[s.i] > '9' {
		return def
	}
	a := 0
	for s.i < len(s.f) && s.f[s.i] >= '0' && s.f[s.i] <= '9' {
		if a > (math.MaxInt32-int(s.f[s.i]-'0'))/10 {
			s.L.RaiseError("integral size overflow")
		}
		a = a*10 + int(s.f[s.i]-'0')
		s.i++
	}
	return a
}

// size is optsize: the size of option opt (reading its number).
func (s *structFormat) size(opt byte) int {
	switch opt {
	case 'b', 'B', 'x':
		return 1
	case 'h', 'H':
		return 2
	case 'l', 'L', 'T', 'd':
		return 8
	case 'f':
		return 4
	case 'c':
		return s.num(1)
	case 'i', 'I':
		n := s.num(4)
		if n > 32 {
			s.L.RaiseError("integral size %d is larger than limit of 32", n)
		}
		return n
	}
	return 0
}

func (s *structFormat) toAlign(length, size int, opt byte) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > s.align {
		size = s.align
	}
	return (size - (length & (size - 1))) & (size - 1)
}

// control handles the options that are not data.
func (s *structFormat) control(opt byte) {
	switch opt {
	case ' ':
	case '>':
		s.little = false
	case '<', '=':
		s.little = true
	case '!':
		a := s.num(8)
		if a&(a-1) != 0 || a == 0 {
			s.L.RaiseError("alignment %d is not a power of 2", a)
		}
		s.align = a
	default:
		argError(s.L, 1, s.fname, fmt.Sprintf("invalid format option '%c'", opt))
	}
}

func (s *structFormat) putUint(b []byte, v uint64, size int, signed bool) []byte {
	buf := make([]byte, size)
	for i := 0; i < size; i++ {
		var byteV byte
		if i < 8 {
			byteV = byte(v >> (8 * i))
		} else if signed && int64(v) < 0 {
			byteV = 0xff
		}
		if s.little {
			buf[i] = byteV
		} else {
			buf[size-1-i] = byteV
		}
	}
	return append(b, buf...)
}

func structPack(L *lua.LState) int {
	s := newStructFormat(L, "pack")
	arg := 2
	var b []byte
	for s.i < len(s.f) {
		opt := s.f[s.i]
		s.i++
		size := s.size(opt)
		for n := s.toAlign(len(b), size, opt); n > 0; n-- {
			b = append(b, 0)
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			n := float64(checkNumber(L, arg, "pack"))
			arg++
			var v uint64
			if n < 0 {
				v = uint64(int64(n))
			} else {
				v = uint64(n)
			}
			b = s.putUint(b, v, size, n < 0)
		case 'x':
			b = append(b, 0)
		case 'f':
			v := math.Float32bits(float32(checkNumber(L, arg, "pack")))
			arg++
			if s.little {
				b = binary.LittleEndian.AppendUint32(b, v)
			} else {
				b = binary.BigEndian.AppendUint32(b, v)
			}
		case 'd':
			v := math.Float64bits(float64(checkNumber(L, arg, "pack")))
			arg++
			if s.little {
				b = binary.LittleEndian.AppendUint64(b, v)
			} else {
				b = binary.BigEndian.AppendUint64(b, v)
			}
		case 'c', 's':
			str := checkString(L, arg, "pack")
			arg++
			if size == 0 || opt == 's' {
				size = len(str)
			}
			if len(str) < size {
				argError(L, arg-1, "pack", "string too short")
			}
			b = append(b, str[:size]...)
			if opt == 's' {
				b = append(b, 0)
			}
		default:
			s.control(opt)
		}
	}
	L.Push(lua.LString(b))
	return 1
}

func (s *structFormat) getInt(data string, size int, signed bool) float64 {
	var v uint64
	for i := 0; i < size && i < 8; i++ {
		var c byte
		if s.little {
			c = data[i]
		} else {
			c = data[size-1-i]
		}
		v |= uint64(c) << (8 * i)
	}
	if !signed {
		return float64(v)
	}
	if size < 8 {
		mask := ^uint64(0) << (size*8 - 1)
		if v&mask != 0 {
			v |= mask
		}
	}
	return float64(int64(v))
}

func structUnpack(L *lua.LState) int {
	s := newStructFormat(L, "unpack")
	data := checkString(L, 2, "unpack")
	pos := L.OptInt(3, 1) - 1
	if pos < 0 || pos > len(data) {
		argError(L, 3, "unpack", "offset must be 1 or greater")
	}
	var out []lua.LValue
	for s.i < len(s.f) {
		opt := s.f[s.i]
		s.i++
		size := s.size(opt)
		pos += s.toAlign(pos, size, opt)
		if size > len(data)-pos {
			argError(L, 2, "unpack", "data string too short")
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			out = append(out, lua.LNumber(s.getInt(data[pos:pos+size], size, opt >= 'a')))
		case 'x':
		case 'f':
			var v uint32
			if s.little {
				v = binary.LittleEndian.Uint32([]byte(data[pos:]))
			} else {
				v = binary.BigEndian.Uint32([]byte(data[pos:]))
			}
			out = append(out, lua.LNumber(math.Float32frombits(v)))
		case 'd':
			var v uint64
			if s.little {
				v = binary.LittleEndian.Uint64([]byte(data[pos:]))
			} else {
				v = binary.BigEndian.Uint64([]byte(data[pos:]))
			}
			out = append(out, lua.LNumber(math.Float64frombits(v)))
		case 'c':
			if size == 0 {
				n := len(out)
				prev, ok := lua.LNil, false
				if n > 0 {
					_, ok = out[n-1].(lua.LNumber)
					prev = out[n-1]
				}
				if !ok {
					L.RaiseError("format 'c0' needs a previous size")
				}
				size = int(prev.(lua.LNumber))
				out = out[:n-1]
				if size < 0 || size > len(data)-pos {
					argError(L, 2, "unpack", "data string too short")
				}
			}
			out = append(out, lua.LString(data[pos:pos+size]))
		case 's':
			e := strings.IndexByte(data[pos:], 0)
			if e < 0 {
				L.RaiseError("unfinished string in data")
			}
			size = e + 1
			out = append(out, lua.LString(data[pos:pos+e]))
		default:
			s.control(opt)
		}
		pos += size
	}
	for _, v := range out {
		L.Push(v)
	}
	L.Push(lua.LNumber(pos + 1))
	return len(out) + 1
}

func structSize(L *lua.LState) int {
	s := newStructFormat(L, "size")
	pos := 0
	for s.i < len(s.f) {
		opt := s.f[s.i]
		s.i++
		size := s.size(opt)
		pos += s.toAlign(pos, size, opt)
		if opt == 's' || (opt == 'c' && size == 0) {
			argError(L, 1, "size", "options 'c0' - 's' have undefined sizes")
		}
		if size == 0 {
			s.control(opt)
		}
		pos += size
	}
	L.Push(lua.LNumber(pos))
	return 1
}
