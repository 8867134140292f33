package rulefile

import (
	"testing"
)

func TestRuleFilesMapAlertsAndRecordsWithTheirLines(t *testing.T) {
	src := `groups:
  - name: a
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: Down
        expr: up == 0
        labels:
          severity: critical
        annotations:
          summary: "  Down  "
`
	doc, problems := Parse("r.yml", []byte(src))
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(doc.Items) != 2 {
		t.Fatalf("items = %+v", doc.Items)
	}
	rec, alert := doc.Items[0], doc.Items[1]
	if rec.Kind != "record" || rec.Name != "job:up:sum" || rec.Line != 4 {
		t.Errorf("record = %+v", rec)
	}
	if alert.Kind != "alert" || alert.Name != "Down" || alert.Line != 6 || alert.Fields["labels.severity"].Line != 9 || alert.Fields["annotations.summary"].Values[0] != "Down" || alert.Fields["group"].Values[0] != "a" {
		t.Errorf("alert = %+v", alert)
	}
}

func TestFilesPrometheusRefusesAreProblemsWithLines(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want Problem
	}{
		{"bad PromQL", "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up{\n", Problem{Line: 5, Msg: `group "a", rule 1, "A": could not parse expression: 1:4: parse error: unexpected end of input inside braces`}},
		{"an unknown key", "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: up\n        severity: page\n", Problem{Line: 6, Msg: "field severity not found in type rulefmt.Rule"}},
		{"not YAML", "groups: [\n", Problem{Line: 1, Msg: "did not find expected node content"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := Parse("r.yml", []byte(tt.src))
			if len(problems) != 1 || problems[0] != tt.want {
				t.Errorf("problems = %+v, want %+v", problems, tt.want)
			}
		})
	}
}
