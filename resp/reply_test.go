package resp

import (
	"errors"
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
		if got := string(c.r.Append([]byte("pre"))); got != "pre"+c.want {
			t.Errorf("%s: %q, want %q", c.name, got, "pre"+c.want)
		}
	}
}

func TestOf(t *testing.T) {
	boom := errors.New("boom")
	if r, err := IntOf(3, nil); err != nil || string(r.Append(nil)) != ":3\r\n" {
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
