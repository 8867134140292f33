package demo

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/compliance/dashboard"
)

func TestCommittedDashboardsEqualAFreshGeneration(t *testing.T) {
	fresh := generate(t)
	for _, d := range demoDashboards {
		name := filepath.Join(DashboardsDir, d.file)
		want, err := os.ReadFile(filepath.Join(fresh, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(committedDir, name))
		if err != nil {
			t.Fatalf("%v (regenerate with: go run ./cmd/sre-value-exporter demo --out examples/demo --end 2026-11-20)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("examples/demo/%s differs from a fresh generation; regenerate it", name)
		}
	}
}

// The demo shows one dashboard that passes team-dashboard and two that do
// not, one breaking two rules and one breaking all but uid and legacy-rows.
func TestTheDemoDashboardsPassAndFailTheRulesTheyShould(t *testing.T) {
	set, err := compliance.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	files, err := dashboardFiles(newClock(committedEnd))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"payments-service-health.json": nil,
		"checkout-overview.json":       {"panel-description", "runbook-links"},
		"platform-node-stats.json":     {"datasource-variable", "legacy-panels", "panel-datasource", "panel-description", "panel-unit", "runbook-links", "slo-row", "team-tag", "title"},
	}
	for _, d := range demoDashboards {
		doc, err := dashboard.Parse(files[DashboardsDir+"/"+d.file], dashboard.Meta{})
		if err != nil {
			t.Fatalf("%s: %v", d.file, err)
		}
		var broken []string
		for _, res := range set.Check(doc, committedEnd) {
			if res.Template != "team-dashboard" {
				t.Errorf("%s: checked by %s too", d.file, res.Template)
			}
			for _, f := range res.Findings {
				if !slices.Contains(broken, f.Rule) {
					broken = append(broken, f.Rule)
				}
			}
		}
		slices.Sort(broken)
		if !slices.Equal(broken, want[d.file]) {
			t.Errorf("%s breaks %v, want %v", d.file, broken, want[d.file])
		}
	}
}
