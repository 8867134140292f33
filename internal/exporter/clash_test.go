package exporter

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/config"
)

// A custom metric that clashes with another collector's is refused when the
// configuration loads, with its file, line and field; before the catalog
// such a config passed the check and then broke every scrape.
func TestACustomMetricThatClashesAcrossCollectorsIsRefusedWithItsLocation(t *testing.T) {
	tests := []struct {
		name   string
		second string
		want   string
	}{
		{
			name:   "the name of another collector's windowed figure",
			second: "{name: sre_oncall_pages_in_window, type: gauge, labels: [{label: team, column: Team}]}",
			want:   `config.yml:17: collectors[1].tables[0].metrics[0].name: "sre_oncall_pages_in_window" already has the labels [team window] in collectors[0].tables[0].metrics[0] (line 9); one name needs one label set`,
		},
		{
			name:   "other labels",
			second: "{name: sre_oncall_pages_total, type: counter, labels: [{label: service, column: Service}]}",
			want:   `config.yml:17: collectors[1].tables[0].metrics[0].name: "sre_oncall_pages_total" already has the labels [team] in collectors[0].tables[0].metrics[0] (line 9); one name needs one label set`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := `collectors:
  - kind: records
    name: alpha
    tables:
      - type: custom
        name: pages
        source: pages.csv
        metrics:
          - {name: sre_oncall_pages_total, type: counter, date_column: Date, labels: [{label: team, column: Team}]}
  - kind: records
    name: beta
    tables:
      - type: custom
        name: pages
        source: pages.csv
        metrics:
          - ` + tt.second + "\n"
			path := filepath.Join(dir, "config.yml")
			if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := config.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Build(c, nil, slog.New(slog.DiscardHandler), func(string) bool { return true }, nil, time.Now)
			if err == nil {
				t.Fatal("the clash was accepted")
			}
			got := strings.TrimPrefix(err.Error(), dir+"/")
			if got != tt.want {
				t.Errorf("error = %s\nwant    %s", got, tt.want)
			}
		})
	}
}

func TestEveryCollectorsMistakesAreReportedInOneRun(t *testing.T) {
	dir := t.TempDir()
	cfg := `collectors:
  - kind: records
    name: alpha
    tables:
      - {type: trainings, source: t.csv}
  - kind: nosuchkind
    name: beta
  - kind: records
    name: gamma
    tables:
      - {type: custom, source: c.csv, metrics: [{name: sre_events_total, type: counter}]}
`
	path := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(c, nil, slog.New(slog.DiscardHandler), func(string) bool { return true }, nil, time.Now)
	if err == nil {
		t.Fatal("the mistakes were accepted")
	}
	got := strings.ReplaceAll(err.Error(), dir+"/", "")
	for _, want := range []string{
		`config.yml:5: collectors[0].tables[0].type: "trainings" is not a table type`,
		`config.yml:6: collectors[1].kind: unknown collector kind "nosuchkind"`,
		`config.yml:11: collectors[2].tables[0].metrics[0].name: "sre_events_total" is a metric the exporter already exports`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("error lacks %q:\n%s", want, got)
		}
	}
}
