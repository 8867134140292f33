package compliance_test

import (
	"testing"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

func TestGlobsMatchAtAnyDepthAndDoubleStarSpansFolders(t *testing.T) {
	tests := []struct {
		glob, path string
		want       bool
	}{
		{"postmortems/*.md", "docs/postmortems/2026-11-03.md", true},
		{"postmortems/*.md", "postmortems/a.md", true},
		{"postmortems/*.md", "./postmortems/a.md", true},
		{"postmortems/*.md", "docs/postmortems/old/a.md", false},
		{"playbook/**/*.md", "docs/playbook/db/failover/a.md", true},
		{"playbook/**/*.md", "docs/playbook/a.md", true},
		{"*.md", "a/b/c.md", true},
		{"*.md", "a/b/c.json", false},
		{"/srv/docs/*.md", "/srv/docs/a.md", true},
		{"/srv/docs/*.md", "/other/srv/docs/a.md", false},
		{"dashboards/**/*.json", `dashboards\team\a.json`, true},
	}
	for _, tt := range tests {
		if got := compliance.MatchGlob(tt.glob, tt.path); got != tt.want {
			t.Errorf("MatchGlob(%q, %q) = %v, want %v", tt.glob, tt.path, got, tt.want)
		}
	}
}

func TestTemplatesApplyToTheDocumentsTheirScopeSelects(t *testing.T) {
	set, err := compliance.Compile([]compliance.TemplateSpec{
		{Name: "updates", AppliesTo: &compliance.AppliesTo{Slack: &compliance.SlackScope{Channels: []string{"#sre-updates"}}}, Rules: anyRule()},
		{Name: "pages", AppliesTo: &compliance.AppliesTo{Confluence: &compliance.ConfluenceScope{Spaces: []string{"SRE"}, Labels: []string{"slo"}, Title: "^SLO: "}}, Rules: anyRule()},
		{Name: "recent-sev1", AppliesTo: &compliance.AppliesTo{Incidents: &compliance.IncidentScope{Sources: []string{"jira"}, Severities: []string{"sev1"}, MaxAge: "90d"}}, Rules: anyRule()},
		{Name: "team-boards", AppliesTo: &compliance.AppliesTo{Grafana: &compliance.GrafanaScope{Folders: []string{"Teams"}, Tags: []string{"team"}}}, Rules: anyRule()},
		{Name: "by-name-only", Rules: anyRule()},
	})
	if err != nil {
		t.Fatal(err)
	}
	sev := func(s string) map[string]compliance.Field {
		return map[string]compliance.Field{"severity": {Values: []string{s}}}
	}
	tests := []struct {
		name string
		doc  compliance.Document
		want bool
		tmpl string
	}{
		{"a post in the channel, named without '#', is selected", compliance.Document{Kind: compliance.Slack, Container: "SRE-Updates"}, true, "updates"},
		{"a post in another channel is not", compliance.Document{Kind: compliance.Slack, Container: "random"}, false, "updates"},
		{"a labelled page in the space with a matching title is selected", compliance.Document{Kind: compliance.Confluence, Container: "sre", Labels: []string{"draft", "SLO"}, Title: "SLO: Checkout"}, true, "pages"},
		{"a page without the label is not", compliance.Document{Kind: compliance.Confluence, Container: "SRE", Labels: []string{"draft"}, Title: "SLO: Checkout"}, false, "pages"},
		{"a page whose title does not match is not", compliance.Document{Kind: compliance.Confluence, Container: "SRE", Labels: []string{"slo"}, Title: "Checkout SLO"}, false, "pages"},
		{"a page in another space is not", compliance.Document{Kind: compliance.Confluence, Container: "OPS", Labels: []string{"slo"}, Title: "SLO: Checkout"}, false, "pages"},
		{"a recent Jira sev1 is selected", compliance.Document{Kind: compliance.Incident, Source: "jira", Fields: sev("SEV1"), Created: now.AddDate(0, 0, -90)}, true, "recent-sev1"},
		{"a Jira sev1 opened 91 days ago is not", compliance.Document{Kind: compliance.Incident, Source: "jira", Fields: sev("sev1"), Created: now.AddDate(0, 0, -91)}, false, "recent-sev1"},
		{"a GitHub sev1 is not", compliance.Document{Kind: compliance.Incident, Source: "github", Fields: sev("sev1"), Created: now}, false, "recent-sev1"},
		{"a Jira sev2 is not", compliance.Document{Kind: compliance.Incident, Source: "jira", Fields: sev("sev2"), Created: now}, false, "recent-sev1"},
		{"a tagged dashboard in the folder is selected", compliance.Document{Kind: compliance.Dashboard, Container: "Teams", Labels: []string{"team"}}, true, "team-boards"},
		{"a dashboard in the General folder is not", compliance.Document{Kind: compliance.Dashboard, Container: "General", Labels: []string{"team"}}, false, "team-boards"},
		{"a template without applies_to is never selected", compliance.Document{Kind: compliance.Slack, Container: "sre-updates"}, false, "by-name-only"},
		{"a Slack scope does not select a Confluence page", compliance.Document{Kind: compliance.Confluence, Container: "sre-updates"}, false, "updates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, _ := set.Template(tt.tmpl)
			if got := tmpl.Applies(&tt.doc, now); got != tt.want {
				t.Errorf("Applies = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBuiltInScopesSelectTheirUsualDocuments(t *testing.T) {
	set, err := compliance.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		doc  compliance.Document
		want []string
	}{
		{compliance.Document{Kind: compliance.Markdown, Path: "docs/postmortems/a.md"}, []string{"postmortem"}},
		{compliance.Document{Kind: compliance.Markdown, Path: "docs/playbook/db/failover.md"}, []string{"playbook-page"}},
		{compliance.Document{Kind: compliance.Dashboard, Path: "dashboards/payments.json"}, []string{"team-dashboard"}},
		{compliance.Document{Kind: compliance.RuleFile, Path: "alerts/checkout.yml"}, []string{"prometheus-rules"}},
		{compliance.Document{Kind: compliance.Slack, Container: "sre-updates"}, []string{"sre-update-post"}},
		{compliance.Document{Kind: compliance.Confluence, Labels: []string{"newsletter"}}, []string{"newsletter"}},
		{compliance.Document{Kind: compliance.Incident, Source: "pagerduty"}, []string{"incident"}},
		{compliance.Document{Kind: compliance.Dashboard, Source: "grafana"}, []string{"team-dashboard"}},
		{compliance.Document{Kind: compliance.Markdown, Path: "README.md"}, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, tmpl := range set.For(&tt.doc, now) {
			got = append(got, tmpl.Name)
		}
		if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
			t.Errorf("%s %s%s%v: templates %v, want %v", tt.doc.Kind, tt.doc.Path, tt.doc.Container, tt.doc.Labels, got, tt.want)
		}
	}
}

func anyRule() []compliance.RuleSpec {
	return []compliance.RuleSpec{{ID: "r", Kind: compliance.MinLength, Words: 1}}
}

func TestOverridesReplaceAddAndDisableBuiltInRules(t *testing.T) {
	set, err := compliance.Compile([]compliance.TemplateSpec{{
		Name:         "incident",
		AppliesTo:    &compliance.AppliesTo{Incidents: &compliance.IncidentScope{Sources: []string{"jira"}}},
		DisableRules: []string{"component"},
		Rules: []compliance.RuleSpec{
			{ID: "postmortem", Kind: compliance.RequiredFields, Fields: []string{"postmortem"}, When: map[string][]string{"severity": {"sev1"}}},
			{ID: "labels", Kind: compliance.RequiredLabels, Labels: []string{"incident"}},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := set.Template("incident")
	if got, want := tmpl.Rules(), []string{"severity", "one-team", "postmortem", "labels"}; !equal(got, want) {
		t.Errorf("rules = %v, want %v", got, want)
	}
	if tmpl.Applies(&compliance.Document{Kind: compliance.Incident, Source: "github"}, now) {
		t.Error("the override's applies_to should replace the built-in's, which selects every source")
	}
	// The replaced postmortem rule has no grace period any more.
	doc := &compliance.Document{Kind: compliance.Incident, Source: "jira", Key: "OPS-9", Resolved: now, Labels: []string{"incident"}}
	doc.Set("severity", 0, "sev1")
	doc.Set("team", 0, "payments")
	var got []string
	for _, f := range tmpl.Check(doc, now) {
		got = append(got, f.String())
	}
	if want := []string{`OPS-9: incident/postmortem: missing postmortem field (fix: set the incident's postmortem)`}; !equal(got, want) {
		t.Errorf("findings = %v, want %v", got, want)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
