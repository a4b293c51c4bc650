package db

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/store"
)

// Helpers the unit tests of every type share.

// readView runs fn on a snapshot and fails the test if fn wrote anything:
// read commands must not write.
func readView(t *testing.T, d *DB, fn func(tx *Tx) error) {
	t.Helper()
	err := d.View(context.Background(), 0, func(tx *Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if n := tx.t.GetMemBuffer().Len(); n != 0 {
			t.Errorf("a read wrote %d keys", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// tryUpdate runs fn in a transaction and returns its error.
func tryUpdate(d *DB, fn func(tx *Tx) error) error {
	return d.Update(context.Background(), 0, fn)
}

func toBytes(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func toStrs(bb [][]byte) []string {
	out := make([]string, len(bb))
	for i, b := range bb {
		out[i] = string(b)
	}
	return out
}

// openCostTest opens a store whose requests are counted; cost runs fn as
// a job on keys and returns the requests it sent, "Type=n ..." in a fixed
// order. The store stays one region (the costs docs/ARCHITECTURE.md
// states): over several, a write sends a Prewrite per region it writes.
func openCostTest(t *testing.T) (*DB, func(ro bool, keys []string, fn func(tx *Tx) error) string) {
	t.Helper()
	m := metrics.New()
	d := New(openStore(t, store.Options{SplitKeys: -1}), Options{}, m)
	t.Cleanup(func() { d.Close() })
	total := func() map[string]float64 {
		out := map[string]float64{}
		fams, err := m.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() != "titan_tikv_requests_total" {
				continue
			}
			for _, s := range f.GetMetric() {
				out[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
			}
		}
		return out
	}
	order := []string{"Get", "BatchGet", "Scan", "Prewrite", "Commit"}
	return d, func(ro bool, keys []string, fn func(tx *Tx) error) string {
		before := total()
		j := &Job{Keys: toBytes(keys...), ReadOnly: ro, Fn: fn}
		d.Do(context.Background(), j)
		if j.Err != nil {
			t.Fatal(j.Err)
		}
		after := total()
		var parts []string
		for _, typ := range order {
			if n := after[typ] - before[typ]; n != 0 {
				parts = append(parts, fmt.Sprintf("%s=%g", typ, n))
			}
		}
		for typ, n := range after {
			if !slices.Contains(order, typ) && n != before[typ] {
				parts = append(parts, fmt.Sprintf("%s=%g", typ, n-before[typ]))
			}
		}
		return strings.Join(parts, " ")
	}
}
