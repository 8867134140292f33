package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sampleReport is a fixed report for the renderers: October 2026 against
// September, with a figure without data and a table.
func sampleReport(t *testing.T) *Report {
	t.Helper()
	p, err := ParsePeriod("month", "2026-10", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	prev := p.Previous()
	at, prevAt := p.End, prev.End
	mttr := Figure{ID: "mttr", Label: "Mean time to resolve", Unit: Seconds, Better: Lower, Windowed: true, Window: "30d",
		Current: Value{true, 9000}, Previous: Value{true, 10800},
		Source: Origin{Dashboard: "sre-reliability", PanelID: 12, PanelTitle: "MTTR per window", Series: "window=30d",
			Query: "sum by (window) (a_sum) / sum by (window) (a_count)", Expr: "sum by (window) (a_sum) / sum by (window) (a_count)", At: at, PreviousAt: prevAt}}
	opened := Figure{ID: "incidents_opened", Label: "Incidents opened", Unit: Count, Better: Lower, Windowed: true, Window: "30d",
		Current: Value{true, 18}, Previous: Value{true, 24},
		Source: Origin{Dashboard: "sre-reliability", PanelID: 3, PanelTitle: "Opened in $window", Query: `sum(x{window="$window"})`, Expr: `sum(x{window="30d"})`, At: at, PreviousAt: prevAt}}
	coverage := Figure{ID: "postmortem_coverage", Label: "Postmortem coverage", Unit: Ratio, Better: Higher, Windowed: true, Window: "30d",
		Current: Value{true, 0.75}, Previous: Value{true, 0.8},
		Source: Origin{Dashboard: "sre-reliability", PanelID: 19, PanelTitle: "Postmortem coverage ($window)", Query: "a / b", Expr: "a / b", At: at, PreviousAt: prevAt}}
	met := Figure{ID: "met", Label: "SLOs meeting their objective", Unit: Count, Better: Higher, Current: Value{true, 3}, Previous: Value{true, 3},
		Source: Origin{Rules: []string{"slo:period_attainment:ratio"}, Query: "count(x)", Expr: "count(x)", At: at, PreviousAt: prevAt}}
	money := Figure{ID: "money_saved", Label: "Money saved", Unit: Money, Better: Higher, NoData: "Prometheus has no series of org:money:sum",
		Source: Origin{Rules: []string{"org:money:sum"}, Query: "sum(org:money:sum)", Expr: "sum(org:money:sum)", At: at, PreviousAt: prevAt}}
	r := &Report{
		Title: "SRE value report: " + p.Label, Period: periodOut(p), Previous: periodOut(prev), Prometheus: "http://prometheus:9090",
		WindowNote: p.WindowNote(),
		Summary:    []Figure{mttr, met},
		Sections: []Section{
			{ID: "reliability", Title: "Reliability", Intro: "How often things broke.", Figures: []Figure{opened, mttr, coverage},
				Tables: []Table{{ID: "by_severity", Title: "Incidents opened by severity", Keys: []string{"severity"},
					Columns: []Column{{Title: "Count", Unit: Count, Expr: "sum by (severity) (x)"}},
					Rows:    []TableRow{{Keys: []string{"sev1"}, Values: []Value{{true, 2}}}, {Keys: []string{"sev2|3"}, Values: []Value{{true, 16}}}},
					Source:  Origin{Dashboard: "sre-reliability", PanelID: 6, PanelTitle: "By severity ($window)", Expr: "sum by (severity) (x)", At: at}}},
				Charts: []Chart{{ID: "reliability.mttr", Title: "Mean time to resolve (trailing 30d, daily)", Unit: Seconds}}},
			{ID: "slos", Title: "SLOs", Figures: []Figure{met}},
			{ID: "value", Title: "Savings and value", Figures: []Figure{money}, NoData: "No data for this section at the period's end: Prometheus has no series of org:money:sum."},
		},
	}
	r.Newsletter = newsletter(p, prev, []Figure{opened, mttr, money})
	return r
}

// TestRenderersMatchTheGoldenFiles renders the fixed report in every
// format; -update rewrites testdata/.
func TestRenderersMatchTheGoldenFiles(t *testing.T) {
	r := sampleReport(t)
	for _, c := range []struct {
		file   string
		render func(*bytes.Buffer) error
	}{
		{"report.md", func(b *bytes.Buffer) error { return Markdown(b, r, "report-charts") }},
		{"report.html", func(b *bytes.Buffer) error { return HTML(b, r) }},
		{"report.json", func(b *bytes.Buffer) error { return JSON(b, r) }},
		{"report.storage.xml", func(b *bytes.Buffer) error {
			s, err := StorageFormat(r)
			b.WriteString(s)
			return err
		}},
	} {
		t.Run(c.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := c.render(&buf); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", c.file)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if buf.String() != string(want) {
				t.Errorf("%s differs from the golden file (run with -update and review the diff):\n%s", c.file, buf.String())
			}
		})
	}
}

