package compliance_test

import (
	"fmt"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/compliance/incidentdoc"
	"github.com/sre-value/sre-value-exporter/internal/compliance/slackpost"
)

// A collector compiles the set once per configuration (config.TemplateSet
// does it), maps each document it has in hand during refresh, and counts
// the results: passing and failing per template, failures per rule.
func ExampleSet_Check() {
	set, err := compliance.Compile(nil) // or cfg.TemplateSet()
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

	post := slackpost.Parse(slackpost.Message{
		Channel:   "sre-updates",
		Permalink: "https://example.slack.com/archives/C0SRE/p1764412345",
		Text:      "[WIN] Deploys are faster",
		Posted:    now,
	})
	inc := incidentdoc.Document(incidentdoc.Incident{
		Source: "jira", Key: "OPS-7", Severity: "sev1", Components: []string{"checkout"}, Teams: []string{"payments"},
		Opened: now.AddDate(0, 0, -10), Resolved: now.AddDate(0, 0, -9),
	})
	for _, doc := range []*compliance.Document{post, inc} {
		for _, r := range set.Check(doc, now) {
			fmt.Printf("%s %s passed=%v\n", doc.Source, r.Template, r.Passed())
			for _, f := range r.Findings {
				fmt.Printf("  %s: %s\n", f.Rule, f.Where())
			}
		}
	}
	// Output:
	// slack sre-update-post passed=false
	//   length: https://example.slack.com/archives/C0SRE/p1764412345
	//   win-evidence: https://example.slack.com/archives/C0SRE/p1764412345
	// jira incident passed=false
	//   postmortem: OPS-7
}
