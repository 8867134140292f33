package rules

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/prometheus/common/model"
)

// Runbook is the alert's page: what it means, what to check, what to do
// and the query, so the page answers "is it real?" without the rule file.
// It links to rules.md and config.md one folder up.
func Runbook(a Alert, generatedBy string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!-- %s -->\n", generatedBy)
	fmt.Fprintf(&b, "# %s\n\n", a.Name)
	fmt.Fprintf(&b, "Severity: **%s**. Dashboard: `/d/%s`. Fires after %s.\n\n", a.Severity, a.Dashboard, forText(a))
	fmt.Fprintf(&b, "## What it means\n\n%s\n\n", a.Meaning)
	b.WriteString("## What to check\n\n")
	for _, c := range a.Check {
		fmt.Fprintf(&b, "- %s\n", c)
	}
	b.WriteString("\n## What to do\n\n")
	for _, c := range a.Act {
		fmt.Fprintf(&b, "- %s\n", c)
	}
	fmt.Fprintf(&b, "\n## Query\n\n```promql\n%s\n```\n\n", a.Expr)
	fmt.Fprintf(&b, "The recording rules it reads are described in [rules.md](../rules.md); the thresholds come from the `alerting:` section of the configuration ([config.md](../config.md#alerting)).\n")
	return b.Bytes()
}

func forText(a Alert) string {
	return "the condition has held for " + model.Duration(a.For).String()
}

// Doc is docs/rules.md: the recording rules dashboards and alerts share,
// and the alerts built on them. ruleFile is where the rules are written;
// the runbooks are in runbooks/ beside it.
func Doc(recordings []Recording, alerts []Alert, ruleFile, generatedBy string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!-- %s -->\n", generatedBy)
	b.WriteString("# Recording rules and alerts\n\n")
	b.WriteString("`sre-value-exporter generate` writes these rules to `" + ruleFile + "`. The recording-rule\n")
	b.WriteString("names are the contract between the alerts and the dashboards: dashboards query them\n")
	b.WriteString("instead of repeating the expressions, and they keep their names across releases.\n")
	b.WriteString("Names follow `level:metric:operations`: the labels kept, the catalog metric they are\n")
	b.WriteString("computed from, and what was done to it. Windowed rules keep the `window` label\n")
	b.WriteString("(`7d`, `30d`, `90d`). A rule that aggregates nothing also keeps the scrape's `job`\n")
	b.WriteString("and `instance`.\n\n")
	fmt.Fprintf(&b, "## Recording rules (group `%s`)\n\n", RecordingGroup)
	b.WriteString("| Rule | Labels | What it is | Expression |\n|---|---|---|---|\n")
	for _, r := range recordings {
		labels, err := r.Labels()
		if err != nil {
			return nil, err
		}
		shown := "(none)"
		if len(labels) > 0 {
			shown = "`" + strings.Join(labels, "`, `") + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` |\n", r.Name, shown, r.Help, tableCode(r.Expr))
	}
	fmt.Fprintf(&b, "\n## Alerts (group `%s`)\n\n", AlertGroup)
	b.WriteString("Thresholds are the `alerting:` section of the configuration ([config.md](config.md#alerting)).\n\n")
	b.WriteString("| Alert | Severity | Dashboard | Summary |\n|---|---|---|---|\n")
	for _, a := range alerts {
		fmt.Fprintf(&b, "| [%s](runbooks/%s.md) | %s | `/d/%s` | %s |\n", a.Name, a.Name, a.Severity, a.Dashboard, a.Summary)
	}
	return b.Bytes(), nil
}

// tableCode puts an expression on one line of a Markdown table.
func tableCode(expr string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(expr), " "), "|", `\|`)
}