// TestFiguresReadAsAPersonWouldWriteThem checks the formatting and the
// change by hand.
func TestFiguresReadAsAPersonWouldWriteThem(t *testing.T) {
	for _, c := range []struct {
		name                string
		f                   Figure
		text, change, arrow string
		trend               string
	}{
		{"a faster MTTR is good: 2h30m from 3h is -30m, -17%",
			Figure{Unit: Seconds, Better: Lower, Current: Value{true, 9000}, Previous: Value{true, 10800}}, "2h 30m", "−30m (−17%)", "↓", "good"},
		{"fewer incidents is good: 18 from 24 is -6, -25%",
			Figure{Unit: Count, Better: Lower, Current: Value{true, 18}, Previous: Value{true, 24}}, "18", "−6 (−25%)", "↓", "good"},
		{"a lower coverage is bad and changes by percentage points",
			Figure{Unit: Ratio, Better: Higher, Current: Value{true, 0.75}, Previous: Value{true, 0.8}}, "75%", "−5 pp", "↓", "bad"},
		{"an unchanged figure is flat",
			Figure{Unit: Count, Better: Higher, Current: Value{true, 3}, Previous: Value{true, 3}}, "3", "no change", "→", "flat"},
		{"no previous value: no change, never a made-up one",
			Figure{Unit: Count, Better: Higher, Current: Value{true, 1234567}}, "1,234,567", "n/a", "–", ""},
		{"no value at all reads no data",
			Figure{Unit: Money, Better: Higher}, "no data", "n/a", "–", ""},
		{"money with cents",
			Figure{Unit: Money, Better: Higher, Current: Value{true, 12345.678}, Previous: Value{true, 12000}}, "12,345.68", "+345.68 (+3%)", "↑", "good"},
		{"a change from zero has no percentage",
			Figure{Unit: Count, Better: Neutral, Current: Value{true, 4}, Previous: Value{true, 0}}, "4", "+4", "↑", "flat"},
		{"durations of days and seconds",
			Figure{Unit: Seconds, Current: Value{true, 2*86400 + 4*3600 + 59}}, "2d 4h", "n/a", "–", ""},
		{"a duration under a minute",
			Figure{Unit: Seconds, Current: Value{true, 45}}, "45s", "n/a", "–", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.f.Text(); got != c.text {
				t.Errorf("text %q, want %q", got, c.text)
			}
			if got := c.f.ChangeText(); got != c.change {
				t.Errorf("change %q, want %q", got, c.change)
			}
			if got := c.f.Arrow(); got != c.arrow {
				t.Errorf("arrow %q, want %q", got, c.arrow)
			}
			if got := c.f.Trend(); got != c.trend {
				t.Errorf("trend %q, want %q", got, c.trend)
			}
		})
	}
}

func TestMarkdownWithoutAChartFolderLinksNoCharts(t *testing.T) {
	var buf bytes.Buffer
	if err := Markdown(&buf, sampleReport(t), ""); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "![") {
		t.Errorf("a chart is linked although none is written:\n%s", buf.String())
	}
}
