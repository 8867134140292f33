package config

import (
	"strings"
	"testing"
	"time"
)

// valueCatalog is a catalog with the services the value tests name.
const valueCatalog = `catalog:
  teams:
    - name: payments
  services:
    - name: payments-api
      team: payments
    - name: billing-worker
      team: payments
`

const validValue = valueCatalog + `value:
  currency: EUR
  downtime_cost_per_hour:
    by_severity: {sev1: 20000, sev2: 5000, sev3: 800.5}
    by_service:
      payments-api: 30000
  engineer_hourly_rate: 95
  sre_team_cost:
    amount: 450000
    per: quarter
`

func TestAValueSectionIsReadWithItsMoneyAndPeriod(t *testing.T) {
	cfg, err := Parse("cfg.yml", []byte(validValue))
	if err != nil {
		t.Fatal(err)
	}
	v := cfg.Value
	if v == nil {
		t.Fatal("no value section")
	}
	if v.Currency != "EUR" {
		t.Errorf("currency %q", v.Currency)
	}
	if *v.EngineerHourlyRate != 95 {
		t.Errorf("engineer rate %v", *v.EngineerHourlyRate)
	}
	// A quarter is a quarter of the 365-day year: 91.25 days.
	if v.SRETeamCost.Per.Duration != 2190*time.Hour || v.SRETeamCost.Per.Seconds() != 7884000 {
		t.Errorf("a quarter is %s", v.SRETeamCost.Per.Duration)
	}
	// 450000 / 7884000 s, by hand: 0.057077625570776... per second.
	if got := v.SRETeamCost.PerSecond(); got != 450000.0/7884000 {
		t.Errorf("cost per second %v", got)
	}
	for _, tt := range []struct {
		severity, service string
		want              float64
		ok                bool
	}{
		{"sev2", "payments-api", 30000, true}, // the service's own cost wins
		{"sev1", "billing-worker", 20000, true},
		{"sev3", "billing-worker", 800.5, true},
		{"sev4", "billing-worker", 0, false}, // priced by neither
	} {
		got, ok := v.DowntimeCostPerHour.CostPerHour(tt.severity, tt.service)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s on %s costs %v (%v), want %v (%v)", tt.severity, tt.service, got, ok, tt.want, tt.ok)
		}
	}
}

func TestWithoutAValueSectionThereIsNoMoney(t *testing.T) {
	cfg, err := Parse("cfg.yml", []byte(valueCatalog))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Value != nil {
		t.Errorf("value = %+v, want nil", cfg.Value)
	}
}

func TestPeriodsAreMonthsQuartersYearsOrDurations(t *testing.T) {
	for per, want := range map[string]time.Duration{
		"month": 730 * time.Hour, "quarter": 2190 * time.Hour, "year": 8760 * time.Hour,
		"90d": 90 * 24 * time.Hour, "2w": 14 * 24 * time.Hour,
	} {
		cfg, err := Parse("cfg.yml", []byte("value:\n  currency: USD\n  sre_team_cost: {amount: 1000, per: "+per+"}\n"))
		if err != nil {
			t.Errorf("%s: %v", per, err)
			continue
		}
		if got := cfg.Value.SRETeamCost.Per.Duration; got != want {
			t.Errorf("%s is %s, want %s", per, got, want)
		}
	}
}

