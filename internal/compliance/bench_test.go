package compliance_test

import (
	"os"
	"strings"
	"testing"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
	"github.com/sre-value/sre-value-exporter/internal/compliance/confluence"
	"github.com/sre-value/sre-value-exporter/internal/compliance/dashboard"
	"github.com/sre-value/sre-value-exporter/internal/compliance/incidentdoc"
	"github.com/sre-value/sre-value-exporter/internal/compliance/markdown"
	"github.com/sre-value/sre-value-exporter/internal/compliance/slackpost"
)

// The refresh path of a collector: map one document, pick its templates,
// check it. Reported per document.

func BenchmarkMarkdownPostmortem(b *testing.B) {
	src, _ := os.ReadFile("testdata/postmortems/search-slowness.md")
	// A realistic length: the fixture repeated to about 1,200 words.
	src = []byte(string(src) + strings.Repeat("\nThe cache expired because its refresh job failed silently during the deploy.\n", 100))
	set, _ := compliance.Compile(nil)
	b.ReportAllocs()
	for b.Loop() {
		doc, _ := markdown.Parse("docs/postmortems/a.md", src)
		set.Check(doc, now)
	}
}

func BenchmarkConfluencePostmortem(b *testing.B) {
	src, _ := os.ReadFile("testdata/postmortem-pass.xhtml")
	set, _ := compliance.Compile(nil)
	page := confluence.Page{Title: "PM", Labels: []string{"postmortem"}}
	b.ReportAllocs()
	for b.Loop() {
		doc, _ := confluence.Parse(page, src)
		set.Check(doc, now)
	}
}

func BenchmarkSlackPost(b *testing.B) {
	src, _ := os.ReadFile("testdata/weekly-pass.txt")
	set, _ := compliance.Compile(nil)
	b.ReportAllocs()
	for b.Loop() {
		doc := slackpost.Parse(slackpost.Message{Channel: "sre-updates", Permalink: "p", Text: string(src)})
		set.Check(doc, now)
	}
}

func BenchmarkIncident(b *testing.B) {
	set, _ := compliance.Compile(nil)
	in := incidentdoc.Incident{Source: "jira", Key: "OPS-1", Severity: "sev1", Components: []string{"checkout"}, Teams: []string{"payments"}, Opened: now.AddDate(0, 0, -9), Resolved: now.AddDate(0, 0, -8)}
	b.ReportAllocs()
	for b.Loop() {
		set.Check(incidentdoc.Document(in), now)
	}
}

func BenchmarkDashboard(b *testing.B) {
	src, _ := os.ReadFile("testdata/dashboards/payments-stuff.json")
	set, _ := compliance.Compile(nil)
	b.ReportAllocs()
	for b.Loop() {
		doc, _ := dashboard.Parse(src, dashboard.Meta{Folder: "Teams"})
		set.Check(doc, now)
	}
}

func BenchmarkCompileBuiltIns(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		compliance.Compile(nil)
	}
}
