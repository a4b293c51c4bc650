package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestEmbeddedStats: the embedded store reports its LevelDB levels and
// region count; a cluster has nothing to report.
func TestEmbeddedStats(t *testing.T) {
	st, err := Open(context.Background(), Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := st.EmbeddedStats()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Compactions", "openedtables:", "aliveiters:", "regions: 1"} {
		if !strings.Contains(s, want) {
			t.Errorf("stats lack %q:\n%s", want, s)
		}
	}
	if _, err := (&Store{}).EmbeddedStats(); !errors.Is(err, ErrNotEmbedded) {
		t.Fatalf("stats of a cluster: %v, want ErrNotEmbedded", err)
	}
}
