// Package resp holds the values a command answers with and their RESP
// encoding. A handler states what it replies (an integer, a bulk string, a
// map, a set, a double...); the value writes itself in the protocol the
// connection speaks (RESP2 or RESP3), so the protocol details live here
// once and not in every handler.
package resp

import (
	"strconv"

	"github.com/tidwall/redcon"

	"github.com/titan-kv/titan/parse"
)

// Proto is the protocol version a connection speaks: 2 until HELLO 3.
type Proto int8

// The protocol versions HELLO negotiates.
const (
	RESP2 Proto = 2
	RESP3 Proto = 3
)

// Reply is a command's answer. Append adds its encoding in protocol p to b.
type Reply interface {
	Append(b []byte, p Proto) []byte
}

// Int is an integer reply.
type Int int64

// Append implements Reply.
func (n Int) Append(b []byte, _ Proto) []byte { return redcon.AppendInt(b, int64(n)) }

// Bool is an integer reply of 1 for true and 0 for false, as Redis answers
// predicates such as EXISTS or SISMEMBER in both protocols.
type Bool bool

// Append implements Reply.
func (v Bool) Append(b []byte, _ Proto) []byte {
	if v {
		return redcon.AppendInt(b, 1)
	}
	return redcon.AppendInt(b, 0)
}

// Boolean is a RESP3 boolean (#t/#f); RESP2 sends it as 1 or 0.
type Boolean bool

// Append implements Reply.
func (v Boolean) Append(b []byte, p Proto) []byte {
	if p < RESP3 {
		return Bool(v).Append(b, p)
	}
	if v {
		return append(b, "#t\r\n"...)
	}
	return append(b, "#f\r\n"...)
}

// Bulk is a bulk string reply; nil is the null reply.
type Bulk []byte

// Append implements Reply.
func (v Bulk) Append(b []byte, p Proto) []byte {
	if v == nil {
		return appendNull(b, p)
	}
	return redcon.AppendBulk(b, v)
}

// appendNull writes RESP2's null bulk string or RESP3's null.
func appendNull(b []byte, p Proto) []byte {
	if p >= RESP3 {
		return append(b, "_\r\n"...)
	}
	return redcon.AppendNull(b)
}

// BulkString is a bulk string reply of a Go string.
type BulkString string

// Append implements Reply.
func (s BulkString) Append(b []byte, _ Proto) []byte {
	return redcon.AppendBulkString(b, string(s))
}

// Status is a simple string reply, such as OK or QUEUED.
type Status string

// Append implements Reply.
func (s Status) Append(b []byte, _ Proto) []byte { return redcon.AppendString(b, string(s)) }

// OK is the +OK reply.
const OK = Status("OK")

// Double is a floating point reply: RESP3's double, or in RESP2 a bulk
// string formatted as Redis formats scores ("inf", "-inf", %.17g).
type Double float64

// Append implements Reply.
func (f Double) Append(b []byte, p Proto) []byte {
	s := parse.FormatScore(float64(f))
	if p >= RESP3 {
		b = append(b, ',')
		b = append(b, s...)
		return append(b, '\r', '\n')
	}
	return redcon.AppendBulkString(b, s)
}

// Verbatim is a verbatim text reply (INFO, CLIENT INFO, LATENCY DOCTOR):
// RESP3's verbatim string of format "txt", a bulk string in RESP2.
type Verbatim string

