package command

import (
	"context"
	"testing"

	"github.com/titan-kv/titan/db"
	"github.com/titan-kv/titan/metrics"
	"github.com/titan-kv/titan/store"
)

// BenchmarkRunPing is the command path without the store: a client's
// one-command pipeline (PING, upper case as clients send it) through
// Engine.Run, with the metrics on: lookup, checks, handler, statistics,
// reply.
func BenchmarkRunPing(b *testing.B) {
	st, err := store.Open(context.Background(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	d := db.New(st, db.Options{Batch: db.BatchOptions{Enabled: true}}, nil)
	b.Cleanup(func() { d.Close(); st.Close() })
	e := NewEngine(Config{Databases: 16}, d, metrics.New())
	cl, err := e.Connect("test:1", "test:2", func() {})
	if err != nil {
		b.Fatal(err)
	}
	batch := [][][]byte{{[]byte("PING")}}
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		out = e.Run(cl, batch, out[:0])
	}
	if string(out) != "+PONG\r\n" {
		b.Fatalf("PING = %q", out)
	}
}
