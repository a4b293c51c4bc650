// Package progress reports the advance of a long-running copy: a single
// refreshing line with rate and ETA on a terminal, periodic log lines
// otherwise.
package progress

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"
)

// Snapshot is a progress reading: keys done (including those of earlier
// runs a resumed run continues), the estimated total, and elements of
// large collections copied (which advance while one big key is copied).
type Snapshot struct {
	Done, Total int64
	Elements    int64
}

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Report calls read periodically and prints progress until ctx ends. With
// tty set it redraws one line on w every second; otherwise it logs every
// interval.
func Report(ctx context.Context, w io.Writer, tty bool, interval time.Duration, what string, log *slog.Logger, read func() Snapshot) {
	tick := interval
	if tty {
		tick = time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	start := time.Now()
	first := read() // a resumed run starts from what earlier runs did
	last, lastAt := first, start
	for {
		select {
		case <-ctx.Done():
			if tty {
				fmt.Fprintln(w)
			}
			return
		case now := <-t.C:
			cur := read()
			rate := float64(cur.Done-last.Done) / now.Sub(lastAt).Seconds()
			elemRate := float64(cur.Elements-last.Elements) / now.Sub(lastAt).Seconds()
			avg := float64(cur.Done-first.Done) / now.Sub(start).Seconds()
			last, lastAt = cur, now
			eta := "unknown"
			switch {
			case cur.Total > cur.Done && avg > 0:
				eta = (time.Duration(float64(cur.Total-cur.Done)/avg) * time.Second).Round(time.Second).String()
			case cur.Total > 0 && cur.Done >= cur.Total:
				eta = "unknown (past the estimate)"
			}
			if tty {
				pct := 0.0
				if cur.Total > 0 {
					pct = 100 * float64(cur.Done) / float64(cur.Total)
				}
				fmt.Fprintf(w, "\r%s %d/~%d keys (%.1f%%) %.0f keys/s %.0f elements/s ETA %s   ", what, cur.Done, cur.Total, min(pct, 100), rate, elemRate, eta)
			} else {
				log.Info(what+" progress", "keys", cur.Done, "total_estimate", cur.Total, "keys_per_sec", int64(rate),
					"elements", cur.Elements, "elements_per_sec", int64(elemRate), "eta", eta)
			}
		}
	}
}
