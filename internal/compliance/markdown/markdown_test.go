package markdown

import (
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

func TestMarkdownMapsHeadingsLinesWordsLinksAndFrontMatter(t *testing.T) {
	src := strings.Join([]string{
		"---",                            // 1
		"title: Checkout outage",         // 2
		"tags: [postmortem, team-pay]",   // 3
		"updated: 2026-11-02",            // 4
		"owner: payments",                // 5
		"---",                            // 6
		"# Checkout outage",              // 7
		"",                               // 8
		"## Summary",                     // 9
		"Checkout failed for *23* min.",  // 10
		"",                               // 11
		"### Detail",                     // 12
		"- see [OPS-1](https://j/OPS-1)", // 13
		"- and https://grafana.example",  // 14
		"",                               // 15
		"Impact",                         // 16 (setext heading)
		"------",                         // 17
		"",                               // 18
		"```",                            // 19
		"# not a heading",                // 20
		"```",                            // 21
	}, "\n")
	doc, err := Parse("pm.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []compliance.Section{
		// Words under a heading are its body's and its subsections' bodies':
		// Summary 5 + Detail 4 ("see", the link, "and", the URL) + Impact 3
		// (the code block's "not a heading"; a lone "#" is no word).
		{Title: "Checkout outage", Level: 1, Line: 7, Words: 12},
		{Title: "Summary", Level: 2, Line: 9, Words: 9},
		{Title: "Detail", Level: 3, Line: 12, Words: 4},
		{Title: "Impact", Level: 2, Line: 16, Words: 3},
	}
	if len(doc.Sections) != len(want) {
		t.Fatalf("sections = %+v", doc.Sections)
	}
	for i := range want {
		if doc.Sections[i] != want[i] {
			t.Errorf("section %d = %+v, want %+v", i, doc.Sections[i], want[i])
		}
	}
	// The bodies' 12 words and the headings' 5.
	if doc.Words != 17 {
		t.Errorf("words = %d, want 17", doc.Words)
	}
	if len(doc.Links) != 2 || doc.Links[0] != (compliance.Link{URL: "https://j/OPS-1", Text: "OPS-1", Line: 13}) || doc.Links[1].URL != "https://grafana.example" || doc.Links[1].Line != 14 {
		t.Errorf("links = %+v", doc.Links)
	}
	if doc.Title != "Checkout outage" || doc.TitleLine != 2 {
		t.Errorf("title = %q at %d, want the front matter's at line 2", doc.Title, doc.TitleLine)
	}
	if doc.FirstLine != "Checkout outage" || doc.FirstLineNo != 7 {
		t.Errorf("first line = %q at %d", doc.FirstLine, doc.FirstLineNo)
	}
	if got := strings.Join(doc.Labels, ","); got != "postmortem,team-pay" {
		t.Errorf("labels = %s", got)
	}
	if !doc.Updated.Equal(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("updated = %s", doc.Updated)
	}
	if f := doc.Fields["owner"]; len(f.Values) != 1 || f.Values[0] != "payments" || f.Line != 5 {
		t.Errorf("owner field = %+v", f)
	}
}

func TestMarkdownWithoutFrontMatterTakesTheTitleFromTheFirstHeading(t *testing.T) {
	doc, err := Parse("a.md", []byte("[WIN] Deploys in 6 minutes\n\n# Faster deploys\n\n---\n\ntext\n"))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Title != "Faster deploys" || doc.TitleLine != 3 {
		t.Errorf("title = %q at %d", doc.Title, doc.TitleLine)
	}
	if doc.FirstLine != "[WIN] Deploys in 6 minutes" || doc.FirstLineNo != 1 || doc.Field("tag")[0] != "WIN" {
		t.Errorf("first line = %q at %d, tag %v", doc.FirstLine, doc.FirstLineNo, doc.Field("tag"))
	}
}

func TestBrokenFrontMatterIsAnErrorNamingTheFile(t *testing.T) {
	_, err := Parse("docs/a.md", []byte("---\ntags: [a\n---\n# A\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "docs/a.md: front matter: ") {
		t.Errorf("err = %v", err)
	}
}
