package slackpost

import (
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

func TestSlackPostsMapTheTagBoldHeadingsLinksAndWords(t *testing.T) {
	posted := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	doc := Parse(Message{
		Channel: "#sre-updates", Permalink: "https://x.slack.com/archives/C1/p1", Posted: posted, Edited: posted.Add(time.Hour),
		Text: "\n*[WEEKLY]* Week 48 <!here>\n*Wins:*\n• cut deploys to <https://ci.example.com/runs/9|6 min> with <@U1>\n# Next week\n• game day, see <https://wiki.example.com/gd>",
	})
	if doc.FirstLine != "[WEEKLY] Week 48 here" || doc.FirstLineNo != 2 || doc.Field("tag")[0] != "WEEKLY" {
		t.Errorf("first line = %q at %d, tag %v", doc.FirstLine, doc.FirstLineNo, doc.Field("tag"))
	}
	want := []compliance.Section{{Title: "Wins", Level: 2, Line: 3, Words: 7}, {Title: "Next week", Level: 1, Line: 5, Words: 4}}
	if len(doc.Sections) != 2 || doc.Sections[0] != want[0] || doc.Sections[1] != want[1] {
		t.Errorf("sections = %+v, want %+v", doc.Sections, want)
	}
	if len(doc.Links) != 2 || doc.Links[0] != (compliance.Link{URL: "https://ci.example.com/runs/9", Text: "6 min", Line: 4}) || doc.Links[1].URL != "https://wiki.example.com/gd" {
		t.Errorf("links = %+v", doc.Links)
	}
	// [WEEKLY] Week 48 here (4) + Wins (1) + cut deploys to 6 min with U1 (7) + Next week (2) + game day, see URL (4).
	if doc.Words != 18 {
		t.Errorf("words = %d, want 18", doc.Words)
	}
	if doc.Container != "sre-updates" || !doc.Updated.Equal(posted.Add(time.Hour)) {
		t.Errorf("container %q, updated %s", doc.Container, doc.Updated)
	}
}
