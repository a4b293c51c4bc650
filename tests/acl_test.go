package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestACLDifferential compares the ACL commands with redis-server 7.0:
// rules, their descriptions, DRYRUN's verdicts and errors (issue 18 item
// 6).
func TestACLDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	d.run(
		"ACL SETUSER alice on >pw ~app:* +@read",
		"ACL GETUSER alice",
		"ACL SETUSER bob %R~r:* %W~w:* &ch* +get +set -@all +@string -append allchannels",
		"ACL GETUSER bob",
		"sorted ACL LIST",
		"sorted ACL USERS",
		"ACL SETUSER carol on nopass allkeys allcommands -flushall resetchannels &news.*",
		"ACL GETUSER carol",
		"ACL SETUSER carol resetpass >a >b <a",
		"ACL GETUSER carol",
		"ACL SETUSER dave #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 on ~* +@all",
		"ACL GETUSER dave",
		"ACL SETUSER x bogus",
		"ACL SETUSER x +nosuchcommand",
		"ACL SETUSER x +@nosuchcategory",
		"ACL SETUSER x #abc",
		"ACL GETUSER nobody",
		"ACL DRYRUN alice get app:1",
		"ACL DRYRUN alice get other",
		"ACL DRYRUN alice set app:1 x",
		"ACL DRYRUN bob get r:1",
		"ACL DRYRUN bob get w:1",
		"ACL DRYRUN bob set w:1 x",
		"ACL DRYRUN bob set r:1 x",
		"ACL DRYRUN bob append w:1 x",
		"ACL DRYRUN carol flushall",
		"ACL DRYRUN nobody get x",
		"ACL DRYRUN alice nosuchcommand",
		"ACL WHOAMI",
		"ACL CAT",
		"sorted ACL CAT string",
		"ACL CAT nosuch",
		// Selectors: the root or any selector allows a command whole.
		"ACL SETUSER sel on >pw (~x* +get) (%R~y* &c +set)",
		"ACL GETUSER sel",
		"ACL DRYRUN sel get x1",
		"ACL DRYRUN sel get y1",
		"ACL DRYRUN sel set y1 v",
		"ACL DRYRUN sel set x1 v",
		"ACL DRYRUN sel hget x1 f",
		"ACL SETUSER sel2 on (~x*",
		"ACL SETUSER sel2 on (~x* +get",
		"ACL SETUSER sel2 on (~x* bogus)",
		"ACL SETUSER sel3 on &a &b ~k* (&c ~z* +get) +set",
		"sorted ACL LIST",
		"ACL SETUSER sel clearselectors",
		"ACL GETUSER sel",
		"ACL DELUSER sel sel3",
		// Without an aclfile (TestACLFile covers one).
		"ACL SAVE",
		"ACL LOAD",
		"CONFIG GET aclfile",
		"ACL DELUSER alice nobody bob",
		"ACL DELUSER default",
		"sorted ACL USERS",
		"ACL LOG RESET",
		// Scripts run with their caller's user.
		"ACL SETUSER ev on nopass ~k* +eval +get +ping +hello +client",
	)
	u := newDiffer(t, env.ti.Addr, env.redisAddr, func(o *redis.Options) { o.Username, o.Password = "ev", "x" })
	u.run(
		`EVAL "return redis.call('GET','secret')" 0`,
		`EVAL "return redis.call('SET','k1','v')" 0`,
		`EVAL "return redis.pcall('SET','k1','v')" 0`,
		`EVAL "return redis.call('GET','k1')" 0`,
		`EVAL "return redis.acl_check_cmd('SET','k1','v')" 0`,
		`EVAL "return redis.acl_check_cmd('GET','k1')" 0`,
		`EVAL "return redis.acl_check_cmd('GET','x1')" 0`,
		`EVAL "return redis.acl_check_cmd('nosuch')" 0`,
	)
	if log := fmt.Sprint(env.ti.Client().Do(context.Background(), "ACL", "LOG", "1").Val()); !strings.Contains(log, "context lua") || !strings.Contains(log, "username ev") || !strings.Contains(log, "user=ev") {
		t.Fatalf("ACL LOG after a script's denial: %s", log)
	}
	d.run("ACL LOG RESET", "ACL DELUSER ev")
}

