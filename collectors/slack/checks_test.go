package slack

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The posts of the format-check tests (now = 2026-11-20T12:00Z), checked
// against the built-in sre-update-post (#sre-updates only):
//
//	a  -1h   [WIN] with a link, 16 words: passes
//	g  -30m  a reply to a without a tag: replies are not posts, not checked
//	f  -3h   a channel_join: a system message, not checked
//	b  -2d   no tag, 14 words: fails tag
//	c  -10d  "[WIN] Faster deploys": fails length (3 words) and win-evidence (no link)
//	d  -40d  [WEEKLY] with Wins and Upcoming: passes
//	x  -1d   in #general, without a tag: no template applies there
const (
	postA = `{"type":"message","ts":"1795172400.000100","user":"U0SRE1","text":"[WIN] Checkout p99 latency is down 40% after the cache rollout, see <https://jira.example.com/browse/OPS-1|OPS-1> for the numbers"}`
	postG = `{"type":"message","ts":"1795174200.000100","user":"U0DEV1","thread_ts":"1795172400.000100","text":"nice"}`
	postF = `{"type":"message","subtype":"channel_join","ts":"1795165200.000100","user":"U0DEV3","text":"<@U0DEV3> has joined the channel"}`
	postB = `{"type":"message","ts":"1795003200.000100","user":"U0SRE2","text":"Deployed the new cache today, it went fine and everybody is happy about it"}`
	postC = `{"type":"message","ts":"1794312000.000100","user":"U0SRE1","text":"*[WIN]* Faster deploys"}`
	postD = `{"type":"message","ts":"1791720000.000100","user":"U0SRE1","text":"[WEEKLY] Week 45\n*Wins*\nShipped the new alert routing for the payments team this week\n*Upcoming*\nMigrating the last dashboards next week"}`
	postX = `{"type":"message","ts":"1795089600.000200","user":"U0DEV1","text":"lunch?"}`
	// postBEdited is b after its author added a tag, 30 minutes after now.
	postBEdited = `{"type":"message","ts":"1795003200.000100","user":"U0SRE2","edited":{"user":"U0SRE2","ts":"1795177800.000000"},"text":"[NOTABLE] Deployed the new cache today, it went fine and everybody is happy about it"}`
)

const checkSettings = `channels: [C0UPD00001, C0GEN00001]`

// formatFamilies are the series the format checks emit.
var formatFamilies = []string{
	"sre_format_documents_checked_in_window", "sre_format_documents_passing_in_window",
	"sre_format_rule_failures_in_window", "sre_format_documents_failing",
}

const formatHelp = `
# HELP sre_format_documents_checked_in_window Documents created in the window that a format template applies to, by source and template; divide sre_format_documents_passing_in_window by it for the compliance rate.
# TYPE sre_format_documents_checked_in_window gauge
sre_format_documents_checked_in_window{source="slack",template="sre-update-post",window="7d"} 2
sre_format_documents_checked_in_window{source="slack",template="sre-update-post",window="30d"} 3
sre_format_documents_checked_in_window{source="slack",template="sre-update-post",window="90d"} 4
# HELP sre_format_documents_failing Documents checked at the last refresh that break at least one rule of the template now; the landing page lists them with where to fix them.
# TYPE sre_format_documents_failing gauge
# HELP sre_format_documents_passing_in_window Documents created in the window that pass every rule of the template, as checked now.
# TYPE sre_format_documents_passing_in_window gauge
# HELP sre_format_rule_failures_in_window Documents created in the window that break the rule, by source, template and rule; the rules that fail most.
# TYPE sre_format_rule_failures_in_window gauge
`

// Every post, before b's edit: a and d pass, b and c fail.
const formatBeforeEdit = formatHelp + `
sre_format_documents_failing{source="slack",template="sre-update-post"} 2
sre_format_documents_passing_in_window{source="slack",template="sre-update-post",window="7d"} 1
sre_format_documents_passing_in_window{source="slack",template="sre-update-post",window="30d"} 1
sre_format_documents_passing_in_window{source="slack",template="sre-update-post",window="90d"} 2
sre_format_rule_failures_in_window{rule="length",source="slack",template="sre-update-post",window="7d"} 0
sre_format_rule_failures_in_window{rule="length",source="slack",template="sre-update-post",window="30d"} 1
sre_format_rule_failures_in_window{rule="length",source="slack",template="sre-update-post",window="90d"} 1
sre_format_rule_failures_in_window{rule="tag",source="slack",template="sre-update-post",window="7d"} 1
sre_format_rule_failures_in_window{rule="tag",source="slack",template="sre-update-post",window="30d"} 1
sre_format_rule_failures_in_window{rule="tag",source="slack",template="sre-update-post",window="90d"} 1
sre_format_rule_failures_in_window{rule="win-evidence",source="slack",template="sre-update-post",window="7d"} 0
sre_format_rule_failures_in_window{rule="win-evidence",source="slack",template="sre-update-post",window="30d"} 1
sre_format_rule_failures_in_window{rule="win-evidence",source="slack",template="sre-update-post",window="90d"} 1
`

