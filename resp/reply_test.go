package resp

import (
	"errors"
	"math"
	"testing"
)

func TestReplyEncoding(t *testing.T) {
	for _, c := range []struct {
		name string
		r    Reply
		want string
	}{
		{"int", Int(-42), ":-42\r\n"},
		{"bool true", Bool(true), ":1\r\n"},
		{"bool false", Bool(false), ":0\r\n"},
		{"bulk", Bulk("a\r\nb"), "$4\r\na\r\nb\r\n"},
		{"empty bulk", Bulk([]byte{}), "$0\r\n\r\n"},
		{"null bulk", Bulk(nil), "$-1\r\n"},
		{"null", Null, "$-1\r\n"},
		{"bulk string", BulkString("x"), "$1\r\nx\r\n"},
		{"status", Status("PONG"), "+PONG\r\n"},
		{"ok", OK, "+OK\r\n"},
		{"bulks", Bulks{[]byte("a"), nil, {}}, "*3\r\n$1\r\na\r\n$-1\r\n$0\r\n\r\n"},
		{"no bulks", Bulks{}, "*0\r\n"},
		{"strings", Strings{"a", "bc"}, "*2\r\n$1\r\na\r\n$2\r\nbc\r\n"},
		{"ints", Ints{1, -2}, "*2\r\n:1\r\n:-2\r\n"},
		{"array", Array{Int(1), nil, Bulks{[]byte("x")}}, "*3\r\n:1\r\n$-1\r\n*1\r\n$1\r\nx\r\n"},
		{"null array", NullArray, "*-1\r\n"},
		{"map", Map{BulkString("k"), Int(1)}, "*2\r\n$1\r\nk\r\n:1\r\n"},
		{"lines", Lines{"HELP", "  more"}, "*2\r\n+HELP\r\n+  more\r\n"},
	} {
		if got := string(c.r.Append([]byte("pre"), RESP2)); got != "pre"+c.want {
			t.Errorf("%s: %q, want %q", c.name, got, "pre"+c.want)
		}
	}
}

func TestOf(t *testing.T) {
	boom := errors.New("boom")
	if r, err := IntOf(3, nil); err != nil || string(r.Append(nil, RESP2)) != ":3\r\n" {
		t.Errorf("IntOf(3, nil) = %v, %v", r, err)
	}
	for name, f := range map[string]func() (Reply, error){
		"Of":      func() (Reply, error) { return Of(OK, boom) },
		"IntOf":   func() (Reply, error) { return IntOf(1, boom) },
		"BulkOf":  func() (Reply, error) { return BulkOf([]byte("x"), boom) },
		"BoolOf":  func() (Reply, error) { return BoolOf(true, boom) },
		"BulksOf": func() (Reply, error) { return BulksOf(nil, boom) },
	} {
		if r, err := f(); r != nil || err != boom {
			t.Errorf("%s with an error = %v, %v; want no reply and the error", name, r, err)
		}
	}
}

func TestReplyEncodingRESP3(t *testing.T) {
	for _, c := range []struct {
		name         string
		r            Reply
		want2, want3 string
	}{
		{"null", Null, "$-1\r\n", "_\r\n"},
		{"null array", NullArray, "*-1\r\n", "_\r\n"},
		{"bulks with null", Bulks{nil}, "*1\r\n$-1\r\n", "*1\r\n_\r\n"},
		{"map", Map{BulkString("k"), Int(1)}, "*2\r\n$1\r\nk\r\n:1\r\n", "%1\r\n$1\r\nk\r\n:1\r\n"},
		{"set", Set{Int(1)}, "*1\r\n:1\r\n", "~1\r\n:1\r\n"},
		{"bulk set", BulkSet{[]byte("a")}, "*1\r\n$1\r\na\r\n", "~1\r\n$1\r\na\r\n"},
		{"push", Push{BulkString("message")}, "*1\r\n$7\r\nmessage\r\n", ">1\r\n$7\r\nmessage\r\n"},
		{"double", Double(1.5), "$3\r\n1.5\r\n", ",1.5\r\n"},
		{"double inf", Double(math.Inf(-1)), "$4\r\n-inf\r\n", ",-inf\r\n"},
		{"verbatim", Verbatim("a\r\nb"), "$4\r\na\r\nb\r\n", "=8\r\ntxt:a\r\nb\r\n"},
		{"boolean", Boolean(true), ":1\r\n", "#t\r\n"},
		{"map header", mapHeader(2), "*4\r\n", "%2\r\n"},
	} {
		if got := string(c.r.Append(nil, RESP2)); got != c.want2 {
			t.Errorf("%s RESP2: %q, want %q", c.name, got, c.want2)
		}
		if got := string(c.r.Append(nil, RESP3)); got != c.want3 {
			t.Errorf("%s RESP3: %q, want %q", c.name, got, c.want3)
		}
	}
}

type mapHeader int

func (n mapHeader) Append(b []byte, p Proto) []byte { return AppendMapHeader(b, p, int(n)) }
