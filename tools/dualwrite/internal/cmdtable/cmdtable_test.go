package cmdtable

import (
	"strings"
	"testing"
)

func split(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		out = append(out, []byte(f))
	}
	return out
}

func TestKeys(t *testing.T) {
	cases := []struct {
		cmd, keys string
		kind      Kind
		multi     Multi
	}{
		{"GET a", "a", Read, Single},
		{"set a 1 EX 10", "a", Write, Single},
		{"MGET a b c", "a b c", Read, MGet},
		{"MSET a 1 b 2", "a b", Write, MSet},
		{"DEL a b", "a b", Write, SumInt},
		{"ZUNIONSTORE d 2 a b WEIGHTS 1 2", "d a b", Write, SameShard},
		{"SINTERCARD 2 a b LIMIT 1", "a b", Read, SameShard},
		{"SMOVE a b m", "a b", Write, SameShard},
		{"HMGET h f1 f2", "h", Read, Single},
		{"PING", "", Admin, Single},
	}
	for _, c := range cases {
		args := split(c.cmd)
		s, ok := Lookup(args[0])
		if !ok {
			t.Fatalf("%s: unknown", c.cmd)
		}
		keys, err := s.Keys(args)
		if err != nil {
			t.Fatalf("%s: %v", c.cmd, err)
		}
		var got []string
		for _, k := range keys {
			got = append(got, string(k))
		}
		if strings.Join(got, " ") != c.keys || s.Kind != c.kind || s.Multi != c.multi {
			t.Errorf("%s: keys %q kind %v multi %v, want %q %v %v", c.cmd, got, s.Kind, s.Multi, c.keys, c.kind, c.multi)
		}
	}
}

func TestArity(t *testing.T) {
	for _, c := range []string{"GET", "GET a b", "MSET a", "MSET a 1 b", "ZUNIONSTORE d 3 a b", "SET a"} {
		args := split(c)
		s, _ := Lookup(args[0])
		if _, err := s.Keys(args); err == nil {
			t.Errorf("%s: want arity error", c)
		}
	}
}

func TestRefused(t *testing.T) {
	for _, c := range []string{"MULTI", "eval", "BLPOP", "KEYS"} {
		s, ok := Lookup([]byte(c))
		if !ok || s.Kind != Refused || s.Why == "" {
			t.Errorf("%s: want refused with a reason, got %+v", c, s)
		}
	}
}

// TestOneKeyFastPath: for every command whose key the table takes from
// the first argument without a search, the full key search agrees, on
// argument lists of every length the command accepts up to 8.
func TestOneKeyFastPath(t *testing.T) {
	n := 0
	for name, s := range table {
		if !s.oneKey {
			continue
		}
		n++
		for argc := 2; argc <= 8; argc++ {
			if !s.cmd.ArityOK(argc) {
				continue
			}
			args := [][]byte{[]byte(name)}
			for i := 1; i < argc; i++ {
				args = append(args, []byte("a"+strings.Repeat("x", i)))
			}
			refs := s.cmd.KeyRefs(args)
			if len(refs) != 1 || refs[0].Pos != 1 {
				t.Errorf("%s with %d arguments: key search gives %v, the fast path the first argument", name, argc, refs)
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d one-key commands take the fast path", n)
	}
}
