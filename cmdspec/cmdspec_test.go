package cmdspec

import (
	"strings"
	"testing"

	"github.com/tidwall/redcon"
)

func split(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		if f == `""` {
			f = ""
		}
		out = append(out, []byte(f))
	}
	return out
}

// TestKeys: the keys of each command are what redis-server 7.0 answers
// to COMMAND GETKEYS (an error there is no key here).
func TestKeys(t *testing.T) {
	cases := []struct{ cmd, keys string }{
		{`get a`, "a"},
		{`set a b`, "a"},
		{`set a b get`, "a"},
		{`mset a 1 b 2`, "a b"},
		{`mset a 1 b`, "a b"},
		{`mget a b c`, "a b c"},
		{`del a b`, "a b"},
		{`zunionstore d 2 a b weights 1 2`, "d a b"},
		{`zunionstore d 3 a b`, ""},
		{`zunionstore d 0 a`, ""},
		{`zunionstore d x a`, ""},
		{`zintercard 2 a b limit 3`, "a b"},
		{`zintercard 1 a`, "a"},
		{`sintercard 2 a b`, "a b"},
		{`sintercard 3 a b`, ""},
		{`lmpop 2 a b left`, "a b"},
		{`lmpop 1 a right count 2`, "a"},
		{`zmpop 2 a b min`, "a b"},
		{`blmpop 0 2 a b left`, "a b"},
		{`bzmpop 1.5 1 a max`, "a"},
		{`eval s 2 a b c`, "a b"},
		{`eval s 0`, ""},
		{`eval s 3 a`, ""},
		{`evalsha x 1 k`, "k"},
		{`fcall f 2 a b x`, "a b"},
		{`fcall_ro f 1 a`, "a"},
		{`eval_ro s 1 a`, "a"},
		{`xread streams a b 0 0`, "a b"},
		{`xread count 2 streams a 0`, "a"},
		{`xread streams a b c`, "a"},
		{`xreadgroup group g c streams a b 0 0`, "a b"},
		{`georadius k 0 0 1 km store d`, "k d"},
		{`georadius k 0 0 1 km storedist d`, "k d"},
		{`georadius k 0 0 1 km store d storedist e`, "k d e"},
		{`georadiusbymember k m 1 km store d`, "k d"},
		{`migrate h 1 k 0 1`, "k"},
		{`migrate h 1 "" 0 1 keys a b`, "a b"},
		{`migrate h 1 k 0 1 keys a b`, ""},
		{`migrate h 1 "" 0 1 auth x keys a b`, "a b"},
		{`sort k`, "k"},
		{`sort k store d`, "k d"},
		{`sort k by x get y store d limit 0 1`, "k d"},
		{`sort k store d store e`, "k e"},
		{`sort k limit store x store d`, "k d"},
		{`sort_ro k by x`, "k"},
		{`zinter 2 a b`, "a b"},
		{`zdiff 2 a b withscores`, "a b"},
		{`zunion 1 a`, "a"},
		{`zinterstore d 2 a b`, "d a b"},
		{`zdiffstore d 1 a`, "d a"},
		{`zrangestore d s 0 1`, "d s"},
		{`object encoding k`, "k"},
		{`memory usage k`, "k"},
		{`bitop and d a b`, "d a b"},
		{`bitfield k get u8 0`, "k"},
		{`bitfield_ro k get u8 0`, "k"},
		{`copy a b`, "a b"},
		{`rename a b`, "a b"},
		{`smove a b m`, "a b"},
		{`lmove a b left right`, "a b"},
		{`blmove a b left right 0`, "a b"},
		{`rpoplpush a b`, "a b"},
		{`blpop a b 0`, "a b"},
		{`watch a b`, "a b"},
		{`sinterstore d a b`, "d a b"},
		{`lcs a b`, "a b"},
		{`pfcount a b`, "a b"},
		{`pfmerge d a b`, "d a b"},
		{`geosearchstore d s frommember m byradius 1 km`, "d s"},
		{`xadd s * a b`, "s"},
		{`xgroup create s g $`, "s"},
		{`msetnx a 1 b 2`, "a b"},
		{`touch a`, "a"},
		{`getex a`, "a"},
		{`eval s -1 a`, ""},
		{`eval s 01 a`, "a"},
		{`zunionstore d +1 a`, "a d"},
		{`georadius k 0 0 1 km store`, "k"},
		{`restore k 0 v`, "k"},
		{`object freq k`, "k"},
		{`sort k get`, "k"},
		{`sort k store`, "k"},
		{`sort k limit 0`, "k"},
		{`zunionstore d -1 a`, ""},
	}
	for _, c := range cases {
		args := split(c.cmd)
		cmd := Resolve(args)
		if cmd == nil {
			t.Fatalf("%s: unknown command", c.cmd)
		}
		var got []string
		for _, k := range cmd.Keys(args) {
			got = append(got, string(k))
		}
		if g := strings.Join(got, " "); g != c.keys {
			t.Errorf("%s: keys %q, want %q", c.cmd, g, c.keys)
		}
	}
}

func TestLookup(t *testing.T) {
	get := Lookup("GET")
	if get == nil || get.Arity != 2 || !get.Has("readonly") || !get.Has("fast") || !get.InCategory("string") || get.Docs.Group != "string" {
		t.Fatalf("GET = %+v", get)
	}
	list := Lookup("Client|List")
	if list == nil || list != Lookup("client").Sub("LIST") || list.Parent() != Lookup("client") || list.Arity != -2 {
		t.Fatalf("CLIENT|LIST = %+v", list)
	}
	if Lookup("nosuch") != nil || Lookup("client|nosuch") != nil || Resolve(split("client nosuch")) != nil {
		t.Fatal("unknown commands found")
	}
	if Resolve(split("object")) != Lookup("object") || Resolve(split("object encoding k")) != Lookup("object|encoding") {
		t.Fatal("Resolve of a container")
	}
	if !Lookup("get").HasKeys() || Lookup("ping").HasKeys() || Lookup("spublish").HasKeys() || !Lookup("sort").HasKeys() {
		t.Fatal("HasKeys")
	}
	if !get.ArityOK(2) || get.ArityOK(3) || !Lookup("set").ArityOK(5) || Lookup("set").ArityOK(2) {
		t.Fatal("ArityOK")
	}
	if n := len(All()); n < 200 {
		t.Fatalf("%d commands", n)
	}
}

// TestInfoReply checks the shape of a COMMAND INFO entry: the bytes are
// compared with redis-server's by tools/cmdgen and tests/command_test.go.
func TestInfoReply(t *testing.T) {
	b := AppendInfo(nil, Lookup("get"), nil, false)
	want := "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n" +
		"*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n" +
		"$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"
	if string(b) != want {
		t.Fatalf("COMMAND INFO get:\n%q\nwant\n%q", b, want)
	}
	docs := AppendDocs(nil, Lookup("object"), []*Command{Lookup("object|help")}, false)
	n, v := redcon.ReadNextRESP(docs)
	var items []redcon.RESP
	v.ForEach(func(r redcon.RESP) bool { items = append(items, r); return true })
	if n != len(docs) || len(items) != 10 || items[8].String() != "subcommands" || !strings.Contains(items[9].String(), "object|help") {
		t.Fatalf("COMMAND DOCS object: %q", docs)
	}
}
