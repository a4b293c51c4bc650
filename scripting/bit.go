package scripting

import (
	"fmt"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// bitLib is LuaBitOp 1.0.2 (the "bit" table of Redis scripts): 32-bit
// operations on numbers, results as signed 32-bit integers.
func bitLib(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, 12)
	arg := func(L *lua.LState, i int) uint32 {
		n := checkNumber(L, i, bitName(L))
		return uint32(int64(math.RoundToEven(math.Mod(float64(n), 1<<32))))
	}
	ret := func(L *lua.LState, v uint32) int {
		L.Push(lua.LNumber(int32(v)))
		return 1
	}
	fold := func(op func(a, b uint32) uint32) lua.LGFunction {
		return func(L *lua.LState) int {
			v := arg(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				v = op(v, arg(L, i))
			}
			return ret(L, v)
		}
	}
	shift := func(op func(a uint32, n uint) uint32) lua.LGFunction {
		return func(L *lua.LState) int { return ret(L, op(arg(L, 1), uint(arg(L, 2)&31))) }
	}
	fns := map[string]lua.LGFunction{
		"tobit":   func(L *lua.LState) int { return ret(L, arg(L, 1)) },
		"bnot":    func(L *lua.LState) int { return ret(L, ^arg(L, 1)) },
		"band":    fold(func(a, b uint32) uint32 { return a & b }),
		"bor":     fold(func(a, b uint32) uint32 { return a | b }),
		"bxor":    fold(func(a, b uint32) uint32 { return a ^ b }),
		"lshift":  shift(func(a uint32, n uint) uint32 { return a << n }),
		"rshift":  shift(func(a uint32, n uint) uint32 { return a >> n }),
		"arshift": shift(func(a uint32, n uint) uint32 { return uint32(int32(a) >> n) }),
		"rol":     shift(func(a uint32, n uint) uint32 { return a<<n | a>>((32-n)&31) }),
		"ror":     shift(func(a uint32, n uint) uint32 { return a>>n | a<<((32-n)&31) }),
		"bswap": func(L *lua.LState) int {
			v := arg(L, 1)
			return ret(L, v>>24|(v>>8)&0xff00|(v&0xff00)<<8|v<<24)
		},
		"tohex": func(L *lua.LState) int {
			v := arg(L, 1)
			n := int32(8)
			if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
				n = int32(arg(L, 2))
			}
			format := "%0*x"
			if n < 0 {
				n, format = -n, "%0*X"
			}
			if n > 8 {
				n = 8
			}
			s := fmt.Sprintf(format, 8, v)
			L.Push(lua.LString(s[8-n:]))
			return 1
		},
	}
	for name, f := range fns {
		t.RawSetString(name, L.NewFunction(f))
	}
	return t
}

// bitName is the name of the bit function running, for error texts.
func bitName(L *lua.LState) string {
	if dbg, ok := L.GetStack(0); ok {
		if _, err := L.GetInfo("n", dbg, lua.LNil); err == nil && dbg.Name != "" {
			return dbg.Name
		}
	}
	return "?"
}
