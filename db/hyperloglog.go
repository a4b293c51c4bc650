package db

import (
	"bytes"

	"github.com/titan-kv/titan/encoding"
)

// HyperLogLogs are strings holding Redis's HyperLogLog layout
// (encoding/hyperloglog.go), so GET, DUMP and every string command see
// what Redis would hold.
var (
	ErrNotHLL     = UserError("WRONGTYPE Key is not a valid HyperLogLog string value.")
	ErrHLLCorrupt = UserError("INVALIDOBJ Corrupted HLL object detected")
)

// hll returns the string's metadata and a private copy of its value,
// checked to be a HyperLogLog; nil when the key is missing.
func (s String) hll() (*encoding.Meta, []byte, error) {
	m, v, err := s.value()
	if err != nil || m == nil {
		return nil, nil, err
	}
	if !encoding.HLLValid(v) {
		return nil, nil, ErrNotHLL
	}
	return m, bytes.Clone(v), nil
}

// PFAdd adds elements to the HyperLogLog (creating it) and reports
// whether it changed.
func (s String) PFAdd(elems [][]byte) (bool, error) {
	m, v, err := s.hll()
	if err != nil {
		return false, err
	}
	updated := m == nil
	if updated {
		v = encoding.NewHLL()
	}
	for _, e := range elems {
		var changed bool
		if v, changed, err = encoding.HLLAdd(v, e); err != nil {
			return false, ErrHLLCorrupt
		}
		updated = updated || changed
	}
	if !updated {
		return false, nil
	}
	encoding.HLLInvalidate(v)
	return true, s.update(m, v, encRaw)
}

// PFCount returns the HyperLogLog's cardinality, computing it and storing
// it in the value's cache when the cache is stale, as Redis does.
func (s String) PFCount() (int64, error) {
	m, v, err := s.hll()
	if err != nil || m == nil {
		return 0, err
	}
	if card, ok := encoding.HLLCached(v); ok {
		return int64(card), nil
	}
	card, err := encoding.HLLCount(v)
	if err != nil {
		return 0, ErrHLLCorrupt
	}
	encoding.HLLSetCached(v, card)
	return int64(card), s.update(m, v, encRaw)
}

// union merges the registers of every HyperLogLog in keys (missing keys
// are empty) and reports whether one of them is dense.
func (ss Strings) union() (*[encoding.HLLRegisters]uint8, bool, error) {
	var max [encoding.HLLRegisters]uint8
	dense := false
	for _, k := range ss.keys {
		m, v, err := ss.tx.String(k).hll()
		if err != nil {
			return nil, false, err
		}
		if m == nil {
			continue
		}
		dense = dense || !encoding.HLLIsSparse(v)
		if err := encoding.HLLMergeInto(&max, v); err != nil {
			return nil, false, ErrHLLCorrupt
		}
	}
	return &max, dense, nil
}

// PFCount returns the cardinality of the union of the HyperLogLogs.
func (ss Strings) PFCount() (int64, error) {
	max, _, err := ss.union()
	if err != nil {
		return 0, err
	}
	return int64(encoding.HLLCountRegisters(max)), nil
}

// PFMerge merges the HyperLogLogs at dst and the keys into dst.
func (ss Strings) PFMerge(dst []byte) error {
	all := Strings{tx: ss.tx, keys: append([][]byte{dst}, ss.keys...)}
	max, dense, err := all.union()
	if err != nil {
		return err
	}
	d := ss.tx.String(dst)
	m, v, err := d.hll()
	if err != nil {
		return err
	}
	if m == nil {
		v = encoding.NewHLL()
	}
	if v, err = encoding.HLLSetRegisters(v, max, dense); err != nil {
		return ErrHLLCorrupt
	}
	encoding.HLLInvalidate(v)
	return d.update(m, v, encRaw)
}

// HLLDebug is what PFDEBUG needs of one HyperLogLog.
type HLLDebug struct {
	Sparse    bool
	Value     []byte
	Registers *[encoding.HLLRegisters]uint8
}

// PFDebug reads the HyperLogLog for PFDEBUG; toDense turns a sparse one
// dense first (GETREG, TODENSE) and reports whether it did. A missing key
// is Redis's "The specified key does not exist".
func (s String) PFDebug(toDense bool) (HLLDebug, bool, error) {
	m, v, err := s.hll()
	if err != nil {
		return HLLDebug{}, false, err
	}
	if m == nil {
		return HLLDebug{}, false, UserError("ERR The specified key does not exist")
	}
	converted := false
	if toDense && encoding.HLLIsSparse(v) {
		if v, err = encoding.HLLToDense(v); err != nil {
			return HLLDebug{}, false, ErrHLLCorrupt
		}
		if err := s.update(m, v, encRaw); err != nil {
			return HLLDebug{}, false, err
		}
		converted = true
	}
	d := HLLDebug{Sparse: encoding.HLLIsSparse(v), Value: v}
	if d.Registers, err = encoding.HLLRegistersOf(v); err != nil && toDense {
		return HLLDebug{}, false, ErrHLLCorrupt
	}
	return d, converted, nil
}
