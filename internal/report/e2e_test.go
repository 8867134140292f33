package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/bundle/dashboards"
	"github.com/sre-value/sre-value-exporter/internal/bundle/slo"
	m "github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/promtest"
)

// startDemo runs the pinned Prometheus on the demo with the bundle's rule
// files, and returns it once the SLO rules have been evaluated; backfilled,
// with the demo's six months of history first.
func startDemo(t *testing.T, backfilled bool) *promtest.Demo {
	t.Helper()
	return promtest.Start(t, promtest.Options{
		RuleFiles: []string{"alerts/sre-value.rules.yml", "alerts/sre-value.slo.rules.yml"},
		WaitFor:   []string{slo.PeriodAttainment, slo.Objective, slo.PeriodBudgetRemaining},
		Backfill:  backfilled,
	})
}

// TestReportFiguresEqualTheDashboardQueries builds monthly reports against
// the demo with its six months of history backfilled: the calendar month
// October 2026 (read at 1 November, the previous period at 1 October, both
// in the history) and the rolling month to now (the live scrape; its
// previous period is in the history). Every figure and previous-period
// figure must equal the dashboard panel's query run at the same instant
// through the plain HTTP API; a few are checked against figures computed by
// hand, and every trend must have points across its six months.
func TestReportFiguresEqualTheDashboardQueries(t *testing.T) {
	demo := startDemo(t, true)
	src, err := NewPrometheus(demo.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)

	t.Run("October 2026", func(t *testing.T) {
		period, err := ParsePeriod("month", "2026-10", now)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Build(context.Background(), src, Options{Period: period, Prometheus: demo.URL(), Charts: true})
		if err != nil {
			t.Fatal(err)
		}
		end, prevEnd := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		withPrevious := checkAgainstDashboards(t, demo, r, end, prevEnd)
		t.Logf("%d of the figures have a previous period", withPrevious)
		// Every figure of a historical family or rule has both; the
		// format checks exist only as of now (not historical).
		for _, s := range r.Sections {
			for _, f := range s.Figures {
				if s.ID != "format" && f.NoData == "" && (!f.Current.OK || !f.Previous.OK) {
					t.Errorf("%s / %s: current %v (ok %v), previous %v (ok %v): the history has both", s.ID, f.ID, f.Current.Value, f.Current.OK, f.Previous.Value, f.Previous.OK)
				}
			}
		}
		// By hand from the incident sheet: incidents opened in the 30
		// days to 1 November and to 1 October.
		incidents := readOpened(t)
		for _, c := range []struct {
			at  time.Time
			got Value
		}{{end, figure(t, r, "reliability.incidents_opened").Current}, {prevEnd, figure(t, r, "reliability.incidents_opened").Previous}} {
			want := 0
			for _, o := range incidents {
				if o.After(c.at.Add(-30*24*time.Hour)) && !o.After(c.at) {
					want++
				}
			}
			if !c.got.OK || c.got.Value != float64(want) || want == 0 {
				t.Errorf("incidents opened in the 30 days to %s: %v (ok %v), the sheet has %d", c.at.Format(time.DateOnly), c.got.Value, c.got.OK, want)
			}
		}
		checkTrends(t, r)
	})

	t.Run("the rolling month to now", func(t *testing.T) {
		period, err := ParsePeriod("month", now.Format(time.RFC3339), now)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Build(context.Background(), src, Options{Period: period, Prometheus: demo.URL(), Charts: true})
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstDashboards(t, demo, r, now, now.Add(-30*24*time.Hour))
		checkTrends(t, r)
		checkTheDemoReport(t, demo, r, now)
	})
}

