package scripting

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tidwall/redcon"
	lua "github.com/yuin/gopher-lua"

	"github.com/titan-kv/titan/resp"
)

var errBadReply = errors.New("malformed reply")

// toLua converts one RESP reply (RESP2 or RESP3) at the start of b into a
// Lua value as Redis 7's redisProtocolToLuaType does, and returns the
// rest of b. isErr reports an error reply: v is then the table {err=...}.
func toLua(L *lua.LState, b []byte) (v lua.LValue, isErr bool, rest []byte, err error) {
	if len(b) < 3 {
		return nil, false, nil, errBadReply
	}
	i := bytes.Index(b, []byte("\r\n"))
	if i < 0 {
		return nil, false, nil, errBadReply
	}
	line, rest := b[1:i], b[i+2:]
	count := func() (int, error) { return strconv.Atoi(string(line)) }
	switch b[0] {
	case '+':
		t := L.CreateTable(0, 1)
		t.RawSetString("ok", lua.LString(line))
		return t, false, rest, nil
	case '-':
		return errorTable(L, "-"+string(line)), true, rest, nil
	case ':':
		n, err := strconv.ParseInt(string(line), 10, 64)
		return lua.LNumber(n), false, rest, err
	case '$', '=':
		n, err := count()
		if err != nil {
			return nil, false, nil, err
		}
		if n < 0 {
			return lua.LFalse, false, rest, nil
		}
		if len(rest) < n+2 {
			return nil, false, nil, errBadReply
		}
		s := rest[:n]
		if b[0] == '=' {
			t := L.CreateTable(0, 1)
			vt := L.CreateTable(0, 2)
			if len(s) >= 4 {
				vt.RawSetString("format", lua.LString(s[:3]))
				s = s[4:]
			}
			vt.RawSetString("string", lua.LString(s))
			t.RawSetString("verbatim_string", vt)
			return t, false, rest[n+2:], nil
		}
		return lua.LString(s), false, rest[n+2:], nil
	case '*', '~', '%', '>':
		n, err := count()
		if err != nil {
			return nil, false, nil, err
		}
		if n < 0 {
			return lua.LFalse, false, rest, nil
		}
		var t *lua.LTable
		switch b[0] {
		case '%':
			t = L.CreateTable(0, n)
		case '~':
			t = L.CreateTable(0, n)
		default:
			t = L.CreateTable(n, 0)
		}
		for j := 0; j < n; j++ {
			var e lua.LValue
			e, _, rest, err = toLua(L, rest)
			if err != nil {
				return nil, false, nil, err
			}
			switch b[0] {
			case '%':
				var val lua.LValue
				val, _, rest, err = toLua(L, rest)
				if err != nil {
					return nil, false, nil, err
				}
				t.RawSet(e, val)
			case '~':
				t.RawSet(e, lua.LTrue)
			default:
				t.RawSetInt(j+1, e)
			}
		}
		switch b[0] {
		case '%':
			return wrap(L, "map", t), false, rest, nil
		case '~':
			return wrap(L, "set", t), false, rest, nil
		}
		return t, false, rest, nil
	case '_':
		return lua.LNil, false, rest, nil
	case '#':
		return lua.LBool(string(line) == "t"), false, rest, nil
	case ',':
		f, err := strconv.ParseFloat(string(line), 64)
		if err != nil {
			return nil, false, nil, err
		}
		return wrap(L, "double", lua.LNumber(f)), false, rest, nil
	case '(':
		return wrap(L, "big_number", lua.LString(line)), false, rest, nil
	}
	return nil, false, nil, fmt.Errorf("%w: type %q", errBadReply, b[0])
}

func wrap(L *lua.LState, field string, v lua.LValue) *lua.LTable {
	t := L.CreateTable(0, 1)
	t.RawSetString(field, v)
	return t
}

