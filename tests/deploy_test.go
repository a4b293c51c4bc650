package tests

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/titan-kv/titan/conf"
)

// titanFlags returns the flags `titan --help` lists.
func titanFlags(t *testing.T) map[string]bool {
	t.Helper()
	out, err := exec.Command(titanBin, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("titan --help: %v\n%s", err, out)
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`--([a-z][a-z0-9-]*)`).FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	if !flags["listen"] || !flags["store"] {
		t.Fatalf("titan --help lists no flags:\n%s", out)
	}
	return flags
}

// checkArgs checks that every --flag in args is one of titan's.
func checkArgs(t *testing.T, where string, args []string, flags map[string]bool) {
	t.Helper()
	if len(args) == 0 {
		t.Errorf("%s: no titan arguments found", where)
	}
	for _, a := range args {
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !flags[name] {
			t.Errorf("%s: titan has no flag --%s", where, name)
		}
	}
}

// TestDeployFiles parses the Dockerfile, the compose file, haproxy's
// configuration and the Kubernetes manifests, and checks that every titan
// flag they use exists, that the configuration they ship loads, and that
// the probes and the balancer's checks use titan's real endpoints.
func TestDeployFiles(t *testing.T) {
	flags := titanFlags(t)

	// Dockerfile: static build, non-root, an entrypoint of real flags.
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CGO_ENABLED=0", "USER 65532", "nonroot"} {
		if !bytes.Contains(df, []byte(want)) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	m := regexp.MustCompile(`(?m)^ENTRYPOINT (\[.*\])$`).FindSubmatch(df)
	if m == nil {
		t.Fatal("Dockerfile has no ENTRYPOINT [...]")
	}
	var entry []string
	if err := json.Unmarshal(m[1], &entry); err != nil {
		t.Fatalf("ENTRYPOINT: %v", err)
	}
	checkArgs(t, "Dockerfile ENTRYPOINT", entry, flags)
	statusPort := ""
	for i, a := range entry {
		if a == "--status-listen" && i+1 < len(entry) {
			statusPort = entry[i+1][strings.LastIndex(entry[i+1], ":")+1:]
		}
	}
	if statusPort != "7345" {
		t.Errorf("Dockerfile status port %q, the balancer and probes use 7345", statusPort)
	}

	// Compose: PingCAP's images, two titans, a balancer.
	var compose struct {
		Services map[string]struct {
			Image   string   `yaml:"image"`
			Command []string `yaml:"command"`
			Build   any      `yaml:"build"`
		} `yaml:"services"`
	}
	readYAML(t, "../deploy/compose/docker-compose.yml", &compose)
	titans := 0
	for name, s := range compose.Services {
		switch {
		case strings.HasPrefix(name, "titan"):
			titans++
			if s.Build == nil {
				t.Errorf("compose %s is not built from the repository", name)
			}
			checkArgs(t, "compose "+name, s.Command, flags)
		case name == "pd" || name == "tikv":
			if !strings.HasPrefix(s.Image, "pingcap/"+name+":") {
				t.Errorf("compose %s image %q, want PingCAP's", name, s.Image)
			}
		}
	}
	if titans != 2 || compose.Services["balancer"].Image == "" {
		t.Errorf("compose: %d titan services, balancer %q", titans, compose.Services["balancer"].Image)
	}
	hc, err := os.ReadFile("../deploy/compose/haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mode tcp", "GET /healthz", "check port 7345", "server titan1 titan1:7369", "server titan2 titan2:7369"} {
		if !bytes.Contains(hc, []byte(want)) {
			t.Errorf("haproxy.cfg lacks %q", want)
		}
	}

	// Kubernetes: the config loads, args are flags, probes hit /healthz.
	f, err := os.Open("../deploy/kubernetes/titan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	kinds := map[string]bool{}
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		kind, _ := doc["kind"].(string)
		kinds[kind] = true
		switch kind {
		case "ConfigMap":
			body := dig(doc, "data", "titan.toml").(string)
			p := filepath.Join(t.TempDir(), "titan.toml")
			os.WriteFile(p, []byte(body), 0o644)
			c, err := conf.Load(p)
			if err == nil {
				err = c.Validate()
			}
			if err != nil {
				t.Errorf("ConfigMap titan.toml: %v", err)
			}
		case "Deployment":
			ctr := dig(doc, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)
			var args []string
			for _, a := range ctr["args"].([]any) {
				args = append(args, a.(string))
			}
			checkArgs(t, "Deployment args", args, flags)
			if p, _ := dig(ctr, "readinessProbe", "httpGet", "path").(string); p != "/healthz" {
				t.Errorf("readiness probe path %q", p)
			}
			if ctr["livenessProbe"] == nil {
				t.Error("no liveness probe")
			}
			if v, _ := dig(doc, "spec", "template", "spec", "securityContext", "runAsNonRoot").(bool); !v {
				t.Error("pods may run as root")
			}
		}
	}
	for _, k := range []string{"ConfigMap", "Deployment", "Service", "PodDisruptionBudget"} {
		if !kinds[k] {
			t.Errorf("kubernetes manifests lack a %s", k)
		}
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// dig walks nested maps by keys; nil when a key is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
