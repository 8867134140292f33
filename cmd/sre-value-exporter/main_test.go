package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/store"
)

func TestConfigCheckAcceptsTheDemoAndNamesMistakes(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--config.check", "--config.file", "../../examples/demo/config.yml"}, &out, &errOut); code != 0 {
		t.Fatalf("demo config: exit %d: %s", code, errOut.String())
	}
	if got := out.String(); got != "../../examples/demo/config.yml: OK (6 collectors, 8 teams, 12 services)\n" {
		t.Errorf("output = %q", got)
	}

	bad := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(bad, []byte("collectors:\n  - kind: records\n    name: x\n    tables:\n      - {type: training, source: t.csv, colums: {}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"--config.check", "--config.file", bad}, &out, &errOut); code != 1 {
		t.Fatalf("bad config: exit %d", code)
	}
	if !strings.Contains(errOut.String(), `bad.yml:5: collectors[0].tables[0]: unknown field "colums" (did you mean "columns"?)`) {
		t.Errorf("stderr = %q", errOut.String())
	}
}

// The files a configuration reads are checked too, with its other
// mistakes, each at its line.
func TestConfigCheckNamesMissingFilesWithTheOtherMistakes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yml")
	yml := `global:
  refresh_intervall: 1m
collectors:
  - kind: records
    name: r
    tables:
      - {type: training, source: trainingz.csv}
  - kind: incidentsheet
    name: i
    source: incidentz.csv
  - kind: grafana
    name: g
    files: dashboardz/*.json
  - kind: documents
    name: d
    files: ["postmortems/*.md"]
`
	if err := os.WriteFile(bad, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"--config.check", "--config.file", bad}, &out, &errOut); code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, errOut.String())
	}
	want := strings.Join([]string{
		bad + `:2: global: unknown field "refresh_intervall" (did you mean "refresh_interval"?)`,
		bad + `:7: collectors[0].tables[0].source: "trainingz.csv" does not exist (relative to ` + dir + `)`,
		bad + `:10: collectors[1].source: "incidentz.csv" does not exist (relative to ` + dir + `)`,
		bad + `:13: collectors[2].files: "dashboardz/*.json" matches no file (relative to ` + dir + `)`,
		bad + `:16: collectors[3].files[0]: "postmortems/*.md" matches no file (relative to ` + dir + `)`,
	}, "\n") + "\n"
	if got := errOut.String(); got != want {
		t.Errorf("stderr\n got: %s\nwant: %s", got, want)
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

func TestConfigCheckPrintsEveryMistakeWithoutEchoingSecrets(t *testing.T) {
	const token = "ghp_0123456789abcdefghijklmnopqrstuvwxyz" // a 40-character GitHub token
	t.Setenv("SRE_CHECK_EMPTY", "")
	file := filepath.Join(t.TempDir(), "bad.yml")
	yml := `global:
  timeout: soon
catalog:
  teams:
    - name: payments
      members: 9.5
collectors:
  - kind: jira
    name: ops
    url: https://example.atlassian.net
    deployment: cloud
    email: sre@example.com
    token_file: ` + token + `
    jql: project = OPS
  - kind: github
    name: gh
    token_file: token
    page_size: ` + token + `
    repositories: [acme/api]
    labels: ["${SRE_CHECK_EMPTY}"]
  - kind: nope
    name: x
`
	if err := os.WriteFile(file, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"--config.check", "--config.file", file}, &out, &errOut); code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, errOut.String())
	}
	want := strings.Join([]string{
		file + `:2: global.timeout: cannot use "soon" as a duration (such as 30s, 5m, 1h)`,
		file + `:6: catalog.teams[0].members: cannot use "9.5" as a whole number`,
		file + `:13: collectors[0].token_file: cannot read secret file "ghp_…": no such file or directory`,
		file + `:17: collectors[1].token_file: cannot read secret file "token": no such file or directory`,
		file + `:18: collectors[1].page_size: cannot use "ghp_…" as a whole number`,
		file + `:20: collectors[1].labels[0]: environment variable SRE_CHECK_EMPTY is set but empty`,
		file + `:21: collectors[2].kind: unknown collector kind "nope" (known: ` + knownKinds() + `)`,
	}, "\n") + "\n"
	if got := errOut.String(); got != want {
		t.Errorf("stderr\n got: %s\nwant: %s", got, want)
	}
	if strings.Contains(errOut.String(), token[:8]) || strings.Contains(out.String(), token[:8]) {
		t.Error("--config.check echoes the token")
	}
}

// recordsAliasBomb is a 1.6 KB records configuration whose aliases nest
// through tables, metrics and labels: 120 x 120 x 120 labels once expanded.
// Before the alias budget, --config.check decoded all 1.7 million of them
// (8.5 s and 135 MB) before reporting a duplicate label.
func recordsAliasBomb(width int) string {
	more := func(alias string) string { return strings.Repeat(", "+alias, width-1) }
	labels := "[&A {label: a, column: a}" + more("*A") + "]"
	metrics := "[&X {name: sre_x, type: gauge, value_column: v, labels: " + labels + "}" + more("*X") + "]"
	tables := "[&T {type: custom, name: t, source: a.csv, metrics: " + metrics + "}" + more("*T") + "]"
	return "collectors:\n  - kind: records\n    name: r\n    tables: " + tables + "\n"
}

func TestConfigCheckRefusesAnAliasBombQuickly(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bomb.yml")
	if err := os.WriteFile(file, []byte(recordsAliasBomb(120)), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"--config.check", "--config.file", file}, &out, &errOut); code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, errOut.String())
	}
	want := file + `:4: the document expands to more than 200000 nodes once its aliases are expanded (nested aliases, as in a "billion laughs" file)` + "\n"
	if got := errOut.String(); got != want {
		t.Errorf("stderr\n got: %s\nwant: %s", got, want)
	}
}

func TestTopLevelHelpShowsTheServeFlagsAndOnlyWhatExists(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--help"}, &out, &errOut); code != 0 {
		t.Fatalf("--help: exit %d: %s", code, errOut.String())
	}
	help := out.String()
	for _, want := range []string{"--config.file", "--storage.path", "--web.listen-address", "--web.max-requests", "web.enable-lifecycle", "collector.records", "serve*", "demo", "backfill"} {
		if !strings.Contains(help, want) {
			t.Errorf("top-level help lacks %q:\n%s", want, help)
		}
	}
	// Every kind has its flag.
	for _, k := range collectors.Kinds() {
		if !strings.Contains(help, "collector."+k.Name) {
			t.Errorf("top-level help lacks --collector.%s", k.Name)
		}
	}
}

func TestServeRefusesADamagedStoreWithExitCode1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update("records/demo", func(tx *store.Tx) error {
		for i := range 2000 {
			if _, err := tx.PutRecord("row", fmt.Sprintf("r%05d", i), strings.Repeat("x", 100)); err != nil {
				return err
			}
		}
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	// Cut the file in the middle of its data, as an interrupted copy does.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	var used int64
	db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	db.Close()
	if err := os.Truncate(path, used/2); err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	code := run([]string{"--config.file", "../../examples/demo/config.yml", "--storage.path", path}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), path) || !strings.Contains(errOut.String(), "damaged") {
		t.Errorf("exit %d, stderr %q; want 1 and an error naming %s", code, errOut.String(), path)
	}
}

// knownKinds lists the registered collector kinds as the error names them.
func knownKinds() string {
	var names []string
	for _, k := range collectors.Kinds() {
		names = append(names, k.Name)
	}
	return strings.Join(names, ", ")
}
