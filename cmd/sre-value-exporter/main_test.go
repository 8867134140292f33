package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/sre-value/sre-value-exporter/internal/store"
)

func TestConfigCheckAcceptsTheDemoAndNamesMistakes(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--config.check", "--config.file", "../../examples/demo/config.yml"}, &out, &errOut); code != 0 {
		t.Fatalf("demo config: exit %d: %s", code, errOut.String())
	}
	if got := out.String(); got != "../../examples/demo/config.yml: OK (2 collectors, 8 teams, 12 services)\n" {
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

func TestTopLevelHelpShowsTheServeFlagsAndOnlyWhatExists(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--help"}, &out, &errOut); code != 0 {
		t.Fatalf("--help: exit %d: %s", code, errOut.String())
	}
	help := out.String()
	for _, want := range []string{"--config.file", "--storage.path", "--web.listen-address", "--web.max-requests", "web.enable-lifecycle", "collector.records", "serve*", "demo"} {
		if !strings.Contains(help, want) {
			t.Errorf("top-level help lacks %q:\n%s", want, help)
		}
	}
	// Sources that have no collector must not be promised.
	for _, absent := range []string{"wiki", "Slack"} {
		if strings.Contains(help, absent) {
			t.Errorf("top-level help promises %q, which no collector reads:\n%s", absent, help)
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
