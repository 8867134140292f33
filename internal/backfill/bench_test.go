package backfill

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/store"
)

// benchmarkBackfill backfills six months at 1h steps of cfg into a fresh
// store and reports the output's size, series, samples and the process's
// peak RSS.
func benchmarkBackfill(b *testing.B, cfg string, rules []string) {
	for b.Loop() {
		dir := b.TempDir()
		st, err := store.Open(filepath.Join(dir, "store.db"))
		if err != nil {
			b.Fatal(err)
		}
		res, err := Run(context.Background(), Options{
			ConfigFile: cfg, Store: st, Sync: true, End: demoNow, Since: 180 * 24 * time.Hour, Step: time.Hour,
			BlockDuration: 7 * 24 * time.Hour, TSDBDir: filepath.Join(dir, "out"), RuleFiles: rules,
			Labels: map[string]string{"job": "sre-value-exporter", "instance": "sre-value-exporter:9877"}, Logger: slog.New(slog.DiscardHandler),
		})
		st.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Bytes)/(1<<20), "MiB")
		b.ReportMetric(float64(res.Series), "series")
		b.ReportMetric(float64(res.Samples), "samples")
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
	}
}

// BenchmarkBackfillDemo: the demo, with the generated recording rules.
func BenchmarkBackfillDemo(b *testing.B) {
	dir := b.TempDir()
	copyDir(b, filepath.Join("..", "..", "examples", "demo"), dir)
	benchmarkBackfill(b, filepath.Join(dir, "config.yml"), []string{
		filepath.Join("..", "..", "alerts", "sre-value.rules.yml"),
		filepath.Join("..", "..", "alerts", "sre-value.slo.rules.yml"),
	})
}

// BenchmarkBackfill100kIncidents: an incident sheet of 100 000 incidents
// over the six months (about 23 an hour), 8 teams, 12 services, 4
// severities; no rules.
func BenchmarkBackfill100kIncidents(b *testing.B) {
	dir := b.TempDir()
	teams := []string{"payments", "checkout", "search", "identity", "platform", "data", "mobile", "sre"}
	var cfg strings.Builder
	cfg.WriteString("catalog:\n  teams:\n")
	for _, t := range teams {
		fmt.Fprintf(&cfg, "    - name: %s\n", t)
	}
	cfg.WriteString("  services:\n")
	for i := range 12 {
		fmt.Fprintf(&cfg, "    - {name: svc-%d, team: %s}\n", i, teams[i%len(teams)])
	}
	cfg.WriteString("collectors:\n  - kind: incidentsheet\n    name: big\n    source: incidents.csv\n")
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("id,title,severity,service,team,opened,acknowledged,resolved,postmortem\n")
	r := rand.New(rand.NewPCG(1, 2))
	start := demoNow.Add(-180 * 24 * time.Hour)
	for i := range 100_000 {
		opened := start.Add(time.Duration(r.Int64N(int64(180 * 24 * time.Hour))))
		ack := opened.Add(time.Duration(r.Int64N(int64(time.Hour))))
		resolved := ack.Add(time.Duration(r.Int64N(int64(48 * time.Hour))))
		res := resolved.Format(time.RFC3339)
		if resolved.After(demoNow) {
			res = ""
		}
		svc := r.IntN(12)
		fmt.Fprintf(&csv, "INC-%d,incident %d,sev%d,svc-%d,%s,%s,%s,%s,\n", i, i, 1+r.IntN(4), svc, teams[svc%len(teams)],
			opened.Format(time.RFC3339), ack.Format(time.RFC3339), res)
	}
	if err := os.WriteFile(filepath.Join(dir, "incidents.csv"), []byte(csv.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	benchmarkBackfill(b, filepath.Join(dir, "config.yml"), nil)
}
