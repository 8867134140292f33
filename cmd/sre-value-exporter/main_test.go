package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCheckAcceptsTheDemoAndNamesMistakes(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--config.check", "--config.file", "../../examples/demo/config.yml"}, &out, &errOut); code != 0 {
		t.Fatalf("demo config: exit %d: %s", code, errOut.String())
	}
	if got := out.String(); got != "../../examples/demo/config.yml: OK (3 collectors, 8 teams, 12 services)\n" {
		t.Errorf("output = %q", got)
	}

	bad := filepath.Join(t.TempDir(), "bad.yml")
	os.WriteFile(bad, []byte("collectors:\n  - kind: records\n    name: x\n    tables:\n      - {type: training, source: t.csv, colums: {}}\n"), 0o600)
	out.Reset()
	errOut.Reset()
	if code := run([]string{"--config.check", "--config.file", bad}, &out, &errOut); code != 1 {
		t.Fatalf("bad config: exit %d", code)
	}
	if !strings.Contains(errOut.String(), `bad.yml:5: collectors[0].tables[0]: unknown field "colums" (did you mean "columns"?)`) {
		t.Errorf("stderr = %q", errOut.String())
	}
}

func TestDisabledKindsAreSkippedAndUnknownFlagsRefused(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--config.check", "--no-collector.incidentsheet", "--config.file", "../../examples/demo/config.yml"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if code := run([]string{"--collector.nope"}, &out, &errOut); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
}
