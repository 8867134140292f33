package demo

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// HandbookDir holds the SRE team's handbook as Markdown, the way teams keep
// it in a docs repository: playbook pages, the newsletter issues, SLO
// documents and the how-to-engage page. The documents collector checks each
// against its built-in template; some break a rule on purpose.
const HandbookDir = "handbook"

// playbookPage is one demo playbook page and what it gets wrong.
type playbookPage struct {
	file, title   string
	ageDays       int // since the last review
	noLinks       bool
	noEscalation  bool
	stepsDetailed bool
}

var playbookPages = []playbookPage{
	{file: "incident-response.md", title: "Incident response", ageDays: 21, stepsDetailed: true},
	{file: "database-failover.md", title: "Database failover", ageDays: 64, stepsDetailed: true},
	{file: "rollback-a-deploy.md", title: "Roll back a deploy", ageDays: 12, stepsDetailed: true, noLinks: true},
	{file: "cache-stampede.md", title: "Cache stampede", ageDays: 250, stepsDetailed: true},
	{file: "on-call-handover.md", title: "On-call handover", ageDays: 35, noEscalation: true},
}

// handbookFiles renders the handbook, keyed by path under the output
// folder. Newsletter issues follow the newsletter table's issues.
func handbookFiles(newsletter table, c clock) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, p := range playbookPages {
		out[HandbookDir+"/playbook/"+p.file] = p.markdown(c.lastDay.AddDate(0, 0, -p.ageDays))
	}
	col := map[string]int{}
	for i, h := range newsletter.header {
		col[h] = i
	}
	n := 0
	for _, row := range newsletter.rows {
		if row[col["channel"]] != "newsletter" {
			continue
		}
		sent, err := time.Parse(time.DateOnly, row[col["sent"]])
		if err != nil {
			return nil, fmt.Errorf("newsletter %s: %w", row[col["issue"]], err)
		}
		recipients, err := strconv.Atoi(row[col["recipients"]])
		if err != nil {
			return nil, fmt.Errorf("newsletter %s: %w", row[col["issue"]], err)
		}
		out[HandbookDir+"/newsletter/"+row[col["issue"]]+".md"] = newsletterIssue(sent, recipients, n)
		n++
	}
	out[HandbookDir+"/how-to-engage.md"] = howToEngage(c.lastDay.AddDate(0, 0, -90))
	out[HandbookDir+"/slo/sre-help-channel.md"] = sloDocument("SRE help channel", c.lastDay.AddDate(0, 0, -40), true)
	out[HandbookDir+"/slo/exporter-refresh.md"] = sloDocument("Metrics exporter refresh", c.lastDay.AddDate(0, 0, -15), false)
	return out, nil
}

func frontMatter(b *bytes.Buffer, title string, created, updated time.Time) {
	fmt.Fprintf(b, "---\ntitle: %q\ncreated: %s\nupdated: %s\n---\n# %s\n\n", title, date(created), date(updated), title)
}

func (p playbookPage) markdown(reviewed time.Time) []byte {
	var b bytes.Buffer
	frontMatter(&b, p.title, reviewed.AddDate(0, -8, 0), reviewed)
	fmt.Fprintf(&b, "## Overview\n\nWhat to do when %s is needed, and who decides.\n\n", p.title)
	b.WriteString("## When to use\n\nThe alert that pages for it links here; use it also when a dashboard shows the symptoms below.\n\n")
	b.WriteString("## Steps\n\n")
	if p.stepsDetailed {
		b.WriteString("1. Acknowledge the page and open the incident channel.\n2. Check the service dashboard for the error rate and saturation.\n3. Apply the mitigation, announce it, and watch recovery for fifteen minutes.\n\n")
	} else {
		b.WriteString("Hand over.\n\n")
	}
	if !p.noLinks {
		b.WriteString("Dashboards: [service health](https://grafana.example.com/d/payments-health), runbooks: [runbook index](https://wiki.example.com/display/SRE/Runbooks).\n\n")
	}
	if !p.noEscalation {
		b.WriteString("## Escalation\n\nPage the secondary on-call after 30 minutes without mitigation, and the incident commander for any sev1.\n")
	}
	return b.Bytes()
}

// newsletterIssue writes the n-th monthly issue; the third forgets the
// Tips and the fifth leaves Metrics for later.
func newsletterIssue(sent time.Time, recipients, n int) []byte {
	var b bytes.Buffer
	frontMatter(&b, "SRE newsletter, "+sent.Format("January 2006"), sent, sent)
	b.WriteString("## Wins\n\nPayments cut its mean time to resolve by a third after the new rollback playbook landed.\n\n")
	if n == 4 {
		b.WriteString("## Metrics\n\nTBD\n\n")
	} else {
		fmt.Fprintf(&b, "## Metrics\n\nThis issue went to %d readers; incidents, MTTR and training completion are on the executive dashboard.\n\n", recipients)
	}
	if n != 2 {
		b.WriteString("## Tips\n\nAdd a runbook link to every alert so the on-call engineer starts from the right page.\n\n")
	}
	b.WriteString("## Upcoming\n\nOffice hours every Thursday, and a game day on database failover next month.\n")
	return b.Bytes()
}

func howToEngage(reviewed time.Time) []byte {
	var b bytes.Buffer
	frontMatter(&b, "How to engage SRE", reviewed.AddDate(-1, 0, 0), reviewed)
	b.WriteString("## What we do\n\nWe run the incident process, the observability stack and the SLO programme, and help teams make their services reliable.\n\n")
	b.WriteString("## How to engage\n\nAsk in [#sre-help](https://example.slack.com/archives/C0SREHELP) or open a ticket in the [SRE queue](https://jira.example.com/browse/SRE).\n\n")
	b.WriteString("## Response times\n\nQuestions in #sre-help get a first answer within 4 hours on working days; pages are answered within 5 minutes.\n")
	return b.Bytes()
}

// sloDocument writes an SLO document as in the SRE workbook; without
// rationale it breaks the template's sections rule.
func sloDocument(service string, reviewed time.Time, rationale bool) []byte {
	var b bytes.Buffer
	frontMatter(&b, service+" SLO", reviewed.AddDate(0, -3, 0), reviewed)
	fmt.Fprintf(&b, "## Service overview\n\n%s is run by the SRE team for every engineering team in the company.\n\n", service)
	b.WriteString("## SLIs and SLOs\n\nThe share of events that are good over 30 days, measured by the exporter; the objective is written in the SLO config.\n\n")
	if rationale {
		b.WriteString("## Rationale\n\nThe objective matches what teams told us in the last satisfaction survey they need to stay unblocked.\n\n")
	}
	b.WriteString("## Error budget\n\nWhen the budget is spent, reliability work comes before new features until it recovers.\n\n")
	b.WriteString("## Clarifications and caveats\n\nWeekends and company holidays are counted like any other day in the measurement.\n")
	return b.Bytes()
}
