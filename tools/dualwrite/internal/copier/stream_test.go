package copier

import (
	"context"
	"encoding/binary"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/titan-kv/titan/encoding"
)

// TestCopyStreams copies streams with consumer groups (PELs, consumers,
// deleted entries, a TTL, an emptied stream) with RESTORE and checks
// that Diff finds them equal, and that it finds a changed PEL, a changed
// entry and a changed counter.
func TestCopyStreams(t *testing.T) {
	src, dst := pair(t)
	for i := 1; i <= 700; i++ {
		do(t, src, "XADD", "st", strconv.Itoa(i)+"-1", "f", strconv.Itoa(i), "pad", strings.Repeat("x", i%30))
	}
	for _, c := range [][]string{
		{"XDEL", "st", "3-1", "500-1"},
		{"XGROUP", "CREATE", "st", "g1", "0"},
		{"XGROUP", "CREATE", "st", "g2", "$", "ENTRIESREAD", "700"},
		{"XREADGROUP", "GROUP", "g1", "c1", "COUNT", "10", "STREAMS", "st", ">"},
		{"XREADGROUP", "GROUP", "g1", "c2", "COUNT", "5", "STREAMS", "st", ">"},
		{"XACK", "st", "g1", "2-1"},
		{"XCLAIM", "st", "g1", "c3", "0", "4-1", "RETRYCOUNT", "9"},
		{"XGROUP", "CREATECONSUMER", "st", "g2", "idle"},
		{"XADD", "st:ttl", "1-1", "a", "1"},
		{"PEXPIRE", "st:ttl", "500000"},
		{"XADD", "empty", "1-1", "a", "1"},
		{"XDEL", "empty", "1-1"},
		{"XGROUP", "CREATE", "empty", "g", "$"},
	} {
		do(t, src, c...)
	}
	keys := [][]byte{[]byte("st"), []byte("st:ttl"), []byte("empty")}
	rec := &recorder{p: dst}
	c := Copier{Page: 512}
	if n, err := c.Copy(context.Background(), src, rec, keys); err != nil || n != 3 {
		t.Fatalf("Copy: %d %v", n, err)
	}
	restores := 0
	for _, cmd := range rec.commands() {
		if cmd[0] == "RESTORE" {
			restores++
			if cmd[4] != "REPLACE" || cmd[5] != "ABSTTL" {
				t.Errorf("RESTORE %s without REPLACE ABSTTL: %v", cmd[1], cmd[4:])
			}
		}
	}
	if restores != 3 {
		t.Errorf("%d RESTOREs for 3 streams", restores)
	}
	diff := func() []string {
		a, err := c.ReadFull(context.Background(), src, keys)
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.ReadFull(context.Background(), dst, keys)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]string, len(keys))
		for i := range keys {
			if a[i].Info.Kind == 0 {
				t.Fatalf("%s: no XINFO read", keys[i])
			}
			out[i] = Diff(a[i], b[i], time.Second)
		}
		return out
	}
	for i, d := range diff() {
		if d != "" {
			t.Errorf("%s after the copy: %s", keys[i], d)
		}
	}
	if p := do(t, dst, "PTTL", "st:ttl").Int; p <= 0 {
		t.Errorf("st:ttl: PTTL %d on the target", p)
	}
	for _, ch := range []struct {
		cmd  []string
		want string
	}{
		{[]string{"XACK", "st", "g1", "5-1"}, "pel-count"},
		{[]string{"XCLAIM", "st", "g1", "c1", "0", "6-1", "RETRYCOUNT", "4"}, "pending"},
		{[]string{"XADD", "st:ttl", "2-1", "a", "2"}, "length"},
		{[]string{"XSETID", "empty", "1-1", "ENTRIESADDED", "7"}, "entries-added"},
	} {
		// Each change on a fresh copy (RESTORE ... REPLACE).
		if _, err := c.Copy(context.Background(), src, dst, keys); err != nil {
			t.Fatal(err)
		}
		do(t, dst, ch.cmd...)
		got := strings.Join(diff(), "|")
		if !strings.Contains(got, ch.want) {
			t.Errorf("after %v on the target: diff %q, want one naming %s", ch.cmd, got, ch.want)
		}
	}
}

// TestRestampDump: a stream payload of Redis 7.2 (RDB 11) is given the
// RDB version titan restores, with a valid checksum.
func TestRestampDump(t *testing.T) {
	body := []byte{19, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0}
	p := binary.LittleEndian.AppendUint16(append([]byte{}, body...), 11)
	p = binary.LittleEndian.AppendUint64(p, encoding.CRC64(0, p))
	got := restampDump(p)
	if !encoding.VerifyDump(got) || binary.LittleEndian.Uint16(got[len(got)-10:]) != encoding.RDBVersion {
		t.Errorf("restamped payload %x", got)
	}
	if own := restampDump(got); string(own) != string(got) {
		t.Errorf("a payload of version %d was changed", encoding.RDBVersion)
	}
}
