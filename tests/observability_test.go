package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"gopkg.in/yaml.v3"
)

// loadTitan sends a mixed load (reads, writes, misses, errors, expiring
// keys, collections, a pipeline) from several clients for d.
func loadTitan(t *testing.T, addr string, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 8})
	defer c.Close()
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				k := fmt.Sprintf("load:%d:%d", w, i%50)
				c.Set(ctx, k, i, 0)
				c.Get(ctx, k)
				c.Get(ctx, "load:missing")
				c.Incr(ctx, "load:counter")
				c.HSet(ctx, "load:h", fmt.Sprint(i%20), i)
				c.Set(ctx, "load:ttl", 1, 500*time.Millisecond)
				c.Do(ctx, "lpush", k, "x") // WRONGTYPE
				pipe := c.Pipeline()
				pipe.Set(ctx, "load:p", i, 0)
				pipe.Get(ctx, "load:p")
				pipe.Exec(ctx)
			}
		}(w)
	}
	wg.Wait()
}

// scrapeNames returns the metric names of a Prometheus text exposition
// (histograms give name_bucket, name_sum, name_count) and the raw lines.
func scrapeNames(t *testing.T, url string) (map[string]bool, []string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	names := map[string]bool{}
	var lines []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		lines = append(lines, line)
		if i := strings.IndexAny(line, "{ "); i > 0 {
			names[line[:i]] = true
		}
	}
	return names, lines
}

var metricNameRE = regexp.MustCompile(`\b(?:titan|redis|process|go)_[a-zA-Z0-9_]+`)

// exprMetrics returns the metric names a PromQL expression uses (titan's,
// redis_exporter's, the process and Go collectors'). Prometheus's own
// series (up) are not scraped from titan and are left out.
func exprMetrics(expr string) []string { return metricNameRE.FindAllString(expr, -1) }

// balanced reports whether the brackets and quotes of expr are balanced,
// a cheap check that it is not a broken edit.
func balanced(expr string) bool {
	var stack []rune
	inQuote := false
	for _, r := range expr {
		if inQuote {
			if r == '"' {
				inQuote = false
			}
			continue
		}
		switch r {
		case '"':
			inQuote = true
		case '(', '{', '[':
			stack = append(stack, r)
		case ')', '}', ']':
			if len(stack) == 0 || map[rune]rune{')': '(', '}': '{', ']': '['}[r] != stack[len(stack)-1] {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	return !inQuote && len(stack) == 0
}

// dashboardExprs returns every "expr" and templating "query" of a Grafana
// dashboard JSON.
func dashboardExprs(t *testing.T, path string) []string {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && (k == "expr" || (k == "query" && strings.Contains(s, "("))) {
					out = append(out, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	sort.Strings(out)
	return out
}

// alertRules is the part of a Prometheus rules file the test reads.
type alertRules struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// TestDashboardAndAlerts checks the shipped Grafana dashboard and alerting
// rules against a live titan under load: every metric any expression uses
// exists in the scrape of titan's /metrics.
func TestDashboardAndAlerts(t *testing.T) {
	ti := startTitan(t)
	ti.logOnFailure(t)
	loadTitan(t, ti.Addr, 2*time.Second)
	names, _ := scrapeNames(t, "http://"+ti.StatusAddr+"/metrics")
	check := func(where, expr string) {
		if !balanced(expr) {
			t.Errorf("%s: unbalanced expression %q", where, expr)
		}
		ms := exprMetrics(expr)
		if len(ms) == 0 && !strings.Contains(expr, "up{") {
			t.Errorf("%s: no metric in %q", where, expr)
		}
		for _, m := range ms {
			if !names[m] {
				t.Errorf("%s: %s (in %q) is not in titan's /metrics", where, m, expr)
			}
		}
	}
	exprs := dashboardExprs(t, "../deploy/grafana/titan-dashboard.json")
	if len(exprs) < 20 {
		t.Fatalf("dashboard has %d expressions", len(exprs))
	}
	for _, e := range exprs {
		check("dashboard", e)
	}

	body, err := os.ReadFile("../deploy/prometheus/titan-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules alertRules
	if err := yaml.Unmarshal(body, &rules); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.For == "" {
				t.Errorf("rule %+v lacks alert, for, severity or summary", r)
			}
			check("alert "+r.Alert, r.Expr)
		}
	}
	if n < 8 {
		t.Errorf("%d alerting rules", n)
	}
	// Every alert is explained in the operations guide.
	ops, err := os.ReadFile("../docs/OPERATIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if !strings.Contains(string(ops), r.Alert) {
				t.Errorf("docs/OPERATIONS.md does not explain %s", r.Alert)
			}
		}
	}
}

// TestRedisExporter scrapes titan with a real redis_exporter (Debian's
// prometheus-redis-exporter) and checks that every metric of its standard
// Grafana dashboard is there, and that titan's own /metrics has them too.
func TestRedisExporter(t *testing.T) {
	bin, err := exec.LookPath("prometheus-redis-exporter")
	if err != nil {
		t.Fatal("prometheus-redis-exporter not found: install it (see .ci/run)")
	}
	ti := startTitan(t)
	ti.logOnFailure(t)
	loadTitan(t, ti.Addr, time.Second)
	web := freeAddr(t)
	cmd := exec.Command(bin, "-redis.addr", "redis://"+ti.Addr, "-web.listen-address", web)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, 10*time.Second, "redis_exporter listening", func() bool {
		resp, err := http.Get("http://" + web + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	exported, lines := scrapeNames(t, "http://"+web+"/metrics")
	for _, l := range lines {
		if strings.HasPrefix(l, "redis_up ") && l != "redis_up 1" ||
			strings.HasPrefix(l, "redis_exporter_last_scrape_error") && !strings.HasSuffix(l, " 0") {
			t.Errorf("redis_exporter: %s\n%s", l, logs.String())
		}
	}
	own, _ := scrapeNames(t, "http://"+ti.StatusAddr+"/metrics")
	exprs := dashboardExprs(t, "testdata/redis_exporter_dashboard.json")
	seen := map[string]bool{}
	for _, e := range exprs {
		for _, m := range exprMetrics(e) {
			if seen[m] {
				continue
			}
			seen[m] = true
			if !exported[m] {
				t.Errorf("redis_exporter on titan lacks %s (standard dashboard: %q)", m, e)
			}
			if !own[m] {
				t.Errorf("titan's /metrics lacks %s (standard dashboard: %q)", m, e)
			}
		}
	}
	if len(seen) < 15 {
		t.Errorf("standard dashboard uses %d metrics: %v", len(seen), seen)
	}
}
