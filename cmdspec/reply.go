package cmdspec

import (
	"strconv"

	"github.com/tidwall/redcon"
)

// AppendInfo appends c's COMMAND INFO entry, exactly as redis-server 7.0
// writes it in RESP2, or in RESP3 (its sets and maps) when resp3: name,
// arity, flags, first key, last key, step, ACL categories (with '@'),
// tips, key specs, and the entries of subs, the subcommands to list (a
// server lists those it implements).
func AppendInfo(b []byte, c *Command, subs []*Command, resp3 bool) []byte {
	b = redcon.AppendArray(b, 10)
	b = redcon.AppendBulkString(b, c.Name)
	b = redcon.AppendInt(b, int64(c.Arity))
	b = appendStatuses(b, "", c.Flags, resp3)
	b = redcon.AppendInt(b, int64(c.FirstKey))
	b = redcon.AppendInt(b, int64(c.LastKey))
	b = redcon.AppendInt(b, int64(c.Step))
	b = appendStatuses(b, "@", c.ACLCategories, resp3)
	b = appendSetLen(b, len(c.Tips), resp3)
	for _, t := range c.Tips {
		b = redcon.AppendBulkString(b, t)
	}
	b = appendSetLen(b, len(c.KeySpecs), resp3)
	for _, s := range c.KeySpecs {
		b = appendKeySpec(b, s, resp3)
	}
	b = appendSetLen(b, len(subs), resp3)
	for _, s := range subs {
		b = AppendInfo(b, s, nil, resp3)
	}
	return b
}

// appendStatuses appends a set of simple strings (flags, categories).
func appendStatuses(b []byte, prefix string, items []string, resp3 bool) []byte {
	b = appendSetLen(b, len(items), resp3)
	for _, s := range items {
		b = redcon.AppendString(b, prefix+s)
	}
	return b
}

// appendMapLen starts a map of n pairs: RESP3's map, or in RESP2 a flat
// array.
func appendMapLen(b []byte, n int, resp3 bool) []byte {
	if !resp3 {
		return redcon.AppendArray(b, 2*n)
	}
	return appendHeader(b, '%', n)
}

// appendSetLen starts a set of n elements: RESP3's set, an array in RESP2.
func appendSetLen(b []byte, n int, resp3 bool) []byte {
	if !resp3 {
		return redcon.AppendArray(b, n)
	}
	return appendHeader(b, '~', n)
}

