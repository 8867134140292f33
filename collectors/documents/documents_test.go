package documents

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func build(t *testing.T, base, settings string) (*Collector, error) {
	t.Helper()
	cfg, err := config.Parse("exporter.yml", []byte("collectors:\n  - kind: documents\n    name: docs\n"+settings))
	if err != nil {
		return nil, err
	}
	set, err := cfg.TemplateSet()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.TempDir() + "/s.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := New(collectors.Deps{
		Config: cfg.Collectors[0], Decoder: cfg.Decoder(), BaseDir: base, Catalog: &cfg.Catalog,
		Store: st, Templates: set, Now: func() time.Time { return now },
	})
	if err != nil {
		return nil, err
	}
	return c.(*Collector), nil
}

func mustBuild(t *testing.T, base, settings string) *Collector {
	t.Helper()
	c, err := build(t, base, settings)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The test folder holds a compliant postmortem (created 10 days ago), one
// missing three sections and most of its words (created 49 days ago), a
// postmortem with broken front matter, and a note no template is about.
func TestPostmortemsAreCheckedByTheirTemplateAndCountedByCreation(t *testing.T) {
	c := mustBuild(t, "testdata/docs", "    files: [\"**/*.md\"]\n")
	if err := c.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, err := c.Snapshot(now)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]float64{}
	for _, line := range scrape(t, s) {
		for _, prefix := range []string{"sre_documents_files{", "sre_format_documents_checked_in_window{", "sre_format_documents_passing_in_window{", "sre_format_rule_failures_in_window{", "sre_format_documents_failing{"} {
			if strings.HasPrefix(line, prefix) {
				k, v, _ := strings.Cut(line, " ")
				checks[k] = parseFloat(t, v)
			}
		}
	}
	// By hand: the compliant one is 10 days old (7d: none; 30d and 90d:
	// it), the failing one 49 days old (90d only).
	expect := map[string]float64{
		`sre_documents_files{state="checked"}`:                                                                      2,
		`sre_documents_files{state="no_template"}`:                                                                  1,
		`sre_documents_files{state="unreadable"}`:                                                                   1,
		`sre_format_documents_checked_in_window{source="documents",template="postmortem",window="30d"}`:             1,
		`sre_format_documents_checked_in_window{source="documents",template="postmortem",window="90d"}`:             2,
		`sre_format_documents_passing_in_window{source="documents",template="postmortem",window="30d"}`:             1,
		`sre_format_documents_passing_in_window{source="documents",template="postmortem",window="90d"}`:             1,
		`sre_format_documents_failing{source="documents",template="postmortem"}`:                                    1,
		`sre_format_rule_failures_in_window{rule="sections",source="documents",template="postmortem",window="90d"}`: 1,
		`sre_format_rule_failures_in_window{rule="length",source="documents",template="postmortem",window="90d"}`:   1,
	}
	for k, v := range expect {
		if got, ok := checks[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	notes := strings.Join(c.Notes(), "\n")
	for _, want := range []string{
		"postmortems/broken.md: line 1: front matter",
		"no template applies to notes/ideas.md",
		"postmortems/2026-10-02-search-latency.md:",
		"postmortem/sections",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}

func TestATemplatesSettingChecksEveryFileAgainstIt(t *testing.T) {
	c := mustBuild(t, "testdata/docs", "    files: [notes/*.md]\n    templates: [postmortem]\n")
	if err := c.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, err := c.Snapshot(now)
	if err != nil {
		t.Fatal(err)
	}
	lines := scrape(t, s)
	if !slices.Contains(lines, `sre_documents_files{state="checked"} 1`) {
		t.Errorf("the note was not checked against postmortem:\n%s", strings.Join(lines, "\n"))
	}
}

func TestEditedAndDeletedFilesAreSeenAtTheNextSync(t *testing.T) {
	dir := t.TempDir()
	pm := filepath.Join(dir, "postmortems")
	if err := os.MkdirAll(pm, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("testdata/docs/postmortems/2026-10-02-search-latency.md")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(pm, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.md", src)
	write("b.md", src)
	c := mustBuild(t, dir, "    files: [postmortems/*.md]\n")
	failing := func() string {
		if err := c.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		s, err := c.Snapshot(now)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range scrape(t, s) {
			if strings.HasPrefix(l, "sre_format_documents_failing{") {
				return l
			}
		}
		return ""
	}
	if got := failing(); !strings.HasSuffix(got, " 2") {
		t.Fatalf("before: %s", got)
	}
	good, err := os.ReadFile("testdata/docs/postmortems/2026-11-10-checkout-outage.md")
	if err != nil {
		t.Fatal(err)
	}
	write("a.md", good)
	if err := os.Remove(filepath.Join(pm, "b.md")); err != nil {
		t.Fatal(err)
	}
	if got := failing(); !strings.HasSuffix(got, " 0") {
		t.Fatalf("after fixing one and deleting the other: %s", got)
	}
}

func TestBadSettingsNameTheField(t *testing.T) {
	for _, tc := range []struct{ settings, want string }{
		{"    templates: [postmortem]\n", "collectors[0].files: set at least one glob"},
		{"    files: [\"/etc/*.md\"]\n", "collectors[0].files[0]: \"/etc/*.md\" must be a slash-separated glob inside the config file's folder"},
		{"    files: [\"../*.md\"]\n", "collectors[0].files[0]:"},
		{"    files: [\"[.md\"]\n", "collectors[0].files[0]: \"[.md\" is not a valid glob"},
		{"    files: [a.md]\n    templates: [postmortems]\n", "collectors[0].templates[0]: unknown template \"postmortems\""},
	} {
		_, err := build(t, "testdata/docs", tc.settings)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.settings, err, tc.want)
		}
	}
}

func TestNoMatchingFileIsAFailedSyncNamingTheGlob(t *testing.T) {
	c := mustBuild(t, "testdata/docs", "    files: [missing/*.md]\n")
	err := c.Sync(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no file matches missing/*.md") {
		t.Fatalf("got %v", err)
	}
}

// A misspelt key does not hide the collector's other mistakes, and a
// setting that failed to decode is not reported a second time.
func TestAnUnknownKeyAndTheOtherMistakesAreReportedTogether(t *testing.T) {
	_, err := build(t, "testdata/docs", "    files: [\"/abs/*.md\"]\n    template: [postmortem]\n")
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		`exporter.yml:4: collectors[0].files[0]: "/abs/*.md" must be a slash-separated glob`,
		`exporter.yml:5: collectors[0]: unknown field "template" (did you mean "templates"?)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	_, err = build(t, "testdata/docs", "    files: {a: b}\n")
	if err == nil || strings.Count(err.Error(), "collectors[0].files") != 1 {
		t.Errorf("a files setting of the wrong type is reported once: %v", err)
	}
}
