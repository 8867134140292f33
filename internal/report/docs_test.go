package report

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/promtest"
)

var writeDocs = flag.Bool("docs", false, "write the sample report and the dashboard previews under docs/ from the demo")

// TestWriteTheDocsSamples regenerates docs/reports/: the sample monthly
// report (Markdown with its charts; the HTML, for the docs' screenshot, to
// the temporary folder) and the dashboard previews, from the demo on the pinned
// Prometheus. It runs only with -docs:
//
//	go test ./internal/report -run TestWriteTheDocsSamples -docs
func TestWriteTheDocsSamples(t *testing.T) {
	if !*writeDocs {
		t.Skip("run with -docs to regenerate docs/reports/")
	}
	demo := startDemo(t, true)
	src, err := NewPrometheus(demo.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The demo with its six months of history backfilled: the sample is
	// the calendar month October 2026 (read at 1 November, in the
	// history), with its previous month and six months of trends.
	period, err := ParsePeriod("month", "2026-10", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r, err := Build(context.Background(), src, Options{Period: period, Prometheus: "http://prometheus:9090", Charts: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(promtest.ModuleRoot(t), "docs", "reports")
	charts := filepath.Join(dir, "sample-monthly-charts")
	for _, d := range []string{dir, charts} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range r.Sections {
		for _, c := range s.Charts {
			if err := os.WriteFile(filepath.Join(charts, ChartFile(c)), c.PNG, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var md, html bytes.Buffer
	if err := Markdown(&md, r, "sample-monthly-charts"); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&html, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sample-monthly.md"), md.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// The HTML is not committed (its charts are inlined); the docs show a
	// screenshot of it.
	htmlFile := filepath.Join(os.TempDir(), "sre-value-sample-monthly.html")
	if err := os.WriteFile(htmlFile, html.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", htmlFile)
	// The previews read at the same instant, with the time series over
	// the six months before it, as the executive dashboard shows them.
	previews := filepath.Join(dir, "previews")
	if err := os.RemoveAll(previews); err != nil {
		t.Fatal(err)
	}
	if _, err := Preview(context.Background(), src, PreviewOptions{Dir: previews, At: period.End, Range: 180 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
}
