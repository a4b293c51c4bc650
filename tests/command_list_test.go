package tests

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCommandListLacks compares titan's COMMAND LIST with redis-server
// 7's: every command and subcommand Redis lists that titan does not must
// be named in the note of docs/OPERATIONS.md (between the lacks:begin and
// lacks:end markers), and the note must not name one titan has. When this
// fails after a command was added, remove it from the note.
func TestCommandListLacks(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	ctx := context.Background()
	list := func(c *recordedClient) []string {
		names, err := c.Do(ctx, "command", "list").StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	ours, theirs := list(d.titan), list(d.redis)
	var lacks []string
	for _, n := range theirs {
		if !slices.Contains(ours, n) {
			lacks = append(lacks, n)
		}
	}
	doc, err := os.ReadFile("../docs/OPERATIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	_, note, ok := strings.Cut(string(doc), "<!-- lacks:begin -->")
	note, _, ok2 := strings.Cut(note, "<!-- lacks:end -->")
	if !ok || !ok2 {
		t.Fatal("docs/OPERATIONS.md has no <!-- lacks:begin --> ... <!-- lacks:end --> note")
	}
	noted := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z|-]+)`").FindAllStringSubmatch(note, -1) {
		noted[m[1]] = true
	}
	for _, n := range lacks {
		if !noted[n] {
			t.Errorf("titan lacks %s of redis-server's COMMAND LIST: add it to the note in docs/OPERATIONS.md, with why", n)
		}
		delete(noted, n)
	}
	for n := range noted {
		t.Errorf("docs/OPERATIONS.md says titan lacks %s, but titan's COMMAND LIST has it (or Redis's has not): remove it from the note", n)
	}
	t.Logf("titan lists %d of redis-server's %d names; lacks %d", len(theirs)-len(lacks), len(theirs), len(lacks))
}
