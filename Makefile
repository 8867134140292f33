# sre-value-exporter: `make run` serves the demo, `make test` runs every check.
BINARY   := sre-value-exporter
PKG      := github.com/sre-value/sre-value-exporter
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X github.com/prometheus/common/version.Version=$(VERSION) \
            -X github.com/prometheus/common/version.Revision=$(REVISION) \
            -X github.com/prometheus/common/version.Branch=main
LISTEN   ?= :9877
# The demo is regenerated to end today, so the 7/30/90-day figures are full
# whenever you run it; each day gets its own folder and store.
DEMO_END := $(shell date -u +%F)
DEMO_DIR := data/demo-$(DEMO_END)

.PHONY: all build run test vet unit check-metrics check-generated bench clean

all: build

build:
	go build -ldflags '$(LDFLAGS)' -o $(BINARY) ./cmd/sre-value-exporter

$(DEMO_DIR)/config.yml: build
	./$(BINARY) demo --out $(DEMO_DIR) --end $(DEMO_END)

run: build $(DEMO_DIR)/config.yml
	./$(BINARY) --config.file $(DEMO_DIR)/config.yml --storage.path $(DEMO_DIR)/store.db --web.listen-address $(LISTEN)

test: vet unit check-metrics check-generated

vet:
	go vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

unit:
	go test -race -count=1 -timeout 15m ./...

# The golden /metrics of the demo must satisfy Prometheus' own linter.
check-metrics:
	promtool check metrics < internal/exporter/testdata/demo.metrics

# Generated files are committed; regenerating them must change nothing.
check-generated: build
	rm -rf .generated && mkdir -p .generated
	./$(BINARY) demo --out .generated/demo --end 2026-11-20
	diff -r examples/demo .generated/demo
	go test -count=1 -run 'TestDemoMetricsMatchTheGoldenFile' ./internal/exporter
	rm -rf .generated

bench:
	go test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf $(BINARY) data .generated
