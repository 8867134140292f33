package confluence

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

var formatFamilies = []string{
	"sre_format_documents_checked_in_window", "sre_format_documents_passing_in_window",
	"sre_format_rule_failures_in_window", "sre_format_documents_failing",
}

func builtinTemplates(t *testing.T) *compliance.Set {
	t.Helper()
	set, err := compliance.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func newCheckingHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, Cloud, cloudSettings)
	h.templates = builtinTemplates(t)
	h.restart()
	return h
}

// The pages' bodies (testdata/content.json) against the built-in
// templates, by hand (now 2024-06-30 12:00; windows by creation from
// 06-23, 05-31 and 04-01, 12:00):
//
//	1001 SRE Playbook (playbook-page, created 2023): every section, 20 words
//	     of steps, a dashboard link, edited 5 days ago -> passes
//	1002 How to engage SRE (how-to-engage, created 06-01 08:00: 30d, 90d):
//	     the three sections, a Slack link, edited 29 days ago -> passes
//	1003 Database failover runbook (playbook-page, created 2023): no "When
//	     to use" and no "Escalation" (sections), 2 words of steps (steps),
//	     no link (links), edited 2023-06-01, 395 days ago (fresh) -> fails
//	1004 SRE newsletter June (newsletter, created 06-28: every window):
//	     Wins, Tips, Metrics: no Upcoming (sections), Tips before Metrics
//	     (order) -> fails
//	2001 On-call handbook: label runbook, no template applies
//	2002 Old incident review (postmortem, created 2022): the body does not
//	     parse, so only the metadata is judged and postmortem has only
//	     text rules: checked, neither passing nor failing, and no passing
//	     series for postmortem at all.
const cloudFormatFigures = `
# HELP sre_format_documents_checked_in_window Documents created in the window that a format template applies to, by source and template; divide sre_format_documents_passing_in_window by it for the compliance rate.
# TYPE sre_format_documents_checked_in_window gauge
sre_format_documents_checked_in_window{source="confluence",template="how-to-engage",window="7d"} 0
sre_format_documents_checked_in_window{source="confluence",template="how-to-engage",window="30d"} 1
sre_format_documents_checked_in_window{source="confluence",template="how-to-engage",window="90d"} 1
sre_format_documents_checked_in_window{source="confluence",template="newsletter",window="7d"} 1
sre_format_documents_checked_in_window{source="confluence",template="newsletter",window="30d"} 1
sre_format_documents_checked_in_window{source="confluence",template="newsletter",window="90d"} 1
sre_format_documents_checked_in_window{source="confluence",template="playbook-page",window="7d"} 0
sre_format_documents_checked_in_window{source="confluence",template="playbook-page",window="30d"} 0
sre_format_documents_checked_in_window{source="confluence",template="playbook-page",window="90d"} 0
sre_format_documents_checked_in_window{source="confluence",template="postmortem",window="7d"} 0
sre_format_documents_checked_in_window{source="confluence",template="postmortem",window="30d"} 0
sre_format_documents_checked_in_window{source="confluence",template="postmortem",window="90d"} 0
# HELP sre_format_documents_passing_in_window Documents created in the window that pass every rule of the template, as checked now.
# TYPE sre_format_documents_passing_in_window gauge
sre_format_documents_passing_in_window{source="confluence",template="how-to-engage",window="7d"} 0
sre_format_documents_passing_in_window{source="confluence",template="how-to-engage",window="30d"} 1
sre_format_documents_passing_in_window{source="confluence",template="how-to-engage",window="90d"} 1
sre_format_documents_passing_in_window{source="confluence",template="newsletter",window="7d"} 0
sre_format_documents_passing_in_window{source="confluence",template="newsletter",window="30d"} 0
sre_format_documents_passing_in_window{source="confluence",template="newsletter",window="90d"} 0
sre_format_documents_passing_in_window{source="confluence",template="playbook-page",window="7d"} 0
sre_format_documents_passing_in_window{source="confluence",template="playbook-page",window="30d"} 0
sre_format_documents_passing_in_window{source="confluence",template="playbook-page",window="90d"} 0
# HELP sre_format_rule_failures_in_window Documents created in the window that break the rule, by source, template and rule; the rules that fail most.
# TYPE sre_format_rule_failures_in_window gauge
sre_format_rule_failures_in_window{rule="order",source="confluence",template="newsletter",window="7d"} 1
sre_format_rule_failures_in_window{rule="order",source="confluence",template="newsletter",window="30d"} 1
sre_format_rule_failures_in_window{rule="order",source="confluence",template="newsletter",window="90d"} 1
sre_format_rule_failures_in_window{rule="sections",source="confluence",template="newsletter",window="7d"} 1
sre_format_rule_failures_in_window{rule="sections",source="confluence",template="newsletter",window="30d"} 1
sre_format_rule_failures_in_window{rule="sections",source="confluence",template="newsletter",window="90d"} 1
sre_format_rule_failures_in_window{rule="fresh",source="confluence",template="playbook-page",window="7d"} 0
sre_format_rule_failures_in_window{rule="fresh",source="confluence",template="playbook-page",window="30d"} 0
sre_format_rule_failures_in_window{rule="fresh",source="confluence",template="playbook-page",window="90d"} 0
sre_format_rule_failures_in_window{rule="links",source="confluence",template="playbook-page",window="7d"} 0
sre_format_rule_failures_in_window{rule="links",source="confluence",template="playbook-page",window="30d"} 0
sre_format_rule_failures_in_window{rule="links",source="confluence",template="playbook-page",window="90d"} 0
sre_format_rule_failures_in_window{rule="sections",source="confluence",template="playbook-page",window="7d"} 0
sre_format_rule_failures_in_window{rule="sections",source="confluence",template="playbook-page",window="30d"} 0
sre_format_rule_failures_in_window{rule="sections",source="confluence",template="playbook-page",window="90d"} 0
sre_format_rule_failures_in_window{rule="steps",source="confluence",template="playbook-page",window="7d"} 0
sre_format_rule_failures_in_window{rule="steps",source="confluence",template="playbook-page",window="30d"} 0
sre_format_rule_failures_in_window{rule="steps",source="confluence",template="playbook-page",window="90d"} 0
# HELP sre_format_documents_failing Documents checked at the last refresh that break at least one rule of the template now; the landing page lists them with where to fix them.
# TYPE sre_format_documents_failing gauge
sre_format_documents_failing{source="confluence",template="how-to-engage"} 0
sre_format_documents_failing{source="confluence",template="newsletter"} 1
sre_format_documents_failing{source="confluence",template="playbook-page"} 1
sre_format_documents_failing{source="confluence",template="postmortem"} 0
`

