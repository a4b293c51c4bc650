package cmdspec

import (
	"slices"
	"strconv"
	"strings"
)

// KeyRef is one key argument: its position in the arguments and the flags
// of the key spec that found it (RO, RW, access...).
type KeyRef struct {
	Pos   int
	Flags []string
}

// HasKeys reports whether the command takes key arguments, as Redis's
// doesCommandHaveKeys: a key spec that is not "not_key", or a command
// Redis extracts keys of by code.
func (c *Command) HasKeys() bool {
	return getkeysProcs[c.Name] != nil || c.hasKeySpec()
}

func (c *Command) hasKeySpec() bool {
	for _, s := range c.KeySpecs {
		if !slices.Contains(s.Flags, "not_key") {
			return true
		}
	}
	return false
}

// Keys returns the key arguments of args (args[0] is the command's name,
// args[1] a subcommand's name).
func (c *Command) Keys(args [][]byte) [][]byte { return Pick(args, c.KeyRefs(args)) }

// Pick returns the arguments refs locate (nil for none).
func Pick(args [][]byte, refs []KeyRef) [][]byte {
	if len(refs) == 0 {
		return nil
	}
	keys := make([][]byte, len(refs))
	for i, r := range refs {
		keys[i] = args[r.Pos]
	}
	return keys
}

// KeyRefs locates the key arguments of args as Redis 7.0's
// getKeysFromCommandWithSpecs: from the key specs when they are complete
// and their flags fixed, else (or when the arguments do not fit the specs,
// e.g. numkeys is not a number) by the command's own code, as Redis's
// getkeys_proc. Arguments that locate no key give none.
func (c *Command) KeyRefs(args [][]byte) []KeyRef {
	varFlags := slices.ContainsFunc(c.KeySpecs, func(s KeySpec) bool { return slices.Contains(s.Flags, "variable_flags") })
	if c.hasKeySpec() && !varFlags {
		if refs, ok := c.specKeys(args); ok {
			return refs
		}
	}
	if proc := getkeysProcs[c.Name]; proc != nil {
		return proc(c, args)
	}
	return nil
}

// specKeys is Redis 7.0's getKeysUsingKeySpecs; ok is false when a spec
// cannot be applied (unknown, or the arguments do not fit it).
func (c *Command) specKeys(args [][]byte) (refs []KeyRef, ok bool) {
	argc := len(args)
	for _, spec := range c.KeySpecs {
		if slices.Contains(spec.Flags, "not_key") {
			continue
		}
		if slices.Contains(spec.Flags, "incomplete") {
			return nil, false
		}
		first := 0
		switch spec.BeginSearch.Type {
		case "index":
			first = spec.BeginSearch.Index
		case "keyword":
			first = keywordPos(args, spec.BeginSearch.Keyword, spec.BeginSearch.StartFrom)
			if first == 0 {
				continue // keyword not found: no keys from this spec
			}
		default:
			return nil, false
		}
		var last, step int
		switch fk := spec.FindKeys; fk.Type {
		case "range":
			step = fk.KeyStep
			switch {
			case fk.LastKey >= 0:
				last = first + fk.LastKey
			case fk.Limit == 0:
				last = argc + fk.LastKey
			default:
				last = first + ((argc-first)/fk.Limit + fk.LastKey)
			}
		case "keynum":
			step = fk.KeyStep
			if first+fk.KeyNumIdx >= argc {
				return nil, false
			}
			n, err := strconv.ParseInt(string(args[first+fk.KeyNumIdx]), 10, 64)
			if err != nil || n < 0 || strconv.FormatInt(n, 10) != string(args[first+fk.KeyNumIdx]) {
				return nil, false
			}
			if n > int64(argc) {
				return nil, false
			}
			first += fk.FirstKey
			last = first + int(n) - 1
		default:
			return nil, false
		}
		if last >= argc || last < first || first >= argc {
			return nil, false
		}
		for i := first; i <= last; i += max(step, 1) {
			refs = append(refs, KeyRef{Pos: i, Flags: spec.Flags})
		}
	}
	return refs, true
}

// keywordPos returns the position after keyword, searched from startFrom
// (backwards from the end when negative); 0 when it is not found.
func keywordPos(args [][]byte, keyword string, startFrom int) int {
	argc := len(args)
	start, end := startFrom, argc-1
	if startFrom <= 0 {
		start, end = argc+startFrom, 1
	}
	for i := start; i != end; {
		if i >= argc || i < 1 {
			break
		}
		if strings.EqualFold(string(args[i]), keyword) {
			return i + 1
		}
		if start <= end {
			i++
		} else {
			i--
		}
	}
	return 0
}

