package encoding

import (
	"encoding/binary"
	"fmt"
)

// Lua scripts and function libraries, shared by every titan instance:
//
//	ns:Ls <sha1 hex>          the body of a script (SCRIPT LOAD, EVAL)
//	ns:Lf <library name>      the code of a function library (FUNCTION LOAD)
//	ns:Lgs                    scripts generation: uint64, +1 at SCRIPT FLUSH
//	ns:Lgf                    functions generation: uint64, +1 at every change
//
// An instance caches compiled scripts and libraries with the generation
// it read them at, and reads the generation (one point get, shared by the
// commands of a batch) in every transaction that runs one: a changed
// generation drops the cache.
const tagLua = 'L'

// Script returns the key of the script whose SHA1 (hex) is sha.
func (k Keys) Script(sha string) []byte {
	return append(append(k.with(tagLua, 1+len(sha)), 's'), sha...)
}

// ScriptPrefix returns the prefix of every script key.
func (k Keys) ScriptPrefix() []byte { return append(k.with(tagLua, 1), 's') }

// Library returns the key of the function library name.
func (k Keys) Library(name string) []byte {
	return append(append(k.with(tagLua, 1+len(name)), 'f'), name...)
}

// LibraryPrefix returns the prefix of every function library key.
func (k Keys) LibraryPrefix() []byte { return append(k.with(tagLua, 1), 'f') }

// LibraryName returns the library name of a library key.
func (k Keys) LibraryName(key []byte) string { return string(key[len(k.prefix)+2:]) }

// ScriptsGeneration returns the key of the scripts generation counter
// (value: EncodeGeneration).
func (k Keys) ScriptsGeneration() []byte { return append(k.with(tagLua, 2), 'g', 's') }

// FunctionsGeneration returns the key of the functions generation counter.
func (k Keys) FunctionsGeneration() []byte { return append(k.with(tagLua, 2), 'g', 'f') }

// EncodeGeneration encodes a generation counter.
func EncodeGeneration(g uint64) []byte { return binary.BigEndian.AppendUint64(nil, g) }

// DecodeGeneration decodes a generation counter; a missing one is 0.
func DecodeGeneration(v []byte) (uint64, error) {
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("generation %x: %w", v, ErrMalformed)
	}
	return binary.BigEndian.Uint64(v), nil
}