// After b's edit only c fails.
const formatAfterEdit = formatHelp + `
sre_format_documents_failing{source="slack",template="sre-update-post"} 1
sre_format_documents_passing_in_window{source="slack",template="sre-update-post",window="7d"} 2
sre_format_documents_passing_in_window{source="slack",template="sre-update-post",window="30d"} 2
sre_format_documents_passing_in_window{source="slack",template="sre-update-post",window="90d"} 3
sre_format_rule_failures_in_window{rule="length",source="slack",template="sre-update-post",window="7d"} 0
sre_format_rule_failures_in_window{rule="length",source="slack",template="sre-update-post",window="30d"} 1
sre_format_rule_failures_in_window{rule="length",source="slack",template="sre-update-post",window="90d"} 1
sre_format_rule_failures_in_window{rule="win-evidence",source="slack",template="sre-update-post",window="7d"} 0
sre_format_rule_failures_in_window{rule="win-evidence",source="slack",template="sre-update-post",window="30d"} 1
sre_format_rule_failures_in_window{rule="win-evidence",source="slack",template="sre-update-post",window="90d"} 1
`

// With length lowered to 3 words, c breaks only win-evidence.
const formatShorterLength = formatHelp + `
sre_format_documents_failing{source="slack",template="sre-update-post"} 2
sre_format_documents_passing_in_window{source="slack",template="sre-update-post",window="7d"} 1
sre_format_documents_passing_in_window{source="slack",template="sre-update-post",window="30d"} 1
sre_format_documents_passing_in_window{source="slack",template="sre-update-post",window="90d"} 2
sre_format_rule_failures_in_window{rule="tag",source="slack",template="sre-update-post",window="7d"} 1
sre_format_rule_failures_in_window{rule="tag",source="slack",template="sre-update-post",window="30d"} 1
sre_format_rule_failures_in_window{rule="tag",source="slack",template="sre-update-post",window="90d"} 1
sre_format_rule_failures_in_window{rule="win-evidence",source="slack",template="sre-update-post",window="7d"} 0
sre_format_rule_failures_in_window{rule="win-evidence",source="slack",template="sre-update-post",window="30d"} 1
sre_format_rule_failures_in_window{rule="win-evidence",source="slack",template="sre-update-post",window="90d"} 1
`

const shorterLength = `
templates:
  - name: sre-update-post
    rules:
      - {id: length, kind: min_length, words: 3}
`

const (
	noteTagB       = `sre-update-post/tag: the first line does not match ^\[(WIN|WEEKLY|NOTABLE)\]\s+\S (fix: start the post with [WIN], [WEEKLY] or [NOTABLE] followed by a one-line headline)`
	noteLengthC    = `sre-update-post/length: has 3 words, want at least 12 (fix: write out what happened and why it matters; a short note is easy to miss)`
	noteEvidenceC  = `sre-update-post/win-evidence: has 0 links, want at least 1 (fix: link the evidence of the win: the ticket, pull request or dashboard)`
	permalinkB     = "https://acme.slack.com/archives/C0UPD00001/p1795003200000100"
	permalinkC     = "https://acme.slack.com/archives/C0UPD00001/p1794312000000100"
	exportWhereB   = "#sre-updates 2026-11-18 ts 1795003200.000100"
	exportWhereC   = "#sre-updates 2026-11-10 ts 1794312000.000100"
	textOnlyInPass = "rollout" // a word of a passing post, in no finding
)

