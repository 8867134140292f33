package compliance_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/compliance/confluence"
	"github.com/sre-value/sre-value-exporter/internal/compliance/dashboard"
	"github.com/sre-value/sre-value-exporter/internal/compliance/incidentdoc"
	"github.com/sre-value/sre-value-exporter/internal/compliance/markdown"
	"github.com/sre-value/sre-value-exporter/internal/compliance/rulefile"
	"github.com/sre-value/sre-value-exporter/internal/compliance/slackpost"
	"github.com/sre-value/sre-value-exporter/internal/incident"
)

// load maps a fixture the way its source would: Slack posts and
// Confluence pages as the collectors see them (permalink, page URL),
// Markdown, dashboards and rule files as lint reads them.
func load(t *testing.T, name string, page confluence.Page) *compliance.Document {
	t.Helper()
	path := filepath.Join("testdata", name)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc *compliance.Document
	switch filepath.Ext(name) {
	case ".txt":
		doc = slackpost.Parse(slackpost.Message{Channel: "#sre-updates", Permalink: "https://example.slack.com/archives/C0SRE/" + strings.TrimSuffix(name, ".txt"), Text: string(src), Posted: now})
	case ".xhtml":
		page.URL = "https://wiki.example.com/pages/" + strings.TrimSuffix(name, ".xhtml")
		doc, err = confluence.Parse(page, src)
	case ".md":
		doc, err = markdown.Parse(path, src)
	case ".json":
		doc, err = dashboard.Parse(src, dashboard.Meta{Path: path})
	case ".yml":
		var problems []rulefile.Problem
		doc, problems = rulefile.Parse(path, src)
		if len(problems) > 0 {
			t.Fatalf("%s: %v", name, problems)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestEveryBuiltInTemplatePassesAGoodDocumentAndExplainsABadOne(t *testing.T) {
	set, err := compliance.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	recent := now.AddDate(0, 0, -10)
	tests := []struct {
		name     string
		template string
		fixture  string
		page     confluence.Page
		doc      *compliance.Document // instead of a fixture
		want     []string
	}{
		{name: "a win with a headline, enough words and a link passes", template: "sre-update-post", fixture: "win-pass.txt"},
		{name: "a weekly summary with Wins and a Next week part passes", template: "sre-update-post", fixture: "weekly-pass.txt"},
		{
			name: "a one-line win without evidence is too short and unlinked", template: "sre-update-post", fixture: "win-fail.txt",
			want: []string{
				"https://example.slack.com/archives/C0SRE/win-fail: sre-update-post/length: has 3 words, want at least 12 (fix: write out what happened and why it matters; a short note is easy to miss)",
				"https://example.slack.com/archives/C0SRE/win-fail: sre-update-post/win-evidence: has 0 links, want at least 1 (fix: link the evidence of the win: the ticket, pull request or dashboard)",
			},
		},
		{
			name: "an untagged post is told to start with a tag", template: "sre-update-post", fixture: "untagged-fail.txt",
			want: []string{
				`https://example.slack.com/archives/C0SRE/untagged-fail: sre-update-post/tag: the first line does not match ^\[(WIN|WEEKLY|NOTABLE)\]\s+\S (fix: start the post with [WIN], [WEEKLY] or [NOTABLE] followed by a one-line headline)`,
			},
		},
		{
			name: "a weekly summary without what comes next is incomplete", template: "sre-update-post", fixture: "weekly-fail.txt",
			want: []string{
				`https://example.slack.com/archives/C0SRE/weekly-fail: sre-update-post/weekly-sections: missing section "Upcoming" (fix: start that part of the post with a line "*Upcoming*")`,
			},
		},
		{name: "a Markdown newsletter with the four sections in order passes", template: "newsletter", fixture: "newsletter/2026-11.md"},
		{
			name: "a Confluence newsletter with Tips before Metrics and an empty Upcoming fails", template: "newsletter", fixture: "newsletter-fail.xhtml",
			page: confluence.Page{Title: "SRE newsletter, November 2026", Space: "SRE", Labels: []string{"newsletter"}},
			want: []string{
				`"SRE newsletter, November 2026" https://wiki.example.com/pages/newsletter-fail: newsletter/order: section "Tips" should come after "Metrics" (line 6); the order is Wins, Metrics, Tips, Upcoming (fix: move "Tips" below "Metrics")`,
				`"SRE newsletter, November 2026" https://wiki.example.com/pages/newsletter-fail: newsletter/non-empty: section "Upcoming" has 1 word, want at least 5 (fix: write the "Upcoming" section, or say explicitly why it does not apply)`,
			},
		},
		{
			name: "a complete Confluence postmortem with macros and page links passes", template: "postmortem", fixture: "postmortem-pass.xhtml",
			page: confluence.Page{Title: "Postmortem: checkout failover", Space: "SRE", Labels: []string{"postmortem"}},
		},
		{
			name: "a Markdown postmortem missing action items, out of order, with an empty timeline fails", template: "postmortem", fixture: "postmortems/search-slowness.md",
			want: []string{
				`testdata/postmortems/search-slowness.md:1: postmortem/sections: missing section "Action items" (fix: add a "## Action items" heading)`,
				`testdata/postmortems/search-slowness.md:7: postmortem/order: section "Root cause" should come after "Impact" (line 11); the order is Summary, Impact, Root cause, Timeline, Action items (fix: move "Root cause" below "Impact")`,
				`testdata/postmortems/search-slowness.md:15: postmortem/non-empty: section "Timeline" is empty (fix: write the "Timeline" section, or say explicitly why it does not apply)`,
				`testdata/postmortems/search-slowness.md:1: postmortem/length: has 16 words, want at least 100 (fix: write out what happened and why it matters; a short note is easy to miss)`,
			},
		},
		{
			name: "a recently updated playbook page with steps and links passes", template: "playbook-page", fixture: "playbook-pass.xhtml",
			page: confluence.Page{Title: "Checkout DB failover", Labels: []string{"playbook"}, Updated: recent},
		},
		{
			name: "a stale playbook page without triggers, escalation or links fails", template: "playbook-page", fixture: "playbook/restart-cache.md",
			want: []string{
				`testdata/playbook/restart-cache.md:4: playbook-page/sections: missing section "When to use" (fix: add a "## When to use" heading)`,
				`testdata/playbook/restart-cache.md:4: playbook-page/sections: missing section "Escalation" (fix: add a "## Escalation" heading)`,
				`testdata/playbook/restart-cache.md:10: playbook-page/steps: section "Steps" has 2 words, want at least 10 (fix: write the "Steps" section, or say explicitly why it does not apply)`,
				`testdata/playbook/restart-cache.md:4: playbook-page/links: has 0 links, want at least 1 (fix: link the dashboards, runbooks or tools the steps use)`,
				`testdata/playbook/restart-cache.md:4: playbook-page/fresh: last updated 2025-12-01, 364 days ago (longer than 180d) (fix: review the content, correct what changed and save it, so readers can trust it)`,
			},
		},
		{name: "a how-to-engage page with a Slack channel and a queue passes", template: "how-to-engage", fixture: "team/how-to-engage.md"},
		{
			name: "a year-old how-to-engage page without response times or a contact link fails", template: "how-to-engage", fixture: "how-to-engage-fail.xhtml",
			page: confluence.Page{Title: "Working with SRE", Labels: []string{"how-to-engage"}, Updated: now.AddDate(0, 0, -400)},
			want: []string{
				`"Working with SRE" https://wiki.example.com/pages/how-to-engage-fail: how-to-engage/sections: missing section "Response times" (fix: add a heading "Response times" to the page)`,
				`"Working with SRE" https://wiki.example.com/pages/how-to-engage-fail: how-to-engage/contact-link: no link matching "slack|jira|servicedesk|mailto:|/issues" (fix: link the Slack channel, ticket queue or mailbox people should use)`,
				`"Working with SRE" https://wiki.example.com/pages/how-to-engage-fail: how-to-engage/fresh: last updated 2025-10-26, 400 days ago (longer than 1y) (fix: review the content, correct what changed and save it, so readers can trust it)`,
			},
		},
		{name: "an SLO document with the workbook's five sections, reviewed this year, passes", template: "slo-document", fixture: "slos/checkout.md"},
		{
			name: "an SLO document missing the rationale and caveats, out of order, with an empty error budget fails", template: "slo-document", fixture: "slo-fail.xhtml",
			page: confluence.Page{Title: "Checkout SLO", Labels: []string{"slo"}, Updated: recent},
			want: []string{
				`"Checkout SLO" https://wiki.example.com/pages/slo-fail: slo-document/sections: missing section "Rationale" (fix: add a heading "Rationale" to the page)`,
				`"Checkout SLO" https://wiki.example.com/pages/slo-fail: slo-document/sections: missing section "Clarifications and caveats" (fix: add a heading "Clarifications and caveats" to the page)`,
				`"Checkout SLO" https://wiki.example.com/pages/slo-fail: slo-document/order: section "SLIs and SLOs" should come after "Service overview" (line 3); the order is Service overview, SLIs and SLOs, Rationale, Error budget, Clarifications and caveats (fix: move "SLIs and SLOs" below "Service overview")`,
				`"Checkout SLO" https://wiki.example.com/pages/slo-fail: slo-document/non-empty: section "Error budget" is empty (fix: write the "Error budget" section, or say explicitly why it does not apply)`,
			},
		},
		{
			name: "a sev1 with a component, one team and a postmortem passes", template: "incident",
			doc: incidentdoc.Document(incidentdoc.Incident{Source: "jira", Key: "OPS-6", Severity: "sev1", Components: []string{"checkout"}, Teams: []string{"payments"},
				Postmortem: "https://wiki.example.com/pages/postmortem-pass", Opened: now.AddDate(0, 0, -11), Resolved: now.AddDate(0, 0, -10)}),
		},
		{
			name: "a sev2 without a component, with two teams and no postmortem six days after resolution fails", template: "incident",
			doc: incidentdoc.Document(incidentdoc.Incident{Source: "jira", Key: "OPS-7", Title: "Checkout errors", URL: "https://jira.example.com/browse/OPS-7", Severity: "sev2",
				Teams: []string{"payments", "search"}, Opened: now.AddDate(0, 0, -7), Resolved: now.AddDate(0, 0, -6)}),
			want: []string{
				`OPS-7 "Checkout errors" https://jira.example.com/browse/OPS-7: incident/component: missing component field (fix: set the incident's component)`,
				`OPS-7 "Checkout errors" https://jira.example.com/browse/OPS-7: incident/one-team: team field has 2 values (payments, search), want exactly 1 (fix: keep exactly 1 value(s) of "team")`,
				`OPS-7 "Checkout errors" https://jira.example.com/browse/OPS-7: incident/postmortem: missing postmortem field (resolved 2026-11-24, due 5d after resolution) (fix: write the postmortem and link it from the incident)`,
			},
		},
		{
			name: "an incident from the shared model with unknown severity and team is missing both", template: "incident",
			doc: incidentFromModel().FormatDocument("pagerduty"),
			want: []string{
				`PXYZ123: incident/severity: missing severity field (fix: set the incident's severity)`,
				`PXYZ123: incident/one-team: missing team field (fix: set the incident's team)`,
			},
		},
		{name: "a team dashboard following the format passes", template: "team-dashboard", fixture: "dashboards/payments-health.json"},
		{
			name: "a dashboard with a legacy graph, fixed datasources and no uid, tag, SLO row or runbooks fails", template: "team-dashboard", fixture: "dashboards/payments-stuff.json",
			want: []string{
				`testdata/dashboards/payments-stuff.json:2: team-dashboard/uid: missing a uid (fix: set a stable uid, so links to the dashboard survive re-imports)`,
				`testdata/dashboards/payments-stuff.json:2: team-dashboard/title: title "payments stuff" does not match ^[A-Z][A-Za-z0-9 &-]* / \S.*$ (fix: name it "<Team> / <what it shows>", e.g. "Payments / Service health")`,
				`testdata/dashboards/payments-stuff.json:2: team-dashboard/team-tag: no tag matching "team[:=-].+" (has payments) (fix: add a tag team:<team name>)`,
				`testdata/dashboards/payments-stuff.json:2: team-dashboard/datasource-variable: missing a template variable of type Datasource (fix: add a template variable of type Datasource (e.g. datasource) so the dashboard works on every Prometheus)`,
				`testdata/dashboards/payments-stuff.json:5: team-dashboard/panel-datasource: panel "Errors": datasource "Prometheus-prod" does not match ^(\$\{?[A-Za-z_]\w*(:\w+)?\}?|-- (Mixed|Dashboard|Grafana) --|grafana)$ (fix: select the dashboard's datasource variable (${datasource}) instead of a fixed datasource)`,
				`testdata/dashboards/payments-stuff.json:12: team-dashboard/panel-datasource: panel "Requests": datasource "P1809F7CD0C75ACF3" does not match ^(\$\{?[A-Za-z_]\w*(:\w+)?\}?|-- (Mixed|Dashboard|Grafana) --|grafana)$ (fix: select the dashboard's datasource variable (${datasource}) instead of a fixed datasource)`,
				`testdata/dashboards/payments-stuff.json:5: team-dashboard/panel-unit: panel "Errors": missing a unit (fix: set Standard options > Unit on the panel)`,
				`testdata/dashboards/payments-stuff.json:5: team-dashboard/panel-description: panel "Errors": missing a description (fix: describe what the panel shows and what good looks like)`,
				`testdata/dashboards/payments-stuff.json:2: team-dashboard/slo-row: missing section "SLO" (fix: add a row titled "SLO")`,
				`testdata/dashboards/payments-stuff.json:2: team-dashboard/runbook-links: no link matching "runbook" (fix: add a dashboard link (or panel link) to the team's runbooks)`,
				`testdata/dashboards/payments-stuff.json:5: team-dashboard/legacy-panels: panel "Errors": type "graph" is not allowed (fix: migrate the panel (graph -> Time series, singlestat -> Stat, table-old -> Table))`,
			},
		},
		{name: "a rule file following the mixin conventions passes", template: "prometheus-rules", fixture: "rules/checkout.yml"},
		{
			name: "a rule file with snake_case names, a made-up severity and missing annotations fails", template: "prometheus-rules", fixture: "rules/checkout-bad.yml",
			want: []string{
				`testdata/rules/checkout-bad.yml:6: prometheus-rules/alert-name: alert "checkout_errors_high" does not match ^[A-Z][A-Za-z0-9]*$ (fix: name the alert in CamelCase, e.g. KubePodCrashLooping)`,
				`testdata/rules/checkout-bad.yml:12: prometheus-rules/severity: alert "CheckoutDown": missing "labels.severity" (fix: add labels: {severity: critical|warning|info})`,
				`testdata/rules/checkout-bad.yml:9: prometheus-rules/severity-value: alert "checkout_errors_high": labels.severity is "page", want one of critical, warning, info (fix: set labels.severity to one of critical, warning, info)`,
				`testdata/rules/checkout-bad.yml:6: prometheus-rules/annotations: alert "checkout_errors_high": missing "annotations.description" (fix: add a one-line summary and a description that says what is wrong and its impact)`,
				`testdata/rules/checkout-bad.yml:12: prometheus-rules/annotations: alert "CheckoutDown": missing "annotations.summary" (fix: add a one-line summary and a description that says what is wrong and its impact)`,
				`testdata/rules/checkout-bad.yml:6: prometheus-rules/runbook: alert "checkout_errors_high": missing "annotations.runbook_url" (fix: add annotations.runbook_url pointing at the alert's runbook)`,
				`testdata/rules/checkout-bad.yml:16: prometheus-rules/runbook-url: alert "CheckoutDown": annotations.runbook_url "see the wiki" does not match ^(https?://\S+|\{\{.*\}\}\S*)$ (fix: change annotations.runbook_url to match ^(https?://\S+|\{\{.*\}\}\S*)$)`,
				`testdata/rules/checkout-bad.yml:4: prometheus-rules/record-name: record "checkout_errors_rate" does not match ^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]+$ (fix: name recording rules level:metric:operations)`,
			},
		},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.doc
			if doc == nil {
				doc = load(t, tt.fixture, tt.page)
			}
			// The template must select the document by itself, as it will
			// during a collector's refresh or a lint run without --template.
			results := set.Check(doc, now)
			i := slices.IndexFunc(results, func(r compliance.Result) bool { return r.Template == tt.template })
			if i < 0 {
				t.Fatalf("template %s does not apply; results: %+v", tt.template, results)
			}
			var got []string
			for _, f := range results[i].Findings {
				got = append(got, f.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings:\n%s\nwant:\n%s", lines(got), lines(tt.want))
			}
			if results[i].Passed() != (len(tt.want) == 0) {
				t.Errorf("Passed() = %v with %d findings", results[i].Passed(), len(got))
			}
		})
		covered[tt.template+map[bool]string{true: "/pass", false: "/fail"}[len(tt.want) == 0]] = true
	}
	for _, name := range set.Names() {
		if !covered[name+"/pass"] || !covered[name+"/fail"] {
			t.Errorf("built-in template %s needs a passing and a failing document", name)
		}
	}
}

func incidentFromModel() incident.Incident {
	return incident.Incident{ID: "PXYZ123", Severity: "unknown", Service: "checkout", Team: "unknown", Opened: now.Add(-time.Hour)}
}

func TestTheFingerprintChangesWithTheTemplatesAndOnlyWithThem(t *testing.T) {
	words := func(n int) []compliance.TemplateSpec {
		return []compliance.TemplateSpec{{Name: "sre-update-post", Rules: []compliance.RuleSpec{{ID: "length", Kind: compliance.MinLength, Words: n}}}}
	}
	fingerprint := func(specs []compliance.TemplateSpec) string {
		t.Helper()
		s, err := compliance.Compile(specs)
		if err != nil {
			t.Fatal(err)
		}
		return s.Fingerprint()
	}
	builtIns := fingerprint(nil)
	if builtIns == "" || builtIns != fingerprint(nil) {
		t.Fatalf("the built-ins' fingerprint is %q, then %q", builtIns, fingerprint(nil))
	}
	if fingerprint(words(12)) != builtIns {
		t.Error("overriding a rule with its built-in value changed the fingerprint")
	}
	moved := words(12)
	moved[0].Line, moved[0].Rules[0].Line = 40, 42
	if fingerprint(moved) != builtIns {
		t.Error("moving a template to other lines of the config changed the fingerprint")
	}
	if fingerprint(words(3)) == builtIns {
		t.Error("a changed rule kept the fingerprint")
	}
}
