package db

import (
	"context"
	"os"
	"testing"

	plog "github.com/pingcap/log"
	"go.uber.org/zap/zapcore"

	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/store"
)

func TestMain(m *testing.M) {
	plog.SetLevel(zapcore.ErrorLevel) // client-go's own logging
	os.Exit(m.Run())
}

// openStore opens an embedded store in a temporary directory, closed when
// the test ends.
func openStore(t testing.TB, o store.Options) *store.Store {
	t.Helper()
	o.DataDir = t.TempDir()
	st, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openDB opens a DB over a new embedded store, counting in m (may be nil).
func openDB(t testing.TB, opts Options, m *metrics.Metrics) *DB {
	t.Helper()
	d := New(openStore(t, store.Options{}), opts, m)
	t.Cleanup(func() { d.Close() })
	return d
}

// openTest opens a DB over an embedded store in a temporary directory.
func openTest(t *testing.T, batch bool) *DB {
	t.Helper()
	return openDB(t, Options{Batch: BatchOptions{Enabled: batch}}, nil)
}

func update(t *testing.T, d *DB, fn func(tx *Tx) error) {
	t.Helper()
	if err := d.Update(context.Background(), 0, fn); err != nil {
		t.Fatal(err)
	}
}

func TestSetGet(t *testing.T) {
	d := openTest(t, false)
	update(t, d, func(tx *Tx) error {
		_, err := tx.String([]byte("k")).Set([]byte("v"), SetOptions{})
		return err
	})
	update(t, d, func(tx *Tx) error {
		v, err := tx.String([]byte("k")).Get()
		if string(v) != "v" {
			t.Errorf("get = %q, %v", v, err)
		}
		return err
	})
}
