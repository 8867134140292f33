package report

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/bundle/dashboards"
	"github.com/sre-value/sre-value-exporter/internal/bundle/slo"
	m "github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/promtest"
)

// startDemo runs the pinned Prometheus on the demo with the bundle's rule
// files, and returns it once the SLO rules have been evaluated.
func startDemo(t *testing.T) *promtest.Demo {
	t.Helper()
	return promtest.Start(t, promtest.Options{
		RuleFiles: []string{"alerts/sre-value.rules.yml", "alerts/sre-value.slo.rules.yml"},
		WaitFor:   []string{slo.PeriodAttainment, slo.Objective, slo.PeriodBudgetRemaining},
	})
}

// TestReportFiguresEqualTheDashboardQueries builds the monthly report
// against the demo and checks every figure against the dashboard panel's
// query run at the same instant through the plain HTTP API, and a few
// against figures computed by hand.
func TestReportFiguresEqualTheDashboardQueries(t *testing.T) {
	demo := startDemo(t)
	src, err := NewPrometheus(demo.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Second)
	period, err := ParsePeriod("month", at.Format(time.RFC3339), at)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Build(context.Background(), src, Options{Period: period, Prometheus: demo.URL(), Charts: true})
	if err != nil {
		t.Fatal(err)
	}

	vars := strings.NewReplacer("$window", "30d", `"$team"`, `".*"`, `"$source"`, `".*"`)
	legendLabel := regexp.MustCompile(`\{\{(\w+)\}\}`)
	checked := 0
	for _, s := range r.Sections {
		for _, f := range s.Figures {
			if f.Source.At != at {
				t.Errorf("%s: read at %s, want %s", f.ID, f.Source.At, at)
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
			res, err := promtest.Query(demo.Addr, expr, at)
			if err != nil {
				t.Fatal(err)
			}
			var got []float64
			for _, smp := range res {
				if label == "" || smp.Labels[label] == want {
					got = append(got, smp.Value)
				}
			}
			if len(got) == 0 && !f.Current.OK && f.NoData != "" {
				// Both say nothing (the demo has no overdue action items).
				checked++
				continue
			}
			if len(got) != 1 {
				t.Errorf("%s / %s: the dashboard query gives %d series at %s; the report says %s (%s)", s.ID, f.ID, len(got), at, f.Text(), f.NoData)
				continue
			}
			if !f.Current.OK || fmt.Sprintf("%.12g", f.Current.Value) != fmt.Sprintf("%.12g", got[0]) {
				t.Errorf("%s / %s = %v (ok %v), the dashboard query gives %v\n%s", s.ID, f.ID, f.Current.Value, f.Current.OK, got[0], expr)
			}
			// Prometheus has seconds of history: the previous month is
			// unknown, and the report must say so rather than show 0.
			if f.Previous.OK || f.Arrow() != "–" || f.ChangeText() != "n/a" {
				t.Errorf("%s / %s: previous %v (ok %v), arrow %s: want no data", s.ID, f.ID, f.Previous.Value, f.Previous.OK, f.Arrow())
			}
			checked++
		}
	}
	if want := 34; checked != want {
		t.Errorf("checked %d figures, want %d", checked, want)
	}
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
	sum := func(name string, labels ...string) float64 { return sumSamples(t, demo.Exposition, name, labels...) }
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
			if len(c.Points) == 0 {
				t.Errorf("chart %s has no point although Prometheus has the figure now", c.ID)
			}
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
	demo := startDemo(t)
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

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelPair  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

// sumSamples adds the values of the samples of name in the exposition text
// whose labels include every "label=value" given.
func sumSamples(t *testing.T, text, name string, labels ...string) float64 {
	var total float64
	for _, line := range strings.Split(text, "\n") {
		match := sampleLine.FindStringSubmatch(line)
		if match == nil || match[1] != name {
			continue
		}
		have := map[string]string{}
		for _, p := range labelPair.FindAllStringSubmatch(match[2], -1) {
			have[p[1]] = p[2]
		}
		ok := true
		for _, l := range labels {
			k, v, _ := strings.Cut(l, "=")
			ok = ok && have[k] == v
		}
		if ok {
			v, err := strconv.ParseFloat(match[3], 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			total += v
		}
	}
	return total
}