func appendHeader(b []byte, marker byte, n int) []byte {
	b = append(b, marker)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

func appendKeySpec(b []byte, s KeySpec, resp3 bool) []byte {
	n := 3
	if s.Notes != "" {
		n++
	}
	b = appendMapLen(b, n, resp3)
	if s.Notes != "" {
		b = redcon.AppendBulkString(b, "notes")
		b = redcon.AppendBulkString(b, s.Notes)
	}
	b = redcon.AppendBulkString(b, "flags")
	b = appendStatuses(b, "", s.Flags, resp3)

	b = redcon.AppendBulkString(b, "begin_search")
	b = appendMapLen(b, 2, resp3)
	b = redcon.AppendBulkString(b, "type")
	b = redcon.AppendBulkString(b, s.BeginSearch.Type)
	b = redcon.AppendBulkString(b, "spec")
	switch s.BeginSearch.Type {
	case "index":
		b = appendMapLen(b, 1, resp3)
		b = appendIntField(b, "index", s.BeginSearch.Index)
	case "keyword":
		b = appendMapLen(b, 2, resp3)
		b = redcon.AppendBulkString(b, "keyword")
		b = redcon.AppendBulkString(b, s.BeginSearch.Keyword)
		b = appendIntField(b, "startfrom", s.BeginSearch.StartFrom)
	default:
		b = appendMapLen(b, 0, resp3)
	}

	b = redcon.AppendBulkString(b, "find_keys")
	b = appendMapLen(b, 2, resp3)
	b = redcon.AppendBulkString(b, "type")
	b = redcon.AppendBulkString(b, s.FindKeys.Type)
	b = redcon.AppendBulkString(b, "spec")
	switch fk := s.FindKeys; fk.Type {
	case "range":
		b = appendMapLen(b, 3, resp3)
		b = appendIntField(b, "lastkey", fk.LastKey)
		b = appendIntField(b, "keystep", fk.KeyStep)
		b = appendIntField(b, "limit", fk.Limit)
	case "keynum":
		b = appendMapLen(b, 3, resp3)
		b = appendIntField(b, "keynumidx", fk.KeyNumIdx)
		b = appendIntField(b, "firstkey", fk.FirstKey)
		b = appendIntField(b, "keystep", fk.KeyStep)
	default:
		b = appendMapLen(b, 0, resp3)
	}
	return b
}

func appendIntField(b []byte, name string, v int) []byte {
	b = redcon.AppendBulkString(b, name)
	return redcon.AppendInt(b, int64(v))
}

func appendStringField(b []byte, name, v string) []byte {
	b = redcon.AppendBulkString(b, name)
	return redcon.AppendBulkString(b, v)
}

// AppendDocs appends c's COMMAND DOCS entry (the map that follows the
// command's name in the reply), exactly as redis-server 7.0 writes it in
// RESP2 or (resp3) RESP3, with the docs of subs, the subcommands to list,
// when c is a container.
func AppendDocs(b []byte, c *Command, subs []*Command, resp3 bool) []byte {
	d := &c.Docs
	n := 1
	for _, present := range []bool{d.Summary != "", d.Since != "", d.Complexity != "", len(d.DocFlags) > 0,
		d.DeprecatedSince != "", d.ReplacedBy != "", len(d.History) > 0, len(d.Arguments) > 0, len(c.Subcommands) > 0} {
		if present {
			n++
		}
	}
	b = appendMapLen(b, n, resp3)
	if d.Summary != "" {
		b = appendStringField(b, "summary", d.Summary)
	}
	if d.Since != "" {
		b = appendStringField(b, "since", d.Since)
	}
	b = appendStringField(b, "group", d.Group)
	if d.Complexity != "" {
		b = appendStringField(b, "complexity", d.Complexity)
	}
	if len(d.DocFlags) > 0 {
		b = redcon.AppendBulkString(b, "doc_flags")
		b = appendStatuses(b, "", d.DocFlags, resp3)
	}
	if d.DeprecatedSince != "" {
		b = appendStringField(b, "deprecated_since", d.DeprecatedSince)
	}
	if d.ReplacedBy != "" {
		b = appendStringField(b, "replaced_by", d.ReplacedBy)
	}
	if len(d.History) > 0 {
		b = redcon.AppendBulkString(b, "history")
		b = appendSetLen(b, len(d.History), resp3)
		for _, h := range d.History {
			b = redcon.AppendArray(b, 2)
			b = redcon.AppendBulkString(b, h[0])
			b = redcon.AppendBulkString(b, h[1])
		}
	}
	if len(d.Arguments) > 0 {
		b = redcon.AppendBulkString(b, "arguments")
		b = appendArgs(b, d.Arguments, resp3)
	}
	if len(c.Subcommands) > 0 {
		b = redcon.AppendBulkString(b, "subcommands")
		b = appendMapLen(b, len(subs), resp3)
		for _, s := range subs {
			b = redcon.AppendBulkString(b, s.Name)
			b = AppendDocs(b, s, nil, resp3)
		}
	}
	return b
}

func appendArgs(b []byte, args []Arg, resp3 bool) []byte {
	b = redcon.AppendArray(b, len(args))
	for _, a := range args {
		n := 2
		for _, present := range []bool{a.KeySpecIndex != nil, a.Token != nil, a.Summary != "", a.Since != "",
			a.DeprecatedSince != "", len(a.Flags) > 0, len(a.Arguments) > 0} {
			if present {
				n++
			}
		}
		b = appendMapLen(b, n, resp3)
		b = appendStringField(b, "name", a.Name)
		b = appendStringField(b, "type", a.Type)
		if a.KeySpecIndex != nil {
			b = appendIntField(b, "key_spec_index", *a.KeySpecIndex)
		}
		if a.Token != nil {
			b = appendStringField(b, "token", *a.Token)
		}
		if a.Summary != "" {
			b = appendStringField(b, "summary", a.Summary)
		}
		if a.Since != "" {
			b = appendStringField(b, "since", a.Since)
		}
		if a.DeprecatedSince != "" {
			b = appendStringField(b, "deprecated_since", a.DeprecatedSince)
		}
		if len(a.Flags) > 0 {
			b = redcon.AppendBulkString(b, "flags")
			b = appendStatuses(b, "", a.Flags, resp3)
		}
		if len(a.Arguments) > 0 {
			b = redcon.AppendBulkString(b, "arguments")
			b = appendArgs(b, a.Arguments, resp3)
		}
	}
	return b
}
