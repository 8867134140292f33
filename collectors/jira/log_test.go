package jira

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
)

func TestLogLinesCarryTheCollectorAttributeOnce(t *testing.T) {
	t.Setenv("JIRA_TEST_TOKEN", "jira-log-test-token")
	cfg, err := config.Parse("exporter.yml", []byte(testCatalog+"collectors:\n  - kind: jira\n    name: ops\n    url: https://jira.example\n    token: ${JIRA_TEST_TOKEN}\n    deployment: datacenter\n    jql: project = OPS\n"))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	// The exporter hands every collector a logger already labelled with
	// its name and kind.
	logger := slog.New(slog.NewTextHandler(&logs, nil)).With("collector", "ops", "kind", "jira")
	c, err := newCollector(collectors.Deps{Config: cfg.Collectors[0], Decoder: cfg.Decoder(), BaseDir: t.TempDir(), Catalog: &cfg.Catalog, Logger: logger}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.log.Warn("problem with issue", "issue", "OPS-1")
	if n := strings.Count(logs.String(), "collector="); n != 1 {
		t.Errorf("collector= appears %d times in %q, want once", n, logs.String())
	}
}
