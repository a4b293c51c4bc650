package tests

import (
	"fmt"
	"strings"
	"testing"
)

// TestHyperLogLogDifferential compares PFADD, PFCOUNT, PFMERGE and PFDEBUG
// with redis-server, and the values themselves (GET returns the same bytes:
// sparse, dense, cached cardinalities).
func TestHyperLogLogDifferential(t *testing.T) {
	env := startDiffEnv(t)
	d := env.differ(t)
	t.Run("basics", func(t *testing.T) {
		d.t = t
		d.run(
			"flushall",
			"pfadd h", "get h", "pfcount h", "get h", "pfadd h", "pfadd h a b c", "get h",
			"pfadd h a", "pfcount h", "get h", "pfcount h", "pfcount missing",
			"pfadd h2 c d e f", "pfcount h h2", "pfcount h missing h2", "get h",
			"pfmerge m h h2", "get m", "pfcount m", "get m", "pfmerge m", "get m",
			"pfmerge h h2", "get h", "pfmerge fresh", "get fresh", "pfmerge fresh2 missing", "get fresh2",
			"set s notanhll", "pfadd s a", "pfcount s", "pfcount s h", "pfmerge s h", "pfmerge h s",
			"pfdebug encoding s", "set n 12345", "pfadd n a",
			"lpush l a", "pfadd l a", "pfcount l", "pfcount h l", "pfmerge l h", "pfmerge h l",
			`set fake "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"`, "pfcount fake", "pfadd fake a",
			`set fake2 "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"`, "pfcount fake2",
			`set bad "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f"`, "pfcount bad", "pfadd bad x",
			"pfcount bad h", "pfmerge bad2 bad",
			"pfadd", "pfcount", "pfmerge",
			"pfdebug encoding h", "pfdebug decode h", "pfdebug getreg missing", "pfdebug foo missing",
			"pfdebug foo h", "pfdebug decode h extra", "pfdebug Decode h x",
			"pfdebug todense h", "pfdebug encoding h", "get h", "pfdebug todense h", "pfdebug decode h",
			"pfadd g x y z", "pfdebug getreg g", "pfdebug encoding g", "get g", "pfcount g",
			"set e v ex 100", "pfadd t1 a", "expire t1 100", "pfadd t1 b", "~1 ttl t1",
			"pfselftest",
		)
	})
	t.Run("growth", func(t *testing.T) {
		d.t = t
		d.run("flushall")
		// Grow one HLL element by element through sparse into dense,
		// comparing the value and the count as it goes; several elements
		// per PFADD in a second one.
		for i := 0; i < 3000; i++ {
			line := fmt.Sprintf("pfadd a e%d", i)
			if i%3 == 0 {
				line = fmt.Sprintf("pfadd a e%d %d", i, i*7919)
			}
			d.run(line)
			if i%97 == 0 || (i > 1000 && i < 1600 && i%5 == 0) {
				d.run("get a", "pfcount a", "get a", "pfdebug encoding a")
			}
			if d.failed > 5 {
				t.FailNow()
			}
		}
		var batch []string
		for i := 0; i < 20000; i++ {
			batch = append(batch, fmt.Sprintf("m%d", i))
			if len(batch) == 500 {
				d.run("pfadd b "+strings.Join(batch, " "), "pfcount b", "get b")
				batch = batch[:0]
			}
		}
		d.run("pfadd small x y z", "pfmerge small a", "get small", "pfcount small",
			"pfmerge c a b small", "get c", "pfcount c", "pfcount a b c small",
			"pfadd tiny q", "pfadd tiny2 r s", "pfmerge tiny tiny2", "get tiny", "pfcount tiny",
			"pfdebug decode tiny", "pfdebug getreg tiny", "get tiny")
	})
}
