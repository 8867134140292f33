package lint

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/compliance"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func builtins(t *testing.T) *compliance.Set {
	t.Helper()
	set, err := compliance.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestEachOutputFormatMatchesItsGoldenFile(t *testing.T) {
	paths := []string{"testdata/postmortems", "testdata/newsletter", "testdata/dashboards", "testdata/rules", "testdata/broken.json"}
	r, err := Run(paths, Options{Set: builtins(t), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if r.Files != 9 {
		t.Errorf("files = %d, want 9 (2 postmortems, 1 newsletter, 2 dashboards, 3 rule files, broken.json)", r.Files)
	}
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			if err := Write(&out, format, r); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", "findings."+format)
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/lint -update)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("%s output differs from %s:\n%s", format, golden, out.String())
			}
		})
	}
}

func TestGoodFilesHaveNoFindings(t *testing.T) {
	paths := []string{"testdata/postmortems/good.md", "testdata/newsletter", "testdata/dashboards/good.json", "testdata/rules/good.rules.yml"}
	r, err := Run(paths, Options{Set: builtins(t), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if r.Files != 4 || len(r.Findings) != 0 {
		t.Errorf("files %d, findings %v", r.Files, r.Findings)
	}
}

func TestATemplateNamedOnTheCommandLineChecksEveryFile(t *testing.T) {
	r, err := Run([]string{"testdata/notes.md"}, Options{Set: builtins(t), Template: "newsletter", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	Write(&out, "text", r)
	want := `testdata/notes.md:1: newsletter/sections: missing section "Wins" (fix: add a "## Wins" heading)
testdata/notes.md:1: newsletter/sections: missing section "Metrics" (fix: add a "## Metrics" heading)
testdata/notes.md:1: newsletter/sections: missing section "Tips" (fix: add a "## Tips" heading)
testdata/notes.md:1: newsletter/sections: missing section "Upcoming" (fix: add a "## Upcoming" heading)
`
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestMistakesInTheCallAreUsageErrors(t *testing.T) {
	tests := []struct {
		name     string
		paths    []string
		template string
		want     string
	}{
		{"an unknown template lists the known ones", []string{"testdata/notes.md"}, "postmortems",
			`unknown template "postmortems": use one of sre-update-post, newsletter, postmortem, playbook-page, how-to-engage, slo-document, incident, team-dashboard, prometheus-rules`},
		{"a missing file is named", []string{"testdata/nope.md"}, "", "testdata/nope.md: no such file or folder"},
		{"an unknown extension lists the known ones", []string{"lint.go"}, "",
			`lint.go: unknown file type ".go": lint reads .html .json .markdown .md .mrkdwn .slack .txt .xhtml .yaml .yml`},
		{"prose no template applies to needs --template", []string{"testdata/notes.md"}, "",
			"testdata/notes.md: no template applies to this file: pass --template (one of sre-update-post, newsletter, postmortem, playbook-page, how-to-engage, slo-document, incident, team-dashboard, prometheus-rules) or add the path to a template's applies_to.files"},
		{"no files at all", nil, "", "no files to lint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(tt.paths, Options{Set: builtins(t), Template: tt.template, Now: now})
			var ue *UsageError
			if !errors.As(err, &ue) || ue.Msg != tt.want {
				t.Errorf("err = %v, want usage error %q", err, tt.want)
			}
		})
	}
}

func TestFoldersOnlyYieldFilesATemplateSelects(t *testing.T) {
	// testdata holds notes.md (no template) and broken.json (not under
	// dashboards/): walking the folder skips both.
	r, err := Run([]string{"testdata"}, Options{Set: builtins(t), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		if f.Path == filepath.Join("testdata", "notes.md") || f.Path == filepath.Join("testdata", "broken.json") {
			t.Errorf("unexpected finding for %s", f.Path)
		}
	}
	if r.Files != 8 {
		t.Errorf("files = %d, want 8", r.Files)
	}
}

func TestGitHubAnnotationsEscapeWhatWorkflowCommandsReserve(t *testing.T) {
	r := &Report{Findings: []compliance.Finding{{Template: "t", Rule: "r", Path: "docs/a,b:c.md", Line: 3, Message: "100% wrong\nreally", Fix: "x"}}}
	var out bytes.Buffer
	if err := Write(&out, "github", r); err != nil {
		t.Fatal(err)
	}
	want := "::error file=docs/a%2Cb%3Ac.md,line=3,title=t/r::100%25 wrong%0Areally (fix: x)\n"
	if out.String() != want {
		t.Errorf("got  %q\nwant %q", out.String(), want)
	}
}

func TestConfluencePagesAndSlackPostsAreReadFromFiles(t *testing.T) {
	tests := []struct {
		template, path string
		want           string
	}{
		{"slo-document", "testdata/pages/checkout-slo.xhtml", `testdata/pages/checkout-slo.xhtml:1: slo-document/sections: missing section "Rationale" (fix: add a heading "Rationale" to the page)
testdata/pages/checkout-slo.xhtml:1: slo-document/sections: missing section "Clarifications and caveats" (fix: add a heading "Clarifications and caveats" to the page)
testdata/pages/checkout-slo.xhtml:1: slo-document/order: section "SLIs and SLOs" should come after "Service overview" (line 3); the order is Service overview, SLIs and SLOs, Rationale, Error budget, Clarifications and caveats (fix: move "SLIs and SLOs" below "Service overview")
testdata/pages/checkout-slo.xhtml:5: slo-document/non-empty: section "Error budget" is empty (fix: write the "Error budget" section, or say explicitly why it does not apply)
`},
		{"sre-update-post", "testdata/posts/win.txt", `testdata/posts/win.txt:1: sre-update-post/length: has 3 words, want at least 12 (fix: write out what happened and why it matters; a short note is easy to miss)
testdata/posts/win.txt:1: sre-update-post/win-evidence: has 0 links, want at least 1 (fix: link the evidence of the win: the ticket, pull request or dashboard)
`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r, err := Run([]string{tt.path}, Options{Set: builtins(t), Template: tt.template, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			Write(&out, "text", r)
			if out.String() != tt.want {
				t.Errorf("output:\n%s\nwant:\n%s", out.String(), tt.want)
			}
		})
	}
}

func TestAFolderThatSelectsNoFileIsAUsageErrorNotAGreenRun(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "plain.json"), []byte(`{"title": "x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Run([]string{dir}, Options{Set: builtins(t), Now: now})
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.HasPrefix(ue.Msg, dir+": no file to check: ") {
		t.Errorf("err = %v, want a usage error saying the folder selects no file", err)
	}
}

func TestPromtoolUnitTestFilesInAFolderAreNotLintedAsRuleFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "alerts")
	rules := "groups:\n  - name: g\n    rules:\n      - alert: CheckoutDown\n        expr: up == 0\n        labels: {severity: critical}\n        annotations: {summary: s, description: d, runbook_url: https://example.com/r}\n"
	tests := "rule_files: [../checkout.rules.yml]\nevaluation_interval: 1m\ntests: []\n"
	for path, body := range map[string]string{"checkout.rules.yml": rules, "tests/checkout.rules.test.yml": tests} {
		full := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Run([]string{dir}, Options{Set: builtins(t), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if r.Files != 1 || len(r.Findings) != 0 {
		t.Errorf("files = %d, findings = %v; want the rule file alone, clean", r.Files, r.Findings)
	}

	// Named on the command line, it is still checked, and is no rule file.
	r, err = Run([]string{filepath.Join(dir, "tests", "checkout.rules.test.yml")}, Options{Set: builtins(t), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 {
		t.Error("a unit-test file named explicitly passed as a rule file")
	}
}
