package resp

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// readAll reads every request of input, and the error that ended it.
func readAll(input string, maxBulk int64) ([]string, error) {
	r := NewReader(strings.NewReader(input), maxBulk)
	var got []string
	for {
		args, err := r.ReadCommand()
		if err != nil {
			return got, err
		}
		var parts []string
		for _, a := range args {
			parts = append(parts, string(a))
		}
		got = append(got, strings.Join(parts, "|"))
	}
}

func TestReaderRequests(t *testing.T) {
	in := "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n" + // multibulk
		"PING\r\n" + // inline
		"set 'a b' \"c\\x41\\n\"\r\n" + // inline with quotes and escapes
		"\r\n" + // empty inline line: no request
		"*0\r\n" + // empty multibulk: no request
		"*1\r\n$0\r\n\r\n" // an empty argument
	got, err := readAll(in, 1<<20)
	if !errors.Is(err, io.EOF) {
		t.Fatalf("end: %v", err)
	}
	want := []string{"GET|k", "PING", "set|a b|cA\n", "", "", ""}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("requests %q, want %q", got, want)
	}
}

func TestReaderProtocolErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"*x\r\n", "Protocol error: invalid multibulk length"},
		{"*1\r\n:1\r\n", "Protocol error: expected '$', got ':'"},
		{"*1\r\n$-2\r\n", "Protocol error: invalid bulk length"},
		{"*1\r\n$11\r\n", "Protocol error: invalid bulk length"}, // over maxBulk
		{"set \"a\r\n", "Protocol error: unbalanced quotes in request"},
	} {
		_, err := readAll(c.in, 10)
		var pe ProtocolError
		if !errors.As(err, &pe) || err.Error() != c.want {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
}
