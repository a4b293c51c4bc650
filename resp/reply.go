// Package resp holds the values a command answers with and their RESP
// encoding. A handler states what it replies (an integer, a bulk string, an
// array of them...); the value writes itself, so the protocol details live
// here once and not in every handler.
package resp

import "github.com/tidwall/redcon"

// Reply is a command's answer. Append adds its RESP encoding to b.
type Reply interface {
	Append(b []byte) []byte
}

// Int is an integer reply.
type Int int64

// Append implements Reply.
func (n Int) Append(b []byte) []byte { return redcon.AppendInt(b, int64(n)) }

// Bool is an integer reply of 1 for true and 0 for false, as Redis answers
// predicates such as EXISTS or SISMEMBER.
type Bool bool

// Append implements Reply.
func (v Bool) Append(b []byte) []byte {
	if v {
		return redcon.AppendInt(b, 1)
	}
	return redcon.AppendInt(b, 0)
}

// Bulk is a bulk string reply; nil is the null bulk string.
type Bulk []byte

// Append implements Reply.
func (v Bulk) Append(b []byte) []byte {
	if v == nil {
		return redcon.AppendNull(b)
	}
	return redcon.AppendBulk(b, v)
}

// BulkString is a bulk string reply of a Go string.
type BulkString string

// Append implements Reply.
func (s BulkString) Append(b []byte) []byte { return redcon.AppendBulkString(b, string(s)) }

// Status is a simple string reply, such as OK or QUEUED.
type Status string

// Append implements Reply.
func (s Status) Append(b []byte) []byte { return redcon.AppendString(b, string(s)) }

// OK is the +OK reply.
const OK = Status("OK")

// Bulks is an array of bulk strings; nil elements are null bulk strings.
type Bulks [][]byte

// Append implements Reply.
func (vs Bulks) Append(b []byte) []byte {
	b = redcon.AppendArray(b, len(vs))
	for _, v := range vs {
		b = Bulk(v).Append(b)
	}
	return b
}

// Strings is an array of bulk strings made of Go strings.
type Strings []string

// Append implements Reply.
func (ss Strings) Append(b []byte) []byte {
	b = redcon.AppendArray(b, len(ss))
	for _, s := range ss {
		b = redcon.AppendBulkString(b, s)
	}
	return b
}

// Ints is an array of integers.
type Ints []int64

// Append implements Reply.
func (ns Ints) Append(b []byte) []byte {
	b = redcon.AppendArray(b, len(ns))
	for _, n := range ns {
		b = redcon.AppendInt(b, n)
	}
	return b
}

// Array is an array of replies; nil elements are null bulk strings.
type Array []Reply

// Append implements Reply.
func (a Array) Append(b []byte) []byte {
	b = redcon.AppendArray(b, len(a))
	for _, r := range a {
		if r == nil {
			b = redcon.AppendNull(b)
			continue
		}
		b = r.Append(b)
	}
	return b
}

type nullArray struct{}

// NullArray is the null array (*-1), as EXEC answers after a failed WATCH.
var NullArray Reply = nullArray{}

// Append implements Reply.
func (nullArray) Append(b []byte) []byte { return append(b, "*-1\r\n"...) }

// Null is the null bulk string reply.
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

// Map is a map reply given as alternating keys and values. RESP2 sends it
// as a flat array, as HGETALL, CONFIG GET and HELLO answer.
type Map []Reply

// Append implements Reply.
func (m Map) Append(b []byte) []byte { return Array(m).Append(b) }

// Lines is an array of simple strings, as the HELP subcommands answer.
type Lines []string

// Append implements Reply.
func (ls Lines) Append(b []byte) []byte {
	b = redcon.AppendArray(b, len(ls))
	for _, l := range ls {
		b = redcon.AppendString(b, l)
	}
	return b
}
