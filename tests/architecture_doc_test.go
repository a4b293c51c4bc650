package tests

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestArchitecturePackageTable keeps the package table of
// docs/ARCHITECTURE.md true: every directory with Go code is in a row
// (its own, or the row of the nearest parent directory listed), every row
// names a directory that exists, and each row's line count is within 15%
// (or 40 lines) of `wc -l` of the non-test Go files it covers. When this
// fails after a change, update the row.
func TestArchitecturePackageTable(t *testing.T) {
	doc, err := os.ReadFile("../docs/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `([a-z0-9/]+)` \\|.*\\| ([0-9,]+)[^|]*\\|$")
	stated := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for sc.Scan() {
		if m := row.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.Atoi(strings.ReplaceAll(m[2], ",", ""))
			stated[m[1]] = n
		}
	}
	if len(stated) < 10 {
		t.Fatalf("found %d package rows in docs/ARCHITECTURE.md; the table's format changed?", len(stated))
	}
	counted := map[string]int{}
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("..", path)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || rel == "tests" || d.Name() == "testdata" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(rel))
		owner := dir
		for owner != "." {
			if _, ok := stated[owner]; ok {
				break
			}
			owner = filepath.ToSlash(filepath.Dir(owner))
		}
		if owner == "." {
			t.Errorf("package %s has no row in the package table of docs/ARCHITECTURE.md", dir)
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		counted[owner] += bytes.Count(b, []byte{'\n'})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg, n := range stated {
		got, ok := counted[pkg]
		if !ok {
			t.Errorf("docs/ARCHITECTURE.md lists %s, which has no Go code", pkg)
			continue
		}
		if diff := max(got-n, n-got); diff > 40 && diff*100 > 15*got {
			t.Errorf("docs/ARCHITECTURE.md says %s has %d lines; it has %d", pkg, n, got)
		}
	}
}