func TestCloudPagesAreCheckedAgainstTheTemplatesWithTheirStorageBodies(t *testing.T) {
	h := newCheckingHarness(t)
	h.mustSync()
	h.compare(cloudFormatFigures, formatFamilies...)
	// Five pages have a template (all but 2001): one body search of 25.
	if got := count(h.fake.takeRequests()); got["search"] != 3 || got["bodies"] != 1 {
		t.Errorf("requests %v, want 3 listing searches and 1 body search", got)
	}
	base := h.fake.server.URL + "/wiki/spaces/"
	wantNotes := []string{
		`format: "SRE newsletter June" ` + base + `SRE/pages/1004: newsletter/sections: missing section "Upcoming" (fix: add a heading "Upcoming" to the page)`,
		`format: "SRE newsletter June" ` + base + `SRE/pages/1004: newsletter/order: section "Tips" should come after "Metrics"`,
		`format: "Database failover runbook" ` + base + `SRE/pages/1003: playbook-page/sections: missing section "When to use"`,
		`format: "Database failover runbook" ` + base + `SRE/pages/1003: playbook-page/sections: missing section "Escalation"`,
		`format: "Database failover runbook" ` + base + `SRE/pages/1003: playbook-page/steps: section "Steps" has 2 words, want at least 10`,
		`format: "Database failover runbook" ` + base + `SRE/pages/1003: playbook-page/links: has 0 links, want at least 1`,
		`format: "Database failover runbook" ` + base + `SRE/pages/1003: playbook-page/fresh: last updated 2023-06-01, 395 days ago`,
		`format: "Old incident review" ` + base + `OPS/pages/2002: the body is not valid storage format (line 3: `,
	}
	notes := h.c.Notes()
	joined := strings.Join(notes, "\n")
	for _, want := range wantNotes {
		if !strings.Contains(joined, want) {
			t.Errorf("notes do not say %q:\n%s", want, joined)
		}
	}
	if len(notes) != len(wantNotes) {
		t.Errorf("%d notes, want %d:\n%s", len(notes), len(wantNotes), joined)
	}
}

