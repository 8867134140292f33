package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const lintData = "../../internal/lint/testdata/"

func TestLintExitsZeroOneOrTwo(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // prefix
		stderr string // substring
	}{
		{"clean files exit 0 and print nothing", []string{"lint", lintData + "postmortems/good.md", lintData + "dashboards/good.json"}, 0, "", ""},
		{"findings exit 1, one per line, with a count on stderr", []string{"lint", lintData + "postmortems/bad.md"}, 1,
			lintData + `postmortems/bad.md:1: postmortem/sections: missing section "Action items" (fix: add a "## Action items" heading)` + "\n", "4 findings in 1 file checked"},
		{"an unknown template exits 2", []string{"lint", "--template", "nope", lintData + "notes.md"}, 2, "", `sre-value-exporter lint: unknown template "nope"`},
		{"an unknown output format exits 2", []string{"lint", "--output", "xml", lintData + "notes.md"}, 2, "", "enum value must be one of text,json,github"},
		{"no files exits 2", []string{"lint"}, 2, "", "required argument 'files' not provided"},
		{"a missing file exits 2", []string{"lint", lintData + "nope.md"}, 2, "", "nope.md: no such file or folder"},
		{"a missing config file exits 2", []string{"lint", "--config.file", "nope.yml", lintData + "notes.md"}, 2, "", "nope.yml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tt.args, &out, &errOut)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, errOut.String())
			}
			if !strings.HasPrefix(out.String(), tt.stdout) || (tt.stdout == "" && tt.code == 0 && out.Len() > 0) {
				t.Errorf("stdout = %q, want it to start with %q", out.String(), tt.stdout)
			}
			if !strings.Contains(errOut.String(), tt.stderr) {
				t.Errorf("stderr = %q, want %q in it", errOut.String(), tt.stderr)
			}
		})
	}
}

func TestLintJSONAndGitHubOutputs(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"lint", "--output", "json", lintData + "rules/bad.rules.yml"}, &out, &errOut); code != 1 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var report struct {
		Files    int
		Findings []struct{ Template, Rule, File string }
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if report.Files != 1 || len(report.Findings) != 8 || report.Findings[0].Rule != "record-name" {
		t.Errorf("report = %+v", report)
	}

	out.Reset()
	if code := run([]string{"lint", "--output", "github", lintData + "rules/bad.rules.yml"}, &out, &errOut); code != 1 {
		t.Fatalf("exit %d", code)
	}
	first, _, _ := strings.Cut(out.String(), "\n")
	if want := "::error file=" + lintData + "rules/bad.rules.yml,line=4,title=prometheus-rules/record-name::record"; !strings.HasPrefix(first, want) {
		t.Errorf("first annotation = %q, want prefix %q", first, want)
	}
}

func TestLintUsesTemplatesFromTheConfigFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg.yml")
	os.WriteFile(cfg, []byte(`templates:
  - name: notes
    applies_to: {files: ["notes.md"]}
    rules:
      - {id: headline, kind: title_pattern, pattern: "^Notes$"}
  - name: postmortem
    disable_rules: [length]
`), 0o600)
	var out, errOut bytes.Buffer
	if code := run([]string{"lint", "--config.file", cfg, lintData + "notes.md"}, &out, &errOut); code != 0 {
		t.Errorf("notes.md against the configured template: exit %d: %s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	run([]string{"lint", "--config.file", cfg, lintData + "postmortems/bad.md"}, &out, &errOut)
	if strings.Contains(out.String(), "postmortem/length") {
		t.Errorf("the disabled length rule still ran:\n%s", out.String())
	}

	os.WriteFile(cfg, []byte("templates:\n  - name: notes\n    rules:\n      - {id: h, kind: title_patern}\n"), 0o600)
	errOut.Reset()
	if code := run([]string{"lint", "--config.file", cfg, lintData + "notes.md"}, &out, &errOut); code != 2 {
		t.Errorf("bad config: exit %d", code)
	}
	if !strings.Contains(errOut.String(), `cfg.yml:4: templates[0].rules[0].kind: unknown rule kind "title_patern"`) {
		t.Errorf("stderr = %q", errOut.String())
	}
}
