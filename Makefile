# netsnap / netanalyze. `make` builds both for this machine; `make test` is what CI runs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --verify -q HEAD 2>/dev/null)
# Dates in the man pages and tarballs: the last commit's, so that building the
# same commit again gives the same files.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH
VERSION_FLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
LDFLAGS := -s -w $(VERSION_FLAGS)
DIST    ?= dist
ARCHS   ?= amd64 arm64
SHA256SUM ?= $(shell command -v sha256sum >/dev/null 2>&1 && echo sha256sum || echo 'shasum -a 256')
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME ?= 5000x

.PHONY: all build cross docs dist readme test lint unit fuzz-smoke scale bench clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/netsnap ./cmd/netsnap
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/netanalyze ./cmd/netanalyze

# Static binaries for the hosts netsnap runs on: $(DIST)/netsnap-linux-amd64, …
# (ARCHS=amd64 for one platform only).
cross:
	for arch in $(ARCHS); do \
	  for cmd in netsnap netanalyze; do \
	    CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(DIST)/$$cmd-linux-$$arch ./cmd/$$cmd || exit 1; \
	  done; \
	done

# Man pages and bash/zsh/fish completions in $(DIST)/share, generated from the
# cobra commands by a build with the gendocs tag (only that build links
# cobra/doc and go-md2man; the release binaries do not).
docs:
	rm -rf $(DIST)/share
	$(GO) run -tags gendocs -ldflags '$(VERSION_FLAGS)' ./cmd/netsnap gendocs $(DIST)/share
	$(GO) run -tags gendocs -ldflags '$(VERSION_FLAGS)' ./cmd/netanalyze gendocs $(DIST)/share

# A release: the cross binaries, the docs, one tarball per platform
# (netsnap-VERSION-linux-ARCH.tar.gz: both binaries, man pages, completions,
# README.md) and SHA256SUMS over the binaries and tarballs. Needs GNU tar.
dist: cross docs
	@set -e; cd $(DIST); sums=; \
	for arch in $(ARCHS); do \
	  d=netsnap-$(VERSION)-linux-$$arch; rm -rf $$d; mkdir -p $$d; \
	  cp netsnap-linux-$$arch $$d/netsnap; cp netanalyze-linux-$$arch $$d/netanalyze; \
	  cp -R share/man share/completions $$d/; \
	  cp $(CURDIR)/README.md $$d/; if [ -f $(CURDIR)/LICENSE ]; then cp $(CURDIR)/LICENSE $$d/; fi; \
	  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$(SOURCE_DATE_EPOCH) -cf - $$d | gzip -9n > $$d.tar.gz; \
	  rm -rf $$d; \
	  sums="$$sums netsnap-linux-$$arch netanalyze-linux-$$arch $$d.tar.gz"; \
	done; \
	$(SHA256SUM) $$sums > SHA256SUMS; \
	ls -l

# Rewrite the generated parts of README.md (the rule catalogue) from rules.toml.
readme:
	$(GO) test -count=1 -run '^TestReadme' . -update

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
	rm -rf bin dist $(DIST)
