package command

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// latencyGraphCols is the width of LATENCY GRAPH, as Redis's
// LATENCY_GRAPH_COLS.
const latencyGraphCols = 80

// latencyGraph is LATENCY GRAPH's report for event e, in Redis's format
// (latencyCommandGenSparkeline): a title line, a rule, then a filled
// sparkline four rows high over the samples, oldest first, each labelled
// vertically with how long ago it was taken. m.mu is held.
func latencyGraph(event string, e *latencyEvent, now time.Time) string {
	var b strings.Builder
	samples := make([]sparkSample, 0, len(e.samples))
	for _, s := range e.samples {
		samples = append(samples, sparkSample{float64(s.ms), agoLabel(now.Unix() - s.time)})
	}
	lo, hi := sparkBounds(samples)
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", event, int64(hi), int64(lo), e.max)
	b.WriteString(strings.Repeat("-", latencyGraphCols))
	b.WriteByte('\n')
	renderSparkline(&b, samples, latencyGraphCols, 4)
	return b.String()
}

// agoLabel is the label of a sample taken secs seconds ago: 12s, 5m, 3h,
// 2d.
func agoLabel(secs int64) string {
	switch {
	case secs < 60:
		return fmt.Sprintf("%ds", secs)
	case secs < 3600:
		return fmt.Sprintf("%dm", secs/60)
	case secs < 3600*24:
		return fmt.Sprintf("%dh", secs/3600)
	default:
		return fmt.Sprintf("%dd", secs/(3600*24))
	}
}

type sparkSample struct {
	value float64
	label string
}

// renderSparkline writes samples as Redis's sparkline.c draws them with
// SPARKLINE_FILL: rows of "_o#" characters (and "|" below the top) in
// ranges of at most cols samples, each range followed by its labels
// written top to bottom under one blank row.
func renderSparkline(b *strings.Builder, samples []sparkSample, cols, rows int) {
	if len(samples) == 0 {
		return
	}
	lo, hi := sparkBounds(samples)
	labels := false
	for _, s := range samples {
		labels = labels || s.label != ""
	}
	for j := 0; j < len(samples); j += cols {
		if j != 0 {
			b.WriteByte('\n')
		}
		renderSparkRange(b, samples[j:min(j+cols, len(samples))], lo, hi, labels, rows)
	}
}

// sparkBounds returns the lowest and highest value of samples (0, 0 when
// there are none).
func sparkBounds(samples []sparkSample) (lo, hi float64) {
	for i, s := range samples {
		if i == 0 {
			lo, hi = s.value, s.value
		}
		lo, hi = math.Min(lo, s.value), math.Max(hi, s.value)
	}
	return lo, hi
}

// renderSparkRange is sparklineRenderRange: lo and hi are the whole
// sequence's.
func renderSparkRange(b *strings.Builder, samples []sparkSample, lo, hi float64, labels bool, rows int) {
	const charset = "_o#"
	const labelMarginTop = 1
	relmax := hi - lo
	if relmax == 0 {
		relmax = 1
	}
	steps := len(charset) * rows
	chars := make([]byte, len(samples))
	for row := 0; ; row++ {
		more := false
		for i := range chars {
			chars[i] = ' '
		}
		for j, s := range samples {
			// Redis: step = (int) (relval*steps)/relmax, truncated twice.
			step := int(float64(int((s.value-lo)*float64(steps))) / relmax)
			step = max(0, min(step, steps-1))
			if row < rows {
				more = true
				idx := step - (rows-row-1)*len(charset)
				if idx >= 0 && idx < len(charset) {
					chars[j] = charset[idx]
				} else if idx >= len(charset) {
					chars[j] = '|'
				}
				continue
			}
			if labels && row-rows < labelMarginTop {
				more = true
				break
			}
			if k := row - rows - labelMarginTop; k < len(s.label) {
				more = true
				chars[j] = s.label[k]
			}
		}
		if !more {
			return
		}
		b.Write(chars)
		b.WriteByte('\n')
	}
}
