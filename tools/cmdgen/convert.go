package main

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/titan-kv/titan/cmdspec"
)

// command reads the COMMAND INFO and COMMAND DOCS of one command.
func (c *client) command(name string) (*cmdspec.Command, error) {
	info, err := c.do("COMMAND", "INFO", name)
	if err != nil {
		return nil, err
	}
	if len(info.elems) != 1 || info.elems[0].null {
		return nil, fmt.Errorf("COMMAND INFO %s: no entry", name)
	}
	cmd, err := fromInfo(info.elems[0])
	if err != nil {
		return nil, err
	}
	docs, err := c.do("COMMAND", "DOCS", name)
	if err != nil {
		return nil, err
	}
	if len(docs.elems) != 2 {
		return nil, fmt.Errorf("COMMAND DOCS %s: %d elements", name, len(docs.elems))
	}
	if err := fromDocs(cmd, docs.elems[1]); err != nil {
		return nil, fmt.Errorf("COMMAND DOCS %s: %w", name, err)
	}
	return cmd, nil
}

// check compares what cmdspec writes for cmd with redis-server's replies
// (subcommands sorted by name, as in the file).
func (c *client) check(cmd *cmdspec.Command) error {
	info, err := c.do("COMMAND", "INFO", cmd.Name)
	if err != nil {
		return err
	}
	sortSubs(&info.elems[0].elems[9], func(v value) string { return v.elems[0].str })
	if want, got := info.elems[0].append(nil), cmdspec.AppendInfo(nil, cmd, cmd.Subcommands, false); !bytes.Equal(want, got) {
		return fmt.Errorf("COMMAND INFO written back differs:\n%q\n%q", got, want)
	}
	docs, err := c.do("COMMAND", "DOCS", cmd.Name)
	if err != nil {
		return err
	}
	d := docs.elems[1]
	for i := 0; i+1 < len(d.elems); i += 2 {
		if d.elems[i].str == "subcommands" {
			sortPairs(&d.elems[i+1])
		}
	}
	if want, got := d.append(nil), cmdspec.AppendDocs(nil, cmd, cmd.Subcommands, false); !bytes.Equal(want, got) {
		return fmt.Errorf("COMMAND DOCS written back differs:\n%q\n%q", got, want)
	}
	return nil
}

func sortSubs(v *value, key func(value) string) {
	sort.Slice(v.elems, func(i, j int) bool { return key(v.elems[i]) < key(v.elems[j]) })
}

func sortPairs(v *value) {
	var pairs [][2]value
	for i := 0; i+1 < len(v.elems); i += 2 {
		pairs = append(pairs, [2]value{v.elems[i], v.elems[i+1]})
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i][0].str < pairs[j][0].str })
	v.elems = v.elems[:0]
	for _, p := range pairs {
		v.elems = append(v.elems, p[0], p[1])
	}
}

func strs(v value, trim string) []string {
	var out []string
	for _, e := range v.elems {
		out = append(out, strings.TrimPrefix(e.str, trim))
	}
	return out
}

