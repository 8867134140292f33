package exporter

import (
	"bytes"
	"context"
	"flag"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/sre-value/sre-value-exporter/collectors/all"
	"github.com/sre-value/sre-value-exporter/internal/store"
	"github.com/sre-value/sre-value-exporter/internal/testbin"
)

var update = flag.Bool("update", false, "rewrite golden files")

// demoNow is shortly after the last day of the committed demo data, so the
// 7/30/90-day figures of the golden file are full.
var demoNow = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

const goldenMetrics = "testdata/demo.metrics"

// demoMetrics runs the bundled demo configuration once with a fixed clock
// and returns the collectors' /metrics body.
func demoMetrics(t testing.TB) []byte {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	exp := New(Options{ConfigFile: demoCopy(t), Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return demoNow }}, st)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := exp.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer exp.Scheduler.Stop()
	exp.Scheduler.RefreshNow(ctx)
	for _, s := range exp.Scheduler.Statuses() {
		if !s.Up {
			t.Fatalf("demo collector %s is down: %s", s.Name, s.LastError)
		}
	}
	return exp.Scheduler.Rendered().Text
}

// demoCopy copies the demo folder with fixed modification times (they are
// exported as "last changed" timestamps) and returns its config file.
func demoCopy(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir("../../examples/demo")
	if err != nil {
		t.Fatal(err)
	}
	mtime := demoNow.Add(-24 * time.Hour)
	var copyAll func(src, dst string, entries []os.DirEntry)
	copyAll = func(src, dst string, entries []os.DirEntry) {
		for _, e := range entries {
			from, path := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
			if e.IsDir() { // the Slack export folder
				sub, err := os.ReadDir(from)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(path, 0o755); err != nil {
					t.Fatal(err)
				}
				copyAll(from, path, sub)
				continue
			}
			data, err := os.ReadFile(from)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(path, mtime, mtime); err != nil {
				t.Fatal(err)
			}
		}
	}
	copyAll("../../examples/demo", dir, entries)
	return filepath.Join(dir, "config.yml")
}

func TestDemoMetricsMatchTheGoldenFile(t *testing.T) {
	got := demoMetrics(t)
	if *update {
		if err := os.WriteFile(goldenMetrics, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenMetrics)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("demo /metrics differ from %s; run `go test ./internal/exporter -update` and review the diff", goldenMetrics)
	}
}

func TestDemoMetricsPassPromtoolCheckMetrics(t *testing.T) {
	cmd := exec.Command(testbin.Promtool(t), "check", "metrics")
	cmd.Stdin = bytes.NewReader(demoMetrics(t))
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// Every metric family the demo exports, and every metric of the exporter
// itself, must be described in docs/metrics.md.
func TestEveryExportedMetricIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^# TYPE (\S+) `).FindAllSubmatch(demoMetrics(t), -1) {
		names[string(m[1])] = true
	}
	for _, n := range []string{
		"sre_collector_up", "sre_collector_last_success_timestamp_seconds", "sre_collector_refresh_duration_seconds",
		"sre_collector_series", "sre_collector_refresh_interval_seconds", "sre_collector_errors_total",
		"sre_collector_upstream_requests_total", "sre_collector_upstream_rate_limit_remaining",
		"sre_collector_upstream_rate_limit_reset_timestamp_seconds", "sre_config_last_reload_successful",
		"sre_config_last_reload_success_timestamp_seconds", "sre_build_info",
	} {
		names[n] = true
	}
	var missing []string
	for n := range names {
		if !strings.Contains(string(doc), "`"+n+"`") {
			missing = append(missing, n)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("docs/metrics.md does not describe:\n%s", strings.Join(missing, "\n"))
	}
}
