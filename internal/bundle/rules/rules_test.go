package rules

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/sre-value/sre-value-exporter/internal/config"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
)

func TestEveryExpressionParses(t *testing.T) {
	custom := config.DefaultAlerting()
	custom.Engagement.DropFraction = 0.25
	custom.Engagement.OfficeHoursKind = `office "hours"`
	for _, a := range []config.Alerting{config.DefaultAlerting(), custom} {
		for _, r := range Recordings() {
			if _, err := ParseExpr(r.Expr); err != nil {
				t.Errorf("recording rule %s: %v", r.Name, err)
			}
		}
		for _, al := range Alerts(a) {
			if _, err := ParseExpr(al.Expr); err != nil {
				t.Errorf("alert %s: %v", al.Name, err)
			}
		}
	}
}

func produced() map[string]string {
	out := map[string]string{}
	for _, f := range metrics.All() {
		out[f.Name] = "catalog"
		if f.Type == metrics.Histogram {
			for _, s := range []string{"_sum", "_count", "_bucket"} {
				out[f.Name+s] = "catalog"
			}
		}
	}
	for _, r := range Recordings() {
		out[r.Name] = "recording rule"
	}
	return out
}

func selectors(t *testing.T, expr string) []*parser.VectorSelector {
	t.Helper()
	e, err := ParseExpr(expr)
	if err != nil {
		t.Fatal(err)
	}
	var out []*parser.VectorSelector
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			out = append(out, vs)
		}
		return nil
	})
	return out
}

func TestEverySeriesARuleReadsIsProducedByTheCatalogOrARule(t *testing.T) {
	known := produced()
	check := func(rule, expr string) {
		for _, vs := range selectors(t, expr) {
			if _, ok := known[vs.Name]; !ok {
				t.Errorf("%s reads %s, which neither the catalog nor a recording rule produces", rule, vs.Name)
			}
		}
	}
	for _, r := range Recordings() {
		check(r.Name, r.Expr)
	}
	for _, a := range Alerts(config.DefaultAlerting()) {
		check(a.Name, a.Expr)
	}
}

func TestEveryLabelARuleKeepsIsOneItsMetricCarries(t *testing.T) {
	for _, r := range Recordings() {
		e, _ := ParseExpr(r.Expr)
		parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
			agg, ok := n.(*parser.AggregateExpr)
			if !ok {
				return nil
			}
			for _, vs := range selectors(t, agg.Expr.String()) {
				f, ok := metrics.Reserved(vs.Name)
				if !ok {
					continue
				}
				for _, l := range agg.Grouping {
					if !f.HasLabel(l) {
						t.Errorf("%s groups %s by %q, a label it does not have", r.Name, vs.Name, l)
					}
				}
			}
			return nil
		})
	}
}

func TestRecordingRulesAreNamedLevelMetricOperations(t *testing.T) {
	name := regexp.MustCompile(`^[a-z_]+:(sre_[a-z0-9_]+):[a-z_]+$`)
	seen := map[string]bool{}
	for _, r := range Recordings() {
		m := name.FindStringSubmatch(r.Name)
		if m == nil {
			t.Errorf("%s is not level:metric:operations", r.Name)
			continue
		}
		if _, ok := metrics.Lookup(m[1]); !ok {
			t.Errorf("%s is named after %s, which is not in the catalog", r.Name, m[1])
		}
		if seen[r.Name] {
			t.Errorf("%s is recorded twice", r.Name)
		}
		seen[r.Name] = true
		if r.Help == "" {
			t.Errorf("%s has no help for docs/rules.md", r.Name)
		}
	}
}

