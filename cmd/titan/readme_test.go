package main

import (
	"os"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestREADMEFlags: every flag of titan is in README.md's flags table, and
// the table names no flag titan lacks.
func TestREADMEFlags(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "## Flags")
	table, _, _ = strings.Cut(table, "\n\n`")
	documented := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		first, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " |")
		for _, f := range strings.Split(first, ",") {
			f = strings.Trim(strings.TrimSpace(f), "`")
			f, _, _ = strings.Cut(f, " ")
			if strings.HasPrefix(f, "--") {
				documented[strings.TrimPrefix(f, "--")] = true
			}
		}
	}
	if len(documented) < 10 {
		t.Fatalf("found %d flags in README.md's table; its format changed?", len(documented))
	}
	cmd := newRootCmd()
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" || f.Hidden {
			return
		}
		if !documented[f.Name] {
			t.Errorf("flag --%s is not in README.md's flags table", f.Name)
		}
		delete(documented, f.Name)
	})
	for f := range documented {
		t.Errorf("README.md documents --%s, which titan does not have", f)
	}
}
