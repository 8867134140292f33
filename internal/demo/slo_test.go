package demo

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/config"
)

// slo.csv reports catalog services' SLOs over the six months, some periods
// met and some missed, and as of the last day some SLOs are met and some
// are not, so the SLO dashboard has both to show.
func TestExternalSLOsAreReportedForSixMonthsSomeMetSomeMissed(t *testing.T) {
	d := load(t)
	rows := d.rows(t, "slo.csv", "date", "service", "slo", "objective", "attained", "period", "source")
	type key struct{ service, slo string }
	met, missed := map[key]int{}, map[key]int{}
	latest := map[key]map[string]string{}
	for _, r := range rows {
		d.day(t, "slo.csv", r["date"])
		if d.catalog.Service("csv", r["service"]) == catalog.Unknown {
			t.Errorf("slo.csv: service %q is not in the catalog", r["service"])
		}
		k := key{r["service"], r["slo"]}
		if number(t, "slo.csv", r["attained"]) >= number(t, "slo.csv", r["objective"]) {
			met[k]++
		} else {
			missed[k]++
		}
		if l, ok := latest[k]; !ok || r["date"] > l["date"] {
			latest[k] = r
		}
	}
	if len(latest) != len(externalSLOs) {
		t.Errorf("%d SLOs in slo.csv, want %d", len(latest), len(externalSLOs))
	}
	metNow, missedNow := 0, 0
	for k, r := range latest {
		if number(t, "slo.csv", r["attained"]) >= number(t, "slo.csv", r["objective"]) {
			metNow++
		} else {
			missedNow++
		}
		if met[k]+missed[k] < 5 {
			t.Errorf("%v: %d periods, want at least 5 over six months", k, met[k]+missed[k])
		}
	}
	totalMet, totalMissed := 0, 0
	for k := range latest {
		totalMet += met[k]
		totalMissed += missed[k]
	}
	if metNow == 0 || missedNow == 0 || totalMet == 0 || totalMissed == 0 {
		t.Errorf("as of the last day %d met and %d missed; over six months %d periods met and %d missed: want some of each", metNow, missedNow, totalMet, totalMissed)
	}
}

// The demo's OpenSLO file is read into one SLO by the generated config.
func TestTheDemoOpenSLOFileGivesOneSLO(t *testing.T) {
	d := load(t)
	cfg, err := config.Load(filepath.Join(d.dir, "config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.SLOs) != 1 {
		t.Fatalf("%d SLOs, want the one of %s", len(cfg.SLOs), OpenSLOFile)
	}
	s := cfg.SLOs[0]
	if s.Service != "sre" || s.Name != "docs-follow-templates" || s.Objective != 95 || time.Duration(s.Period) != 28*24*time.Hour || s.ErrorBudget() != 0.05 {
		t.Errorf("SLO %+v", s)
	}
	q, err := s.ErrorQuery.For("1h")
	if err != nil || !strings.HasPrefix(q, "(sum(avg_over_time(") || !strings.Contains(q, "[1h]") {
		t.Errorf("error query %q (%v)", q, err)
	}
}
