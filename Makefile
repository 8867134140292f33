# sre-value-exporter: `make run` serves the demo, `make test` runs every check
# (it builds the pinned Prometheus tools into bin/ first; only Go and make needed).
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

.PHONY: all build run demo test vet unit check-metrics check-generated generate bench lint tools clean FORCE

# Tools are built from source with Go into bin/ (git-ignored) on first use,
# so `make test` needs nothing but Go and make. Every test, rule check and
# end-to-end run uses this one Prometheus release: the Go module
# github.com/prometheus/prometheus v0.316.0 is Prometheus 3.16.0.
# remove_all_sd drops the cloud service-discovery plugins nobody here needs.
PROMETHEUS_VERSION    := v0.316.0
# amtool validates and route-tests the generated Alertmanager configuration.
ALERTMANAGER_VERSION  := v0.35.0
GOLANGCI_LINT_VERSION := v2.15.0
TOOLS_DIR     := $(CURDIR)/bin
PROMTOOL      := $(TOOLS_DIR)/promtool
PROMETHEUS    := $(TOOLS_DIR)/prometheus
AMTOOL        := $(TOOLS_DIR)/amtool
GOLANGCI_LINT := $(TOOLS_DIR)/golangci-lint
# A stamp per version: bumping a version above rebuilds on the next run, and
# a deleted binary forces a rebuild even though its stamp survived.
PROMETHEUS_STAMP    := $(TOOLS_DIR)/.prometheus-$(PROMETHEUS_VERSION)
ALERTMANAGER_STAMP  := $(TOOLS_DIR)/.alertmanager-$(ALERTMANAGER_VERSION)
GOLANGCI_LINT_STAMP := $(TOOLS_DIR)/.golangci-lint-$(GOLANGCI_LINT_VERSION)
# Tests find the pinned binaries through these (internal/testbin).
TEST_ENV := PROMTOOL_BIN=$(PROMTOOL) PROMETHEUS_BIN=$(PROMETHEUS) AMTOOL_BIN=$(AMTOOL)

all: build

build:
	go build -ldflags '$(LDFLAGS)' -o $(BINARY) ./cmd/sre-value-exporter

$(DEMO_DIR)/config.yml: build
	./$(BINARY) demo --out $(DEMO_DIR) --end $(DEMO_END)

run: build $(DEMO_DIR)/config.yml
	./$(BINARY) --config.file $(DEMO_DIR)/config.yml --storage.path $(DEMO_DIR)/store.db --web.listen-address $(LISTEN)

# The demo with six months of history: backfills the demo data into a fresh
# Prometheus data directory, then runs the exporter and the pinned Prometheus
# with the generated rules; Ctrl-C stops both (the trap kills what it started).
PROM_LISTEN ?= 127.0.0.1:9090
DEMO_PROM   := $(DEMO_DIR)/prometheus
demo: build tools $(DEMO_DIR)/config.yml
	rm -rf $(DEMO_PROM) $(DEMO_DIR)/backfill.db && mkdir -p $(DEMO_PROM)
	./$(BINARY) backfill --config.file $(DEMO_DIR)/config.yml --storage.path $(DEMO_DIR)/backfill.db \
		--since 180d --step 1h --skip-recent 0 --output.tsdb $(DEMO_PROM)/data \
		--rules.file alerts/sre-value.rules.yml --rules.file alerts/sre-value.slo.rules.yml \
		--label.job sre-value-exporter --label.instance localhost$(LISTEN)
	printf 'global:\n  scrape_interval: 1m\n  evaluation_interval: 1m\nrule_files:\n  - %s/alerts/sre-value.rules.yml\n  - %s/alerts/sre-value.slo.rules.yml\nscrape_configs:\n  - job_name: sre-value-exporter\n    static_configs:\n      - targets: [\047localhost$(LISTEN)\047]\n' "$(CURDIR)" "$(CURDIR)" > $(DEMO_PROM)/prometheus.yml
	@echo
	@echo "exporter:   http://localhost$(LISTEN)/"
	@echo "prometheus: http://$(PROM_LISTEN)/ (six months of history, 200d retention)"
	@echo "grafana:    add http://$(PROM_LISTEN) as a Prometheus data source, then load the bundle:"
	@echo "            dashboards/*.json (Dashboards > Import), or provisioning/grafana (docs/provisioning.md),"
	@echo "            or ./$(BINARY) push --config.file $(DEMO_DIR)/config.yml --grafana.url ... (docs/push.md)"
	@echo "Ctrl-C stops both."
	@trap 'kill $$exp $$prom 2>/dev/null; wait $$exp $$prom 2>/dev/null; exit 0' INT TERM; \
	./$(BINARY) --config.file $(DEMO_DIR)/config.yml --storage.path $(DEMO_DIR)/store.db --web.listen-address $(LISTEN) & exp=$$!; \
	$(PROMETHEUS) --config.file=$(DEMO_PROM)/prometheus.yml --storage.tsdb.path=$(DEMO_PROM)/data \
		--storage.tsdb.retention.time=200d --web.listen-address=$(PROM_LISTEN) --log.level=warn & prom=$$!; \
	wait $$exp $$prom; kill $$exp $$prom 2>/dev/null; wait

