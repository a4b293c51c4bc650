package journal

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestJournalSurvivesReopenAndTornWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dirty")
	j, keys, err := Open(path)
	if err != nil || len(keys) != 0 {
		t.Fatalf("open new: %v %q", err, keys)
	}
	for _, k := range []string{"a", "b:c\nd", "", "a"} {
		if err := j.Append([]byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	// A crash in the middle of a record leaves a torn tail.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("5:tor")
	f.Close()

	j, keys, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{[]byte("a"), []byte("b:c\nd"), {}}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("keys %q, want %q", keys, want)
	}
	if err := j.Truncate(); err != nil {
		t.Fatal(err)
	}
	j.Append([]byte("z"))
	j.Close()
	_, keys, err = Open(path)
	if err != nil || len(keys) != 1 || string(keys[0]) != "z" {
		t.Fatalf("after truncate: %q %v", keys, err)
	}
}

func TestJournalRejectsGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dirty")
	os.WriteFile(path, []byte("x:y\n"), 0o644)
	if _, _, err := Open(path); err == nil {
		t.Fatal("garbage accepted")
	}
}

func TestNilJournal(t *testing.T) {
	var j *Journal
	if j.Append([]byte("k")) != nil || j.Truncate() != nil || j.Close() != nil {
		t.Fatal("nil journal failed")
	}
}
