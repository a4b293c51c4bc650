// Package journal records keys that titan missed in a local append-only
// file, so that the proxy repairs them after a crash or restart. A key is
// appended when it is scheduled for repair; the file is truncated whenever
// nothing is left to repair, so it holds at most the keys of one outage.
//
// Each record is the key's length as a decimal number, a colon, the key and
// a newline, so keys may hold any byte. A torn last record (a crash in the
// middle of a write) is ignored on load.
package journal

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
)

// Journal is an append-only file of keys. A nil *Journal records nothing.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
	buf  []byte
	n    int // records written since the last truncation
}

// Open opens (creating it if needed) the journal at path and returns the
// keys it holds, in the order they were appended, without duplicates.
func Open(path string) (*Journal, [][]byte, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("open journal: %w", err)
	}
	keys, err := read(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("read journal %s: %w", path, err)
	}
	return &Journal{f: f, path: path, n: len(keys)}, keys, nil
}

func read(r io.Reader) ([][]byte, error) {
	br := bufio.NewReader(r)
	seen := map[string]bool{}
	var keys [][]byte
	for {
		head, err := br.ReadBytes(':')
		if errors.Is(err, io.EOF) {
			return keys, nil // a torn header
		}
		if err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(string(bytes.TrimSpace(head[:len(head)-1])))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("malformed record header %q", head)
		}
		rec := make([]byte, n+1)
		if _, err := io.ReadFull(br, rec); err != nil {
			return keys, nil // a torn record
		}
		if rec[n] != '\n' {
			return nil, fmt.Errorf("malformed record end")
		}
		if k := rec[:n]; !seen[string(k)] {
			seen[string(k)] = true
			keys = append(keys, k)
		}
	}
}

// Append records key. The record reaches the operating system before
// Append returns, so it survives a crash of the process.
func (j *Journal) Append(key []byte) error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf = strconv.AppendInt(j.buf[:0], int64(len(key)), 10)
	j.buf = append(j.buf, ':')
	j.buf = append(j.buf, key...)
	j.buf = append(j.buf, '\n')
	if _, err := j.f.Write(j.buf); err != nil {
		return fmt.Errorf("append to journal: %w", err)
	}
	j.n++
	return nil
}

// Truncate empties the journal: call it when no key is left to repair.
func (j *Journal) Truncate() error {
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.n == 0 {
		return nil
	}
	if err := j.f.Truncate(0); err != nil {
		return fmt.Errorf("truncate journal: %w", err)
	}
	j.n = 0
	return nil
}

// Close closes the file.
func (j *Journal) Close() error {
	if j == nil {
		return nil
	}
	return j.f.Close()
}
