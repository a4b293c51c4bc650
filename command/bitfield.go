package command

import (
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/parse"
	"github.com/titan-kv/titan/resp"
)

// bitsCommands is BITFIELD, BITFIELD_RO (this file) and LCS (lcs.go):
// string commands of their own files.
func bitsCommands() []*Command {
	return []*Command{
		cmd("bitfield", bitfield(false)),
		cmd("bitfield_ro", bitfield(true)),
		cmd("lcs", lcs),
	}
}

const errBitfieldType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."

// bitfieldType parses i1..i64 or u1..u63.
func bitfieldType(b []byte) (signed bool, bits uint64, ok bool) {
	if len(b) == 0 || (b[0] != 'i' && b[0] != 'u') {
		return false, 0, false
	}
	signed = b[0] == 'i'
	n, ok := parse.Int(b[1:])
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, uint64(n), true
}

func bitfield(readOnly bool) func(*Call) {
	return func(c *Call) {
		var ops []db.BitfieldOp
		overflow := db.OverflowWrap
		writes := false
		for j := 2; j < len(c.Args); j++ {
			rem := len(c.Args) - j - 1
			a := c.Args[j]
			var op db.BitfieldOp
			switch {
			case argIs(a, "get") && rem >= 2:
			case argIs(a, "set") && rem >= 3:
				op.Write = true
			case argIs(a, "incrby") && rem >= 3:
				op.Write, op.Incr = true, true
			case argIs(a, "overflow") && rem >= 1:
				j++
				switch w := c.Args[j]; {
				case argIs(w, "wrap"):
					overflow = db.OverflowWrap
				case argIs(w, "sat"):
					overflow = db.OverflowSat
				case argIs(w, "fail"):
					overflow = db.OverflowFail
				default:
					c.Error("ERR Invalid OVERFLOW type specified")
					return
				}
				continue
			default:
				c.Error(errSyntax)
				return
			}
			var ok bool
			if op.Signed, op.Bits, ok = bitfieldType(c.Args[j+1]); !ok {
				c.Error(errBitfieldType)
				return
			}
			off := c.Args[j+2]
			hash := len(off) > 0 && off[0] == '#'
			if hash {
				off = off[1:]
			}
			n, ok := parse.Int(off)
			if hash {
				n *= int64(op.Bits)
			}
			if !ok || n < 0 || n>>3 >= c.s.maxStringLen() {
				c.Error("ERR bit offset is not an integer or out of range")
				return
			}
			op.Offset = uint64(n)
			if op.Write {
				writes = true
				if op.Value, ok = parse.Int(c.Args[j+3]); !ok {
					c.Error(errNotInteger)
					return
				}
			}
			op.Overflow = overflow
			ops = append(ops, op)
			if op.Write {
				j += 3
			} else {
				j += 2
			}
		}
		run := func(tx *db.Tx) (resp.Reply, error) {
			res, err := tx.String(c.Args[1]).Bitfield(ops)
			if err != nil {
				return nil, err
			}
			out := make(resp.Array, len(res))
			for i, r := range res {
				if r == nil {
					out[i] = resp.Null
				} else {
					out[i] = resp.Int(*r)
				}
			}
			return out, nil
		}
		switch {
		case !writes:
			c.Read(run)
		case readOnly:
			c.Error("ERR BITFIELD_RO only supports the GET subcommand")
		default:
			c.Write(run)
		}
	}
}