test: tools vet unit check-metrics check-generated

vet:
	go vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

# The end-to-end tests share one backfill of the demo, cached in the temp
# folder by a hash of the code and data (internal/promtest). It is written
# here without the race detector, which would make it ten times slower;
# the race run below then reads the cache.
unit: tools
	$(TEST_ENV) go test -count=1 -timeout 15m -run '^TestTheBackfilledDemoInPrometheus$$' ./internal/backfill
	$(TEST_ENV) go test -race -count=1 -timeout 15m ./...

# The golden /metrics of the demo must satisfy Prometheus' own linter.
check-metrics: tools
	$(PROMTOOL) check metrics < internal/exporter/testdata/demo.metrics

# The bundle (rules, SLO rules, runbooks, docs/rules.md, dashboards,
# provisioning/) for the demo config, committed at the repository root.
# alerts/tests/ is written by hand.
generate: build
	./$(BINARY) generate --config.file examples/demo/config.yml --output-dir .

# Generated files are committed; regenerating them must change nothing.
check-generated: build
	rm -rf .generated && mkdir -p .generated
	./$(BINARY) demo --out .generated/demo --end 2026-11-20
	diff -r examples/demo .generated/demo
	./$(BINARY) generate --config.file examples/demo/config.yml --output-dir .generated/bundle
	diff -r --exclude=tests alerts .generated/bundle/alerts
	diff alerts/sre-value.slo.rules.yml .generated/bundle/alerts/sre-value.slo.rules.yml
	diff -r docs/runbooks .generated/bundle/docs/runbooks
	diff docs/rules.md .generated/bundle/docs/rules.md
	diff -r dashboards .generated/bundle/dashboards
	diff -r provisioning .generated/bundle/provisioning
	$(TEST_ENV) go test -count=1 -run 'TestDemoMetricsMatchTheGoldenFile' ./internal/exporter
	rm -rf .generated

bench:
	go test -run '^$$' -bench . -benchmem ./...

# Not part of `make test`: findings are for review, see .golangci.yml.
lint: $(GOLANGCI_LINT_STAMP)
	$(GOLANGCI_LINT) run ./...

tools: $(PROMETHEUS_STAMP) $(ALERTMANAGER_STAMP)

$(PROMETHEUS_STAMP): $(if $(and $(wildcard $(PROMTOOL)),$(wildcard $(PROMETHEUS))),,FORCE)
	@echo "building promtool and prometheus $(PROMETHEUS_VERSION) into bin/ (first time: several minutes)"
	@mkdir -p $(TOOLS_DIR) && rm -f $(TOOLS_DIR)/.prometheus-*
	GOBIN=$(TOOLS_DIR) go install -tags remove_all_sd \
		github.com/prometheus/prometheus/cmd/promtool@$(PROMETHEUS_VERSION) \
		github.com/prometheus/prometheus/cmd/prometheus@$(PROMETHEUS_VERSION)
	@touch $@

$(ALERTMANAGER_STAMP): $(if $(wildcard $(AMTOOL)),,FORCE)
	@mkdir -p $(TOOLS_DIR) && rm -f $(TOOLS_DIR)/.alertmanager-*
	GOBIN=$(TOOLS_DIR) go install github.com/prometheus/alertmanager/cmd/amtool@$(ALERTMANAGER_VERSION)
	@touch $@

$(GOLANGCI_LINT_STAMP): $(if $(wildcard $(GOLANGCI_LINT)),,FORCE)
	@mkdir -p $(TOOLS_DIR) && rm -f $(TOOLS_DIR)/.golangci-lint-*
	GOBIN=$(TOOLS_DIR) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	@touch $@

FORCE:

# bin/ (the pinned tools) survives `make clean`; remove it to rebuild them.
clean:
	rm -rf $(BINARY) data .generated
