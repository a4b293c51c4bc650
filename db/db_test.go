package db

import (
	"context"
	"os"
	"testing"
	"time"

	plog "github.com/pingcap/log"
	"go.uber.org/zap/zapcore"
)

func TestMain(m *testing.M) {
	plog.SetLevel(zapcore.ErrorLevel) // client-go's own logging
	os.Exit(m.Run())
}

// openTest opens an embedded store in a temporary directory.
func openTest(t *testing.T, batch bool) *DB {
	t.Helper()
	d, err := Open(context.Background(), Options{
		DataDir: t.TempDir(),
		Batch:   BatchOptions{Enabled: batch},
		Background: BackgroundOptions{
			InstanceID: "test", LeaseTTL: 300 * time.Millisecond,
			ExpireInterval: 50 * time.Millisecond, GCInterval: 50 * time.Millisecond,
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
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
