package dashboards

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/sre-value/sre-value-exporter/internal/bundle/rules"
	"github.com/sre-value/sre-value-exporter/internal/bundle/slo"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/promtest"
	"github.com/sre-value/sre-value-exporter/internal/testbin"
)

// TestEveryPanelQueryRunsAgainstARealPrometheus lets the pinned Prometheus
// scrape the demo exporter and runs every panel query, with the variables
// at "all teams, all sources, 30 days". Queries on the exact *_in_window
// figures must return data; the others that return nothing are listed with
// the reason (a fresh Prometheus has seconds of history, and the demo has
// no upstream API, so no request or rate-limit figures).
func TestEveryPanelQueryRunsAgainstARealPrometheus(t *testing.T) {
	bin := testbin.Prometheus(t)
	addr, exposition := runDemo(t, bin)
	t.Run("panels show the demo's figures", func(t *testing.T) { checkFigures(t, addr, exposition) })
	p := parser.NewParser(parser.Options{})

	var empty []string
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
					if n > 0 {
						continue
					}
					if readsWindowFigures(t, p, expr) {
						t.Errorf("%s / %s: %s returns no data, but it reads exact window figures", s.uid, pn.title, expr)
						continue
					}
					reason := pn.history
					if missing := missingSeries(t, p, addr, expr); len(missing) > 0 && !allRecorded(missing) {
						reason = "the demo exports no " + strings.Join(missing, ", ")
					} else if reason == "" {
						t.Errorf("%s / %s: %s returns no data although its series exist", s.uid, pn.title, expr)
						continue
					}
					empty = append(empty, fmt.Sprintf("%s / %s: %s (%s)", s.uid, pn.title, expr, reason))
				}
			}
		}
	}
	t.Logf("%d panel queries return no data on the demo:\n%s", len(empty), strings.Join(empty, "\n"))
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

// runDemo starts Prometheus scraping the demo exporter (promtest.Start).
// The bundle's recording rules are evaluated every second, so the panels
// that read them have data too; Start waits for the last value rule and
// the SLO attainment.
func runDemo(t *testing.T, _ string) (addr, exposition string) {
	t.Helper()
	all := rules.Recordings()
	d := promtest.Start(t, promtest.Options{
		RuleFiles: []string{"alerts/sre-value.rules.yml", "alerts/sre-value.slo.rules.yml"},
		WaitFor:   []string{all[len(all)-1].Name, slo.PeriodAttainment},
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