// checkTrends checks that every trend chart has points from the first
// month of its six (or the first day of the demo's data it reads) to its
// last month, one a day where there is history.
func checkTrends(t *testing.T, r *Report) {
	t.Helper()
	// The demo's Slack export starts later than six months back.
	slackFrom := firstSlackDay(t)
	charts := 0
	for _, s := range r.Sections {
		for _, c := range s.Charts {
			charts++
			if s.ID == "format" {
				// The format checks exist only as of now: not
				// historical, so not backfilled; at most today's point.
				if len(c.Points) > 1 || (len(c.Points) == 1 && !c.Points[0].T.Equal(c.End)) {
					t.Errorf("chart %s: %d points, but the format checks have no history", c.ID, len(c.Points))
				}
				continue
			}
			from := c.Start
			if strings.HasPrefix(c.ID, "engagement.answered") {
				from = slackFrom
			}
			var first, last time.Time
			if len(c.Points) > 0 {
				first, last = c.Points[0].T, c.Points[len(c.Points)-1].T
			}
			days := int(c.End.Sub(from).Hours() / 24)
			if len(c.Points) == 0 || first.After(from.AddDate(0, 1, 0)) || last.Before(c.End.AddDate(0, -1, 0)) || len(c.Points) < days*2/3 {
				t.Errorf("chart %s: %d points from %s to %s, want about one a day from the first to the last month of %s to %s",
					c.ID, len(c.Points), first.Format(time.DateOnly), last.Format(time.DateOnly), from.Format(time.DateOnly), c.End.Format(time.DateOnly))
			}
		}
	}
	if charts == 0 {
		t.Error("the report has no trend chart")
	}
}

// firstSlackDay is the first day of the demo's Slack export.
func firstSlackDay(t *testing.T) time.Time {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(promtest.ModuleRoot(t), "examples", "demo", "slack-export", "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the demo's Slack export: %v", err)
	}
	var first time.Time
	for _, f := range files {
		d, err := time.Parse(time.DateOnly, strings.TrimSuffix(filepath.Base(f), ".json"))
		if err == nil && (first.IsZero() || d.Before(first)) {
			first = d
		}
	}
	return first
}

// checkAgainstDashboards checks every figure of r, current and previous,
// against its dashboard query run at end and prevEnd, and returns how many
// figures have a previous value.
func checkAgainstDashboards(t *testing.T, demo *promtest.Demo, r *Report, end, prevEnd time.Time) int {
	t.Helper()
	vars := strings.NewReplacer("$window", "30d", `"$team"`, `".*"`, `"$source"`, `".*"`)
	legendLabel := regexp.MustCompile(`\{\{(\w+)\}\}`)
	checked, withPrevious := 0, 0
	for _, s := range r.Sections {
		for _, f := range s.Figures {
			if !f.Source.At.Equal(end) || !f.Source.PreviousAt.Equal(prevEnd) {
				t.Errorf("%s: read at %s and %s, want %s and %s", f.ID, f.Source.At, f.Source.PreviousAt, end, prevEnd)
			}
			var expr, label, want string
			if f.Source.Dashboard != "" {
				p, err := dashboards.FindPanel(dashboards.Input{}, f.Source.Dashboard, f.Source.PanelTitle)
				if err != nil {
					t.Fatal(err)
				}
				expr = vars.Replace(p.Queries[0].Expr)
				if f.Source.Series != "" {
					label = legendLabel.FindStringSubmatch(p.Queries[0].Legend)[1]
					want = "30d"
				}
			} else {
				expr = f.Source.Expr
			}
			if expr != f.Source.Expr {
				t.Errorf("%s: ran %s, the dashboard's query is %s", f.ID, f.Source.Expr, expr)
			}
			for _, c := range []struct {
				name string
				at   time.Time
				v    Value
			}{{"current", end, f.Current}, {"previous", prevEnd, f.Previous}} {
				res, err := promtest.Query(demo.Addr, expr, c.at)
				if err != nil {
					t.Fatal(err)
				}
				var got []float64
				for _, smp := range res {
					if label == "" || smp.Labels[label] == want {
						got = append(got, smp.Value)
					}
				}
				if len(got) == 0 && !c.v.OK {
					// Both say nothing (the demo has no overdue action
					// items; the format checks have no history).
					continue
				}
				if len(got) != 1 {
					t.Errorf("%s / %s: the dashboard query gives %d series at %s; the report's %s figure is %v (ok %v)", s.ID, f.ID, len(got), c.at, c.name, c.v.Value, c.v.OK)
					continue
				}
				if !c.v.OK || fmt.Sprintf("%.12g", c.v.Value) != fmt.Sprintf("%.12g", got[0]) {
					t.Errorf("%s / %s: %s = %v (ok %v), the dashboard query gives %v at %s\n%s", s.ID, f.ID, c.name, c.v.Value, c.v.OK, got[0], c.at, expr)
				}
			}
			if f.Previous.OK {
				withPrevious++
				if f.Current.OK && f.Arrow() == "–" {
					t.Errorf("%s / %s: current and previous known, but no change arrow", s.ID, f.ID)
				}
			} else if f.Arrow() != "–" || f.ChangeText() != "n/a" {
				t.Errorf("%s / %s: no previous figure, but arrow %s, change %s", s.ID, f.ID, f.Arrow(), f.ChangeText())
			}
			checked++
		}
	}
	if want := 34; checked != want {
		t.Errorf("checked %d figures, want %d", checked, want)
	}
	return withPrevious
}

