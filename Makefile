# Enact — developer targets. `make help` lists them.
GO      ?= go
PKGS    ?= ./...
BENCHTIME ?= 2s
FUZZTIME  ?= 30s
BIN     := bin/enact-run

.PHONY: help build test check bench fuzz load crash plugins engines cpython clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build bin/enact-run
	$(GO) build -o $(BIN) ./cmd/enact-run

test: ## run the whole test suite (the README's command)
	$(GO) test -race -shuffle=on -vet=off -timeout 15m $(PKGS)

check: ## pre-flight: gofmt, go vet, go mod tidy unchanged, tests with -race
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@cp go.mod /tmp/enact-go.mod.bak; cp go.sum /tmp/enact-go.sum.bak; \
	  $(GO) mod tidy; \
	  if ! cmp -s go.mod /tmp/enact-go.mod.bak || ! cmp -s go.sum /tmp/enact-go.sum.bak; then \
	    cp /tmp/enact-go.mod.bak go.mod; cp /tmp/enact-go.sum.bak go.sum; echo "go mod tidy would change go.mod/go.sum"; exit 1; fi
	$(GO) test -race -shuffle=on -vet=off -timeout 15m $(PKGS)

bench: ## run the benchmarks: sandbox runs side by side with the subprocess baselines, then the gate, policy and receipts, then process start (--help, version, a new run)
	$(GO) run ./runtime/internal/benchreport -benchtime $(BENCHTIME)
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./capabilities ./plugins/... ./hostfns ./hostfns/... ./policy ./receipts ./cmd/enact-run/internal/...
	$(GO) test -run '^$$' -bench MCPStdio -benchtime 300x ./cmd/enact-run
	$(GO) test -run '^$$' -bench RunCachedBundle -benchtime 20x ./cmd/enact-run
	$(GO) test -run '^$$' -bench HelpProcess -benchtime 50x ./cmd/enact-run

CRASH_TRIALS ?= 2000
load: ## the hostile memory load at full size (50 concurrent runs of each kind against serve; the race build sends 10)
	$(GO) test -count=1 -run '^TestHostileMemoryLoadAgainstServe$$' -v ./cmd/enact-run | grep -E 'peak RSS|^(--- |ok|FAIL|PASS)'

crash: ## the kill -9 crash harness at length (CRASH_TRIALS trials; CI runs 200)
	ENACT_CRASH_TRIALS=$(CRASH_TRIALS) $(GO) test -run '^TestCrashConsistency$$' -v -timeout 0 ./cmd/enact-run | grep -E 'crash harness|ms per trial|^(---|ok|FAIL)'

fuzz: ## run every fuzz target for FUZZTIME each
	$(GO) test ./capabilities -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME)
	$(GO) test ./plugins -run '^$$' -fuzz '^FuzzImports$$' -fuzztime $(FUZZTIME)
	$(GO) test ./plugins -run '^$$' -fuzz '^FuzzBundle$$' -fuzztime $(FUZZTIME)
	$(GO) test ./plugins -run '^$$' -fuzz '^FuzzModuleLimits$$' -fuzztime $(FUZZTIME)
	$(GO) test ./plugins/bundle -run '^$$' -fuzz '^FuzzManifest$$' -fuzztime $(FUZZTIME)
	$(GO) test ./plugins/bundle -run '^$$' -fuzz '^FuzzSignatureFile$$' -fuzztime $(FUZZTIME)
	$(GO) test ./plugins/registry -run '^$$' -fuzz '^FuzzDecodeManifest$$' -fuzztime $(FUZZTIME)
	$(GO) test ./policy -run '^$$' -fuzz '^FuzzDecide$$' -fuzztime $(FUZZTIME)
	$(GO) test ./policy -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME)
	$(GO) test ./receipts -run '^$$' -fuzz '^FuzzOpen$$' -fuzztime $(FUZZTIME)
	$(GO) test ./receipts -run '^$$' -fuzz '^FuzzDigest$$' -fuzztime $(FUZZTIME)
	$(GO) test ./hostfns -run '^$$' -fuzz '^FuzzDecodeRequest$$' -fuzztime $(FUZZTIME)
	$(GO) test ./hostfns/postgres -run '^$$' -fuzz '^FuzzArgs$$' -fuzztime $(FUZZTIME)
	$(GO) test ./hostfns/hubspot -run '^$$' -fuzz '^FuzzCall$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cmd/enact-run/internal/mcpserver -run '^$$' -fuzz '^FuzzStdioMessage$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cmd/enact-run/internal/httpapi -run '^$$' -fuzz '^FuzzHTTPRunBody$$' -fuzztime $(FUZZTIME)

plugins: ## rebuild the Go example and test plugins (commands recorded in their BUILD.md)
	cd plugins/examples/textstats && GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w' -o textstats.wasm .
	cd runtime/testdata/hostile && GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -buildvcs=false -ldflags='-s -w' -o hostile.wasm .
	sha256sum plugins/examples/textstats/textstats.wasm runtime/testdata/hostile/hostile.wasm

engines: ## fetch QuickJS-NG from its registry and check the sha256 of every engine file
	sh plugins/engines/fetch.sh

cpython: ## build the CPython engine and its standard library from Debian sources (~15 min on 2 cores; see plugins/engines/cpython/BUILD.md)
	sh plugins/engines/cpython/build.sh

clean: ## remove build output
	rm -rf bin enact-build
