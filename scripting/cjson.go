package scripting

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// cjsonLib is the subset of lua-cjson 2.1 Redis scripts use: encode,
// decode and null, with lua-cjson's defaults (14 significant digits,
// sparse arrays up to a ratio of 2 beyond 10 elements, depth 1000).
func (st *state) cjsonLib() *lua.LTable {
	L := st.L
	t := L.CreateTable(0, 6)
	null := L.NewUserData()
	t.RawSetString("null", null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	t.RawSetString("encode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.RaiseError("bad argument #1 to 'encode' (expected 1 argument)")
		}
		var b strings.Builder
		if msg := jsonEncode(&b, L.Get(1), null, 0, st.rt.limits.MaxStringLen); msg != "" {
			L.RaiseError("%s", msg)
		}
		L.Push(lua.LString(b.String()))
		return 1
	}))
	t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		d := &jsonDecoder{L: L, s: s, null: null}
		d.skip()
		v, err := d.value(0)
		if err == "" {
			d.skip()
			if d.i < len(d.s) {
				err = d.expected("the end")
			}
		}
		if err != "" {
			L.RaiseError("%s", err)
		}
		L.Push(v)
		return 1
	}))
	return t
}

func jsonEncode(b *strings.Builder, v lua.LValue, null lua.LValue, depth, maxLen int) string {
	if b.Len() > maxLen {
		return "Cannot serialise: string length overflow"
	}
	switch v := v.(type) {
	case lua.LString:
		jsonString(b, string(v))
	case lua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return "Cannot serialise number: must not be NaN or Inf"
		}
		b.WriteString(luaNumberString(v))
	case lua.LBool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case *lua.LNilType:
		b.WriteString("null")
	case *lua.LTable:
		depth++
		if depth > 1000 {
			return fmt.Sprintf("Cannot serialise, excessive nesting (%d)", depth)
		}
		n, isArray := jsonArrayLen(v)
		if n < 0 {
			return "Cannot serialise table: excessively sparse array"
		}
		if isArray && n > 0 {
			b.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					b.WriteByte(',')
				}
				if msg := jsonEncode(b, v.RawGetInt(i), null, depth, maxLen); msg != "" {
					return msg
				}
			}
			b.WriteByte(']')
			return ""
		}
		b.WriteByte('{')
		first := true
		var msg string
		v.ForEach(func(k, val lua.LValue) {
			if msg != "" {
				return
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			switch k := k.(type) {
			case lua.LString:
				jsonString(b, string(k))
			case lua.LNumber:
				jsonString(b, luaNumberString(k))
			default:
				msg = "Cannot serialise " + k.Type().String() + ": table key must be a number or string"
				return
			}
			b.WriteByte(':')
			msg = jsonEncode(b, val, null, depth, maxLen)
		})
		if msg != "" {
			return msg
		}
		b.WriteByte('}')
	default:
		if v == null {
			b.WriteString("null")
			return ""
		}
		return "Cannot serialise " + v.Type().String() + ": type not supported"
	}
	return ""
}

// jsonArrayLen is lua-cjson's lua_array_length: the array length of a
// table whose keys are all positive integers, -1 for an excessively
// sparse one, isArray false for any other table.
func jsonArrayLen(t *lua.LTable) (n int, isArray bool) {
	items, max := 0, 0
	isArray = true
	t.ForEach(func(k, _ lua.LValue) {
		num, ok := k.(lua.LNumber)
		if !ok || float64(num) != math.Floor(float64(num)) || num < 1 {
			isArray = false
			return
		}
		items++
		if int(num) > max {
			max = int(num)
		}
	})
	if !isArray {
		return 0, false
	}
	if max > 10 && max > items*2 {
		return -1, true
	}
	return max, true
}

func jsonString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// jsonDecoder is lua-cjson's decoder, with its error texts.
type jsonDecoder struct {
	L    *lua.LState
	s    string
	i    int
	null lua.LValue
}

func (d *jsonDecoder) skip() {
	for d.i < len(d.s) && strings.IndexByte(" \t\r\n", d.s[d.i]) >= 0 {
		d.i++
	}
}