// checkTheDemoReport checks the report read at the live scrape (at) against
// the demo's figures by hand, and its tables, charts and formats.
func checkTheDemoReport(t *testing.T, demo *promtest.Demo, r *Report, at time.Time) {
	t.Helper()
	// The demo's value section prices in EUR: sre_value_info says so, and
	// every known amount names it.
	if r.Currency != "EUR" {
		t.Errorf("currency %q, want EUR from sre_value_info", r.Currency)
	}
	for _, s := range r.Sections {
		for _, f := range s.Figures {
			if f.Unit == Money && f.Current.OK && !strings.HasSuffix(f.Text(), " EUR") {
				t.Errorf("%s / %s reads %q, without its currency", s.ID, f.ID, f.Text())
			}
		}
	}

	// By hand, from the demo's data (see the dashboards' figures test).
	sum := func(name string, labels ...string) float64 {
		return promtest.SumSamples(t, demo.Exposition, name, labels...)
	}
	byHand := map[string]float64{
		"reliability.postmortem_coverage":   1.0 / 18,
		"engagement.answered_within_4h":     77.0 / 87,
		"training.champion_coverage":        6.0 / 8,
		"reliability.incidents_opened":      sum(m.IncidentsOpenedInWindow.Name, "window=30d"),
		"reliability.mttr":                  sum(m.IncidentTimeToResolveInWindow.Name+"_sum", "window=30d") / sum(m.IncidentTimeToResolveInWindow.Name+"_count", "window=30d"),
		"value.time_saved":                  sum(m.SavingsTimeInWindow.Name, "window=30d"),
		"format.checked":                    sum(m.FormatDocumentsCheckedInWindow.Name, "window=30d"),
		"training.completion_rate":          sum(m.TrainingCompletions.Name) / sum(m.TrainingEnrollments.Name),
		"engagement.office_hours_attendees": 45,
	}
	for id, want := range byHand {
		f := figure(t, r, id)
		if want == 0 || fmt.Sprintf("%.9g", f.Current.Value) != fmt.Sprintf("%.9g", want) {
			t.Errorf("%s = %v, by hand %v", id, f.Current.Value, want)
		}
	}

	// The SLO figures, by hand from the rules' series.
	att, err := promtest.Query(demo.Addr, slo.PeriodAttainment, at)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := promtest.Query(demo.Addr, slo.Objective, at)
	if err != nil {
		t.Fatal(err)
	}
	met := 0
	for _, a := range att {
		for _, o := range obj {
			if a.Labels[slo.ServiceLabel] == o.Labels[slo.ServiceLabel] && a.Labels[slo.SLOLabel] == o.Labels[slo.SLOLabel] && a.Value >= o.Value {
				met++
			}
		}
	}
	if f := figure(t, r, "slos.met"); f.Current.Value != float64(met) || !f.Current.OK {
		t.Errorf("SLOs met = %v, by hand %d", f.Current.Value, met)
	}
	if f := figure(t, r, "slos.missed"); f.Current.Value != float64(len(att)-met) {
		t.Errorf("SLOs missed = %v, by hand %d", f.Current.Value, len(att)-met)
	}
	slos := table(t, r, "slos.slos")
	if len(slos.Rows) != len(obj) {
		t.Errorf("the SLO table has %d rows, Prometheus %d objectives", len(slos.Rows), len(obj))
	}

	// Tables and charts.
	sev := table(t, r, "reliability.by_severity")
	total := 0.0
	for _, row := range sev.Rows {
		total += row.Values[0].Value
	}
	if total != figure(t, r, "reliability.incidents_opened").Current.Value {
		t.Errorf("incidents by severity add up to %v, not the incidents opened", total)
	}
	for _, s := range r.Sections {
		for _, c := range s.Charts {
			img, err := png.Decode(bytes.NewReader(c.PNG))
			if err != nil {
				t.Errorf("chart %s: %v", c.ID, err)
				continue
			}
			if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 150 {
				t.Errorf("chart %s is %dx%d", c.ID, b.Dx(), b.Dy())
			}
		}
	}

	// Every format renders.
	for _, f := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return Markdown(b, r, "charts") },
		func(b *bytes.Buffer) error { return HTML(b, r) },
		func(b *bytes.Buffer) error { return JSON(b, r) },
	} {
		var buf bytes.Buffer
		if err := f(&buf); err != nil {
			t.Fatal(err)
		}
	}
}