func TestMaxAgeIsJudgedAtEachSnapshotAndUnchangedPagesAreNotReadAgain(t *testing.T) {
	h := newCheckingHarness(t)
	h.mustSync()
	h.fake.takeRequests()

	// 181 days later, without a sync: the playbook edited on 06-25 is now
	// older than 180d as well.
	h.clock = now.Add(181 * 24 * time.Hour)
	h.compare(`
# HELP sre_format_documents_failing Documents checked at the last refresh that break at least one rule of the template now; the landing page lists them with where to fix them.
# TYPE sre_format_documents_failing gauge
sre_format_documents_failing{source="confluence",template="how-to-engage"} 0
sre_format_documents_failing{source="confluence",template="newsletter"} 1
sre_format_documents_failing{source="confluence",template="playbook-page"} 2
sre_format_documents_failing{source="confluence",template="postmortem"} 0
`, "sre_format_documents_failing")
	if notes := strings.Join(h.c.Notes(), "\n"); !strings.Contains(notes, `"SRE Playbook"`) || !strings.Contains(notes, "playbook-page/fresh: last updated 2024-06-25, 186 days ago") {
		t.Errorf("notes do not name the stale playbook:\n%s", notes)
	}

	// A sync where nothing changed reads no body; a new version of the
	// playbook is read again, alone, after a restart too.
	h.clock = now
	h.mustSync()
	if got := count(h.fake.takeRequests()); got["bodies"] != 0 {
		t.Errorf("requests %v, want no body search when no version changed", got)
	}
	h.fake.replace("1001", func(c map[string]any) {
		c["version"].(map[string]any)["number"] = 13
		c["body"].(map[string]any)["storage"].(map[string]any)["value"] = "<h2>Overview</h2><p>Rewritten.</p>"
	})
	h.restart()
	h.mustSync()
	reqs := h.fake.takeRequests()
	if got := count(reqs); got["bodies"] != 1 {
		t.Errorf("requests %v, want 1 body search", got)
	}
	for _, r := range reqs {
		if r.Query.Get("expand") == bodyExpand && r.Query.Get("cql") != `id in ("1001")` {
			t.Errorf("body search cql %q, want only the changed page", r.Query.Get("cql"))
		}
	}
	h.snapshot() // the notes are those of the last snapshot
	if notes := strings.Join(h.c.Notes(), "\n"); !strings.Contains(notes, `"SRE Playbook" `+h.fake.server.URL+`/wiki/spaces/SRE/pages/1001: playbook-page/sections: missing section "When to use"`) {
		t.Errorf("notes do not judge the new version:\n%s", notes)
	}
}

func TestLabelsAreJudgedAsTheyAreNowWithoutReadingTheBodyAgain(t *testing.T) {
	h := newCheckingHarness(t)
	h.mustSync()
	h.fake.takeRequests()
	// Labels are not versions: removing "newsletter" keeps version 1, and
	// the newsletter template no longer applies.
	h.fake.replace("1004", func(c map[string]any) {
		c["metadata"].(map[string]any)["labels"].(map[string]any)["results"] = []any{}
	})
	h.mustSync()
	if got := count(h.fake.takeRequests()); got["bodies"] != 0 {
		t.Errorf("requests %v, want no body search", got)
	}
	h.compare(`
# HELP sre_format_documents_failing Documents checked at the last refresh that break at least one rule of the template now; the landing page lists them with where to fix them.
# TYPE sre_format_documents_failing gauge
sre_format_documents_failing{source="confluence",template="how-to-engage"} 0
sre_format_documents_failing{source="confluence",template="playbook-page"} 1
sre_format_documents_failing{source="confluence",template="postmortem"} 0
`, "sre_format_documents_failing")
}

func TestABodySearchThatFailsFailsTheSyncAndThePagesAreCheckedOnTheirMetadata(t *testing.T) {
	h := newCheckingHarness(t)
	h.fake.failBodies = true
	if err := h.sync(); err == nil || !strings.Contains(err.Error(), "confluence wiki: page bodies 1-5 of 5: ") {
		t.Fatalf("sync error = %v", err)
	}
	h.snapshot()
	notes := strings.Join(h.c.Notes(), "\n")
	if !strings.Contains(notes, "format: 5 pages were checked on their metadata only because their body has not been read yet") {
		t.Errorf("notes:\n%s", notes)
	}
	// Only the judged rule fails: the runbook edited 395 days ago.
	if !strings.Contains(notes, "playbook-page/fresh") || strings.Contains(notes, "playbook-page/sections") {
		t.Errorf("notes judge rules without the body:\n%s", notes)
	}
}

// replace edits a stored content fixture in place.
func (f *fakeConfluence) replace(id string, edit func(map[string]any)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.ids {
		if x != id {
			continue
		}
		var c map[string]any
		if err := json.Unmarshal(f.contents[i], &c); err != nil {
			f.t.Fatal(err)
		}
		edit(c)
		raw, err := json.Marshal(c)
		if err != nil {
			f.t.Fatal(err)
		}
		f.contents[i] = raw
		return
	}
	f.t.Fatalf("no content %s", id)
}

