package tests

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/titan-kv/titan/conf"
	"github.com/titan-kv/titan/instance/instancetest"
)

// groupOptions are o with the store of the environment, as storeArgs
// gives the titan processes under test: with TITAN_E2E_PD, the group's
// instances share a namespace of their own on the cluster; with
// TITAN_E2E_FAULTS, the embedded store has many regions that split and
// injects faults.
func groupOptions(o instancetest.Options) instancetest.Options {
	if os.Getenv("TITAN_E2E_FAULTS") != "" {
		o.Store.Regions, o.Store.SplitInterval, o.Store.FaultRate = 8, 200*time.Millisecond, 0.01
	}
	if pd := os.Getenv("TITAN_E2E_PD"); pd != "" {
		o.Store.Address = "tikv://" + pd
		ns := fmt.Sprintf("e2e%d%d", os.Getpid(), namespaceSeq.Add(1))
		config := o.Config
		o.Config = func(c *conf.Config) {
			c.Namespace = ns
			if config != nil {
				config(c)
			}
		}
	}
	return o
}

// onCluster reports whether the tests run against a real cluster
// (make test-tikv).
func onCluster() bool { return os.Getenv("TITAN_E2E_PD") != "" }

// skipOnCluster skips a test that needs what only the embedded store
// has, saying why.
func skipOnCluster(t *testing.T, why string) {
	t.Helper()
	if onCluster() {
		t.Skip("needs the embedded store: " + why)
	}
}