func checkFake(t *testing.T) *fakeSlack {
	f := newFakeSlack(t, testToken)
	f.channels = []*fakeChannel{
		{ID: "C0UPD00001", Name: "sre-updates", NumMembers: 17},
		{ID: "C0GEN00001", Name: "general", NumMembers: 90},
	}
	for _, m := range []string{postA, postG, postF, postB, postC, postD} {
		f.add("C0UPD00001", m)
	}
	f.add("C0GEN00001", postX)
	return f
}

func (h *harness) compareFormat(want string) {
	h.t.Helper()
	if err := testutil.GatherAndCompare(h.snapshot(), strings.NewReader(want), formatFamilies...); err != nil {
		h.t.Error(err)
	}
}

func (h *harness) wantNotes(want ...string) {
	h.t.Helper()
	if got := h.c.Notes(); !slices.Equal(got, want) {
		h.t.Errorf("notes:\n got %q\nwant %q", got, want)
	}
}

// storeHolds reports whether the store file holds s anywhere.
func (h *harness) storeHolds(s string) bool {
	h.t.Helper()
	data, err := os.ReadFile(filepath.Join(h.dir, "s.db"))
	if err != nil {
		h.t.Fatal(err)
	}
	return bytes.Contains(data, []byte(s))
}

func TestLivePostsAreCheckedByPostTimeAndFailuresLinkTheirPermalink(t *testing.T) {
	f := checkFake(t)
	h := &harness{t: t, fake: f, dir: t.TempDir(), clock: testNow, paceClock: testNow, templates: "templates: []"}
	h.open()
	h.build(checkSettings)
	h.mustSync()
	h.compareFormat(formatBeforeEdit)
	h.wantNotes(
		"format: "+permalinkB+": "+noteTagB,
		"format: "+permalinkC+": "+noteLengthC,
		"format: "+permalinkC+": "+noteEvidenceC,
	)
	if f.count("auth.test") != 1 {
		t.Errorf("auth.test called %d times, want once per sync", f.count("auth.test"))
	}
	if h.storeHolds(textOnlyInPass) {
		t.Errorf("the store holds message text (%q)", textOnlyInPass)
	}
}

func TestAnEditedPostIsCheckedAgainWithinTheOverlap(t *testing.T) {
	f := checkFake(t)
	h := &harness{t: t, fake: f, dir: t.TempDir(), clock: testNow, paceClock: testNow, templates: "templates: []"}
	h.open()
	h.build(checkSettings)
	h.mustSync()
	f.remove("C0UPD00001", "1795003200.000100")
	f.add("C0UPD00001", postBEdited)
	h.clock = testNow.Add(time.Hour)
	h.mustSync()
	h.clock = testNow // the same windows as before the edit
	h.compareFormat(formatAfterEdit)
	h.wantNotes(
		"format: "+permalinkC+": "+noteLengthC,
		"format: "+permalinkC+": "+noteEvidenceC,
	)
}

func TestChangedTemplatesRecheckEveryPostOfTheLookback(t *testing.T) {
	f := checkFake(t)
	h := &harness{t: t, fake: f, dir: t.TempDir(), clock: testNow, paceClock: testNow, templates: "templates: []"}
	h.open()
	h.build(checkSettings)
	h.mustSync()
	// c (-10d) is older than the overlap (3d): only a full pass sees it.
	h.templates = shorterLength
	h.build(checkSettings)
	h.mustSync()
	h.compareFormat(formatShorterLength)
	h.wantNotes(
		"format: "+permalinkB+": "+noteTagB,
		"format: "+permalinkC+": "+noteEvidenceC,
	)
}

func TestChangedTemplatesDoNotRereadChannelsNoTemplateAppliesTo(t *testing.T) {
	f := checkFake(t)
	h := &harness{t: t, fake: f, dir: t.TempDir(), clock: testNow, paceClock: testNow, templates: "templates: []"}
	h.open()
	h.build(checkSettings)
	h.mustSync()
	oldest := map[string]string{}
	f.fail = func(_ http.ResponseWriter, method string, form map[string][]string) bool {
		if method == "conversations.history" {
			oldest[form["channel"][0]] = form["oldest"][0]
		}
		return false
	}
	h.templates = shorterLength
	h.build(checkSettings)
	h.clock = testNow.Add(time.Hour)
	h.mustSync()
	want := map[string]string{
		"C0UPD00001": formatTS(h.clock.Add(-90 * 24 * time.Hour)),                                  // the lookback: every post again
		"C0GEN00001": formatTS(testNow.Add(-24*time.Hour - 3*24*time.Hour + 200*time.Microsecond)), // x, its newest post, minus the overlap
	}
	if !maps.Equal(oldest, want) {
		t.Errorf("history read from %v, want %v", oldest, want)
	}
}

