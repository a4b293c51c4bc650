package command

import (
	"context"
	"log/slog"
	"slices"
	"strconv"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/bigmem"
	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/resp"
)

// streamReply is the bulk reply of a long string read after its command's
// transaction (db.ValueReader). A top-level call writes it to the socket
// as its chunks are read (Call.streamOut), so neither the whole value nor
// a reply holding it is ever built; elsewhere (EXEC, scripts) Append
// builds it.
type streamReply struct {
	st  *db.ValueReader
	ctx context.Context
}

// streamFlush is how many bytes of a streamed reply are gathered before
// they are written to the socket.
const streamFlush = 256 << 10

// Append implements resp.Reply: the whole bulk, or an error when the
// value can no longer be read.
func (r streamReply) Append(b []byte, _ resp.Proto) []byte {
	b, _, _ = r.appendTo(b, nil)
	return b
}

// appendTo appends the bulk to b. With flush set, b is handed to flush
// (and emptied) each time it holds streamFlush bytes, so at most that much
// of the value is held at a time; written is what flush took. When the
// value cannot be read, or flush fails: if nothing was flushed yet, the
// bulk is replaced by an error reply; otherwise the reply cannot be
// completed, and err is returned with b emptied.
func (r streamReply) appendTo(b []byte, flush func([]byte) error) (_ []byte, written int, err error) {
	n := len(b)
	if flush == nil {
		b = slices.Grow(b, int(r.st.Len())+32)
	}
	b = appendBulkHeader(b, r.st.Len())
	err = r.st.Each(r.ctx, func(p []byte) error {
		b = append(b, p...)
		if flush == nil || len(b) < streamFlush {
			return nil
		}
		if err := flush(b); err != nil {
			return err
		}
		written, b = written+len(b), b[:0]
		return nil
	})
	switch {
	case err == nil:
		return append(b, '\r', '\n'), written, nil
	case written == 0:
		return redcon.AppendError(b[:n], streamError(err)), 0, nil
	default:
		streamError(err)
		return b[:0], written, err
	}
}

// bulkLen is the length of the bulk reply of a value n bytes long.
func bulkLen(n int64) int64 {
	return 1 + int64(len(strconv.AppendInt(nil, n, 10))) + 2 + n + 2
}

// appendBulkHeader appends the header of a bulk string n bytes long.
func appendBulkHeader(b []byte, n int64) []byte {
	b = strconv.AppendInt(append(b, '$'), n, 10)
	return append(b, '\r', '\n')
}

// streamError logs a failed read (or write) of a streamed value and
// returns the text the client gets.
func streamError(err error) string {
	text, _ := db.ReplyText(err)
	slog.Warn("streaming a long string reply failed", "err", err)
	return text
}

// streamOut writes b (the replies before this one) and then r to the
// socket as r's chunks are read, and returns what is left to write (the
// bulk's final CRLF). Pushes wait meanwhile (the client is busy).
//
// The reply counts against client-output-buffer-limit as if it were
// gathered with the run's other replies: when b, the replies streamed
// before it and the bulk together exceed the hard limit, the client is
// disconnected without them, as the server does for a pipeline of replies
// over it. When a read fails after part of the value went out,
// the reply cannot be completed: the connection is closed.
func (c *Call) streamOut(b []byte, r streamReply) []byte {
	cl := c.c
	if cl.out.conn == nil {
		return r.Append(b, cl.proto)
	}
	if lim, n := c.s.cfg.OutputBufferLimit, cl.out.streamed+int64(len(b))+bulkLen(r.st.Len()); lim > 0 && n > lim {
		slog.Warn("client closed for overcoming of output buffer limits", "client", cl.ID(), "addr", cl.addr,
			"reply_bytes", n, "limit", lim)
		cl.kill()
		return b[:0]
	}
	if r.st.Len() >= bigmem.Min {
		defer c.s.cfg.Memory.Hold()()
	}
	b, written, err := r.appendTo(b, cl.writeThrough)
	c.s.CountNet(0, written)
	cl.out.streamed += int64(written)
	if err != nil {
		cl.kill()
	}
	return b
}

// writeThrough writes b to the socket in the middle of a run of commands:
// pending pushes keep waiting for the run's Flush.
func (c *Client) writeThrough(b []byte) error {
	o := &c.out
	o.writeMu.Lock()
	defer o.writeMu.Unlock()
	_, err := o.conn.Write(b)
	return err
}
