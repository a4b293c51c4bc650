package background

import (
	"context"
	"fmt"
	"os"
	"testing"

	plog "github.com/pingcap/log"
	"go.uber.org/zap/zapcore"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/encoding"
	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/store"
)

func TestMain(m *testing.M) {
	plog.SetLevel(zapcore.ErrorLevel) // client-go's own logging
	os.Exit(m.Run())
}

// keys is the layout of the default namespace the tests' DBs use.
var keys = encoding.NewKeys("titan")

// openStore opens an embedded store in a temporary directory, closed when
// the test ends.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openDB opens a DB over st, as one titan process, counting in m.
func openDB(t *testing.T, st *store.Store, m *metrics.Metrics) *db.DB {
	t.Helper()
	d := db.New(st, db.Options{}, m)
	t.Cleanup(func() { d.Close() })
	return d
}

func update(t *testing.T, d *db.DB, fn func(tx *db.Tx) error) {
	t.Helper()
	if err := d.Update(context.Background(), 0, fn); err != nil {
		t.Fatal(err)
	}
}

// countPrefix counts the store keys under prefix, reading the store
// directly.
func countPrefix(t *testing.T, st *store.Store, prefix []byte) int {
	t.Helper()
	txn, err := st.KV().Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Rollback()
	it, err := txn.Iter(prefix, encoding.PrefixEnd(prefix))
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for ; it.Valid(); n++ {
		if err := it.Next(); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// rawGet reads one store key directly; a missing key is nil.
func rawGet(t *testing.T, st *store.Store, k []byte) []byte {
	t.Helper()
	txn, err := st.KV().Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Rollback()
	v, err := txn.GetSnapshot().BatchGet(context.Background(), [][]byte{k})
	if err != nil {
		t.Fatal(err)
	}
	return v[string(k)]
}

// objectOf returns the object id of the collection at key in database 0.
func objectOf(t *testing.T, st *store.Store, key string) encoding.ObjectID {
	t.Helper()
	raw := rawGet(t, st, keys.Meta(0, []byte(key)))
	m, err := encoding.DecodeMeta(raw)
	if err != nil || m == nil {
		t.Fatalf("metadata of %s: %v", key, err)
	}
	return m.Object
}

// fillSet creates key as a set of n members, written in chunks.
func fillSet(t *testing.T, d *db.DB, key string, n int) {
	t.Helper()
	for done := 0; done < n; {
		chunk := min(5000, n-done)
		members := make([][]byte, chunk)
		for i := range members {
			members[i] = []byte(fmt.Sprint("m", done+i))
		}
		update(t, d, func(tx *db.Tx) error { return sadd(tx, key, members) })
		done += chunk
	}
}

// counterValue reads a counter from a registry.
func counterValue(t *testing.T, m *metrics.Metrics, name string) float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, s := range mf.GetMetric() {
				sum += s.GetCounter().GetValue()
			}
		}
	}
	return sum
}