// TestACLUser: a user with ~app:* +@read reads app keys with redis-cli
// --user and gets NOPERM with Redis's texts elsewhere; denials show in ACL
// LOG; a wrong password is WRONGPASS. (Across instances:
// instance/instancetest's TestACLSharedByInstances.)
func TestACLUser(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not installed")
	}
	a := startTitan(t)
	ctx := context.Background()
	admin := a.Client()
	if err := admin.Do(ctx, "ACL", "SETUSER", "alice", "on", ">pw", "~app:*", "+@read").Err(); err != nil {
		t.Fatal(err)
	}
	if err := admin.Set(ctx, "app:1", "v1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	admin.Set(ctx, "secret", "s", 0)
	cli := func(args ...string) string {
		host, port, _ := strings.Cut(a.Addr, ":")
		out, _ := exec.Command("redis-cli", append([]string{"-h", host, "-p", port, "--user", "alice", "--pass", "pw", "--no-auth-warning"}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	if got := cli("GET", "app:1"); got != "v1" {
		t.Fatalf("alice GET app:1 = %q", got)
	}
	if got := cli("GET", "secret"); got != "NOPERM this user has no permissions to access one of the keys used as arguments" {
		t.Fatalf("alice GET secret = %q", got)
	}
	if got := cli("SET", "app:1", "x"); got != "NOPERM this user has no permissions to run the 'set' command" {
		t.Fatalf("alice SET = %q", got)
	}
	if got := cli("ACL", "WHOAMI"); got != "NOPERM this user has no permissions to run the 'acl|whoami' command" {
		t.Fatalf("alice ACL WHOAMI = %q", got)
	}
	log, err := admin.Do(ctx, "ACL", "LOG").Slice()
	if err != nil || len(log) < 2 {
		t.Fatalf("ACL LOG = %v, %v", log, err)
	}
	// Wrong password.
	host, port, _ := strings.Cut(a.Addr, ":")
	out, _ := exec.Command("redis-cli", "-h", host, "-p", port, "--user", "alice", "--pass", "nope", "--no-auth-warning", "PING").CombinedOutput()
	if !strings.Contains(string(out), "WRONGPASS") {
		t.Fatalf("wrong password: %q", out)
	}
	// Logged as Redis logs it: reason auth, object AUTH.
	if log := fmt.Sprint(admin.Do(ctx, "ACL", "LOG", "1").Val()); !strings.Contains(log, "reason auth context toplevel object AUTH username alice") {
		t.Fatalf("ACL LOG after a wrong password: %s", log)
	}
}

// TestACLFile: ACL SAVE writes the users in Redis's aclfile format and ACL
// LOAD replaces them from it (all or none, with Redis's error texts),
// compared with redis-server 7 running with an aclfile of its own. (The
// loaded users are stored as ACL SETUSER's are: instancetest's
// TestACLSharedByInstances shows every instance sees those.)
func TestACLFile(t *testing.T) {
	rdir, tdir := t.TempDir(), t.TempDir()
	rfile, tfile := filepath.Join(rdir, "users.acl"), filepath.Join(tdir, "users.acl")
	write := func(content string) {
		t.Helper()
		for _, f := range []string{rfile, tfile} {
			if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("user default on nopass ~* &* +@all\n")
	raddr := startRedis(t, "--aclfile", rfile).Options().Addr
	ti := startTitan(t, "--aclfile", tfile)
	d := newDiffer(t, ti.Addr, raddr)
	d.run(
		"ACL SETUSER z on >p (~x* +get) &c %R~r*",
		"ACL SETUSER y off nopass +@all -flushall",
		"ACL SAVE",
	)
	rb, _ := os.ReadFile(rfile)
	tb, _ := os.ReadFile(tfile)
	if string(rb) != string(tb) {
		t.Fatalf("ACL SAVE files differ:\nredis-server:\n%s\ntitan:\n%s", rb, tb)
	}
	write("user a on >pw ~x* +get\nuser b on bogus\nfoo bar\nuser a off\nuser c (~x* +get\n")
	tr, rr := d.both("ACL", "LOAD")
	if got, want := strings.ReplaceAll(tr.String(), tfile, "F"), strings.ReplaceAll(rr.String(), rfile, "F"); got != want {
		t.Fatalf("ACL LOAD of a bad file:\ntitan: %s\nredis: %s", got, want)
	}
	d.run("sorted ACL USERS") // unchanged
	write("\nuser default on nopass ~* &* +@all\nuser q on #148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940 ~q* +get (~w* +set)\n")
	d.run("ACL LOAD", "sorted ACL LIST", "ACL DRYRUN q set w1 v", "ACL DRYRUN q get w1")
	for _, f := range []string{rfile, tfile} {
		os.Remove(f)
	}
	tr, rr = d.both("ACL", "LOAD")
	if got, want := strings.ReplaceAll(tr.String(), tfile, "F"), strings.ReplaceAll(rr.String(), rfile, "F"); got != want {
		t.Fatalf("ACL LOAD without the file:\ntitan: %s\nredis: %s", got, want)
	}
	d.run("CONFIG SET aclfile /tmp/x")
}
