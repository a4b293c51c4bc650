package scripting

import (
	"math"
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// rand48 is Redis's redisLrand48 (48-bit linear congruential generator,
// as drand48), the source of math.random in scripts. Like Redis 7, its
// state is shared by every script of the server and only math.randomseed
// sets it, so a script that seeds it gets Redis's exact sequence.
type rand48 struct {
	mu sync.Mutex
	x  uint64
}

const (
	rand48A    = 0x5DEECE66D
	rand48C    = 0xB
	rand48Mask = 1<<48 - 1
	rand48Max  = math.MaxInt32 // REDIS_LRAND48_MAX
)

func newRand48() *rand48 {
	r := &rand48{}
	r.seed(0)
	return r
}

func (r *rand48) seed(s int32) {
	r.mu.Lock()
	r.x = uint64(uint32(s))<<16 | 0x330E
	r.mu.Unlock()
}

func (r *rand48) next() int32 {
	r.mu.Lock()
	r.x = (rand48A*r.x + rand48C) & rand48Mask
	v := int32(r.x >> 17)
	r.mu.Unlock()
	return v
}

// random is Redis's redis_math_random.
func (r *rand48) random(L *lua.LState) int {
	f := float64(r.next()%rand48Max) / float64(rand48Max)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(f))
	case 1:
		u := int(checkNumber(L, 1, "random"))
		if u < 1 {
			argError(L, 1, "random", "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(f*float64(u)) + 1))
	case 2:
		l, u := int(checkNumber(L, 1, "random")), int(checkNumber(L, 2, "random"))
		if l > u {
			argError(L, 2, "random", "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(f*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

func (r *rand48) randomseed(L *lua.LState) int {
	r.seed(int32(checkNumber(L, 1, "randomseed")))
	return 0
}