// getkeysProcs are Redis's getkeys_proc functions, used when the key
// specs cannot be applied: SORT's STORE may appear anywhere, MIGRATE's
// KEYS replaces its key argument, and a numkeys Redis's string2ll refuses
// may still be read by atoi ("+1", "01").
var getkeysProcs = map[string]func(c *Command, args [][]byte) []KeyRef{
	"sort":        sortKeys,
	"set":         setKeys,
	"bitfield":    bitfieldKeys,
	"sort_ro":     func(c *Command, _ [][]byte) []KeyRef { return []KeyRef{{Pos: 1, Flags: c.KeySpecs[0].Flags}} },
	"migrate":     migrateKeys,
	"sintercard":  numKeys(0, 1, 2),
	"zunion":      numKeys(0, 1, 2),
	"zinter":      numKeys(0, 1, 2),
	"zdiff":       numKeys(0, 1, 2),
	"zintercard":  numKeys(0, 1, 2),
	"lmpop":       numKeys(0, 1, 2),
	"zmpop":       numKeys(0, 1, 2),
	"zunionstore": numKeys(1, 2, 3),
	"zinterstore": numKeys(1, 2, 3),
	"zdiffstore":  numKeys(1, 2, 3),
	"eval":        numKeys(0, 2, 3),
	"evalsha":     numKeys(0, 2, 3),
	"eval_ro":     numKeys(0, 2, 3),
	"evalsha_ro":  numKeys(0, 2, 3),
	"fcall":       numKeys(0, 2, 3),
	"fcall_ro":    numKeys(0, 2, 3),
	"blmpop":      numKeys(0, 2, 3),
	"bzmpop":      numKeys(0, 2, 3),
}

// numKeys is Redis's genericGetKeys: numkeys (read by atoi) keys from
// first, then the destination key at store (0 for none).
func numKeys(store, count, first int) func(*Command, [][]byte) []KeyRef {
	return func(_ *Command, args [][]byte) []KeyRef {
		if count >= len(args) {
			return nil
		}
		n := atoi(args[count])
		if n < 1 || n > len(args)-first {
			return nil
		}
		refs := make([]KeyRef, 0, n+1)
		for i := range n {
			refs = append(refs, KeyRef{Pos: first + i})
		}
		if store > 0 {
			refs = append(refs, KeyRef{Pos: store})
		}
		return refs
	}
}

// atoi is C's atoi: leading spaces, a sign, then digits up to the first
// other byte; 0 when there are none.
func atoi(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	n := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9' && n < 1<<31; i++ {
		n = n*10 + int(b[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

// migrateKeys is Redis's migrateGetKeys: the key argument, or with the
// KEYS option (and an empty key argument) the keys after it.
func migrateKeys(c *Command, args [][]byte) []KeyRef {
	flags := c.KeySpecs[0].Flags
	first, num := 3, 1
	skip := map[string]int{"copy": 0, "replace": 0, "auth": 1, "auth2": 2}
	for i := 6; i < len(args); i++ {
		a := strings.ToLower(string(args[i]))
		if a == "keys" {
			if len(args[3]) > 0 {
				return nil
			}
			first, num = i+1, len(args)-i-1
			break
		}
		i += skip[a]
	}
	refs := make([]KeyRef, num)
	for i := range refs {
		refs[i] = KeyRef{Pos: first + i, Flags: flags}
	}
	return refs
}

// setKeys is Redis's setGetKeys: the key, read too with GET.
func setKeys(_ *Command, args [][]byte) []KeyRef {
	for _, a := range args[min(3, len(args)):] {
		if strings.EqualFold(string(a), "get") {
			return []KeyRef{{Pos: 1, Flags: []string{"RW", "access", "update"}}}
		}
	}
	return []KeyRef{{Pos: 1, Flags: []string{"OW", "update"}}}
}

// bitfieldKeys is Redis's bitfieldGetKeys: the key, read-only when only
// GET and OVERFLOW options are given.
func bitfieldKeys(_ *Command, args [][]byte) []KeyRef {
	readOnly := true
	for i := 2; i < len(args) && readOnly; i++ {
		rem := len(args) - i - 1
		switch a := strings.ToLower(string(args[i])); {
		case a == "get" && rem >= 2:
			i += 2
		case a == "overflow" && rem >= 1:
			i++
		default: // SET, INCRBY or a syntax error
			readOnly = false
		}
	}
	if readOnly {
		return []KeyRef{{Pos: 1, Flags: []string{"RO", "access"}}}
	}
	return []KeyRef{{Pos: 1, Flags: []string{"RW", "access", "update"}}}
}

// sortKeys is Redis's sortGetKeys: the sorted key and the key of the last
// STORE option, skipping LIMIT's two and GET's and BY's one argument.
func sortKeys(c *Command, args [][]byte) []KeyRef {
	refs := []KeyRef{{Pos: 1, Flags: c.KeySpecs[0].Flags}}
	store := -1
	skip := map[string]int{"limit": 2, "get": 1, "by": 1}
	for i := 2; i < len(args); i++ {
		a := strings.ToLower(string(args[i]))
		if n, ok := skip[a]; ok {
			i += n
		} else if a == "store" && i+1 < len(args) {
			store = i + 1
		}
	}
	if store > 0 {
		refs = append(refs, KeyRef{Pos: store, Flags: c.KeySpecs[len(c.KeySpecs)-1].Flags})
	}
	return refs
}
