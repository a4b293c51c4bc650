package settings

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/titan-kv/titan/conf"
)

func newTest(t *testing.T, file string) (*Registry, *int64, *int64) {
	base := conf.Default()
	base.File = file
	r := New(base)
	var a, b int64 = 1, 2
	pa := Int("alpha", 0, 10, func() int64 { return a }, func(v int64) { a = v })
	pa.Save = func(c *conf.Config) { c.Timeout = int(a) }
	pb := Int("beta", 0, 10, func() int64 { return b }, func(v int64) { b = v })
	pb.Aliases = []string{"beta-alias"}
	r.Register(pa, pb, Fixed("gamma", "0", "not used"), Param{Name: "delta", Get: func() string { return "d" }})
	return r, &a, &b
}

func TestSetAllOrNothing(t *testing.T) {
	r, a, b := newTest(t, "")
	if err := r.Set([]string{"alpha", "5", "beta", "11"}); err == nil ||
		err.Error() != "ERR CONFIG SET failed (possibly related to argument 'beta') - argument must be between 0 and 10 inclusive" {
		t.Fatalf("Set = %v", err)
	}
	if *a != 1 || *b != 2 {
		t.Fatalf("a failed SET changed values: %d %d", *a, *b)
	}
	if err := r.Set([]string{"ALPHA", "5", "beta", "6"}); err != nil || *a != 5 || *b != 6 {
		t.Fatalf("Set = %v, values %d %d", err, *a, *b)
	}
	for args, want := range map[string]string{
		"nosuch 1":            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'",
		"alpha 1 nosuch 1":    "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'",
		"gamma 1":             "ERR CONFIG SET failed (possibly related to argument 'gamma') - not used",
		"delta 1":             "ERR CONFIG SET failed (possibly related to argument 'delta') - can't set immutable config",
		"beta 1 beta-alias 2": "ERR CONFIG SET failed (possibly related to argument 'beta-alias') - duplicate parameter",
		"alpha x":             "ERR CONFIG SET failed (possibly related to argument 'alpha') - argument couldn't be parsed into an integer",
	} {
		if err := r.Set(strings.Fields(args)); err == nil || err.Error() != want {
			t.Errorf("Set %s = %v, want %s", args, err, want)
		}
	}
}

func TestGetPatterns(t *testing.T) {
	r, _, _ := newTest(t, "")
	names, values := r.Get([]string{"ALPHA", "alpha", "b*", "*a"})
	if want := []string{"ALPHA", "beta", "beta-alias", "delta", "gamma"}; !slices.Equal(names, want) {
		t.Fatalf("names %v, want %v", names, want)
	}
	if want := []string{"1", "2", "2", "d", "0"}; !slices.Equal(values, want) {
		t.Fatalf("values %v, want %v", values, want)
	}
}

func TestRegisterReplacesFixed(t *testing.T) {
	r, _, _ := newTest(t, "")
	r.Register(String("gamma", func() string { return "real" }, func(string) {}))
	if _, v := r.Get([]string{"gamma"}); len(v) != 1 || v[0] != "real" {
		t.Fatalf("gamma = %v", v)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("registering alpha twice did not panic")
		}
	}()
	r.Register(String("alpha", func() string { return "" }, func(string) {}))
}

func TestRewrite(t *testing.T) {
	r, _, _ := newTest(t, "")
	if err := r.Rewrite(); err != ErrNoConfigFile {
		t.Fatalf("Rewrite without a file = %v", err)
	}
	path := filepath.Join(t.TempDir(), "titan.toml")
	os.WriteFile(path, []byte("databases = 3\n"), 0o644)
	base, err := conf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r = New(base)
	var a int64 = 1
	p := Int("alpha", 0, 100, func() int64 { return a }, func(v int64) { a = v })
	p.Save = func(c *conf.Config) { c.Timeout = int(a) }
	r.Register(p)
	if err := r.Set([]string{"alpha", "42"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Rewrite(); err != nil {
		t.Fatal(err)
	}
	got, err := conf.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Timeout != 42 || got.Databases != 3 {
		t.Fatalf("rewritten: timeout %d databases %d", got.Timeout, got.Databases)
	}
	os.Chmod(filepath.Dir(path), 0o500)
	defer os.Chmod(filepath.Dir(path), 0o700)
	if os.Geteuid() != 0 {
		if err := r.Rewrite(); err == nil || strings.Contains(err.Error(), path) {
			t.Fatalf("Rewrite in a read-only directory = %v (want an error without the path)", err)
		}
	}
}
