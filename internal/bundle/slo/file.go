package slo

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/sre-value/sre-value-exporter/internal/config"
)

// File renders the SLO rules as a Prometheus rule file that starts with
// the comment generatedBy, validated as Prometheus would load it, and
// returns the alerts with their runbooks.
func File(slos []config.SLO, generatedBy string) ([]byte, []Alert, error) {
	groups, alerts, err := Rules(slos, generatedBy)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	buf.WriteString("# " + generatedBy + "\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(groups); err != nil {
		return nil, nil, fmt.Errorf("slo rules: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, nil, fmt.Errorf("slo rules: %w", err)
	}
	if _, errs := rulefmt.Parse(buf.Bytes(), false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler)); len(errs) > 0 {
		return nil, nil, fmt.Errorf("slo rules: %w", errors.Join(errs...))
	}
	return buf.Bytes(), alerts, nil
}

// runbook is the alert's page: what the SLO measures, what to check, what
// to do, and the query.
func runbook(s config.SLO, name, severity string, burns []string, expr, generatedBy string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!-- %s -->\n", generatedBy)
	fmt.Fprintf(&b, "# %s\n\n", name)
	fmt.Fprintf(&b, "Severity: **%s**. Dashboard: `/d/%s`. Fires as soon as the error ratio is above %s, while the total over the long window is above %s (so low traffic does not alert).\n\n", severity, Dashboard, strings.Join(burns, ", or "), num(s.MinTotal))
	b.WriteString("## What it means\n\n")
	fmt.Fprintf(&b, "The SLO `%s` of `%s` (objective %s%% over %s) is spending its error budget of %s%% faster than it can afford: ",
		s.Name, s.Service, num(float64(s.Objective)), s.Period, num(100-float64(s.Objective)))
	if severity == "critical" {
		b.WriteString("at this rate the budget is gone within days, so someone should look now.\n\n")
	} else {
		b.WriteString("at this rate the budget runs out before the period ends; it needs attention this week, not tonight.\n\n")
	}
	if s.Description != "" {
		fmt.Fprintf(&b, "%s\n\n", strings.TrimSpace(s.Description))
	}
	b.WriteString("## What to check\n\n")
	fmt.Fprintf(&b, "- The SLO on the SLO dashboard: `%s` and `%s` for `sre_service=\"%s\", sre_slo=\"%s\"`.\n", CurrentBurnRate, PeriodBudgetRemaining, s.Service, s.Name)
	b.WriteString("- Whether the burn started with a deploy, a configuration change or an upstream incident.\n")
	b.WriteString("- Whether the SLI still measures what it should: the error and total queries below, run over the last hour.\n")
	b.WriteString("\n## What to do\n\n")
	if severity == "critical" {
		b.WriteString("- Stop the bleeding first: roll back the change or fail over, then find the cause.\n")
	} else {
		b.WriteString("- Open a ticket for the owning team with the burn rate and the budget left.\n")
	}
	b.WriteString("- If the budget is spent, apply the error budget policy: reliability work before features.\n")
	fmt.Fprintf(&b, "\n## Query\n\n```promql\n%s\n```\n\n", expr)
	fmt.Fprintf(&b, "The SLI (`{{.window}}` is the range):\n\n```promql\n# errors\n%s\n# total\n%s\n```\n\n", s.ErrorQuery, s.TotalQuery)
	b.WriteString("How SLOs are declared and which rules and alerts they generate: [slos.md](../slos.md).\n")
	return b.Bytes()
}
