package conf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The documented example must be exactly the defaults.
func TestExampleIsDefault(t *testing.T) {
	c, err := Load("titan.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.File != "titan.toml" {
		t.Fatalf("File = %q, want the path loaded", c.File)
	}
	c.File = ""
	if c != Default() {
		t.Fatalf("conf/titan.toml differs from Default():\n%+v\n%+v", c, Default())
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrors(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"unknown":  {"listen = \"127.0.0.1:1\"\nlisen = 1\n", "unknown settings: lisen"},
		"bad toml": {"listen = \n", "config"},
		"bad type": {"databases = \"x\"\n", "databases"},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.toml")
			os.WriteFile(p, []byte(tc.body), 0o644)
			_, err := Load(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"listen":    func(c *Config) { c.Listen = "nope" },
		"store":     func(c *Config) { c.Store = "redis://x" },
		"databases": func(c *Config) { c.Databases = 0 },
		"namespace": func(c *Config) { c.Namespace = "a:b" },
		"log level": func(c *Config) { c.LogLevel = "loud" },
		"bulk":      func(c *Config) { c.ProtoMaxBulkLen = 10 },
		"workers":   func(c *Config) { c.Batch.Workers = 0 },
	} {
		c := Default()
		mutate(&c)
		if c.Validate() == nil {
			t.Errorf("%s: invalid config accepted", name)
		}
	}
}
