package scripting

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// cmsgpackLib is lua-cmsgpack 0.4.0 as Redis bundles it: pack, unpack,
// unpack_one and unpack_limit, with its encoding choices (smallest
// integer form, float32 when exact, tables with keys 1..n as arrays,
// nesting beyond 16 levels packed as nil).
func (st *state) cmsgpackLib() *lua.LTable {
	L := st.L
	t := L.CreateTable(0, 8)
	t.RawSetString("_NAME", lua.LString("lua-cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	t.RawSetString("pack", L.NewFunction(func(L *lua.LState) int {
		n := L.GetTop()
		if n == 0 {
			argError(L, 0, "pack", "MessagePack pack needs input.")
		}
		var b []byte
		for i := 1; i <= n; i++ {
			b = mpEncode(b, L.Get(i), 0)
			if len(b) > st.rt.limits.MaxStringLen {
				L.RaiseError("string length overflow")
			}
		}
		L.Push(lua.LString(b))
		return 1
	}))
	unpack := func(L *lua.LState, s string, limit, offset int, withOffset bool) int {
		if offset < 0 || offset > len(s) {
			argError(L, 3, "unpack", "Start offset is greater than input length.")
		}
		d := &mpDecoder{L: L, s: s, i: offset}
		var vals []lua.LValue
		for d.i < len(d.s) && (limit == 0 || len(vals) < limit) {
			vals = append(vals, d.decode())
		}
		if withOffset {
			next := d.i
			if next == len(s) {
				next = -1
			}
			L.Push(lua.LNumber(next))
		}
		for _, v := range vals {
			L.Push(v)
		}
		if withOffset {
			return len(vals) + 1
		}
		return len(vals)
	}
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int {
		return unpack(L, checkString(L, 1, "unpack"), 0, 0, false)
	}))
	t.RawSetString("unpack_one", L.NewFunction(func(L *lua.LState) int {
		return unpack(L, checkString(L, 1, "unpack"), 1, L.OptInt(2, 0), true)
	}))
	t.RawSetString("unpack_limit", L.NewFunction(func(L *lua.LState) int {
		return unpack(L, checkString(L, 1, "unpack"), int(checkNumber(L, 2, "unpack_limit")), L.OptInt(3, 0), true)
	}))
	return t
}

func mpEncode(b []byte, v lua.LValue, level int) []byte {
	switch v := v.(type) {
	case lua.LString:
		n := len(v)
		switch {
		case n < 32:
			b = append(b, 0xa0|byte(n))
		case n <= 0xff:
			b = append(b, 0xd9, byte(n))
		case n <= 0xffff:
			b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
		default:
			b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
		}
		return append(b, v...)
	case lua.LBool:
		if v {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(v)
		if !math.IsInf(f, 0) && f >= -9223372036854775808.0 && f < 9223372036854775808.0 && float64(int64(f)) == f {
			return mpInt(b, int64(f))
		}
		if float64(float32(f)) == f {
			return binary.BigEndian.AppendUint32(append(b, 0xca), math.Float32bits(float32(f)))
		}
		return binary.BigEndian.AppendUint64(append(b, 0xcb), math.Float64bits(f))
	case *lua.LTable:
		if level == 16 {
			return append(b, 0xc0)
		}
		count, max := 0, 0
		array := true
		v.ForEach(func(k, _ lua.LValue) {
			n, ok := k.(lua.LNumber)
			if !ok || float64(n) != math.Trunc(float64(n)) || n < 1 {
				array = false
				return
			}
			count++
			if int(n) > max {
				max = int(n)
			}
		})
		if array && count == max {
			b = mpHeader(b, 0x90, 0xdc, 0xdd, count)
			for i := 1; i <= count; i++ {
				b = mpEncode(b, v.RawGetInt(i), level+1)
			}
			return b
		}
		n := 0
		v.ForEach(func(_, _ lua.LValue) { n++ })
		b = mpHeader(b, 0x80, 0xde, 0xdf, n)
		v.ForEach(func(k, val lua.LValue) {
			b = mpEncode(b, k, level+1)
			b = mpEncode(b, val, level+1)
		})
		return b
	}
	return append(b, 0xc0)
}

func mpHeader(b []byte, fix, b16, b32 byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, fix|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, b16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, b32), uint32(n))
}

