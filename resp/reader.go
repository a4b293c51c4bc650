package resp

import (
	"github.com/titan-kv/titan/parse"

	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Protocol limits, as redis-server 7 enforces them. Memory for the
// arguments grows with the bytes that arrive, not with the announced count.
const (
	maxInlineLen    = 64 << 10
	maxMultiBulkLen = math.MaxInt32
)

// ProtocolError is a malformed request: it is answered and the connection
// is closed, because the stream can no longer be framed.
type ProtocolError string

func (e ProtocolError) Error() string { return "Protocol error: " + string(e) }

// ErrQueryLimit is returned when one request's arguments would exceed the
// reader's query limit (client-query-buffer-limit): the connection is to
// be closed without an answer, as Redis closes it.
var ErrQueryLimit = errors.New("query buffer limit reached")

// Reader parses RESP requests (multibulk and inline) with Redis's limits.
type Reader struct {
	rd         *bufio.Reader
	maxBulkLen int64
	maxQuery   int64
	longBulk   int64
	onLong     func()
}

// OnLongBulk makes the reader call fn at the header of every bulk of at
// least n bytes, before its body is read (the server lowers the GC's
// headroom while such a value is in flight, package bigmem).
func (r *Reader) OnLongBulk(n int64, fn func()) { r.longBulk, r.onLong = n, fn }

// SetQueryLimit bounds the total length of one request's arguments
// (client-query-buffer-limit); 0 means no bound. A request over it is
// refused at the header of the bulk that crosses it, before that bulk is
// read.
func (r *Reader) SetQueryLimit(n int64) { r.maxQuery = n }

// NewReader reads requests from r, refusing bulk arguments longer than
// maxBulkLen.
func NewReader(r io.Reader, maxBulkLen int64) *Reader {
	return &Reader{rd: bufio.NewReaderSize(r, 64<<10), maxBulkLen: maxBulkLen}
}

// Buffered reports whether another request has already arrived.
func (r *Reader) Buffered() bool { return r.rd.Buffered() > 0 }

// BufferUse reports the bytes read but not parsed yet and the room left
// in the read buffer (CLIENT LIST's qbuf and qbuf-free).
func (r *Reader) BufferUse() (used, free int) {
	n := r.rd.Buffered()
	return n, r.rd.Size() - n
}

// readLine returns one line without its CRLF (or LF), at most limit bytes.
func (r *Reader) readLine(limit int, tooLong ProtocolError) ([]byte, error) {
	line, err := r.rd.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(line) > limit+2 {
		return nil, tooLong
	}
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// ReadCommand reads one request. It returns nil args for an empty inline
// line, which the caller ignores.
func (r *Reader) ReadCommand() ([][]byte, error) {
	b, err := r.rd.Peek(1)
	if err != nil {
		return nil, err
	}
	if b[0] != '*' {
		line, err := r.readLine(maxInlineLen, "too big inline request")
		if err != nil {
			return nil, err
		}
		return splitInline(line)
	}
	line, err := r.readLine(maxInlineLen, "too big mbulk count string")
	if err != nil {
		return nil, err
	}
	n, ok := parse.Int(line[1:])
	if !ok || n > maxMultiBulkLen {
		return nil, ProtocolError("invalid multibulk length")
	}
	if n <= 0 {
		return nil, nil
	}
	args := make([][]byte, 0, min(n, 1024))
	var total int64
	for i := int64(0); i < n; i++ {
		line, err := r.readLine(maxInlineLen, "too big bulk count string")
		if err != nil {
			return nil, err
		}
		if len(line) == 0 || line[0] != '$' {
			got := "EOF"
			if len(line) > 0 {
				got = string(line[:1])
			}
			return nil, ProtocolError(fmt.Sprintf("expected '$', got '%s'", got))
		}
		size, ok := parse.Int(line[1:])
		if !ok || size < 0 || size > r.maxBulkLen {
			return nil, ProtocolError("invalid bulk length")
		}
		if total += size; r.maxQuery > 0 && total > r.maxQuery {
			return nil, ErrQueryLimit
		}
		if r.onLong != nil && size >= r.longBulk {
			r.onLong()
		}
		arg, err := r.readBulk(size)
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
	}
	return args, nil
}

// readBulk reads size bytes and the CRLF after them. Memory grows with the
// bytes that actually arrive, not with the length the client announced: a
// long bulk first arrives in blocks of bulkBlock bytes; once a quarter of
// it has arrived, the whole length is taken at once and the blocks are
// copied in. So a long bulk costs at most 1.25x its length while it is
// read and leaves a quarter of it as garbage (doubling a buffer to the
// end cost up to 1.5x, and as much again in garbage).
func (r *Reader) readBulk(size int64) ([]byte, error) {
	var arg []byte
	if size <= bulkBlock {
		arg = make([]byte, size)
		if _, err := io.ReadFull(r.rd, arg); err != nil {
			return nil, noEOF(err)
		}
	} else {
		var blocks [][]byte
		var got int64
		for got < size/4 {
			b := make([]byte, bulkBlock)
			if _, err := io.ReadFull(r.rd, b); err != nil {
				return nil, noEOF(err)
			}
			blocks = append(blocks, b)
			got += bulkBlock
		}
		arg = make([]byte, size)
		for i, b := range blocks {
			copy(arg[int64(i)*bulkBlock:], b)
			blocks[i] = nil
		}
		if _, err := io.ReadFull(r.rd, arg[got:]); err != nil {
			return nil, noEOF(err)
		}
	}
	// The two bytes after the data are the CRLF; like Redis, do not
	// check them.
	var crlf [2]byte
	if _, err := io.ReadFull(r.rd, crlf[:]); err != nil {
		return nil, noEOF(err)
	}
	return arg, nil
}

// bulkBlock is the size of the blocks a long bulk arrives in before
// readBulk takes its whole length.
const bulkBlock = 1 << 20

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// splitInline splits an inline request as Redis's sdssplitargs does:
// spaces separate arguments, and "..." (with escapes) or '...' quote them.
func splitInline(line []byte) ([][]byte, error) {
	var args [][]byte
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, nil
		}
		var cur []byte
		switch line[i] {
		case '"':
			i++
			for {
				if i >= len(line) {
					return nil, ProtocolError("unbalanced quotes in request")
				}
				c := line[i]
				if c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]) {
					v, _ := strconv.ParseUint(string(line[i+2:i+4]), 16, 8)
					cur = append(cur, byte(v))
					i += 4
					continue
				}
				if c == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, line[i])
					}
					i++
					continue
				}
				if c == '"' {
					i++
					if i < len(line) && !isSpace(line[i]) {
						return nil, ProtocolError("unbalanced quotes in request")
					}
					break
				}
				cur = append(cur, c)
				i++
			}
		case '\'':
			i++
			for {
				if i >= len(line) {
					return nil, ProtocolError("unbalanced quotes in request")
				}
				c := line[i]
				if c == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					cur = append(cur, '\'')
					i += 2
					continue
				}
				if c == '\'' {
					i++
					if i < len(line) && !isSpace(line[i]) {
						return nil, ProtocolError("unbalanced quotes in request")
					}
					break
				}
				cur = append(cur, c)
				i++
			}
		default:
			for i < len(line) && !isSpace(line[i]) {
				cur = append(cur, line[i])
				i++
			}
		}
		if cur == nil {
			cur = []byte{}
		}
		args = append(args, cur)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
