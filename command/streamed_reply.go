package command

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/resp"
)

// streamReply is the bulk reply of a long string read after its command's
// transaction (db.Stream). A top-level call writes it to the socket as its
// chunks are read (Call.streamOut), so neither the whole value nor a reply
// holding it is ever built; elsewhere (EXEC, scripts) Append builds it.
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
	n := len(b)
	b = appendBulkHeader(b, r.st.Len())
	if err := r.st.Each(r.ctx, func(p []byte) error { b = append(b, p...); return nil }); err != nil {
		return redcon.AppendError(b[:n], streamError(err))
	}
	return append(b, '\r', '\n')
}

// appendBulkHeader appends the header of a bulk string n bytes long.
func appendBulkHeader(b []byte, n int64) []byte {
	b = strconv.AppendInt(append(b, '$'), n, 10)
	return append(b, '\r', '\n')
}

// streamError logs a failed read of a streamed value and returns the text
// the client gets.
func streamError(err error) string {
	text, _ := db.ReplyText(err)
	slog.Warn("reading a long string for its reply failed", "err", err)
	return text
}

// streamOut writes b (the replies before this one) and then r to the
// socket as r's chunks are read, and returns what is left to write (the
// bulk's final CRLF). Pushes wait meanwhile (the client is busy). When a
// read fails after part of the value went out, the reply cannot be
// completed: the connection is closed.
func (c *Call) streamOut(b []byte, r streamReply) []byte {
	cl := c.c
	if cl.out.conn == nil {
		return r.Append(b, cl.proto)
	}
	n := len(b)
	b = appendBulkHeader(b, r.st.Len())
	sent := false
	var written int
	err := r.st.Each(r.ctx, func(p []byte) error {
		b = append(b, p...)
		if len(b) < streamFlush {
			return nil
		}
		if err := cl.writeThrough(b); err != nil {
			return err
		}
		sent, written, b = true, written+len(b), b[:0]
		return nil
	})
	c.s.CountNet(0, written)
	if err != nil {
		if !sent {
			return redcon.AppendError(b[:n], streamError(err))
		}
		streamError(err)
		cl.kill()
		return b[:0]
	}
	return append(b, '\r', '\n')
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
