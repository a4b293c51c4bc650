package acl

import (
	"testing"

	"github.com/titan-kv/titan/cmdspec"
)

// TestRulesRoundTrip: a user rebuilt from its Rules behaves and describes
// itself the same.
func TestRulesRoundTrip(t *testing.T) {
	u := NewUser("bob")
	if err := u.Apply([]string{"on", ">pw", "%R~r:*", "%W~w:*", "~rw:*", "&ch*", "-@all", "+@string", "-append", "+ping"}); err != nil {
		t.Fatal(err)
	}
	back, err := Parse("bob", u.Rules())
	if err != nil {
		t.Fatal(err)
	}
	if back.Rules() != u.Rules() {
		t.Fatalf("round trip:\n%s\n%s", u.Rules(), back.Rules())
	}
	for _, c := range []struct {
		cmd  string
		want bool
	}{{"get", true}, {"set", true}, {"append", false}, {"ping", true}, {"hget", false}} {
		if got := back.CanRun(cmdspec.Lookup(c.cmd)); got != c.want {
			t.Errorf("CanRun(%s) = %v", c.cmd, got)
		}
	}
	read, write := []string{"RO", "access"}, []string{"RW", "update"}
	for _, c := range []struct {
		key   string
		flags []string
		want  bool
	}{{"r:1", read, true}, {"r:1", write, false}, {"w:1", write, true}, {"w:1", read, false}, {"rw:1", write, true}, {"x", read, false}} {
		if got := back.CanKey([]byte(c.key), c.flags); got != c.want {
			t.Errorf("CanKey(%s, %v) = %v", c.key, c.flags, got)
		}
	}
	if !back.CheckPassword([]byte("pw")) || back.CheckPassword([]byte("no")) {
		t.Error("password check")
	}
	if !back.CanChannel([]byte("chat"), false) || back.CanChannel([]byte("news"), false) || back.CanChannel([]byte("ch*x"), true) {
		t.Error("channel check")
	}
}

func TestDefaultUser(t *testing.T) {
	if u := Default(""); !u.NoPass || !u.Unrestricted() || u.Rules() != "on nopass ~* &* +@all" {
		t.Fatalf("default without requirepass: %q", u.Rules())
	}
	u := Default("s3cret")
	if u.NoPass || !u.CheckPassword([]byte("s3cret")) || u.CheckPassword([]byte("x")) {
		t.Fatal("requirepass is not the default user's password")
	}
	u.Apply([]string{"off"})
	if u.CheckPassword([]byte("s3cret")) {
		t.Fatal("a disabled user authenticated")
	}
}

// TestSelectors: a selector split over several rules is one selector; a
// user's rules with selectors round-trip; reset and clearselectors drop
// them; an unclosed selector is an error naming where it starts.
func TestSelectors(t *testing.T) {
	u := NewUser("s")
	if err := u.Apply([]string{"on", "~k*", "+get", "(~x*", "&c", "+set)", "(%R~y* +get)"}); err != nil {
		t.Fatal(err)
	}
	if len(u.Selectors) != 2 {
		t.Fatalf("%d selectors", len(u.Selectors))
	}
	want := "on ~k* resetchannels -@all +get (~x* resetchannels &c -@all +set) (%R~y* resetchannels -@all +get)"
	if got := u.Rules(); got != want {
		t.Fatalf("Rules = %q", got)
	}
	back, err := Parse("s", u.Rules())
	if err != nil || back.Rules() != want {
		t.Fatalf("round trip: %v %q", err, back.Rules())
	}
	if !u.Selectors[0].CanRun(cmdspec.Lookup("set")) || u.CanRun(cmdspec.Lookup("set")) {
		t.Fatal("set should be allowed by the first selector only")
	}
	if err := u.Apply([]string{"(~z*", "+get"}); err == nil || err.Error() != "Unmatched parenthesis in acl selector starting at '(~z*'." {
		t.Fatalf("unclosed selector: %v", err)
	}
	if err := u.Apply([]string{"clearselectors"}); err != nil || len(u.Selectors) != 0 {
		t.Fatalf("clearselectors: %v, %d left", err, len(u.Selectors))
	}
}