// Append implements Reply.
func (s Verbatim) Append(b []byte, p Proto) []byte {
	if p < RESP3 {
		return redcon.AppendBulkString(b, string(s))
	}
	b = append(b, '=')
	b = strconv.AppendInt(b, int64(len(s)+4), 10)
	b = append(b, "\r\ntxt:"...)
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// Bulks is an array of bulk strings; nil elements are nulls.
type Bulks [][]byte

// Append implements Reply.
func (vs Bulks) Append(b []byte, p Proto) []byte {
	b = redcon.AppendArray(b, len(vs))
	for _, v := range vs {
		b = Bulk(v).Append(b, p)
	}
	return b
}

// Strings is an array of bulk strings made of Go strings.
type Strings []string

// Append implements Reply.
func (ss Strings) Append(b []byte, _ Proto) []byte {
	b = redcon.AppendArray(b, len(ss))
	for _, s := range ss {
		b = redcon.AppendBulkString(b, s)
	}
	return b
}

// Ints is an array of integers.
type Ints []int64

// Append implements Reply.
func (ns Ints) Append(b []byte, _ Proto) []byte {
	b = redcon.AppendArray(b, len(ns))
	for _, n := range ns {
		b = redcon.AppendInt(b, n)
	}
	return b
}

// Array is an array of replies; nil elements are nulls.
type Array []Reply

// Append implements Reply.
func (a Array) Append(b []byte, p Proto) []byte {
	return appendAll(redcon.AppendArray(b, len(a)), a, p)
}

// appendAll writes the elements of an aggregate.
func appendAll(b []byte, rs []Reply, p Proto) []byte {
	for _, r := range rs {
		if r == nil {
			b = appendNull(b, p)
			continue
		}
		b = r.Append(b, p)
	}
	return b
}

// appendHeader writes an aggregate's header: RESP3's marker when the
// connection speaks RESP3, otherwise an array of n2 elements.
func appendHeader(b []byte, p Proto, marker byte, n, n2 int) []byte {
	if p < RESP3 {
		return redcon.AppendArray(b, n2)
	}
	b = append(b, marker)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

// Set is an unordered collection reply (SMEMBERS, SINTER...): RESP3's set,
// an array in RESP2.
type Set []Reply

// Append implements Reply.
func (s Set) Append(b []byte, p Proto) []byte {
	return appendAll(appendHeader(b, p, '~', len(s), len(s)), s, p)
}

// BulkSet is a Set of bulk strings.
type BulkSet [][]byte

// Append implements Reply.
func (s BulkSet) Append(b []byte, p Proto) []byte {
	b = appendHeader(b, p, '~', len(s), len(s))
	for _, v := range s {
		b = Bulk(v).Append(b, p)
	}
	return b
}

// Push is an out-of-band message (Pub/Sub, invalidations): RESP3's push,
// an array in RESP2.
type Push []Reply

// Append implements Reply.
func (m Push) Append(b []byte, p Proto) []byte {
	return appendAll(appendHeader(b, p, '>', len(m), len(m)), m, p)
}

type nullArray struct{}

// NullArray is the null array (*-1 in RESP2, _ in RESP3), as EXEC
// answers after a failed WATCH.
var NullArray Reply = nullArray{}

// Append implements Reply.
func (nullArray) Append(b []byte, p Proto) []byte {
	if p >= RESP3 {
		return append(b, "_\r\n"...)
	}
	return append(b, "*-1\r\n"...)
}

// Null is the null reply.
var Null Reply = Bulk(nil)

// Of pairs a reply with the error of the call that produced it, so a job
// can end with `return resp.Of(resp.Int(n), err)`: on error the reply is
// dropped.
func Of(r Reply, err error) (Reply, error) {
	if err != nil {
		return nil, err
	}
	return r, nil
}

// IntOf is Of for a function returning an integer and an error.
func IntOf(n int64, err error) (Reply, error) { return Of(Int(n), err) }

// BulkOf is Of for a function returning a byte string and an error.
func BulkOf(v []byte, err error) (Reply, error) { return Of(Bulk(v), err) }

// BoolOf is Of for a function returning a predicate and an error.
func BoolOf(v bool, err error) (Reply, error) { return Of(Bool(v), err) }

// BulksOf is Of for a function returning byte strings and an error.
func BulksOf(vs [][]byte, err error) (Reply, error) { return Of(Bulks(vs), err) }

// Map is a map reply given as alternating keys and values: RESP3's map,
// and in RESP2 a flat array, as HGETALL, CONFIG GET and HELLO answer.
type Map []Reply

// Append implements Reply.
func (m Map) Append(b []byte, p Proto) []byte {
	return appendAll(appendHeader(b, p, '%', len(m)/2, len(m)), m, p)
}

// Lines is an array of simple strings, as the HELP subcommands answer.
type Lines []string

// Append implements Reply.
func (ls Lines) Append(b []byte, _ Proto) []byte {
	b = redcon.AppendArray(b, len(ls))
	for _, l := range ls {
		b = redcon.AppendString(b, l)
	}
	return b
}

// AppendMapHeader writes the header of a map of n pairs: RESP3's map, or
// in RESP2 a flat array of 2n elements. For replies that write their own
// elements.
func AppendMapHeader(b []byte, p Proto, n int) []byte {
	return appendHeader(b, p, '%', n, 2*n)
}

// AppendSetHeader writes the header of a set of n elements.
func AppendSetHeader(b []byte, p Proto, n int) []byte {
	return appendHeader(b, p, '~', n, n)
}
