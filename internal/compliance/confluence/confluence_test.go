package confluence

import (
	"strings"
	"testing"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

func TestStoragePagesMapHeadingsWordsAndEveryKindOfLink(t *testing.T) {
	body := `<p>Status: final&nbsp;draft<br>reviewed</p>
<h2>Summary</h2>
<p>Checkout <strong>failed</strong> for 23 minutes.</p>
<h3>Detail</h3>
<p>See <a href="https://grafana.example.com/d/x">the dashboard</a>,
<ac:link><ri:page ri:space-key="SRE" ri:content-title="Game days" /><ac:plain-text-link-body><![CDATA[game days]]></ac:plain-text-link-body></ac:link>
and <ac:structured-macro ac:name="jira"><ac:parameter ac:name="server">Jira</ac:parameter><ac:parameter ac:name="key">OPS-412</ac:parameter></ac:structured-macro>.</p>
<h2>Timeline</h2>
<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[14:02 failover]]></ac:plain-text-body></ac:structured-macro>
<p><ac:image><ri:url ri:value="https://img.example.com/a.png" /></ac:image></p>`
	doc, err := Parse(Page{Title: "PM", Space: "SRE"}, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []compliance.Section{
		// Summary: 5 + Detail's "See the dashboard, game days and ." -> See, the, dashboard,, game, days, and = 6
		{Title: "Summary", Level: 2, Line: 2, Words: 11},
		{Title: "Detail", Level: 3, Line: 4, Words: 6},
		{Title: "Timeline", Level: 2, Line: 8, Words: 2},
	}
	if len(doc.Sections) != len(want) {
		t.Fatalf("sections = %+v", doc.Sections)
	}
	for i := range want {
		if doc.Sections[i] != want[i] {
			t.Errorf("section %d = %+v, want %+v", i, doc.Sections[i], want[i])
		}
	}
	wantLinks := []compliance.Link{
		{URL: "https://grafana.example.com/d/x", Text: "the dashboard", Line: 5},
		{URL: "page:SRE:Game days", Text: "game days", Line: 6},
		{URL: "jira:OPS-412", Text: "OPS-412", Line: 7},
		{URL: "https://img.example.com/a.png", Line: 10},
	}
	if len(doc.Links) != len(wantLinks) {
		t.Fatalf("links = %+v", doc.Links)
	}
	for i := range wantLinks {
		if doc.Links[i] != wantLinks[i] {
			t.Errorf("link %d = %+v, want %+v", i, doc.Links[i], wantLinks[i])
		}
	}
	// "Status: final draft reviewed" (4) + headings (3) + bodies (5 + 6 + 2).
	if doc.Words != 20 {
		t.Errorf("words = %d, want 20", doc.Words)
	}
	if doc.FirstLine != "Status: final\u00a0draft" || doc.FirstLineNo != 1 {
		t.Errorf("first line = %q at %d", doc.FirstLine, doc.FirstLineNo)
	}
}

func TestUnbalancedStorageIsAnErrorWithItsLine(t *testing.T) {
	_, err := Parse(Page{Title: "PM"}, []byte("<h2>Summary</h2>\n<p>text\n</h2>\n"))
	if err == nil || !strings.HasPrefix(err.Error(), `page "PM": line 3: `) {
		t.Errorf("err = %v", err)
	}
}
