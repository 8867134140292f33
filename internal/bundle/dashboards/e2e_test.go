package dashboards

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/sre-value/sre-value-exporter/internal/bundle/rules"
	"github.com/sre-value/sre-value-exporter/internal/bundle/slo"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/promtest"
)

// TestEveryPanelQueryRunsAgainstARealPrometheus runs every panel query
// against the pinned Prometheus with six months of the demo's history
// (backfilled) and the live scrape of the demo exporter, with the variables
// at "all teams, all sources, 30 days". Every query must return data now,
// unless the demo exports none of a metric it reads (listed with the
// metric); every trend (a time series panel, or a stat panel's sparkline)
// must draw points across the six months, unless it reads only families
// that have no history (listed with why).
func TestEveryPanelQueryRunsAgainstARealPrometheus(t *testing.T) {
	addr, exposition := runDemo(t)
	t.Run("panels show the demo's figures", func(t *testing.T) { checkFigures(t, addr, exposition) })
	p := parser.NewParser(parser.Options{})
	end := time.Now()
	start := end.Add(-promtest.BackfillSince)

	var empty []string
	trends := 0
	for _, s := range specs(testInput) {
		for _, r := range s.rows {
			for _, pn := range r.panels {
				for _, q := range pn.queries {
					expr := substitute(t, q.expr)
					n, err := instantQuery(addr, expr)
					if err != nil {
						t.Errorf("%s / %s: %s: %v", s.uid, pn.title, expr, err)
						continue
					}
					if n == 0 {
						if readsWindowFigures(t, p, expr) {
							t.Errorf("%s / %s: %s returns no data, but it reads exact window figures", s.uid, pn.title, expr)
							continue
						}
						if missing := missingSeries(t, p, addr, expr); len(missing) > 0 && !allRecorded(missing) {
							empty = append(empty, fmt.Sprintf("%s / %s: %s (the demo exports no %s)", s.uid, pn.title, expr, strings.Join(missing, ", ")))
							continue
						}
						t.Errorf("%s / %s: %s returns no data although its series exist and Prometheus has six months of history", s.uid, pn.title, expr)
						continue
					}
					if pn.kind != timeseriesPanel && !(pn.kind == statPanel && pn.trend) {
						continue
					}
					trends++
					first, last, err := rangeSpread(addr, expr, start, end)
					if err != nil {
						t.Errorf("%s / %s: %s: %v", s.uid, pn.title, expr, err)
						continue
					}
					if first.Before(start.Add(monthSpan)) && !last.Before(end.Add(-monthSpan)) {
						continue
					}
					if live := liveOnly(t, p, expr); len(live) > 0 {
						empty = append(empty, fmt.Sprintf("%s / %s: %s: a trend from %s only (%s: not historical, so not backfilled)",
							s.uid, pn.title, expr, first.Format(time.DateOnly), strings.Join(live, ", ")))
						continue
					}
					t.Errorf("%s / %s: %s draws points from %s to %s over the six months %s to %s; want the first and the last month",
						s.uid, pn.title, expr, first.Format(time.DateOnly), last.Format(time.DateOnly), start.Format(time.DateOnly), end.Format(time.DateOnly))
				}
			}
		}
	}
	t.Logf("%d trends checked over six months; %d panel queries without data or history on the backfilled demo:\n%s", trends, len(empty), strings.Join(empty, "\n"))
}

// monthSpan is how close to each end of the six months a trend's points
// must reach.
const monthSpan = 30 * 24 * time.Hour

// rangeSpread runs expr as a range query over [start, end] at 6h steps
// (Grafana's step for six months on a wide panel is of that order) and
// returns the first and last instant any series has a point at.
func rangeSpread(addr, expr string, start, end time.Time) (first, last time.Time, err error) {
	res, err := promtest.QueryRange(addr, expr, start, end, 6*time.Hour)
	if err != nil {
		return first, last, err
	}
	for _, s := range res {
		for _, p := range s.Points {
			if first.IsZero() || p.At.Before(first) {
				first = p.At
			}
			if p.At.After(last) {
				last = p.At
			}
		}
	}
	if first.IsZero() {
		return first, last, errors.New("the range query over six months returns no point")
	}
	return first, last, nil
}

// liveOnly lists the catalog families expr reads that are not historical
// (backfill does not write them), if it reads no historical family or
// recording rule.
func liveOnly(t *testing.T, p parser.Parser, expr string) []string {
	e, err := p.ParseExpr(expr)
	if err != nil {
		t.Fatal(err)
	}
	var live []string
	historical := false
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			if f, ok := metrics.Reserved(vs.Name); ok && !f.Historical {
				live = append(live, f.Name)
			} else {
				historical = true
			}
		}
		return nil
	})
	if historical {
		return nil
	}
	return live
}

// readsWindowFigures reports whether expr reads a family of exact window
// figures (label "window").
func readsWindowFigures(t *testing.T, p parser.Parser, expr string) bool {
	e, err := p.ParseExpr(expr)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			if f, ok := metrics.Reserved(vs.Name); ok && f.HasLabel(metrics.WindowLabel) {
				found = true
			}
		}
		return nil
	})
	return found
}

// missingSeries lists the metrics expr reads that Prometheus has no
// series of.
func missingSeries(t *testing.T, p parser.Parser, addr, expr string) []string {
	e, err := p.ParseExpr(expr)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			if n, err := instantQuery(addr, vs.Name); err == nil && n == 0 {
				missing = append(missing, vs.Name)
			}
		}
		return nil
	})
	return missing
}

// instantQuery returns how many series expr returns now.
func instantQuery(addr, expr string) (int, error) {
	res, err := promQuery(addr, expr)
	return len(res), err
}

// promQuery runs expr as an instant query now.
func promQuery(addr, expr string) ([]promtest.Sample, error) {
	return promtest.Query(addr, expr, time.Time{})
}

// runDemo starts Prometheus with the demo's six months of history
// backfilled, scraping the demo exporter (promtest.Start). The bundle's
// recording rules are backfilled and evaluated every second, so the panels
// that read them have data too; Start waits for the last value rule and
// the SLO attainment.
func runDemo(t *testing.T) (addr, exposition string) {
	t.Helper()
	all := rules.Recordings()
	d := promtest.Start(t, promtest.Options{
		RuleFiles: []string{"alerts/sre-value.rules.yml", "alerts/sre-value.slo.rules.yml"},
		WaitFor:   []string{all[len(all)-1].Name, slo.PeriodAttainment},
		Backfill:  true,
	})
	return d.Addr, d.Exposition
}

// allRecorded reports whether every name is a recording rule: a rule the
// demo evaluates but that has no result needs history (a previous period)
// that the panel must name.
func allRecorded(names []string) bool {
	recorded := map[string]bool{}
	for _, r := range rules.Recordings() {
		recorded[r.Name] = true
	}
	for _, n := range names {
		if !recorded[n] {
			return false
		}
	}
	return true
}
