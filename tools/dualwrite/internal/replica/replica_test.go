package replica

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

// The spool hands the reader every byte in order across segment files,
// waits for the writer when caught up, removes finished segments, and
// ends with the writer's error.
func TestSpool(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	sp, err := newSpool(dir, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Remove()
	var want bytes.Buffer
	done := make(chan []byte)
	go func() {
		got, _ := io.ReadAll(iotest.OneByteReader(sp))
		done <- got
	}()
	for i := range 300 {
		p := bytes.Repeat([]byte{byte(i)}, i%17+1)
		want.Write(p)
		if _, err := sp.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	sp.CloseWrite(nil)
	if got := <-done; !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("read %d bytes, wrote %d, or out of order", len(got), want.Len())
	}
	if files, _ := os.ReadDir(dir); len(files) > 1 {
		t.Fatalf("%d segment files left after reading everything", len(files))
	}
	boom := errors.New("boom")
	sp2, err := newSpool(filepath.Join(t.TempDir(), "s2"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer sp2.Remove()
	sp2.Write([]byte("ab"))
	sp2.CloseWrite(boom)
	got, err := io.ReadAll(sp2)
	if string(got) != "ab" || !errors.Is(err, boom) {
		t.Fatalf("got %q, %v", got, err)
	}
}

// copyUntilMark stops at the mark wherever reads split it and returns
// what followed it.
func TestCopyUntilMark(t *testing.T) {
	mark := bytes.Repeat([]byte("m"), 39)
	mark = append(mark, 'x')
	body := bytes.Repeat([]byte("snapshot-"), 1000)
	in := append(append(append([]byte{}, body...), mark...), "*1\r\n$4\r\nPING\r\n"...)
	for _, r := range []io.Reader{bytes.NewReader(in), iotest.OneByteReader(bytes.NewReader(in)), iotest.HalfReader(bytes.NewReader(in))} {
		var w bytes.Buffer
		n, rest, err := copyUntilMark(&w, r, mark)
		if err != nil || n != int64(len(body)) || !bytes.Equal(w.Bytes(), body) {
			t.Fatalf("copied %d bytes (%v), want %d", n, err, len(body))
		}
		// rest is what the read that found the mark returned after it.
		if !bytes.HasPrefix([]byte("*1\r\n$4\r\nPING\r\n"), rest) {
			t.Fatalf("rest %q", rest)
		}
	}
	if _, _, err := copyUntilMark(io.Discard, bytes.NewReader(body), mark); err != io.EOF {
		t.Fatalf("no mark: %v", err)
	}
}
