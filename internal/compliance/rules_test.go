package compliance_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func intp(n int) *int { return &n }

// check compiles one rule into template "t" and returns its findings as lint prints them.
func check(t *testing.T, r compliance.RuleSpec, doc *compliance.Document) []string {
	t.Helper()
	if r.ID == "" {
		r.ID = "r"
	}
	set, err := compliance.Compile([]compliance.TemplateSpec{{Name: "t", Rules: []compliance.RuleSpec{r}}})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	tmpl, _ := set.Template("t")
	var out []string
	for _, f := range tmpl.Check(doc, now) {
		out = append(out, f.String())
	}
	return out
}

func md(sections ...compliance.Section) *compliance.Document {
	return &compliance.Document{Kind: compliance.Markdown, Source: "file", Path: "a.md", Title: "Doc", TitleLine: 1, Sections: sections}
}

func sec(title string, line, words int) compliance.Section {
	return compliance.Section{Title: title, Level: 2, Line: line, Words: words}
}

func incidentDoc(severity string, resolvedDaysAgo int, fields map[string][]string) *compliance.Document {
	doc := &compliance.Document{Kind: compliance.Incident, Source: "jira", Key: "OPS-1", Created: now.AddDate(0, 0, -30)}
	if resolvedDaysAgo >= 0 {
		doc.Resolved = now.AddDate(0, 0, -resolvedDaysAgo)
	}
	doc.Set("severity", 0, severity)
	for k, v := range fields {
		doc.Set(k, 0, v...)
	}
	return doc
}

