# netsnap / netanalyze. `make` builds both for this machine; `make test` is what CI runs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME ?= 5000x

.PHONY: all build cross test lint unit fuzz-smoke scale bench clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/netsnap ./cmd/netsnap
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/netanalyze ./cmd/netanalyze

# Static binaries for the hosts netsnap runs on.
cross:
	for arch in amd64 arm64; do \
	  for cmd in netsnap netanalyze; do \
	    CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/$$cmd-linux-$$arch ./cmd/$$cmd || exit 1; \
	  done; \
	done

# Everything CI checks: formatting, vet, staticcheck, the tests (with the
# 100k-socket memory test in a network namespace), a smoke run of the
# benchmark, and a short run of every fuzz target.
test: lint unit fuzz-smoke

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./cmd/netanalyze   # the analyzer runs on workstations

# -p 1: the lab, the memory test and the sample generator time real load and
# must not share the 2 cores with each other.
unit:
	NETSNAP_SCALE=1 $(GO) test -count=1 -p 1 ./...
	$(GO) run ./samples/gen -check
	bench/run.sh --smoke

# Each fuzz target of a parser of untrusted input, briefly: a count of inputs
# rather than a duration, so a loaded machine cannot turn it into a deadline error.
fuzz-smoke:
	@set -e; log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "fuzz $$pkg $$f"; \
	    if ! $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s $$pkg >$$log 2>&1; then \
	      cat $$log; echo "fuzz $$f failed: a failing input was written under $$dir/testdata/fuzz/$$f (commit it as a regression test once fixed)"; exit 1; \
	    fi; \
	  done; \
	done

# The collector's memory against table size, alone (needs root and ip netns).
scale:
	NETSNAP_SCALE=1 $(GO) test -count=1 -run TestMemoryFlat -v ./cmd/netsnap/

# The benchmark harness: the collector against cat and ss at 10k-1M sockets,
# the conntrack table, the analyzer against decompression and the seed's
# pipeline, a fleet of 50 (needs root and ip netns; ~5 min; bench/README.md).
bench:
	bench/run.sh

clean:
	rm -rf bin dist