func mpInt(b []byte, n int64) []byte {
	if n >= 0 {
		switch {
		case n <= 127:
			return append(b, byte(n))
		case n <= 0xff:
			return append(b, 0xcc, byte(n))
		case n <= 0xffff:
			return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
		case n <= 0xffffffff:
			return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
		}
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
	}
	switch {
	case n >= -32:
		return append(b, byte(int8(n)))
	case n >= -128:
		return append(b, 0xd0, byte(int8(n)))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(int16(n)))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(int32(n)))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
}

// mpDecoder decodes MessagePack into Lua values; bad input raises
// lua-cmsgpack's errors.
type mpDecoder struct {
	L     *lua.LState
	s     string
	i     int
	depth int
}

func (d *mpDecoder) need(n int) string {
	if n < 0 || d.i+n > len(d.s) {
		d.L.RaiseError("Missing bytes in input.")
	}
	s := d.s[d.i : d.i+n]
	d.i += n
	return s
}

func (d *mpDecoder) uint(n int) uint64 {
	s := d.need(n)
	var v uint64
	for i := 0; i < n; i++ {
		v = v<<8 | uint64(s[i])
	}
	return v
}

func (d *mpDecoder) decode() lua.LValue {
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > 1000 {
		d.L.RaiseError("Bad data format in input.")
	}
	c := d.need(1)[0]
	switch {
	case c <= 0x7f:
		return lua.LNumber(c)
	case c >= 0xe0:
		return lua.LNumber(int8(c))
	case c&0xe0 == 0xa0:
		return lua.LString(d.need(int(c & 0x1f)))
	case c&0xf0 == 0x90:
		return d.array(int(c & 0x0f))
	case c&0xf0 == 0x80:
		return d.table(int(c & 0x0f))
	}
	switch c {
	case 0xc0:
		return lua.LNil
	case 0xc2:
		return lua.LFalse
	case 0xc3:
		return lua.LTrue
	case 0xca:
		return lua.LNumber(math.Float32frombits(uint32(d.uint(4))))
	case 0xcb:
		return lua.LNumber(math.Float64frombits(d.uint(8)))
	case 0xcc:
		return lua.LNumber(d.uint(1))
	case 0xcd:
		return lua.LNumber(d.uint(2))
	case 0xce:
		return lua.LNumber(d.uint(4))
	case 0xcf:
		return lua.LNumber(d.uint(8))
	case 0xd0:
		return lua.LNumber(int8(d.uint(1)))
	case 0xd1:
		return lua.LNumber(int16(d.uint(2)))
	case 0xd2:
		return lua.LNumber(int32(d.uint(4)))
	case 0xd3:
		return lua.LNumber(int64(d.uint(8)))
	case 0xc4, 0xd9:
		return lua.LString(d.need(int(d.uint(1))))
	case 0xc5, 0xda:
		return lua.LString(d.need(int(d.uint(2))))
	case 0xc6, 0xdb:
		return lua.LString(d.need(int(d.uint(4))))
	case 0xdc:
		return d.array(int(d.uint(2)))
	case 0xdd:
		return d.array(int(d.uint(4)))
	case 0xde:
		return d.table(int(d.uint(2)))
	case 0xdf:
		return d.table(int(d.uint(4)))
	}
	d.L.RaiseError("Bad data format in input.")
	return nil
}

func (d *mpDecoder) array(n int) lua.LValue {
	if n > len(d.s)-d.i {
		d.L.RaiseError("Missing bytes in input.")
	}
	t := d.L.CreateTable(n, 0)
	for i := 1; i <= n; i++ {
		t.RawSetInt(i, d.decode())
	}
	return t
}

func (d *mpDecoder) table(n int) lua.LValue {
	if 2*n > len(d.s)-d.i {
		d.L.RaiseError("Missing bytes in input.")
	}
	t := d.L.CreateTable(0, n)
	for i := 0; i < n; i++ {
		k := d.decode()
		v := d.decode()
		if k != lua.LNil {
			t.RawSet(k, v)
		}
	}
	return t
}