// errorTable is Redis's luaPushErrorBuff: the table {err="CODE msg"} a
// failed command gives a script. msg is "-CODE msg" (a reply error) or a
// plain message, which gets the ERR code.
func errorTable(L *lua.LState, msg string) *lua.LTable {
	text := "ERR " + msg
	if rest, ok := strings.CutPrefix(msg, "-"); ok {
		if code, m, ok := strings.Cut(rest, " "); ok {
			text = code + " " + m
		} else {
			text = "ERR " + rest
		}
	}
	return wrap(L, "err", lua.LString(strings.TrimRight(text, "\r\n")))
}

// errorReply is an error reply as Redis's addReplyErrorLength writes it:
// a text starting with "-" is sent as it is, any other gets "-ERR ".
type errorReply string

// Append implements resp.Reply.
func (e errorReply) Append(b []byte, _ resp.Proto) []byte {
	if len(e) == 0 || e[0] != '-' {
		b = append(b, "-ERR "...)
	}
	b = append(b, strings.NewReplacer("\r", " ", "\n", " ").Replace(string(e))...)
	return append(b, '\r', '\n')
}

// bigNumber is a RESP3 big number (a bulk string in RESP2).
type bigNumber string

// Append implements resp.Reply.
func (v bigNumber) Append(b []byte, p resp.Proto) []byte {
	if p == resp.RESP2 {
		return redcon.AppendBulkString(b, string(v))
	}
	return append(append(append(b, '('), v...), '\r', '\n')
}

// luaNumberToInt truncates a Lua number as C's (long long) cast does on
// x86-64: out of range and NaN become the smallest integer.
func luaNumberToInt(n lua.LNumber) int64 {
	f := float64(n)
	if math.IsNaN(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(f)
}

// fromLua converts a script's result into a reply, as Redis 7's
// luaReplyToRedisReply does; sp is the script's protocol (redis.setresp),
// which decides how booleans are sent. depth bounds nesting (Redis raises
// an error past its C stack; titan answers an error).
func fromLua(v lua.LValue, sp resp.Proto, depth int) resp.Reply {
	if depth > 1000 {
		return errorReply("ERR reached lua stack limit")
	}
	switch v := v.(type) {
	case lua.LString:
		return resp.Bulk(v)
	case lua.LBool:
		switch {
		case sp != resp.RESP2:
			return resp.Boolean(v)
		case bool(v):
			return resp.Int(1)
		}
		return resp.Null
	case lua.LNumber:
		return resp.Int(luaNumberToInt(v))
	case *lua.LTable:
		if e, ok := v.RawGetString("err").(lua.LString); ok {
			return errorReply("-" + string(e))
		}
		if s, ok := v.RawGetString("ok").(lua.LString); ok {
			return resp.Status(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(s)))
		}
		if d, ok := v.RawGetString("double").(lua.LNumber); ok {
			return resp.Double(d)
		}
		if s, ok := v.RawGetString("big_number").(lua.LString); ok {
			return bigNumber(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(s)))
		}
		if m, ok := v.RawGetString("map").(*lua.LTable); ok {
			var out resp.Map
			m.ForEach(func(k, val lua.LValue) {
				out = append(out, fromLua(k, sp, depth+1), fromLua(val, sp, depth+1))
			})
			if out == nil {
				out = resp.Map{}
			}
			return out
		}
		if s, ok := v.RawGetString("set").(*lua.LTable); ok {
			out := resp.Set{}
			s.ForEach(func(k, _ lua.LValue) { out = append(out, fromLua(k, sp, depth+1)) })
			return out
		}
		out := resp.Array{}
		for i := 1; ; i++ {
			e := v.RawGetInt(i)
			if e == lua.LNil {
				break
			}
			out = append(out, fromLua(e, sp, depth+1))
		}
		return out
	}
	return resp.Null
}

// IsError reports whether r is an error reply made by a script.
func IsError(r resp.Reply) bool {
	_, ok := r.(errorReply)
	return ok
}
