package exporter

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const valueSection = `catalog:
  teams: [{name: payments}]
  services: [{name: payments-api, team: payments}]
value:
  currency: EUR
  downtime_cost_per_hour:
    by_severity: {sev2: 5000, sev1: 20000}
    by_service: {payments-api: 30000}
  engineer_hourly_rate: 95
  sre_team_cost: {amount: 450000, per: quarter}
`

// The value section is exported as it is configured, and a reload changes
// the money (and the currency) without a restart.
func TestTheValueSectionIsExportedAndFollowsAReload(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "alpha.txt"), []byte("1"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, dir, valueSection+oneFake)
	waitFor(t, "ready", h.exp.Scheduler.Ready)
	names := []string{"sre_value_info", "sre_value_severity_downtime_cost_per_hour", "sre_value_service_downtime_cost_per_hour",
		"sre_value_engineer_hourly_rate", "sre_value_sre_team_cost", "sre_value_sre_team_cost_period_seconds"}
	want := `
# HELP sre_value_engineer_hourly_rate The loaded cost of an engineer hour (salary, overheads), from value.engineer_hourly_rate; prices the hours saved.
# TYPE sre_value_engineer_hourly_rate gauge
sre_value_engineer_hourly_rate 95
# HELP sre_value_info 1 while the configuration has a value: section; currency is its ISO 4217 code, the currency of every money figure.
# TYPE sre_value_info gauge
sre_value_info{currency="EUR"} 1
# HELP sre_value_service_downtime_cost_per_hour What an hour of an incident of the service costs, whatever its severity, from value.downtime_cost_per_hour.by_service.
# TYPE sre_value_service_downtime_cost_per_hour gauge
sre_value_service_downtime_cost_per_hour{service="payments-api"} 30000
# HELP sre_value_severity_downtime_cost_per_hour What an hour of an incident of the severity costs, from value.downtime_cost_per_hour.by_severity (a service's own cost wins over it).
# TYPE sre_value_severity_downtime_cost_per_hour gauge
sre_value_severity_downtime_cost_per_hour{severity="sev1"} 20000
sre_value_severity_downtime_cost_per_hour{severity="sev2"} 5000
# HELP sre_value_sre_team_cost What the SRE team costs per period (value.sre_team_cost.amount); divide by sre_value_sre_team_cost_period_seconds for the cost per second.
# TYPE sre_value_sre_team_cost gauge
sre_value_sre_team_cost 450000
# HELP sre_value_sre_team_cost_period_seconds The period sre_value_sre_team_cost is for (value.sre_team_cost.per: a month is 365d/12, a quarter 365d/4, a year 365d).
# TYPE sre_value_sre_team_cost_period_seconds gauge
sre_value_sre_team_cost_period_seconds 7.884e+06
`
	_, first := h.get("/metrics")
	var got []string
	for _, line := range strings.Split(first, "\n") {
		for _, n := range names {
			if strings.HasPrefix(strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE "), n+" ") || strings.HasPrefix(line, n+"{") {
				got = append(got, line)
			}
		}
	}
	if g := strings.Join(got, "\n"); g != strings.TrimSpace(want) {
		t.Errorf("/metrics has\n%s\nwant\n%s", g, strings.TrimSpace(want))
	}

	h.writeConfig(strings.Replace(strings.Replace(valueSection, "EUR", "USD", 1), "engineer_hourly_rate: 95", "engineer_hourly_rate: 110", 1) + oneFake)
	if code, body := h.post("/-/reload"); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	_, exposition := h.get("/metrics")
	for _, line := range []string{`sre_value_info{currency="USD"} 1`, "sre_value_engineer_hourly_rate 110"} {
		if !strings.Contains(exposition, line) {
			t.Errorf("/metrics lacks %q after the reload", line)
		}
	}
	if strings.Contains(exposition, `currency="EUR"`) {
		t.Error("the old currency is still exported after the reload")
	}

	h.writeConfig(oneFake)
	if code, body := h.post("/-/reload"); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	if _, exposition := h.get("/metrics"); strings.Contains(exposition, "sre_value_") {
		t.Error("the value gauges outlive the value: section")
	}
}
