package resp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func read(t *testing.T, wire string) (Value, error) {
	t.Helper()
	return ReadValue(bufio.NewReader(strings.NewReader(wire)))
}

func TestReadValue(t *testing.T) {
	cases := []struct {
		name, wire string
		want       Value
	}{
		{"simple", "+OK\r\n", OK()},
		{"empty simple", "+\r\n", Value{Kind: SimpleString, Str: []byte{}}},
		{"error", "-ERR bad thing\r\n", Err("ERR bad thing")},
		{"integer", ":42\r\n", Int(42)},
		{"negative integer", ":-7\r\n", Int(-7)},
		{"min int64", ":-9223372036854775808\r\n", Int(-9223372036854775808)},
		{"bulk", "$5\r\nhello\r\n", Bulk([]byte("hello"))},
		{"empty bulk", "$0\r\n\r\n", Bulk([]byte{})},
		{"binary bulk with CRLF inside", "$6\r\na\r\nb\x00c\r\n", Bulk([]byte("a\r\nb\x00c"))},
		{"nil bulk", "$-1\r\n", NullBulk()},
		{"nil array", "*-1\r\n", Value{Kind: Array, Null: true}},
		{"empty array", "*0\r\n", Arr([]Value{})},
		{"mixed array", "*4\r\n:1\r\n$1\r\nx\r\n$-1\r\n-WRONGTYPE no\r\n",
			Arr([]Value{Int(1), Bulk([]byte("x")), NullBulk(), Err("WRONGTYPE no")})},
		{"nested arrays", "*2\r\n$1\r\n0\r\n*2\r\n*1\r\n:5\r\n*0\r\n",
			Arr([]Value{Bulk([]byte("0")), Arr([]Value{Arr([]Value{Int(5)}), Arr([]Value{})})})},
		{"nil inside array", "*2\r\n*-1\r\n$-1\r\n", Arr([]Value{{Kind: Array, Null: true}, NullBulk()})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := read(t, c.wire)
			if err != nil {
				t.Fatalf("ReadValue(%q): %v", c.wire, err)
			}
			if !Equal(got, c.want) {
				t.Fatalf("ReadValue(%q) = %v, want %v", c.wire, got, c.want)
			}
			// Every value encodes back to exactly the bytes it came from.
			if enc := got.Append(nil); string(enc) != c.wire {
				t.Errorf("Append = %q, want %q", enc, c.wire)
			}
		})
	}
}

func TestReadValueSequence(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("+OK\r\n:1\r\n$-1\r\n"))
	for _, want := range []Value{OK(), Int(1), NullBulk()} {
		got, err := ReadValue(r)
		if err != nil || !Equal(got, want) {
			t.Fatalf("got %v, %v; want %v", got, err, want)
		}
	}
	if _, err := ReadValue(r); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last value: %v, want EOF", err)
	}
}

func TestReadValueErrors(t *testing.T) {
	cases := []struct{ name, wire, want string }{
		{"empty line", "\r\n", "empty line"},
		{"LF only", "+OK\n", "CRLF"},
		{"unknown type byte", "%2\r\n", "unsupported type byte"},
		{"RESP3 null", "_\r\n", "unsupported type byte"},
		{"bad integer", ":12x\r\n", "bad integer"},
		{"integer overflow", ":99999999999999999999\r\n", "bad integer"},
		{"bad bulk length", "$abc\r\n", "bad bulk length"},
		{"bulk over 512MB", "$536870913\r\n", "bad bulk length"},
		{"bad array length", "*x\r\n", "bad array length"},
		{"bulk missing CRLF", "$3\r\nfooXY+OK\r\n", "bulk string not terminated by CRLF"},
		{"error inside array", "*2\r\n:1\r\n:z\r\n", "bad integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := read(t, c.wire)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ReadValue(%q) = %v, %v; want error containing %q", c.wire, v, err, c.want)
			}
		})
	}
}

func TestReadValueTruncated(t *testing.T) {
	for _, wire := range []string{"", "+OK", "$5\r\nhel", "$5\r\nhello", "*2\r\n:1\r\n", "*1\r\n"} {
		if v, err := read(t, wire); err == nil {
			t.Errorf("ReadValue(%q) = %v, want an error", wire, v)
		} else if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("ReadValue(%q): %v, want EOF", wire, err)
		}
	}
}