// fields walks a RESP2 map (a flat array), failing on keys it does not know.
func fields(v value, each func(key string, val value) error) error {
	if v.kind != '*' || len(v.elems)%2 != 0 {
		return fmt.Errorf("not a map: %+v", v)
	}
	for i := 0; i < len(v.elems); i += 2 {
		if err := each(v.elems[i].str, v.elems[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func unknown(what, key string) error { return fmt.Errorf("unknown %s field %q", what, key) }

func fromInfo(v value) (*cmdspec.Command, error) {
	e := v.elems
	if len(e) != 10 {
		return nil, fmt.Errorf("COMMAND INFO entry of %d fields", len(e))
	}
	cmd := &cmdspec.Command{
		Name: e[0].str, Arity: int(e[1].n), Flags: strs(e[2], ""),
		FirstKey: int(e[3].n), LastKey: int(e[4].n), Step: int(e[5].n),
		ACLCategories: strs(e[6], "@"), Tips: strs(e[7], ""),
	}
	for _, ks := range e[8].elems {
		spec, err := fromKeySpec(ks)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cmd.Name, err)
		}
		cmd.KeySpecs = append(cmd.KeySpecs, spec)
	}
	for _, s := range e[9].elems {
		sub, err := fromInfo(s)
		if err != nil {
			return nil, err
		}
		cmd.Subcommands = append(cmd.Subcommands, sub)
	}
	sort.Slice(cmd.Subcommands, func(i, j int) bool { return cmd.Subcommands[i].Name < cmd.Subcommands[j].Name })
	return cmd, nil
}

func fromKeySpec(v value) (cmdspec.KeySpec, error) {
	var s cmdspec.KeySpec
	err := fields(v, func(k string, val value) error {
		switch k {
		case "notes":
			s.Notes = val.str
		case "flags":
			s.Flags = strs(val, "")
		case "begin_search":
			return fields(val, func(k string, val value) error {
				switch k {
				case "type":
					s.BeginSearch.Type = val.str
				case "spec":
					return fields(val, func(k string, val value) error {
						switch k {
						case "index":
							s.BeginSearch.Index = int(val.n)
						case "keyword":
							s.BeginSearch.Keyword = val.str
						case "startfrom":
							s.BeginSearch.StartFrom = int(val.n)
						default:
							return unknown("begin_search spec", k)
						}
						return nil
					})
				default:
					return unknown("begin_search", k)
				}
				return nil
			})
		case "find_keys":
			return fields(val, func(k string, val value) error {
				switch k {
				case "type":
					s.FindKeys.Type = val.str
				case "spec":
					return fields(val, func(k string, val value) error {
						switch k {
						case "lastkey":
							s.FindKeys.LastKey = int(val.n)
						case "limit":
							s.FindKeys.Limit = int(val.n)
						case "keystep":
							s.FindKeys.KeyStep = int(val.n)
						case "keynumidx":
							s.FindKeys.KeyNumIdx = int(val.n)
						case "firstkey":
							s.FindKeys.FirstKey = int(val.n)
						default:
							return unknown("find_keys spec", k)
						}
						return nil
					})
				default:
					return unknown("find_keys", k)
				}
				return nil
			})
		default:
			return unknown("key spec", k)
		}
		return nil
	})
	return s, err
}

func fromDocs(cmd *cmdspec.Command, v value) error {
	d := &cmd.Docs
	return fields(v, func(k string, val value) error {
		switch k {
		case "summary":
			d.Summary = val.str
		case "since":
			d.Since = val.str
		case "group":
			d.Group = val.str
		case "complexity":
			d.Complexity = val.str
		case "doc_flags":
			d.DocFlags = strs(val, "")
		case "deprecated_since":
			d.DeprecatedSince = val.str
		case "replaced_by":
			d.ReplacedBy = val.str
		case "history":
			for _, h := range val.elems {
				if len(h.elems) != 2 {
					return fmt.Errorf("history entry %+v", h)
				}
				d.History = append(d.History, [2]string{h.elems[0].str, h.elems[1].str})
			}
		case "arguments":
			args, err := fromArgs(val)
			if err != nil {
				return err
			}
			d.Arguments = args
		case "subcommands":
			return fields(val, func(name string, val value) error {
				sub := cmd.Sub(strings.TrimPrefix(name, cmd.Name+"|"))
				if sub == nil {
					return fmt.Errorf("docs of unknown subcommand %s", name)
				}
				return fromDocs(sub, val)
			})
		default:
			return unknown("docs", k)
		}
		return nil
	})
}

func fromArgs(v value) ([]cmdspec.Arg, error) {
	var args []cmdspec.Arg
	for _, e := range v.elems {
		var a cmdspec.Arg
		err := fields(e, func(k string, val value) error {
			switch k {
			case "name":
				a.Name = val.str
			case "type":
				a.Type = val.str
			case "key_spec_index":
				n := int(val.n)
				a.KeySpecIndex = &n
			case "token":
				t := val.str
				a.Token = &t
			case "summary":
				a.Summary = val.str
			case "since":
				a.Since = val.str
			case "deprecated_since":
				a.DeprecatedSince = val.str
			case "flags":
				a.Flags = strs(val, "")
			case "arguments":
				sub, err := fromArgs(val)
				a.Arguments = sub
				return err
			default:
				return unknown("argument", k)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	return args, nil
}
