package pagerduty

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sre-value/sre-value-exporter/collectors"
	"github.com/sre-value/sre-value-exporter/internal/config"
)

func TestLogLinesCarryTheCollectorAttributeOnce(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pd-token"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(filepath.Join(dir, "config.yml"), []byte(catalogYAML+"collectors:\n  - kind: pagerduty\n    name: pd\n    url: https://api.pagerduty.example\n    token_file: pd-token\n"))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	// The exporter hands every collector a logger already labelled with
	// its name and kind.
	logger := slog.New(slog.NewTextHandler(&logs, nil)).With("collector", "pd", "kind", "pagerduty")
	c, err := newCollector(collectors.Deps{Config: cfg.Collectors[0], Decoder: cfg.Decoder(), BaseDir: dir, Catalog: &cfg.Catalog, Logger: logger}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.log.Info("filters changed; re-reading history")
	if n := strings.Count(logs.String(), "collector="); n != 1 {
		t.Errorf("collector= appears %d times in %q, want once", n, logs.String())
	}
}