func TestReadValueLineTooLong(t *testing.T) {
	r := bufio.NewReaderSize(strings.NewReader("+"+strings.Repeat("a", 100)+"\r\n"), 16)
	if _, err := ReadValue(r); err == nil || !strings.Contains(err.Error(), "line too long") {
		t.Fatalf("got %v, want line too long", err)
	}
}

func TestReadValueDoesNotAlias(t *testing.T) {
	// Simple strings are read from bufio's internal buffer; the value must
	// own its bytes.
	r := bufio.NewReaderSize(strings.NewReader("+first\r\n+other\r\n"), 16)
	a, _ := ReadValue(r)
	b, _ := ReadValue(r)
	if string(a.Str) != "first" || string(b.Str) != "other" {
		t.Fatalf("values share a buffer: %q %q", a.Str, b.Str)
	}
}

func TestEqual(t *testing.T) {
	same := []Value{OK(), Int(0), Bulk(nil), NullBulk(), Err("ERR x"), Arr(nil), Arr([]Value{Int(1), Arr([]Value{Bulk([]byte("a"))})})}
	for _, v := range same {
		if !Equal(v, v) {
			t.Errorf("%v != itself", v)
		}
	}
	differ := [][2]Value{
		{Bulk([]byte("")), NullBulk()},                       // empty vs nil
		{Arr(nil), {Kind: Array, Null: true}},                // empty vs nil array
		{OK(), Bulk([]byte("OK"))},                           // +OK vs $2 OK
		{Err("OK"), OK()},                                    // error vs status
		{Int(1), Int(2)},                                     // numbers
		{Int(1), Bulk([]byte("1"))},                          // :1 vs $1 1
		{Arr([]Value{Int(1)}), Arr([]Value{Int(1), Int(1)})}, // lengths
		{Arr([]Value{Arr([]Value{Int(1)})}), Arr([]Value{Arr([]Value{Int(2)})})}, // nested
	}
	for _, d := range differ {
		if Equal(d[0], d[1]) || Equal(d[1], d[0]) {
			t.Errorf("Equal(%v, %v) = true", d[0], d[1])
		}
	}
}

func TestString(t *testing.T) {
	cases := map[string]Value{
		`"OK"`:                 OK(),
		`12`:                   Int(12),
		`(nil)`:                NullBulk(),
		`(nil array)`:          {Kind: Array, Null: true},
		`(error) ERR x`:        Err("ERR x"),
		`["a\r\n" 1 (nil) []]`: Arr([]Value{Bulk([]byte("a\r\n")), Int(1), NullBulk(), Arr(nil)}),
	}
	for want, v := range cases {
		if got := v.String(); got != want {
			t.Errorf("String() = %s, want %s", got, want)
		}
	}
}

func TestAppendCommand(t *testing.T) {
	got := AppendCommand([]byte("prefix"), [][]byte{[]byte("SET"), []byte("k"), {}, []byte("a\r\nb")})
	want := "prefix*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n$4\r\na\r\nb\r\n"
	if string(got) != want {
		t.Fatalf("AppendCommand = %q, want %q", got, want)
	}
	// A command reads back as an array of bulk strings.
	v, err := ReadValue(bufio.NewReader(bytes.NewReader(got[len("prefix"):])))
	if err != nil || v.Kind != Array || len(v.Elems) != 4 || string(v.Elems[3].Str) != "a\r\nb" {
		t.Fatalf("read back %v, %v", v, err)
	}
	if got := Args("GET", "k"); len(got) != 2 || string(got[0]) != "GET" || string(got[1]) != "k" {
		t.Errorf("Args = %q", got)
	}
}

func TestCommandLen(t *testing.T) {
	for _, args := range [][][]byte{Args("PING"), Args("SET", "k", ""), Args("HSET", "a-longer-key", "field", string(make([]byte, 1234)))} {
		if got, want := CommandLen(args), len(AppendCommand(nil, args)); got != want {
			t.Errorf("CommandLen(%q) = %d, want %d", args[0], got, want)
		}
	}
}
