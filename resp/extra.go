package resp

// BigNumber is a RESP3 big number ((digits); RESP2 sends it as a bulk
// string.
type BigNumber string

// Append implements Reply.
func (n BigNumber) Append(b []byte, p Proto) []byte {
	if p < RESP3 {
		return BulkString(n).Append(b, p)
	}
	b = append(b, '(')
	b = append(b, n...)
	return append(b, "\r\n"...)
}

// WithAttribute is a reply preceded by a RESP3 attribute map (|n); RESP2
// has no attributes and sends the reply alone.
type WithAttribute struct {
	Attribute Map
	Reply     Reply
}

// Append implements Reply.
func (a WithAttribute) Append(b []byte, p Proto) []byte {
	if p >= RESP3 {
		b = appendHeader(b, p, '|', len(a.Attribute)/2, len(a.Attribute)/2)
		b = appendAll(b, a.Attribute, p)
	}
	return a.Reply.Append(b, p)
}

// Sequence is several replies sent one after the other as the answer of
// one command (a push message followed by the real reply).
type Sequence []Reply

// Append implements Reply.
func (s Sequence) Append(b []byte, p Proto) []byte {
	for _, r := range s {
		b = r.Append(b, p)
	}
	return b
}
