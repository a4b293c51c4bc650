package resp

import (
	"bytes"
	"fmt"
	"testing"
)

// TestLongBulk: bulks around and over the 1 MiB block size read back
// byte for byte, with the request after them, and OnLongBulk is told at
// the header of a long one, before its body is read.
func TestLongBulk(t *testing.T) {
	for _, size := range []int{bulkBlock - 1, bulkBlock, bulkBlock + 1, 4*bulkBlock/3 + 5, 5*bulkBlock + 7, 9 * bulkBlock} {
		v := make([]byte, size)
		for i := range v {
			v[i] = byte(i*7 + i>>20)
		}
		in := append([]byte(fmt.Sprintf("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n", size)), v...)
		in = append(in, "\r\nPING\r\n"...)
		src := bytes.NewReader(in)
		r := NewReader(src, 512<<20)
		var calls int
		var unread int
		r.OnLongBulk(bulkBlock+1, func() { calls, unread = calls+1, src.Len()+r.rd.Buffered() })
		args, err := r.ReadCommand()
		if err != nil || len(args) != 3 || !bytes.Equal(args[2], v) {
			t.Fatalf("%d bytes: %d args, %v", size, len(args), err)
		}
		if args, err := r.ReadCommand(); err != nil || len(args) != 1 || string(args[0]) != "PING" {
			t.Fatalf("%d bytes: next request %q, %v", size, args, err)
		}
		switch long := size >= bulkBlock+1; {
		case long && calls != 1:
			t.Fatalf("%d bytes: OnLongBulk called %d times", size, calls)
		case long && unread < size:
			t.Fatalf("%d bytes: OnLongBulk called after %d of the body was read", size, size-unread)
		case !long && calls != 0:
			t.Fatalf("%d bytes: OnLongBulk called for a short bulk", size)
		}
	}
}
