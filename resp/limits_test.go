package resp

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// endless yields head, then an endless stream of 'x', counting the bytes
// taken.
type endless struct {
	head []byte
	n    int64
}

func (e *endless) Read(p []byte) (int, error) {
	k := copy(p, e.head)
	e.head = e.head[k:]
	for i := k; i < len(p); i++ {
		p[i] = 'x'
	}
	e.n += int64(len(p))
	return len(p), nil
}

// TestBulkRefusedAtHeader: a bulk announced over proto-max-bulk-len, or
// one that takes a request over client-query-buffer-limit, is refused at
// its header, before its body is read (issue 18 item 3).
func TestBulkRefusedAtHeader(t *testing.T) {
	src := &endless{head: []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870913\r\n")}
	r := NewReader(src, 512<<20)
	if _, err := r.ReadCommand(); err == nil || err.Error() != "Protocol error: invalid bulk length" {
		t.Fatalf("over proto-max-bulk-len: %v", err)
	}
	if src.n > 1<<20 {
		t.Fatalf("read %d bytes before refusing", src.n)
	}

	src = &endless{head: []byte("*3\r\n$3\r\nSET\r\n$6\r\nkey123\r\n$100000000\r\n")}
	r = NewReader(src, 512<<20)
	r.SetQueryLimit(64 << 20)
	if _, err := r.ReadCommand(); !errors.Is(err, ErrQueryLimit) {
		t.Fatalf("over the query limit: %v", err)
	}
	if src.n > 1<<20 {
		t.Fatalf("read %d bytes before refusing", src.n)
	}

	// Exactly at the limit is accepted.
	in := "*2\r\n$4\r\nECHO\r\n$6\r\nabcdef\r\n"
	r = NewReader(strings.NewReader(in), 512<<20)
	r.SetQueryLimit(10)
	if args, err := r.ReadCommand(); err != nil || len(args) != 2 {
		t.Fatalf("at the limit: %q, %v", args, err)
	}
}

// FuzzReader: the reader never panics, and what it returns for a
// multibulk request it re-encodes to the same arguments.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "PING\r\n", "set 'a b' \"c\\x41\"\r\n", "*1\r\n$-1\r\n", "*-1\r\n", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$99999999999\r\n", "\"\\x\"\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in), 1<<20)
		r.SetQueryLimit(2 << 20)
		for range 64 {
			args, err := r.ReadCommand()
			if err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrQueryLimit) {
					return
				}
				var pe ProtocolError
				if !errors.As(err, &pe) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				return
			}
			var enc []byte
			enc = append(enc, '*')
			enc = strconv.AppendInt(enc, int64(len(args)), 10)
			enc = append(enc, "\r\n"...)
			for _, a := range args {
				enc = append(enc, '$')
				enc = strconv.AppendInt(enc, int64(len(a)), 10)
				enc = append(enc, "\r\n"...)
				enc = append(enc, a...)
				enc = append(enc, "\r\n"...)
			}
			if len(args) == 0 {
				continue
			}
			again, err := NewReader(bytes.NewReader(enc), 1<<20).ReadCommand()
			if err != nil || len(again) != len(args) {
				t.Fatalf("re-read of %q: %q, %v", enc, again, err)
			}
			for i := range args {
				if !bytes.Equal(again[i], args[i]) {
					t.Fatalf("argument %d changed: %q -> %q", i, args[i], again[i])
				}
			}
		}
	})
}