func TestWithoutTemplatesNothingIsCheckedNorAsked(t *testing.T) {
	f := checkFake(t)
	h := newHarness(t, f, checkSettings)
	h.mustSync()
	h.compareFormat("")
	h.wantNotes()
	if n := f.count("auth.test"); n != 0 {
		t.Errorf("auth.test called %d times without templates", n)
	}
}

// writeCheckExport writes a workspace export with the posts of the live
// tests, one file per UTC day.
func writeCheckExport(t *testing.T, dir string, posts map[string][]string) {
	t.Helper()
	files := map[string]string{
		"channels.json": `[{"id":"C0UPD00001","name":"sre-updates","members":["U0SRE1","U0SRE2"]},{"id":"C0GEN00001","name":"general","members":["U0DEV1"]}]`,
		"users.json":    `[]`,
	}
	for day, msgs := range posts {
		files[day] = "[" + strings.Join(msgs, ",") + "]"
	}
	for name, body := range files {
		if !json.Valid([]byte(body)) {
			t.Fatalf("%s is not JSON", name)
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExportPostsAreCheckedAndFailuresNameChannelDayAndTS(t *testing.T) {
	dir := t.TempDir()
	writeCheckExport(t, filepath.Join(dir, "export"), map[string][]string{
		"sre-updates/2026-11-20.json": {postF, postA, postG},
		"sre-updates/2026-11-18.json": {postB},
		"sre-updates/2026-11-10.json": {postC},
		"sre-updates/2026-10-11.json": {postD},
		"general/2026-11-19.json":     {postX},
	})
	h := &harness{t: t, dir: dir, clock: testNow, paceClock: testNow, templates: "templates: []"}
	h.open()
	h.build("export: export\n" + checkSettings)
	h.mustSync()
	h.compareFormat(formatBeforeEdit)
	h.wantNotes(
		"format: "+exportWhereB+": "+noteTagB,
		"format: "+exportWhereC+": "+noteLengthC,
		"format: "+exportWhereC+": "+noteEvidenceC,
	)
	if h.storeHolds(textOnlyInPass) {
		t.Errorf("the store holds message text (%q)", textOnlyInPass)
	}

	// The same export with other templates is read and checked again.
	h.templates = shorterLength
	h.build("export: export\n" + checkSettings)
	h.mustSync()
	h.compareFormat(formatShorterLength)
}

func TestPermalinksAreBuiltAsSlackDoes(t *testing.T) {
	for _, tc := range []struct {
		name, base, want string
	}{
		{"a workspace URL with a trailing slash", "https://acme.slack.com/", "https://acme.slack.com/archives/C0UPD00001/p1795003200000100"},
		{"a workspace URL without one", "https://acme.enterprise.slack.com", "https://acme.enterprise.slack.com/archives/C0UPD00001/p1795003200000100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := permalink(tc.base, "C0UPD00001", "1795003200.000100"); got != tc.want {
				t.Errorf("permalink = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBadPostFieldsInACheckedChannelAreReportedOrIgnored(t *testing.T) {
	for _, tc := range []struct {
		name, post, wantErr string
	}{
		{
			name:    "a text that is not a string is an error naming the file and line",
			post:    `{"type":"message","ts":"1795003200.000100","user":"U0SRE2","text":5}`,
			wantErr: "slack export export: sre-updates/2026-11-18.json: line 1: field text: number where a string was expected",
		},
		{
			name: "a malformed edit time is no edit",
			post: `{"type":"message","ts":"1795003200.000100","user":"U0SRE2","edited":{"ts":"yesterday"},"text":"[NOTABLE] The staging cluster upgrade went smoothly and nobody noticed a thing at all"}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeCheckExport(t, filepath.Join(dir, "export"), map[string][]string{"sre-updates/2026-11-18.json": {tc.post}})
			h := &harness{t: t, dir: dir, clock: testNow, paceClock: testNow, templates: "templates: []"}
			h.open()
			h.build("export: export\n" + checkSettings)
			err := h.sync()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("sync: %v", err)
			case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr):
				t.Fatalf("sync error = %v, want %q", err, tc.wantErr)
			case tc.wantErr == "":
				h.wantNotes()
			}
		})
	}
}