// token names the token at the cursor as lua-cjson does.
func (d *jsonDecoder) token() string {
	if d.i >= len(d.s) {
		return "T_END"
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return "T_OBJ_BEGIN"
	case c == '}':
		return "T_OBJ_END"
	case c == '[':
		return "T_ARR_BEGIN"
	case c == ']':
		return "T_ARR_END"
	case c == ',':
		return "T_COMMA"
	case c == ':':
		return "T_COLON"
	case c == '"':
		return "T_STRING"
	case c == '-' || (c >= '0' && c <= '9'):
		return "T_NUMBER"
	case strings.HasPrefix(d.s[d.i:], "true"), strings.HasPrefix(d.s[d.i:], "false"):
		return "T_BOOLEAN"
	case strings.HasPrefix(d.s[d.i:], "null"):
		return "T_NULL"
	}
	return "invalid token"
}

func (d *jsonDecoder) expected(what string) string {
	return fmt.Sprintf("Expected %s but found %s at character %d", what, d.token(), d.i+1)
}

func (d *jsonDecoder) value(depth int) (lua.LValue, string) {
	if d.i >= len(d.s) {
		return nil, d.expected("value")
	}
	switch c := d.s[d.i]; {
	case c == '{' || c == '[':
		depth++
		if depth > 1000 {
			return nil, fmt.Sprintf("Found too many nested data structures (%d) at character %d", depth, d.i+1)
		}
		if c == '{' {
			return d.object(depth)
		}
		return d.array(depth)
	case c == '"':
		s, err := d.str()
		return lua.LString(s), err
	case c == '-' || (c >= '0' && c <= '9'):
		j := d.i
		for j < len(d.s) && strings.IndexByte("+-0123456789.eE", d.s[j]) >= 0 {
			j++
		}
		f, err := strconv.ParseFloat(d.s[d.i:j], 64)
		if err != nil && !strings.Contains(err.Error(), "range") {
			return nil, d.expected("value")
		}
		d.i = j
		return lua.LNumber(f), ""
	case strings.HasPrefix(d.s[d.i:], "true"):
		d.i += 4
		return lua.LTrue, ""
	case strings.HasPrefix(d.s[d.i:], "false"):
		d.i += 5
		return lua.LFalse, ""
	case strings.HasPrefix(d.s[d.i:], "null"):
		d.i += 4
		return d.null, ""
	}
	return nil, d.expected("value")
}

func (d *jsonDecoder) object(depth int) (lua.LValue, string) {
	t := d.L.CreateTable(0, 4)
	d.i++
	d.skip()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return t, ""
	}
	for {
		d.skip()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, d.expected("object key string")
		}
		k, err := d.str()
		if err != "" {
			return nil, err
		}
		d.skip()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, d.expected("colon")
		}
		d.i++
		d.skip()
		v, err := d.value(depth)
		if err != "" {
			return nil, err
		}
		t.RawSetString(k, v)
		d.skip()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			return t, ""
		}
		if d.i >= len(d.s) || d.s[d.i] != ',' {
			return nil, d.expected("comma or object end")
		}
		d.i++
	}
}

func (d *jsonDecoder) array(depth int) (lua.LValue, string) {
	t := d.L.CreateTable(4, 0)
	d.i++
	d.skip()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return t, ""
	}
	for n := 1; ; n++ {
		d.skip()
		v, err := d.value(depth)
		if err != "" {
			return nil, err
		}
		t.RawSetInt(n, v)
		d.skip()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			return t, ""
		}
		if d.i >= len(d.s) || d.s[d.i] != ',' {
			return nil, d.expected("comma or array end")
		}
		d.i++
	}
}

func (d *jsonDecoder) str() (string, string) {
	start := d.i
	d.i++
	var b strings.Builder
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return b.String(), ""
		case c == '\\':
			if d.i+1 >= len(d.s) {
				d.i = start
				return "", d.expected("value")
			}
			e := d.s[d.i+1]
			d.i += 2
			switch e {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					d.i = start
					return "", d.expected("value")
				}
				if utf16.IsSurrogate(r) {
					if d.i+1 < len(d.s) && d.s[d.i] == '\\' && d.s[d.i+1] == 'u' {
						d.i += 2
						r2, ok := d.hex4()
						if !ok {
							d.i = start
							return "", d.expected("value")
						}
						r = utf16.DecodeRune(r, r2)
					}
				}
				var buf [4]byte
				b.Write(buf[:utf8.EncodeRune(buf[:], r)])
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
			d.i++
		}
	}
	d.i = start
	return "", d.expected("value")
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}
