package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openSLODir writes the files into a temporary folder with a config.yml
// that reads openslo_files, and parses it.
func openSLODir(t *testing.T, config string, files map[string]string) (*Config, string, error) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := Parse(filepath.Join(dir, "config.yml"), []byte(config))
	return cfg, dir, err
}

const openSLOGoodTotal = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
  displayName: Checkout availability
spec:
  description: Checkout requests that do not fail.
  service: checkout-api
  indicator:
    metadata:
      name: checkout-good
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{job="checkout",code!~"5.."}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  objectives:
    - displayName: Three nines
      target: 0.999
`

const openSLOBadTotalByRef = `apiVersion: openslo/v1
kind: Service
metadata:
  name: search-api
spec:
  description: Search.
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: search-errors
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        type: prometheus
        spec:
          query: search_errors_total
    total:
      metricSource:
        type: Prometheus
        spec:
          query: search_requests_total
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: errors
spec:
  service: search-api
  indicatorRef: search-errors
  timeWindow:
    - duration: 1w
      isRolling: true
  objectives:
    - targetPercent: 99.5
---
`

func TestOpenSLOFilesBecomeSLOsOfTheSameModel(t *testing.T) {
	other := strings.Replace(validSLO, "name: availability", "name: latency", 1)
	cfg, _, err := openSLODir(t, other+"openslo_files: [openslo/*.yaml]\n", map[string]string{
		"openslo/a-checkout.yaml": openSLOGoodTotal,
		"openslo/b-search.yaml":   openSLOBadTotalByRef,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.SLOs) != 3 {
		t.Fatalf("%d SLOs, want the one of slos: and two from the files", len(cfg.SLOs))
	}
	checkout, search := cfg.SLOs[1], cfg.SLOs[2]
	// good/total: errors are total - good; a plain counter selector becomes
	// sum(rate(selector[window])).
	e, _ := checkout.ErrorQuery.For("1h")
	tq, _ := checkout.TotalQuery.For("1h")
	if checkout.Service != "checkout-api" || checkout.Name != "availability" || checkout.Objective != 99.9 ||
		time.Duration(checkout.Period) != 28*24*time.Hour || checkout.Description != "Checkout requests that do not fail." || checkout.Line != 4 ||
		e != "(sum(rate(http_requests_total{job=\"checkout\"}[1h])))\n-\n(sum(rate(http_requests_total{job=\"checkout\",code!~\"5..\"}[1h])))" ||
		tq != `sum(rate(http_requests_total{job="checkout"}[1h]))` {
		t.Errorf("checkout SLO = %+v\nerror %s\ntotal %s", checkout, e, tq)
	}
	// 0.999 is read as 99.9 exactly, so the budget is 0.001.
	if checkout.ErrorBudget() != 0.001 || checkout.ObjectiveRatio() != 0.999 {
		t.Errorf("budget %v objective %v", checkout.ErrorBudget(), checkout.ObjectiveRatio())
	}
	e, _ = search.ErrorQuery.For("5m")
	tq, _ = search.TotalQuery.For("5m")
	if search.Service != "search-api" || search.Name != "errors" || search.Objective != 99.5 || time.Duration(search.Period) != 7*24*time.Hour ||
		e != "sum(rate(search_errors_total[5m]))" || tq != "sum(rate(search_requests_total[5m]))" {
		t.Errorf("search SLO = %+v\nerror %s\ntotal %s", search, e, tq)
	}
}

func TestUnsupportedOpenSLOIsRefusedWithFileAndLine(t *testing.T) {
	replace := func(old, with string) string {
		if !strings.Contains(openSLOGoodTotal, old) {
			t.Fatalf("fixture lacks %q", old)
		}
		return strings.Replace(openSLOGoodTotal, old, with, 1)
	}
	tests := []struct {
		name, file, want string
	}{
		{"a calendar window", replace("      isRolling: true\n", "      isRolling: false\n"),
			"slo.yaml:28: spec.timeWindow[0].isRolling: not supported: calendar-aligned windows; set isRolling: true"},
		{"a calendar block", replace("      isRolling: true\n", "      isRolling: true\n      calendar: {startTime: \"2024-01-01 00:00:00\", timeZone: UTC}\n"),
			"slo.yaml:29: spec.timeWindow[0].calendar: not supported: calendar-aligned windows; use a rolling window (isRolling: true)"},
		{"a month, whose length varies", replace("duration: 28d", "duration: 1M"),
			`slo.yaml:27: spec.timeWindow[0].duration: "1M" is not a fixed duration such as 28d, 4w or 30d (months, quarters and years vary in length)`},
		{"a threshold metric", replace("      ratioMetric:\n", "      thresholdMetric:\n        metricSource: {type: Prometheus, spec: {query: up}}\n      ratioMetric:\n"),
			"slo.yaml:13: spec.indicator.spec.thresholdMetric: not supported: threshold metrics; the SLI must be a ratioMetric of good or bad events over total"},
		{"time slices", replace("budgetingMethod: Occurrences", "budgetingMethod: Timeslices"),
			`slo.yaml:25: spec.budgetingMethod: "Timeslices" is not supported; only Occurrences (a ratio of good to all events over the window)`},
		{"a threshold objective", replace("      target: 0.999\n", "      target: 0.999\n      op: lte\n      value: 200\n"),
			"slo.yaml:32: spec.objectives[0].op: not supported: threshold objectives; the SLI must be a ratio of events"},
		{"a target that is a percentage", replace("target: 0.999", "target: 99.9"),
			`slo.yaml:31: spec.objectives[0].target: "99.9" must be a share above 0 and below 1, such as 0.995`},
		{"a targetPercent that is a share", replace("target: 0.999", "targetPercent: 0.999"),
			"slo.yaml:31: spec.objectives[0].targetPercent: 0.999 looks like a share; write the objective as a percentage, such as 99.5"},
		{"another data source", replace("            type: Prometheus\n            spec:\n              query: http_requests_total{job=\"checkout\",code!~\"5..\"}", "            type: Datadog\n            spec:\n              query: sum:requests{*}"),
			`slo.yaml:17: spec.indicator.spec.ratioMetric.good.metricSource.type: "Datadog" is not supported; only Prometheus queries become rules`},
		{"a query without the window", replace("query: sum(rate(http_requests_total{job=\"checkout\"}[{{.window}}]))", "query: sum(rate(http_requests_total{job=\"checkout\"}[5m]))"),
			"slo.yaml:24: spec.indicator.spec.ratioMetric.total.metricSource.spec.query: write the query over the range {{.window}}"},
		{"an alert policy", replace("  budgetingMethod:", "  alertPolicies: [fast-burn]\n  budgetingMethod:"),
			"slo.yaml:25: spec.alertPolicies: not supported: generate builds its own multi-window multi-burn-rate alerts for every SLO (docs/slos.md)"},
		{"an unknown field", replace("  service: checkout-api\n", "  service: checkout-api\n  servce: typo\n"),
			"slo.yaml:9: spec.servce: unknown field for OpenSLO openslo/v1"},
		{"an older API version", replace("apiVersion: openslo/v1", "apiVersion: openslo/v1alpha"),
			`slo.yaml:1: apiVersion: "openslo/v1alpha" is not supported; only openslo/v1 is read`},
		{"an SLI reference to nothing", strings.Replace(openSLOBadTotalByRef, "indicatorRef: search-errors", "indicatorRef: search-errs", 1),
			`slo.yaml:32: spec.indicatorRef: no SLI named "search-errs" in this file`},
		{"two objectives", replace("      target: 0.999\n", "      target: 0.999\n    - target: 0.99\n"),
			"slo.yaml:29: spec.objectives: give exactly one objective (declare another SLO for another target)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, dir, err := openSLODir(t, "openslo_files: [slo.yaml]\n", map[string]string{"slo.yaml": tt.file})
			if err == nil {
				t.Fatal("accepted")
			}
			got := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			if !strings.Contains(got, tt.want) {
				t.Errorf("error\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestOpenSLOFilesAreCheckedAgainstTheConfigsSLOs(t *testing.T) {
	// validSLO declares checkout-api/availability, as the file does.
	dup := openSLOGoodTotal
	_, dir, err := openSLODir(t, validSLO+"openslo_files: [dup.yaml, missing/*.yaml]\n", map[string]string{"dup.yaml": dup})
	if err == nil {
		t.Fatal("accepted")
	}
	got := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
	for _, want := range []string{
		"dup.yaml:4: metadata.name: service checkout-api already has an SLO named availability (config.yml:2)",
		`config.yml:7: openslo_files[1]: "missing/*.yaml" matches no file`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("error\n%s\nlacks\n%s", got, want)
		}
	}
}
