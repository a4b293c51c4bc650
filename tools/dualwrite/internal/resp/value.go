// Package resp implements the subset of the Redis serialization protocol
// (RESP2) that dualwrite needs to talk to upstream servers: a value type that
// round-trips exactly, a connection, and a bounded connection pool.
//
// Values and commands are written with redcon's Append functions. Replies
// are read by ReadValue: redcon reads commands (server side) and parses
// whole buffers (ReadNextRESP), but has no reader of replies from a stream.
package resp

import (
	"bytes"
	"strconv"

	"github.com/tidwall/redcon"
)

// Kind identifies the RESP2 type of a Value.
type Kind byte

// RESP2 kinds, named after their wire prefix.
const (
	SimpleString Kind = '+'
	Error        Kind = '-'
	Integer      Kind = ':'
	BulkString   Kind = '$'
	Array        Kind = '*'
)

// Value is one RESP2 reply. A nil bulk string or nil array has Null set.
type Value struct {
	Kind  Kind
	Str   []byte // SimpleString, Error, BulkString payload
	Int   int64  // Integer payload
	Elems []Value
	Null  bool
}

// Convenience constructors.

// OK returns the simple string reply "+OK".
func OK() Value { return Value{Kind: SimpleString, Str: []byte("OK")} }

// Int returns an integer reply.
func Int(n int64) Value { return Value{Kind: Integer, Int: n} }

// Err returns an error reply with the given message (including its code
// prefix, e.g. "ERR ...").
func Err(msg string) Value { return Value{Kind: Error, Str: []byte(msg)} }

// Bulk returns a bulk string reply.
func Bulk(b []byte) Value { return Value{Kind: BulkString, Str: b} }

// NullBulk returns the nil bulk string reply.
func NullBulk() Value { return Value{Kind: BulkString, Null: true} }

// Arr returns an array reply.
func Arr(elems []Value) Value { return Value{Kind: Array, Elems: elems} }

// IsError reports whether v is an error reply.
func (v Value) IsError() bool { return v.Kind == Error }

// IsNil reports whether v is a nil bulk string or nil array.
func (v Value) IsNil() bool { return v.Null }

// String returns a human readable rendering of v for logs and diffs.
func (v Value) String() string {
	switch v.Kind {
	case Integer:
		return strconv.FormatInt(v.Int, 10)
	case Array:
		if v.Null {
			return "(nil array)"
		}
		var b bytes.Buffer
		b.WriteByte('[')
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(e.String())
		}
		b.WriteByte(']')
		return b.String()
	case Error:
		return "(error) " + string(v.Str)
	default:
		if v.Null {
			return "(nil)"
		}
		return strconv.Quote(string(v.Str))
	}
}

// Equal reports whether a and b encode to the same RESP bytes.
func Equal(a, b Value) bool {
	if a.Kind != b.Kind || a.Null != b.Null {
		return false
	}
	switch a.Kind {
	case Integer:
		return a.Int == b.Int
	case Array:
		if len(a.Elems) != len(b.Elems) {
			return false
		}
		for i := range a.Elems {
			if !Equal(a.Elems[i], b.Elems[i]) {
				return false
			}
		}
		return true
	default:
		return bytes.Equal(a.Str, b.Str)
	}
}

// Append appends the wire encoding of v to dst. Every encoding is
// redcon's; the proxy answers clients with it and Conn sends commands
// with it (see AppendCommand).
func (v Value) Append(dst []byte) []byte {
	switch v.Kind {
	case SimpleString:
		return redcon.AppendString(dst, string(v.Str))
	case Error:
		return redcon.AppendError(dst, string(v.Str))
	case Integer:
		return redcon.AppendInt(dst, v.Int)
	case Array:
		if v.Null {
			return redcon.AppendArray(dst, -1)
		}
		dst = redcon.AppendArray(dst, len(v.Elems))
		for _, e := range v.Elems {
			dst = e.Append(dst)
		}
		return dst
	default:
		if v.Null {
			return redcon.AppendNull(dst)
		}
		return redcon.AppendBulk(dst, v.Str)
	}
}

// AppendCommand appends args as a command: a RESP array of bulk strings.
func AppendCommand(dst []byte, args [][]byte) []byte {
	dst = redcon.AppendArray(dst, len(args))
	for _, a := range args {
		dst = redcon.AppendBulk(dst, a)
	}
	return dst
}

// CommandLen is len(AppendCommand(nil, args)), without building it.
func CommandLen(args [][]byte) int {
	n := 1 + len(strconv.Itoa(len(args))) + 2
	for _, a := range args {
		n += 1 + len(strconv.Itoa(len(a))) + 2 + len(a) + 2
	}
	return n
}

// Args converts string arguments to the [][]byte form used by Conn.
func Args(args ...string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}
