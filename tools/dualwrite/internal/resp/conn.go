package resp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// maxBulk bounds a single bulk string (Redis' own proto-max-bulk-len default).
const maxBulk = 512 << 20

// Conn is a single, non concurrent-safe connection to a RESP server.
type Conn struct {
	nc      net.Conn
	br      *bufio.Reader
	wbuf    []byte
	timeout time.Duration
	broken  bool
}

// Dial opens a connection to addr. timeout bounds the dial and every
// subsequent round trip (0 means no limit).
func Dial(ctx context.Context, addr string, timeout time.Duration) (*Conn, error) {
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	return &Conn{nc: nc, br: bufio.NewReaderSize(nc, 32<<10), timeout: timeout}, nil
}

// Close closes the underlying network connection.
func (c *Conn) Close() error { return c.nc.Close() }

// Broken reports whether a transport or protocol error left the connection
// in an unknown state; broken connections must not be reused.
func (c *Conn) Broken() bool { return c.broken }

// Do sends one command and reads its reply. Error replies are returned as a
// Value of Kind Error with a nil error; the error result is reserved for
// transport and protocol failures.
func (c *Conn) Do(ctx context.Context, args ...[]byte) (Value, error) {
	if err := c.send(ctx, true, 1, func(b []byte) []byte { return AppendCommand(b, args) }); err != nil {
		return Value{}, err
	}
	return c.read()
}

// Pipeline sends all commands in one write and reads one reply per command.
func (c *Conn) Pipeline(ctx context.Context, cmds [][][]byte) ([]Value, error) {
	return c.pipeline(ctx, true, cmds)
}

// pipeline is Pipeline; without limit the connection's timeout does not
// apply (only ctx's deadline, if any).
func (c *Conn) pipeline(ctx context.Context, limit bool, cmds [][][]byte) ([]Value, error) {
	err := c.send(ctx, limit, len(cmds), func(b []byte) []byte {
		for _, args := range cmds {
			b = AppendCommand(b, args)
		}
		return b
	})
	if err != nil {
		return nil, err
	}
	out := make([]Value, len(cmds))
	for i := range cmds {
		if out[i], err = c.read(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// send sets the deadline of a round trip of n commands (ctx's, and with
// limit the connection's timeout) and writes what appendCmds encodes in
// one write.
func (c *Conn) send(ctx context.Context, limit bool, n int, appendCmds func([]byte) []byte) error {
	if c.broken {
		return errors.New("resp: connection is broken")
	}
	deadline, ok := ctx.Deadline()
	if limit && c.timeout > 0 {
		if d := time.Now().Add(c.timeout * time.Duration(1+n/1000)); !ok || d.Before(deadline) {
			deadline, ok = d, true
		}
	}
	if ok {
		_ = c.nc.SetDeadline(deadline)
	} else {
		_ = c.nc.SetDeadline(time.Time{})
	}
	c.wbuf = appendCmds(c.wbuf[:0])
	if _, err := c.nc.Write(c.wbuf); err != nil {
		c.broken = true
		return fmt.Errorf("write to %s: %w", c.nc.RemoteAddr(), err)
	}
	if cap(c.wbuf) > 1<<20 {
		c.wbuf = nil
	}
	return nil
}

// read reads one reply; a failure leaves the connection broken.
func (c *Conn) read() (Value, error) {
	v, err := ReadValue(c.br)
	if err != nil {
		c.broken = true
		return Value{}, fmt.Errorf("read from %s: %w", c.nc.RemoteAddr(), err)
	}
	return v, nil
}

// ReadValue parses one RESP2 value from r.
func ReadValue(r *bufio.Reader) (Value, error) {
	line, err := readLine(r)
	if err != nil {
		return Value{}, err
	}
	if len(line) == 0 {
		return Value{}, errors.New("resp: empty line")
	}
	kind, body := Kind(line[0]), line[1:]
	switch kind {
	case SimpleString, Error:
		return Value{Kind: kind, Str: append([]byte(nil), body...)}, nil
	case Integer:
		n, err := strconv.ParseInt(string(body), 10, 64)
		if err != nil {
			return Value{}, fmt.Errorf("resp: bad integer %q: %w", body, err)
		}
		return Value{Kind: Integer, Int: n}, nil
	case BulkString:
		n, err := strconv.Atoi(string(body))
		if err != nil || n > maxBulk {
			return Value{}, fmt.Errorf("resp: bad bulk length %q", body)
		}
		if n < 0 {
			return Value{Kind: BulkString, Null: true}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return Value{}, err
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			// The length and the data disagree: the stream is out of step.
			return Value{}, errors.New("resp: bulk string not terminated by CRLF")
		}
		return Value{Kind: BulkString, Str: buf[:n]}, nil
	case Array:
		n, err := strconv.Atoi(string(body))
		if err != nil {
			return Value{}, fmt.Errorf("resp: bad array length %q", body)
		}
		if n < 0 {
			return Value{Kind: Array, Null: true}, nil
		}
		elems := make([]Value, n)
		for i := range elems {
			if elems[i], err = ReadValue(r); err != nil {
				return Value{}, err
			}
		}
		return Value{Kind: Array, Elems: elems}, nil
	default:
		return Value{}, fmt.Errorf("resp: unsupported type byte %q", line[0])
	}
}

func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errors.New("resp: line too long")
		}
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, errors.New("resp: line not terminated by CRLF")
	}
	return line[:len(line)-2], nil
}