// TestARuleAbsentFromPrometheusIsNoDataNotZero adds figures read from a
// recording rule Prometheus does not have: the figure and its section say
// "no data", naming the rule, and no format shows a 0 for it.
func TestARuleAbsentFromPrometheusIsNoDataNotZero(t *testing.T) {
	demo := startDemo(t, false)
	src, err := NewPrometheus(demo.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Second)
	period, _ := ParsePeriod("month", at.Format(time.RFC3339), at)
	const rule = "org:sre_value_money_saved:sum"
	spec := Spec{Sections: []SectionSpec{{ID: "money", Title: "Money", Figures: []FigureSpec{
		{ID: "saved", Label: "Money saved", Unit: Money, Better: Higher, Expr: "sum(" + rule + ")", Rules: []string{rule}},
		{ID: "counted", Label: "Initiatives", Unit: Count, Better: Higher, Expr: "count(" + rule + ") or vector(0)", Rules: []string{rule}, Requires: []string{rule}},
	}}}}
	r, err := Build(context.Background(), src, Options{Period: period, Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Sections[0]
	for _, f := range s.Figures {
		if f.Current.OK || f.NoData != "Prometheus has no series of "+rule {
			t.Errorf("%s: ok %v, no data %q", f.ID, f.Current.OK, f.NoData)
		}
	}
	if !strings.Contains(s.NoData, rule) {
		t.Errorf("section no-data note %q does not name %s", s.NoData, rule)
	}
	var md, js bytes.Buffer
	if err := Markdown(&md, r, ""); err != nil {
		t.Fatal(err)
	}
	if err := JSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| Money saved | no data |") || strings.Contains(md.String(), "| **0** |") {
		t.Errorf("markdown:\n%s", md.String())
	}
	if !strings.Contains(js.String(), `"value": null`) {
		t.Errorf("json has no null value:\n%s", js.String())
	}
}

func figure(t *testing.T, r *Report, id string) Figure {
	t.Helper()
	sec, fid, _ := strings.Cut(id, ".")
	for _, s := range r.Sections {
		for _, f := range s.Figures {
			if s.ID == sec && f.ID == fid {
				return f
			}
		}
	}
	t.Fatalf("no figure %s", id)
	return Figure{}
}

func table(t *testing.T, r *Report, id string) Table {
	t.Helper()
	sec, tid, _ := strings.Cut(id, ".")
	for _, s := range r.Sections {
		for _, tb := range s.Tables {
			if s.ID == sec && tb.ID == tid {
				return tb
			}
		}
	}
	t.Fatalf("no table %s", id)
	return Table{}
}

// readOpened reads when the demo's incident sheet's incidents were opened.
func readOpened(t *testing.T) []time.Time {
	t.Helper()
	f, err := os.Open(filepath.Join(promtest.ModuleRoot(t), "examples", "demo", "incidents.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], "opened")
	var out []time.Time
	for _, r := range rows[1:] {
		o, err := time.Parse(time.RFC3339, r[col])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}