// testdata/pages_format.csv against playbook-page, postmortem and a
// template judged on metadata alone, by hand (now 2024-06-30 12:00):
//
//	SRE Playbook      SRE playbook    created 06-20 (30d, 90d), edited 5 days ago:
//	                  fresh holds, sections/steps/links unjudged -> checked only
//	On-call handbook  SRE playbook    created 2023, edited 2023-12-01 10:00,
//	                  212 days ago -> fails fresh (outside every window)
//	Q3 postmortem     OPS postmortem  created 06-28 (every window): postmortem
//	                  rules all unjudged; owned: no team label -> fails
//	Service overview  OPS team-...    created 06-10 (30d, 90d): owned passes
//
// playbook-page and postmortem get no passing series: none of their pages
// was judged on every rule.
const csvFormatFigures = `
# HELP sre_format_documents_checked_in_window Documents created in the window that a format template applies to, by source and template; divide sre_format_documents_passing_in_window by it for the compliance rate.
# TYPE sre_format_documents_checked_in_window gauge
sre_format_documents_checked_in_window{source="confluence",template="owned",window="7d"} 1
sre_format_documents_checked_in_window{source="confluence",template="owned",window="30d"} 2
sre_format_documents_checked_in_window{source="confluence",template="owned",window="90d"} 2
sre_format_documents_checked_in_window{source="confluence",template="playbook-page",window="7d"} 0
sre_format_documents_checked_in_window{source="confluence",template="playbook-page",window="30d"} 1
sre_format_documents_checked_in_window{source="confluence",template="playbook-page",window="90d"} 1
sre_format_documents_checked_in_window{source="confluence",template="postmortem",window="7d"} 1
sre_format_documents_checked_in_window{source="confluence",template="postmortem",window="30d"} 1
sre_format_documents_checked_in_window{source="confluence",template="postmortem",window="90d"} 1
# HELP sre_format_documents_passing_in_window Documents created in the window that pass every rule of the template, as checked now.
# TYPE sre_format_documents_passing_in_window gauge
sre_format_documents_passing_in_window{source="confluence",template="owned",window="7d"} 0
sre_format_documents_passing_in_window{source="confluence",template="owned",window="30d"} 1
sre_format_documents_passing_in_window{source="confluence",template="owned",window="90d"} 1
# HELP sre_format_rule_failures_in_window Documents created in the window that break the rule, by source, template and rule; the rules that fail most.
# TYPE sre_format_rule_failures_in_window gauge
sre_format_rule_failures_in_window{rule="owner",source="confluence",template="owned",window="7d"} 1
sre_format_rule_failures_in_window{rule="owner",source="confluence",template="owned",window="30d"} 1
sre_format_rule_failures_in_window{rule="owner",source="confluence",template="owned",window="90d"} 1
sre_format_rule_failures_in_window{rule="fresh",source="confluence",template="playbook-page",window="7d"} 0
sre_format_rule_failures_in_window{rule="fresh",source="confluence",template="playbook-page",window="30d"} 0
sre_format_rule_failures_in_window{rule="fresh",source="confluence",template="playbook-page",window="90d"} 0
# HELP sre_format_documents_failing Documents checked at the last refresh that break at least one rule of the template now; the landing page lists them with where to fix them.
# TYPE sre_format_documents_failing gauge
sre_format_documents_failing{source="confluence",template="owned"} 1
sre_format_documents_failing{source="confluence",template="playbook-page"} 1
sre_format_documents_failing{source="confluence",template="postmortem"} 0
`

func TestCSVPagesAreJudgedOnTheirMetadataAndTheRulesOnTheTextNeverPass(t *testing.T) {
	h := newCSVHarness(t, "\n    pages_csv: pages_format.csv\n    spaces: [SRE, OPS]\n")
	set, err := compliance.Compile([]compliance.TemplateSpec{{
		Name:      "owned",
		AppliesTo: &compliance.AppliesTo{Confluence: &compliance.ConfluenceScope{Spaces: []string{"OPS"}}},
		Rules:     []compliance.RuleSpec{{ID: "owner", Kind: compliance.RequiredLabels, Labels: []string{"team-.+"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	h.templates = set
	h.restart()
	h.mustSync()
	h.compare(csvFormatFigures, formatFamilies...)
	want := []string{
		`format: "Q3 postmortem": owned/owner: no label matching "team-.+" (has postmortem) (fix: add a label matching "team-.+")`,
		`format: "On-call handbook" https://wiki.example.com/display/SRE/On-call+handbook: playbook-page/fresh: last updated 2023-12-01, 212 days ago (longer than 180d) (fix: review the content, correct what changed and save it, so readers can trust it)`,
		"format: playbook-page: pages_csv has no page bodies, so rules sections, steps, links were not checked on 2 pages, which count as checked but never as passing; read the pages from the API (url) to check them",
		"format: postmortem: pages_csv has no page bodies, so rules sections, order, non-empty, length were not checked on 1 page, which count as checked but never as passing; read the pages from the API (url) to check them",
	}
	if got := h.c.Notes(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