func TestEveryRuleKindPassesAndFails(t *testing.T) {
	pmSections := []string{"Summary", "Impact", "Root cause|Causes"}
	panels := &compliance.Document{Kind: compliance.Dashboard, Source: "file", Path: "d.json", Title: "X / Y", TitleLine: 3, Items: []compliance.Item{
		{Kind: "panel", Name: "SLO", Line: 10, Fields: map[string]compliance.Field{"type": {Values: []string{"row"}}}},
		{Kind: "panel", Name: "Latency", Line: 12, Fields: map[string]compliance.Field{"type": {Values: []string{"timeseries"}}, "unit": {Values: []string{"s"}}}},
		{Kind: "panel", Name: "Errors", Line: 20, Fields: map[string]compliance.Field{"type": {Values: []string{"graph"}}}},
	}}
	confluencePage := &compliance.Document{Kind: compliance.Confluence, Source: "confluence", Title: "Checkout SLO", URL: "https://wiki.example.com/x/1", Sections: []compliance.Section{{Title: "Rationale", Level: 2}}}
	slackPost := &compliance.Document{Kind: compliance.Slack, Source: "slack", URL: "https://example.slack.com/archives/C1/p1", FirstLine: "Deploys are faster", FirstLineNo: 1, Words: 9,
		Links: []compliance.Link{{URL: "https://github.com/org/repo/pull/7", Text: "PR 7", Line: 2}}}

	tests := []struct {
		name string
		rule compliance.RuleSpec
		doc  *compliance.Document
		want []string
	}{
		{
			name: "required sections pass whatever the case, numbering or trailing words of the heading",
			rule: compliance.RuleSpec{Kind: compliance.RequiredSections, Sections: pmSections},
			doc:  md(sec("1. SUMMARY", 3, 5), sec("Impact:", 5, 5), sec("Causes and contributing factors", 7, 5)),
		},
		{
			name: "a missing section is reported at the title with the Markdown heading to add",
			rule: compliance.RuleSpec{Kind: compliance.RequiredSections, Sections: pmSections},
			doc:  md(sec("Summary", 3, 5), sec("Impact", 5, 5)),
			want: []string{`a.md:1: t/r: missing section "Root cause" (fix: add a "## Root cause" heading)`},
		},
		{
			name: "a missing section on a Confluence page names the page and says to add a heading",
			rule: compliance.RuleSpec{Kind: compliance.RequiredSections, Sections: []string{"Error budget"}},
			doc:  confluencePage,
			want: []string{`"Checkout SLO" https://wiki.example.com/x/1: t/r: missing section "Error budget" (fix: add a heading "Error budget" to the page)`},
		},
		{
			name: "sections in order pass, and absent ones do not break the order",
			rule: compliance.RuleSpec{Kind: compliance.SectionOrder, Sections: pmSections},
			doc:  md(sec("Summary", 3, 5), sec("Causes", 9, 5)),
		},
		{
			name: "a section above one it should follow is reported at its line",
			rule: compliance.RuleSpec{Kind: compliance.SectionOrder, Sections: pmSections},
			doc:  md(sec("Summary", 3, 5), sec("Root cause", 5, 5), sec("Impact", 9, 5)),
			want: []string{`a.md:5: t/r: section "Root cause" should come after "Impact" (line 9); the order is Summary, Impact, Root cause (fix: move "Root cause" below "Impact")`},
		},
		{
			name: "an empty listed section and a short one are reported, unlisted ones are not",
			rule: compliance.RuleSpec{Kind: compliance.NonEmptySections, Sections: pmSections, Words: 3},
			doc:  md(sec("Summary", 3, 0), sec("Impact", 5, 2), sec("Root cause", 7, 3), sec("Notes", 9, 0)),
			want: []string{
				`a.md:3: t/r: section "Summary" is empty (fix: write the "Summary" section, or say explicitly why it does not apply)`,
				`a.md:5: t/r: section "Impact" has 2 words, want at least 3 (fix: write the "Impact" section, or say explicitly why it does not apply)`,
			},
		},
		{
			name: "without a section list every section must have words",
			rule: compliance.RuleSpec{Kind: compliance.NonEmptySections},
			doc:  md(sec("Notes", 9, 0)),
			want: []string{`a.md:9: t/r: section "Notes" is empty (fix: write the "Notes" section, or say explicitly why it does not apply)`},
		},
		{
			name: "an incident with a component passes the component rule",
			rule: compliance.RuleSpec{Kind: compliance.RequiredFields, Fields: []string{"component"}},
			doc:  incidentDoc("sev3", -1, map[string][]string{"component": {"checkout"}}),
		},
		{
			name: "an incident without a component is reported by its key",
			rule: compliance.RuleSpec{Kind: compliance.RequiredFields, Fields: []string{"component"}},
			doc:  incidentDoc("sev3", -1, nil),
			want: []string{`OPS-1: t/r: missing component field (fix: set the incident's component)`},
		},
		{
			name: "an incident with two teams breaks exactly one team",
			rule: compliance.RuleSpec{Kind: compliance.RequiredFields, Fields: []string{"team"}, Min: intp(1), Max: intp(1)},
			doc:  incidentDoc("sev3", -1, map[string][]string{"team": {"payments", "search"}}),
			want: []string{`OPS-1: t/r: team field has 2 values (payments, search), want exactly 1 (fix: keep exactly 1 value(s) of "team")`},
		},
		{
			name: "a sev1 resolved 6 days ago without a postmortem is overdue",
			rule: postmortemRule(),
			doc:  incidentDoc("sev1", 6, nil),
			want: []string{`OPS-1: t/r: missing postmortem field (resolved 2026-11-24, due 5d after resolution) (fix: set the incident's postmortem)`},
		},
		{
			name: "a sev2 resolved 4 days ago is not yet due",
			rule: postmortemRule(),
			doc:  incidentDoc("sev2", 4, nil),
		},
		{
			name: "an open sev1 is not yet due",
			rule: postmortemRule(),
			doc:  incidentDoc("sev1", -1, nil),
		},
		{
			name: "a sev3 needs no postmortem (when, ignoring case)",
			rule: postmortemRule(),
			doc:  incidentDoc("SEV3", 30, nil),
		},
		{
			name: "a sev1 with a postmortem link passes",
			rule: postmortemRule(),
			doc:  incidentDoc("SEV1", 30, map[string][]string{"postmortem": {"https://wiki.example.com/pm/1"}}),
		},
		{
			name: "required fields on each panel skip the listed panel types and name the panel",
			rule: compliance.RuleSpec{Kind: compliance.RequiredFields, Each: "panel", Skip: map[string][]string{"type": {"row"}}, Fields: []string{"unit"}},
			doc:  panels,
			want: []string{`d.json:20: t/r: panel "Errors": missing a unit (fix: set "unit")`},
		},
		{
			name: "a field with max 0 must not be set",
			rule: compliance.RuleSpec{Kind: compliance.RequiredFields, Fields: []string{"legacy_rows"}, Min: intp(0), Max: intp(0)},
			doc:  &compliance.Document{Kind: compliance.Dashboard, Path: "d.json", TitleLine: 3, Fields: map[string]compliance.Field{"legacy_rows": {Values: []string{"2 legacy rows"}, Line: 7}}},
			want: []string{`d.json:7: t/r: "legacy_rows" is set, and must not be (fix: remove "legacy_rows")`},
		},
		{
			name: "a forbidden field value is reported per panel",
			rule: compliance.RuleSpec{Kind: compliance.FieldValues, Each: "panel", Field: "type", Forbidden: []string{"graph"}},
			doc:  panels,
			want: []string{`d.json:20: t/r: panel "Errors": type "graph" is not allowed (fix: replace type "graph" (not allowed: graph))`},
		},
		{
			name: "a value outside the allowed list is reported with the allowed values",
			rule: compliance.RuleSpec{Kind: compliance.FieldValues, Field: "severity", Allowed: []string{"sev1", "sev2"}},
			doc:  incidentDoc("p1", -1, nil),
			want: []string{`OPS-1: t/r: severity is "p1", want one of sev1, sev2 (fix: set severity to one of sev1, sev2)`},
		},
		{
			name: "a value that does not match the pattern is reported, without repeating the item's own name",
			rule: compliance.RuleSpec{Kind: compliance.FieldValues, Each: "alert", Field: "alert", Pattern: "^[A-Z][A-Za-z0-9]*$"},
			doc: &compliance.Document{Kind: compliance.RuleFile, Path: "r.yml", Items: []compliance.Item{
				{Kind: "alert", Name: "HighErrors", Line: 4, Fields: map[string]compliance.Field{"alert": {Values: []string{"HighErrors"}, Line: 4}}},
				{Kind: "alert", Name: "high_errors", Line: 9, Fields: map[string]compliance.Field{"alert": {Values: []string{"high_errors"}, Line: 9}}},
			}},
			want: []string{`r.yml:9: t/r: alert "high_errors" does not match ^[A-Z][A-Za-z0-9]*$ (fix: change alert to match ^[A-Z][A-Za-z0-9]*$)`},
		},
		{
			name: "a title matching the pattern passes",
			rule: compliance.RuleSpec{Kind: compliance.TitlePattern, Pattern: `^\S+ / .+`},
			doc:  panels,
		},
		{
			name: "a first line without the tag is reported with the post's permalink",
			rule: compliance.RuleSpec{Kind: compliance.TitlePattern, Target: "first_line", Pattern: `^\[(WIN|WEEKLY|NOTABLE)\]`},
			doc:  slackPost,
			want: []string{`https://example.slack.com/archives/C1/p1: t/r: the first line does not match ^\[(WIN|WEEKLY|NOTABLE)\] (fix: rewrite the first line to match ^\[(WIN|WEEKLY|NOTABLE)\])`},
		},
		{
			name: "a document without a title says so",
			rule: compliance.RuleSpec{Kind: compliance.TitlePattern, Pattern: `.`},
			doc:  &compliance.Document{Kind: compliance.Dashboard, Path: "d.json"},
			want: []string{`d.json:1: t/r: has no title (fix: start with a title matching .)`},
		},
		{
			name: "any link satisfies a required_links rule without patterns",
			rule: compliance.RuleSpec{Kind: compliance.RequiredLinks},
			doc:  slackPost,
		},
		{
			name: "a link pattern matches the link text as well as the address",
			rule: compliance.RuleSpec{Kind: compliance.RequiredLinks, Links: []string{`^pr \d+$`}},
			doc:  slackPost,
		},
		{
			name: "a missing link and too few links are reported",
			rule: compliance.RuleSpec{Kind: compliance.RequiredLinks, Links: []string{"runbook", "github"}, Min: intp(2)},
			doc:  slackPost,
			want: []string{
				`https://example.slack.com/archives/C1/p1: t/r: no link matching "runbook" (fix: add a link whose address or text matches "runbook")`,
				`https://example.slack.com/archives/C1/p1: t/r: 1 link matches "github", want at least 2 (fix: add a link whose address or text matches "github")`,
			},
		},
		{
			name: "a document without links breaks a required_links rule without patterns",
			rule: compliance.RuleSpec{Kind: compliance.RequiredLinks},
			doc:  md(),
			want: []string{`a.md:1: t/r: has 0 links, want at least 1 (fix: link the related ticket, dashboard or page)`},
		},
		{
			name: "a post shorter than the minimum is reported with its word count",
			rule: compliance.RuleSpec{Kind: compliance.MinLength, Words: 10},
			doc:  slackPost,
			want: []string{`https://example.slack.com/archives/C1/p1: t/r: has 9 words, want at least 10 (fix: write out what happened and why it matters; a short note is easy to miss)`},
		},
		{
			name: "a post at the minimum passes",
			rule: compliance.RuleSpec{Kind: compliance.MinLength, Words: 9},
			doc:  slackPost,
		},
		{
			name: "a page older than the maximum age says when it was updated and how many days ago",
			rule: compliance.RuleSpec{Kind: compliance.MaxAge, MaxAge: "180d"},
			doc:  &compliance.Document{Kind: compliance.Confluence, Title: "Playbook", Updated: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)},
			want: []string{`"Playbook": t/r: last updated 2026-01-01, 333 days ago (longer than 180d) (fix: review the content, correct what changed and save it, so readers can trust it)`},
		},
		{
			name: "a page updated exactly at the maximum age passes",
			rule: compliance.RuleSpec{Kind: compliance.MaxAge, MaxAge: "180d"},
			doc:  &compliance.Document{Kind: compliance.Confluence, Title: "Playbook", Updated: now.AddDate(0, 0, -180)},
		},
		{
			name: "a document without an update time is not judged",
			rule: compliance.RuleSpec{Kind: compliance.MaxAge, MaxAge: "1d"},
			doc:  md(),
		},
		{
			name: "labels match whole, ignoring case",
			rule: compliance.RuleSpec{Kind: compliance.RequiredLabels, Labels: []string{"postmortem", "team-.+"}},
			doc:  &compliance.Document{Kind: compliance.Confluence, Title: "PM", Labels: []string{"PostMortem", "team-payments"}},
		},
		{
			name: "a missing label lists the labels the page has",
			rule: compliance.RuleSpec{Kind: compliance.RequiredLabels, Labels: []string{"team-.+"}},
			doc:  &compliance.Document{Kind: compliance.Confluence, Title: "PM", Labels: []string{"postmortem", "team"}},
			want: []string{`"PM": t/r: no label matching "team-.+" (has postmortem, team) (fix: add a label matching "team-.+")`},
		},
		{
			name: "a rule's own fix replaces the built-in advice",
			rule: compliance.RuleSpec{Kind: compliance.RequiredLabels, Labels: []string{"slo"}, Fix: "label the page slo"},
			doc:  &compliance.Document{Kind: compliance.Confluence, Title: "PM"},
			want: []string{`"PM": t/r: no label matching "slo" (has none) (fix: label the page slo)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := check(t, tt.rule, tt.doc)
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings:\n%s\nwant:\n%s", lines(got), lines(tt.want))
			}
		})
	}
}

func postmortemRule() compliance.RuleSpec {
	return compliance.RuleSpec{Kind: compliance.RequiredFields, Fields: []string{"postmortem"}, When: map[string][]string{"severity": {"sev1", "sev2"}}, DueAfterResolution: "5d"}
}

func lines(s []string) string {
	out := ""
	for _, l := range s {
		out += "  " + l + "\n"
	}
	if out == "" {
		return "  (none)\n"
	}
	return out
}
