package rules

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// RunbookBase is where the runbooks are published; an alert's runbook_url
// is this plus its name and ".md".
const RunbookBase = "https://github.com/sre-value/sre-value-exporter/blob/main/docs/runbooks/"

// The rule groups' names.
const (
	RecordingGroup = "sre-value.rules"
	AlertGroup     = "sre-value.alerts"
)

// RunbookURL is the alert's runbook_url.
func RunbookURL(alert string) string { return RunbookBase + alert + ".md" }

// ParseExpr parses PromQL the way Prometheus 3 does by default.
func ParseExpr(expr string) (parser.Expr, error) {
	return parser.NewParser(parser.Options{}).ParseExpr(expr)
}

// Groups returns the rule groups: recording rules first, so that alerts
// evaluated after them see the current values.
func Groups(recordings []Recording, alerts []Alert) (rulefmt.RuleGroups, error) {
	var errs []error
	rec := rulefmt.RuleGroup{Name: RecordingGroup}
	for _, r := range recordings {
		if _, err := ParseExpr(r.Expr); err != nil {
			errs = append(errs, fmt.Errorf("recording rule %s: %w", r.Name, err))
		}
		rec.Rules = append(rec.Rules, rulefmt.Rule{Record: r.Name, Expr: r.Expr})
	}
	al := rulefmt.RuleGroup{Name: AlertGroup}
	for _, a := range alerts {
		if _, err := ParseExpr(a.Expr); err != nil {
			errs = append(errs, fmt.Errorf("alert %s: %w", a.Name, err))
		}
		al.Rules = append(al.Rules, rulefmt.Rule{
			Alert:  a.Name,
			Expr:   a.Expr,
			For:    model.Duration(a.For),
			Labels: map[string]string{"severity": a.Severity},
			Annotations: map[string]string{
				"summary":     a.Summary,
				"description": a.Description,
				"runbook_url": RunbookURL(a.Name),
				"dashboard":   "/d/" + a.Dashboard,
			},
		})
	}
	return rulefmt.RuleGroups{Groups: []rulefmt.RuleGroup{rec, al}}, errors.Join(errs...)
}

// File renders the groups as a Prometheus rule file that starts with the
// comment generatedBy, and validates it as Prometheus would load it.
func File(recordings []Recording, alerts []Alert, generatedBy string) ([]byte, error) {
	groups, err := Groups(recordings, alerts)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString("# " + generatedBy + "\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(groups); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if _, errs := rulefmt.Parse(buf.Bytes(), false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler)); len(errs) > 0 {
		return nil, fmt.Errorf("rules: %w", errors.Join(errs...))
	}
	return buf.Bytes(), nil
}
