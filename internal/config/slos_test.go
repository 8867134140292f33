package config

import (
	"testing"
	"time"
)

const validSLO = `slos:
  - service: checkout-api
    name: availability
    objective: 99.5
    error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
    total_query: sum(rate(http_requests_total[{{.window}}]))
`

func TestAnSLOGetsItsDefaultsAndAnExactErrorBudget(t *testing.T) {
	cfg, err := Parse("cfg.yml", []byte(validSLO))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.SLOs) != 1 {
		t.Fatalf("got %d SLOs, want 1", len(cfg.SLOs))
	}
	s := cfg.SLOs[0]
	if time.Duration(s.Period) != 30*24*time.Hour {
		t.Errorf("period %s, want the default 30d", s.Period)
	}
	if s.ErrorBudget() != 0.005 || s.ObjectiveRatio() != 0.995 {
		t.Errorf("error budget %v and objective %v, want 0.005 and 0.995", s.ErrorBudget(), s.ObjectiveRatio())
	}
	if s.Line != 2 {
		t.Errorf("line %d, want 2", s.Line)
	}
	q, err := s.ErrorQuery.For("1h")
	if err != nil || q != `sum(rate(http_requests_total{code=~"5.."}[1h]))` {
		t.Errorf("error query over 1h is %q (%v)", q, err)
	}
}

func TestSLOSettingsAreCheckedWithFileLineAndField(t *testing.T) {
	slo := func(fields string) string {
		return "slos:\n  - service: checkout-api\n    name: availability\n" + fields
	}
	const queries = "    error_query: sum(rate(errors_total[{{.window}}]))\n    total_query: sum(rate(requests_total[{{.window}}]))\n"
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{
			name: "an objective of 100 percent is refused, since it leaves no error budget",
			yaml: slo("    objective: 100\n" + queries),
			want: `cfg.yml:4: slos[0].objective: 100 must be a percentage of at least 1 and below 100 (such as 99.5)`,
		},
		{
			name: "an objective written as a share is refused, since it would mean 0.995 percent",
			yaml: slo("    objective: 0.995\n" + queries),
			want: `cfg.yml:4: slos[0].objective: 0.995 looks like a share; write the objective as a percentage, such as 99.5`,
		},
		{
			name: "a missing objective is refused",
			yaml: slo(queries),
			want: `cfg.yml:2: slos[0].objective: must be set (a percentage such as 99.5)`,
		},
		{
			name: "a query that is not PromQL once the window is filled in is refused",
			yaml: slo("    objective: 99\n    error_query: sum(rate(errors_total[{{.window}}])\n    total_query: sum(rate(requests_total[{{.window}}]))\n"),
			want: `cfg.yml:5: slos[0].error_query: not valid PromQL with {{.window}} = 5m: 1:27: parse error: unclosed left parenthesis`,
		},
		{
			name: "a placeholder other than window is refused",
			yaml: slo("    objective: 99\n    error_query: sum(rate(errors_total[5m]))\n    total_query: sum(rate(requests_total[{{.range}}]))\n"),
			want: `cfg.yml:6: slos[0].total_query: placeholder: template: sli:1:26: executing "sli" at <.range>: map has no entry for key "range" (the only placeholder is {{.window}})`,
		},
		{
			name: "an empty error query is refused",
			yaml: slo("    objective: 99\n    error_query: \"\"\n    total_query: sum(rate(requests_total[{{.window}}]))\n"),
			want: `cfg.yml:5: slos[0].error_query: not valid PromQL with {{.window}} = 5m: unknown position: parse error: no expression found in input`,
		},
		{
			name: "a missing total query is refused",
			yaml: slo("    objective: 99\n    error_query: sum(rate(errors_total[{{.window}}]))\n"),
			want: `cfg.yml:2: slos[0].total_query: must be set`,
		},
		{
			name: "a period that is not a duration is refused",
			yaml: slo("    objective: 99\n    period: a month\n" + queries),
			want: `cfg.yml:5: slos[0].period: cannot use "a month" as a duration (such as 30s, 5m, 1h)`,
		},
		{
			name: "a service name that cannot become an alert name is refused",
			yaml: "slos:\n  - service: Checkout API\n    name: availability\n    objective: 99\n" + queries,
			want: `cfg.yml:2: slos[0].service: "Checkout API" must be lower-case letters, digits and hyphens, starting with a letter`,
		},
		{
			name: "a negative minimum total is refused",
			yaml: slo("    objective: 99\n    min_total: -1\n" + queries),
			want: `cfg.yml:2: slos[0].min_total: must be at least 0`,
		},
		{
			name: "an unknown key is refused with a suggestion",
			yaml: slo("    objective: 99\n    objectve: 99\n" + queries),
			want: `cfg.yml:5: slos[0]: unknown field "objectve" (did you mean "objective"?)`,
		},
		{
			name: "two SLOs of a service with the same name are refused",
			yaml: slo("    objective: 99\n"+queries) + "  - service: checkout-api\n    name: availability\n    objective: 99.9\n" + queries,
			want: `cfg.yml:7: slos[1].name: service checkout-api already has an SLO named availability`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("cfg.yml", []byte(tt.yaml))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got error %v\nwant %s", err, tt.want)
			}
		})
	}
}