func TestValueSettingsAreCheckedWithFileLineAndField(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{
			name: "the currency is required once the section is there",
			yaml: "value:\n  engineer_hourly_rate: 90\n",
			want: `cfg.yml:2: value.currency: required when the value: section is present (an ISO 4217 code such as EUR or USD)`,
		},
		{
			name: "a currency that is not an ISO 4217 code is refused",
			yaml: "value:\n  currency: EURO\n",
			want: `cfg.yml:2: value.currency: "EURO" is not an ISO 4217 currency code (such as EUR, USD, GBP)`,
		},
		{
			name: "a withdrawn currency is refused",
			yaml: "value:\n  currency: HRK\n",
			want: `cfg.yml:2: value.currency: "HRK" is not an ISO 4217 currency code (such as EUR, USD, GBP)`,
		},
		{
			name: "a lower-case code is refused with the code it means",
			yaml: "value:\n  currency: eur\n",
			want: `cfg.yml:2: value.currency: "eur" is not an ISO 4217 currency code; did you mean "EUR"?`,
		},
		{
			name: "a severity incidents are never exported with is refused",
			yaml: "value:\n  currency: EUR\n  downtime_cost_per_hour:\n    by_severity:\n      sev1: 100\n      critical: 200\n",
			want: `cfg.yml:6: value.downtime_cost_per_hour.by_severity.critical: "critical" is not a severity incidents are exported with (sev1, sev2, sev3, sev4, sev5, unknown); each incident source maps its own names to these`,
		},
		{
			name: "a service the catalog does not list is refused",
			yaml: valueCatalog + "value:\n  currency: EUR\n  downtime_cost_per_hour:\n    by_service:\n      payments-api: 100\n      payments: 200\n",
			want: `cfg.yml:14: value.downtime_cost_per_hour.by_service.payments: service "payments" is not in catalog.services (incidents carry the catalog's service names)`,
		},
		{
			name: "a negative cost is refused",
			yaml: "value:\n  currency: EUR\n  downtime_cost_per_hour:\n    by_severity: {sev1: -5}\n",
			want: `cfg.yml:4: value.downtime_cost_per_hour.by_severity.sev1: -5 must be at least 0`,
		},
		{
			name: "a negative rate is one mistake, not also a zero",
			yaml: "value:\n  currency: EUR\n  engineer_hourly_rate: -95\n",
			want: `cfg.yml:3: value.engineer_hourly_rate: -95 must be at least 0`,
		},
		{
			name: "an amount with a currency sign is refused, pointing at value.currency",
			yaml: "value:\n  currency: EUR\n  engineer_hourly_rate: 95€\n",
			want: `cfg.yml:3: value.engineer_hourly_rate: cannot use "95€" as an amount: write a plain number such as 1500.50; the currency is value.currency`,
		},
		{
			name: "an amount that is not a number is refused",
			yaml: "value:\n  currency: EUR\n  engineer_hourly_rate: lots\n",
			want: `cfg.yml:3: value.engineer_hourly_rate: cannot use "lots" as an amount (a number such as 1500.50)`,
		},
		{
			name: "an engineer rate of 0 is refused",
			yaml: "value:\n  currency: EUR\n  engineer_hourly_rate: 0\n",
			want: `cfg.yml:3: value.engineer_hourly_rate: must be above 0 (leave it out to value no hours)`,
		},
		{
			name: "a team cost of 0 is refused, since ROI divides by it",
			yaml: "value:\n  currency: EUR\n  sre_team_cost:\n    amount: 0\n    per: year\n",
			want: `cfg.yml:4: value.sre_team_cost.amount: must be above 0: it divides the value delivered (ROI)`,
		},
		{
			name: "a team cost needs its amount",
			yaml: "value:\n  currency: EUR\n  sre_team_cost:\n    per: year\n",
			want: `cfg.yml:4: value.sre_team_cost.amount: required (what the SRE team costs per period)`,
		},
		{
			name: "a team cost needs its period",
			yaml: "value:\n  currency: EUR\n  sre_team_cost:\n    amount: 100000\n",
			want: `cfg.yml:4: value.sre_team_cost.per: required (month, quarter, year, or a duration such as 90d)`,
		},
		{
			name: "a period that is neither named nor a duration is refused",
			yaml: "value:\n  currency: EUR\n  sre_team_cost:\n    amount: 100000\n    per: fortnight\n",
			want: `cfg.yml:5: value.sre_team_cost.per: cannot use "fortnight" as a period (month, quarter, year, or a duration such as 90d)`,
		},
		{
			name: "an unknown key names the closest one",
			yaml: "value:\n  currency: EUR\n  engineer_hourly_rat: 90\n",
			want: `cfg.yml:3: value: unknown field "engineer_hourly_rat" (did you mean "engineer_hourly_rate"?)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("cfg.yml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestEveryValueMistakeIsReportedAtOnce(t *testing.T) {
	_, err := Parse("cfg.yml", []byte("value:\n  currency: XYZ\n  downtime_cost_per_hour:\n    by_severity: {p1: 10}\n    by_service: {nope: 10}\n"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"cfg.yml:2: value.currency", "cfg.yml:4: value.downtime_cost_per_hour.by_severity.p1", "cfg.yml:5: value.downtime_cost_per_hour.by_service.nope"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s\nlacks %s", err, want)
		}
	}
}
