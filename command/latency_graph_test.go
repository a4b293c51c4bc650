package command

import (
	"strings"
	"testing"
	"time"
)

// TestLatencyGraph checks the sparkline of three samples (100 ms 2
// minutes ago, 200 ms 30 s ago, 300 ms now), traced by hand through
// Redis's sparkline.c: 12 steps over 100..300 put them at steps 0, 6 and
// 11. tests/TestLatencyGraphDifferential compares with redis-server.
func TestLatencyGraph(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	e := &latencyEvent{max: 400, samples: []latencySample{
		{now.Unix() - 120, 100}, {now.Unix() - 30, 200}, {now.Unix(), 300},
	}}
	want := "command - high 300 ms, low 100 ms (all time high 400 ms)\n" +
		strings.Repeat("-", 80) + "\n" +
		"  #\n" +
		" _|\n" +
		" ||\n" +
		"_||\n" +
		"   \n" +
		"230\n" +
		"m0s\n" +
		" s \n"
	if got := latencyGraph("command", e, now); got != want {
		t.Errorf("graph:\n%s\nwant:\n%s", got, want)
	}
}
