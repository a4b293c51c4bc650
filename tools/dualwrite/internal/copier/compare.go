package copier

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Diff compares a source snapshot with a target snapshot read with
// ReadFull and describes the first difference, or returns "" when the two
// hold the same type, value and (within tolerance) TTL.
func Diff(src, dst *Snapshot, tolerance time.Duration) string {
	if src.Type != dst.Type {
		switch {
		case dst.Type == TypeNone:
			return fmt.Sprintf("missing on target (source has %s)", src.Type)
		case src.Type == TypeNone:
			return fmt.Sprintf("extra on target (%s), absent on source", dst.Type)
		}
		return fmt.Sprintf("type: source %s, target %s", src.Type, dst.Type)
	}
	if src.Type == TypeNone {
		return ""
	}
	if src.Type == TypeStream {
		if d := diffStream(src.Info, dst.Info, tolerance.Milliseconds()); d != "" {
			return d
		}
		return diffTTL(src, dst, tolerance)
	}
	if d := diffValue(src, dst); d != "" {
		return d
	}
	return diffTTL(src, dst, tolerance)
}

func diffTTL(src, dst *Snapshot, tolerance time.Duration) string {
	switch {
	case src.PTTL < 0 && dst.PTTL < 0:
		return ""
	case src.PTTL < 0:
		return fmt.Sprintf("ttl: source none, target %dms", dst.PTTL)
	case dst.PTTL < 0:
		return fmt.Sprintf("ttl: source %dms, target none", src.PTTL)
	}
	// Both sides were read at slightly different moments; compare the
	// absolute expiry times.
	a := src.ReadAt.Add(time.Duration(src.PTTL) * time.Millisecond)
	b := dst.ReadAt.Add(time.Duration(dst.PTTL) * time.Millisecond)
	if d := a.Sub(b); d > tolerance || d < -tolerance {
		return fmt.Sprintf("ttl: source %dms, target %dms (differ by %v > %v)", src.PTTL, dst.PTTL, d.Round(time.Millisecond), tolerance)
	}
	return ""
}

func diffValue(src, dst *Snapshot) string {
	switch src.Type {
	case TypeString:
		if !bytes.Equal(src.Str, dst.Str) {
			return fmt.Sprintf("value: source %s, target %s", short(src.Str), short(dst.Str))
		}
	case TypeList:
		if len(src.Items) != len(dst.Items) {
			return fmt.Sprintf("list length: source %d, target %d", len(src.Items), len(dst.Items))
		}
		for i := range src.Items {
			if !bytes.Equal(src.Items[i], dst.Items[i]) {
				return fmt.Sprintf("list[%d]: source %s, target %s", i, short(src.Items[i]), short(dst.Items[i]))
			}
		}
	case TypeSet:
		a, b := toSet(src.Items), toSet(dst.Items)
		if d := diffMaps(a, b, "member", nil); d != "" {
			return d
		}
	case TypeHash:
		if d := diffMaps(pairs(src.Items), pairs(dst.Items), "field", bytesEqual); d != "" {
			return d
		}
	case TypeZSet:
		if d := diffMaps(pairs(src.Items), pairs(dst.Items), "member", scoreEqual); d != "" {
			return d
		}
	}
	return ""
}

func bytesEqual(a, b string) bool { return a == b }

// scoreEqual compares scores numerically: servers may format the same
// float differently ("1" vs "1.0").
func scoreEqual(a, b string) bool {
	fa, errA := strconv.ParseFloat(a, 64)
	fb, errB := strconv.ParseFloat(b, 64)
	if errA != nil || errB != nil {
		return a == b
	}
	return fa == fb
}

func toSet(items [][]byte) map[string]string {
	m := make(map[string]string, len(items))
	for _, it := range items {
		m[string(it)] = ""
	}
	return m
}

func pairs(items [][]byte) map[string]string {
	m := make(map[string]string, len(items)/2)
	for i := 0; i+1 < len(items); i += 2 {
		m[string(items[i])] = string(items[i+1])
	}
	return m
}

func diffMaps(a, b map[string]string, what string, eq func(a, b string) bool) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%s count: source %d, target %d", what, len(a), len(b))
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		bv, ok := b[k]
		if !ok {
			return fmt.Sprintf("%s %s missing on target", what, short([]byte(k)))
		}
		if eq != nil && !eq(a[k], bv) {
			return fmt.Sprintf("%s %s: source %s, target %s", what, short([]byte(k)), short([]byte(a[k])), short([]byte(bv)))
		}
	}
	return ""
}

func short(b []byte) string {
	if len(b) > 64 {
		return strconv.Quote(string(b[:64])) + "..."
	}
	return strconv.Quote(string(b))
}