func TestAlertsAreCamelCaseWithCompleteAnnotations(t *testing.T) {
	groups, err := Groups(Recordings(), Alerts(config.DefaultAlerting()))
	if err != nil {
		t.Fatal(err)
	}
	camel := regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	dashboards := []string{DashboardEngagement, DashboardReliability, DashboardTraining, DashboardFormat, DashboardHealth}
	alerts := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if !camel.MatchString(r.Alert) {
				t.Errorf("alert %q is not CamelCase", r.Alert)
			}
			if s := r.Labels["severity"]; !slices.Contains([]string{"critical", "warning", "info"}, s) {
				t.Errorf("%s: severity %q", r.Alert, s)
			}
			for _, k := range []string{"summary", "description", "runbook_url", "dashboard"} {
				if r.Annotations[k] == "" {
					t.Errorf("%s: no %s annotation", r.Alert, k)
				}
			}
			if !strings.Contains(r.Annotations["description"], "$value") {
				t.Errorf("%s: the description does not carry the value", r.Alert)
			}
			if want := RunbookBase + r.Alert + ".md"; r.Annotations["runbook_url"] != want {
				t.Errorf("%s: runbook_url %s, want %s", r.Alert, r.Annotations["runbook_url"], want)
			}
			if uid, ok := strings.CutPrefix(r.Annotations["dashboard"], "/d/"); !ok || !slices.Contains(dashboards, uid) {
				t.Errorf("%s: dashboard %q is not /d/ and one of %v", r.Alert, r.Annotations["dashboard"], dashboards)
			}
		}
	}
	if alerts != 13 {
		t.Errorf("%d alerts, want 13", alerts)
	}
}

func TestThresholdsComeFromTheAlertingSection(t *testing.T) {
	a := config.DefaultAlerting()
	a.Engagement.DropFraction = 0.25
	a.Engagement.MinSlackMessages = 40
	a.TrainingCompletionTarget = 0.9
	a.CollectorStaleFactor = 5
	got := map[string]string{}
	for _, al := range Alerts(a) {
		got[al.Name] = al.Expr
	}
	want := map[string]string{
		"SlackActivityDropped":          "(\n  channel:sre_slack_messages_in_window:sum{window=\"7d\"}\n  < ignoring(window)\n  0.25 * (channel:sre_slack_messages_in_window:sum{window=\"30d\"} * 7 / 30)\n)\nand ignoring(window)\nchannel:sre_slack_messages_in_window:sum{window=\"30d\"} >= 40",
		"TrainingCompletionBelowTarget": "team:sre_training_completions:ratio < 0.9\nand\nteam:sre_training_enrollments:sum >= 5",
		"SreCollectorStale":             "collector:sre_collector_last_success_timestamp_seconds:age_seconds > 5 * sre_collector_refresh_interval_seconds",
	}
	for name, expr := range want {
		if got[name] != expr {
			t.Errorf("%s:\ngot  %s\nwant %s", name, got[name], expr)
		}
	}
}

func seriesLabels(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, f := range metrics.All() {
		labels := append(f.SeriesLabels(), "job", "instance")
		out[f.Name] = labels
		if f.Type == metrics.Histogram {
			out[f.Name+"_sum"], out[f.Name+"_count"] = labels, labels
			out[f.Name+"_bucket"] = append(slices.Clone(labels), "le")
		}
	}
	for _, r := range Recordings() {
		labels, err := r.Labels()
		if err != nil {
			t.Fatal(err)
		}
		out[r.Name] = labels
	}
	return out
}

func TestEveryLabelARuleMatchesOnIsOneItsSeriesCarry(t *testing.T) {
	known := seriesLabels(t)
	check := func(rule, expr string) {
		e, err := ParseExpr(expr)
		if err != nil {
			t.Fatal(err)
		}
		parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
			switch n := n.(type) {
			case *parser.VectorSelector:
				for _, m := range n.LabelMatchers {
					if m.Name != "__name__" && !slices.Contains(known[n.Name], m.Name) {
						t.Errorf("%s selects %s on %q, a label it does not carry", rule, n.Name, m.Name)
					}
				}
			case *parser.BinaryExpr:
				if n.VectorMatching == nil {
					return nil
				}
				for _, side := range []parser.Expr{n.LHS, n.RHS} {
					for _, vs := range selectors(t, side.String()) {
						for _, l := range n.VectorMatching.MatchingLabels {
							if !slices.Contains(known[vs.Name], l) {
								t.Errorf("%s matches %s on %q, a label it does not carry", rule, vs.Name, l)
							}
						}
					}
				}
			}
			return nil
		})
	}
	for _, r := range Recordings() {
		check(r.Name, r.Expr)
	}
	for _, a := range Alerts(config.DefaultAlerting()) {
		check(a.Name, a.Expr)
	}
}
