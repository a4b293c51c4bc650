# titan build, run, test and benchmark entry points.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
DATA_DIR ?= ./data

# Packages whose code runs concurrently get the race detector.
RACE_PKGS := ./db/... ./command/... ./server/... ./store/... ./background/... ./instance/...
# Every other package but the end-to-end suite and the tools gets a plain
# run, so a new package is tested without being listed here.
UNIT_PKGS = $(shell $(GO) list ./... | grep -v -E '/titan/(db|command|server|store|background|instance|tests|tools)(/|$$)')

.PHONY: all build run test test-faults test-tikv test-unit test-e2e fuzz bench bench-migration vet fmt clean

all: build

build: bin/titan bin/dualwrite

bin/titan: FORCE
	$(GO) build -ldflags "$(LDFLAGS)" -o $@ ./cmd/titan

bin/dualwrite: FORCE
	$(GO) build -ldflags "$(LDFLAGS)" -o $@ ./tools/dualwrite

FORCE:

## run: start titan on the embedded store in $(DATA_DIR), serving 127.0.0.1:7369.
run: bin/titan
	./bin/titan --data-dir $(DATA_DIR)

## test: vet, unit tests (race detector on concurrent packages), short fuzzing, end-to-end tests.
test: vet
	$(GO) test -race -count=1 $(RACE_PKGS)
	$(GO) test -count=1 $(UNIT_PKGS)
	$(MAKE) fuzz FUZZTIME=30000x FUZZTIME_SLOW=2000x
	$(GO) test -count=1 -timeout 20m ./tests/... ./tools/...
	$(MAKE) test-faults

# The end-to-end tests run once more on a many-region embedded store that
# splits regions and injects region errors and timeouts (TITAN_E2E_FAULTS,
# tests/harness_test.go): the differential tests of the core types and the
# keyspace scans, a subset that keeps the added time under a minute.
FAULT_TESTS ?= TestFoundationDifferential|TestHashDifferential|TestSetDifferential|TestScanCompleteness|TestSelectIsolation
## test-faults: the end-to-end subset above on the faulty many-region store.
test-faults:
	TITAN_E2E_FAULTS=1 $(GO) test -count=1 -timeout 10m -run '$(FAULT_TESTS)' ./tests/

# PD is a PD address (host:port) of a running TiKV cluster; see
# docs/OPERATIONS.md for starting one. Each titan under test gets a
# namespace of its own.
PD ?=
TIKV_TESTS ?= .
## test-tikv: the end-to-end suite against a real cluster (PD=host:port); skipped without PD.
test-tikv:
	@if [ -z "$(PD)" ]; then echo "test-tikv: PD not set (make test-tikv PD=host:port), skipped"; exit 0; fi; \
	TITAN_E2E_PD=$(PD) $(GO) test -count=1 -timeout 30m -run '$(TIKV_TESTS)' ./tests/

# Fuzz budgets are counts of executions, not durations: Go 1.26's fuzz
# coordinator can fail a duration-bounded run with a spurious "context
# deadline exceeded" as the time runs out (golang/go#75804, fixed in 1.27).
FUZZTIME ?= 2000000x
FUZZ_PKGS ?= ./encoding/ ./glob/ ./parse/ ./resp/
# Targets that run a command engine per input (every command's argument
# parsing) are slower: their own, smaller budget.
FUZZTIME_SLOW ?= 50000x
FUZZ_SLOW_PKGS ?= ./command/
## fuzz: run every fuzz target of the FUZZ_PKGS packages for FUZZTIME each
## (FUZZ_SLOW_PKGS: FUZZTIME_SLOW).
fuzz:
	@for p in $(FUZZ_PKGS) $(FUZZ_SLOW_PKGS); do \
		budget=$(FUZZTIME); \
		case " $(FUZZ_SLOW_PKGS) " in *" $$p "*) budget=$(FUZZTIME_SLOW);; esac; \
		for f in $$($(GO) test -list '^Fuzz' $$p | grep ^Fuzz); do \
			echo "fuzz $$p $$f ($$budget)"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $$budget $$p || exit 1; \
		done; \
	done

## vet: gofmt, go vet, and the layering rules of docs/ARCHITECTURE.md (command and
## server never import client-go; encoding imports nothing of titan or TiKV).
vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || (gofmt -l . ; echo "gofmt needed"; exit 1)
	$(GO) vet ./...
	@! $(GO) list -f '{{join .Imports "\n"}}' ./command ./server | grep -q 'tikv/client-go' || (echo "command/server import client-go"; exit 1)
	@! $(GO) list -f '{{join .Imports "\n"}}' ./encoding | grep -q 'titan-kv\|tikv' || (echo "encoding must stay pure"; exit 1)

## bench: the bus's wake latency and PUBLISH fan-out over several instances, then
## redis-benchmark against titan (batching on and off, with and without a
## per-request delay) and a redis-server started in the same run, then the Go benchmarks.
BENCH_SCALE ?= 1
bench: bin/titan
	$(GO) test -run '^$$' -bench Wake -benchtime 300x ./bus/
	$(GO) test -run '^$$' -bench Publish -benchtime 50000x ./bus/
	$(GO) run ./tools/bench -titan bin/titan -scale $(BENCH_SCALE) -out bench-table.md
	$(GO) test -run '^$$' -bench . -benchtime 3000x ./db/

## bench-migration: dualwrite's backfill, proxy latency and replicate benchmarks.
bench-migration:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./tools/dualwrite/

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
