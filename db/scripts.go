package db

import (
	"context"
	"fmt"

	"github.com/titan-kv/titan/encoding"
)

// Context returns the context the transaction runs under (the command's
// deadline): long work inside a job, such as a Lua script, stops with it.
func (tx *Tx) Context() context.Context { return tx.ctx }

// Scripts is the view of the Lua scripts and function libraries every
// instance shares (package scripting compiles and runs them).
type Scripts struct{ tx *Tx }

// Scripts returns the view of the stored scripts and libraries.
func (tx *Tx) Scripts() Scripts { return Scripts{tx: tx} }

func (s Scripts) generation(key []byte) (uint64, error) {
	v, err := s.tx.get(key)
	if err != nil {
		return 0, err
	}
	return encoding.DecodeGeneration(v)
}

func (s Scripts) bump(key []byte) error {
	g, err := s.generation(key)
	if err != nil {
		return err
	}
	return s.tx.set(key, encoding.EncodeGeneration(g+1))
}

// Generation returns the scripts generation: it changes at every SCRIPT
// FLUSH, so a cache filled at one generation is valid while it lasts.
func (s Scripts) Generation() (uint64, error) { return s.generation(s.tx.d.keys.ScriptsGeneration()) }

// Get returns the body of script sha, nil if it is not stored.
func (s Scripts) Get(sha string) ([]byte, error) { return s.tx.get(s.tx.d.keys.Script(sha)) }

// Put stores the body of script sha.
func (s Scripts) Put(sha string, body []byte) error { return s.tx.set(s.tx.d.keys.Script(sha), body) }

// Flush deletes every script and moves to a new generation.
func (s Scripts) Flush() error {
	if err := s.deleteRange(s.tx.d.keys.ScriptPrefix()); err != nil {
		return err
	}
	return s.bump(s.tx.d.keys.ScriptsGeneration())
}

func (s Scripts) deleteRange(prefix []byte) error {
	var keys [][]byte
	err := s.tx.scan(prefix, encoding.PrefixEnd(prefix), 0, func(k, _ []byte) (bool, error) {
		keys = append(keys, append([]byte(nil), k...))
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("scripts: %w", err)
	}
	for _, k := range keys {
		if err := s.tx.del(k); err != nil {
			return err
		}
	}
	return nil
}

// FunctionsGeneration returns the functions generation: it changes at
// every FUNCTION LOAD, DELETE, FLUSH and RESTORE.
func (s Scripts) FunctionsGeneration() (uint64, error) {
	return s.generation(s.tx.d.keys.FunctionsGeneration())
}

// Libraries returns the code of every function library, by name.
func (s Scripts) Libraries() (map[string][]byte, error) {
	libs := map[string][]byte{}
	p := s.tx.d.keys.LibraryPrefix()
	err := s.tx.scan(p, encoding.PrefixEnd(p), 0, func(k, v []byte) (bool, error) {
		libs[s.tx.d.keys.LibraryName(k)] = append([]byte(nil), v...)
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("function libraries: %w", err)
	}
	return libs, nil
}

// SetLibraries replaces every function library by libs and moves to a
// new functions generation.
func (s Scripts) SetLibraries(libs map[string][]byte) error {
	if err := s.deleteRange(s.tx.d.keys.LibraryPrefix()); err != nil {
		return err
	}
	for name, code := range libs {
		if err := s.tx.set(s.tx.d.keys.Library(name), code); err != nil {
			return err
		}
	}
	return s.bump(s.tx.d.keys.FunctionsGeneration())
}
