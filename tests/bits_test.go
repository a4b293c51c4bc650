package tests

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestBitfieldLCSDifferential compares BITFIELD, BITFIELD_RO and LCS with
// redis-server: every type width, signed and unsigned limits, overflow
// modes, # offsets, errors; LCS with every option.
func TestBitfieldLCSDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	t.Run("bitfield", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			"bitfield bf", "exists bf", "bitfield bf get u8 0", "exists bf",
			"bitfield bf set u8 0 255", "get bf", "bitfield bf get u8 0 get i8 0 get u4 4 get i4 4 get u1 7",
			"bitfield bf set i8 8 -1 get u16 0 get i16 0", "get bf",
			"bitfield bf incrby u2 100 1 overflow sat incrby u2 102 1", "get bf",
			"bitfield bf incrby u8 #3 300", "bitfield bf get u8 #3", "get bf",
			"bitfield bf set i64 0 -9223372036854775808 get i64 0 get u63 0 get u63 1",
			"bitfield bf incrby i64 0 -1", "bitfield bf overflow sat incrby i64 0 -1", "bitfield bf overflow fail incrby i64 0 -1",
			"bitfield bf set i64 0 9223372036854775807 incrby i64 0 1", "bitfield bf overflow sat set i64 0 9223372036854775807 incrby i64 0 1",
			"bitfield bf overflow fail incrby i64 0 1 get i64 0",
			"bitfield bf set u63 3 9223372036854775807 get u63 3", "bitfield bf overflow sat incrby u63 3 5", "bitfield bf overflow fail incrby u63 3 5",
			"bitfield bf overflow wrap incrby u63 3 5 incrby u63 3 -100",
			"bitfield bf overflow sat set u8 0 300 get u8 0 set u8 0 -1 get u8 0 set i8 0 200 get i8 0 set i8 0 -200 get i8 0",
			"bitfield bf overflow fail set u8 0 300 get u8 0 set i8 0 -200 incrby i8 0 127 incrby i8 0 -300",
			"bitfield bf overflow wrap set u8 0 300 get u8 0 set i8 0 -200 get i8 0 incrby i4 0 7 incrby i4 0 -20",
			"bitfield bf overflow sat incrby u4 0 -20 incrby i4 0 -20 incrby i4 0 30",
			"bitfield new overflow fail set u8 100 999", "get new", "strlen new",
			"bitfield bf get i65 0", "bitfield bf get u64 0", "bitfield bf get i0 0", "bitfield bf get U8 0",
			"bitfield bf get x8 0", "bitfield bf get i 0", "bitfield bf get u8 -1", "bitfield bf get u8 abc",
			"bitfield bf get u8 #-1", "bitfield bf get u8 ##1", "bitfield bf get u8 4294967296",
			"bitfield bf set u8 0 abc", "bitfield bf set u8 0", "bitfield bf get u8", "bitfield bf foo",
			"bitfield bf overflow foo get u8 0", "bitfield bf overflow", "bitfield bf get u8 0 overflow sat",
			"bitfield bf GET u8 0 SET u8 0 1 INCRBY u8 0 1 OVERFLOW FAIL",
			"bitfield_ro bf get u8 0 get i16 #1", "bitfield_ro bf set u8 0 1", "bitfield_ro bf incrby u8 0 1",
			"bitfield_ro bf overflow sat get u8 0", "bitfield_ro nokey get u8 0", "bitfield_ro bf",
			"lpush l a", "bitfield l get u8 0", "bitfield l set u8 0 1", "bitfield_ro l get u8 0",
			"set str hello", "bitfield str get u8 0 get u32 #0 get i7 3 get u8 100", "bitfield str set u8 #10 65", "get str",
			"set n 12345", "bitfield n get u8 0 set u8 0 50", "get n", "object encoding n",
			"set tl v ex 100", "bitfield tl set u8 0 1", "~1 ttl tl",
		)
		r := rand.New(rand.NewPCG(3, 4))
		var lines []string
		for i := 0; i < 400; i++ {
			sign := "u"
			bits := 1 + r.IntN(63)
			if r.IntN(2) == 0 {
				sign = "i"
				bits = 1 + r.IntN(64)
			}
			ty := fmt.Sprintf("%s%d", sign, bits)
			off := r.IntN(200)
			val := r.Int64() >> r.IntN(64)
			if r.IntN(2) == 0 {
				val = -val
			}
			ow := []string{"wrap", "sat", "fail"}[r.IntN(3)]
			op := []string{"get", "set", "incrby"}[r.IntN(3)]
			line := fmt.Sprintf("bitfield rnd overflow %s %s %s %d", ow, op, ty, off)
			if op != "get" {
				line += fmt.Sprintf(" %d", val)
			}
			lines = append(lines, line)
			if i%20 == 0 {
				lines = append(lines, "get rnd")
			}
		}
		d.run(lines...)
		d.run("get rnd")
	})
	t.Run("lcs", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			"mset key1 ohmytext key2 mynewtext",
			"lcs key1 key2", "lcs key1 key2 len", "lcs key1 key2 idx", "lcs key1 key2 idx minmatchlen 4",
			"lcs key1 key2 idx minmatchlen 4 withmatchlen", "lcs key1 key2 withmatchlen idx", "lcs key1 key2 idx minmatchlen -5",
			"lcs key1 key2 len idx", "lcs key1 key2 idx len", "lcs key1 key2 foo", "lcs key1 key2 minmatchlen",
			"lcs key1 key2 minmatchlen abc", "lcs key1 key2 LEN LEN", "lcs key1 key2 withmatchlen",
			"lcs key1 nokey", "lcs nokey nokey2", "lcs nokey nokey2 idx", "lcs nokey nokey2 len", "lcs key1 key1 idx withmatchlen",
			"lpush l a", "lcs key1 l", "lcs l key1", "lcs l key1 foo", "lcs key1 l len idx",
			"set n1 12345", "set n2 2345", "lcs n1 n2 idx withmatchlen",
			`set b1 "\x00\x01\x02abc\xff"`, `set b2 "\x01\x02x\xffabc"`, "lcs b1 b2", "lcs b1 b2 idx withmatchlen",
		)
		r := rand.New(rand.NewPCG(5, 6))
		for i := 0; i < 30; i++ {
			a := make([]byte, r.IntN(60))
			b := make([]byte, r.IntN(60))
			for k := range a {
				a[k] = "ACGT"[r.IntN(4)]
			}
			for k := range b {
				b[k] = "ACGT"[r.IntN(4)]
			}
			d.run(fmt.Sprintf("mset ra %q rb %q", a, b), "lcs ra rb", "lcs ra rb len",
				"lcs ra rb idx withmatchlen", "lcs ra rb idx minmatchlen 3")
		}
	})
}
