package dashboards

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/sre-value/sre-value-exporter/internal/bundle/rules"
	"github.com/sre-value/sre-value-exporter/internal/bundle/slo"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testInput is the input of the golden files: every target set, so every
// threshold shows up.
var testInput = Input{
	RunbooksURL: "https://github.com/sre-value/sre-value-exporter/tree/main/docs/runbooks",
	Targets: Targets{
		MTTR: 4 * time.Hour, MTTA: 15 * time.Minute,
		PostmortemCoverage: 0.9, QuestionsAnswered: 0.97, TrainingCompletion: 0.8,
		ChampionCoverage: 0.75, FormatCompliance: 0.85, AnsweredWithin4h: 0.95,
	},
	Currency: "EUR",
}

// Just enough of a dashboard's JSON to check it.
type dashJSON struct {
	UID           string   `json:"uid"`
	Title         string   `json:"title"`
	Tags          []string `json:"tags"`
	SchemaVersion int      `json:"schemaVersion"`
	Templating    struct {
		List []struct {
			Type  string `json:"type"`
			Name  string `json:"name"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Links []struct {
		Type string   `json:"type"`
		Tags []string `json:"tags"`
		URL  string   `json:"url"`
	} `json:"links"`
	Panels []panelJSON `json:"panels"`
}

type panelJSON struct {
	ID          int                      `json:"id"`
	Type        string                   `json:"type"`
	Title       string                   `json:"title"`
	Description string                   `json:"description"`
	GridPos     struct{ X, Y, W, H int } `json:"gridPos"`
	Datasource  *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		Expr       string `json:"expr"`
		Datasource struct {
			Type string `json:"type"`
			UID  string `json:"uid"`
		} `json:"datasource"`
	} `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
}

func generated(t *testing.T) map[string][]byte {
	t.Helper()
	out, err := Generate(testInput)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func decoded(t *testing.T) map[string]dashJSON {
	t.Helper()
	out := map[string]dashJSON{}
	for name, data := range generated(t) {
		var d dashJSON
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = d
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func TestGenerateReturnsTheEightDashboards(t *testing.T) {
	want := []string{"sre-engagement.json", "sre-executive.json", "sre-exporter-health.json", "sre-format.json", "sre-reliability.json", "sre-slos.json", "sre-team.json", "sre-training.json"}
	if got := sortedNames(generated(t)); !slices.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
}

func TestTheSameInputGivesTheSameBytes(t *testing.T) {
	a, b := generated(t), generated(t)
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}

func TestEveryDashboardHasItsIdentityAndVariables(t *testing.T) {
	uids := map[string]bool{}
	for name, d := range decoded(t) {
		if d.UID == "" || d.UID+".json" != name {
			t.Errorf("%s: uid %q does not match the file name", name, d.UID)
		}
		if uids[d.UID] {
			t.Errorf("%s: uid %q used twice", name, d.UID)
		}
		uids[d.UID] = true
		if d.Title == "" {
			t.Errorf("%s: no title", name)
		}
		if !slices.Contains(d.Tags, Tag) {
			t.Errorf("%s: tags %v lack %q, which the dashboard links list", name, d.Tags, Tag)
		}
		if d.SchemaVersion < 39 {
			t.Errorf("%s: schemaVersion %d is not current", name, d.SchemaVersion)
		}
		hasDatasource := false
		for _, v := range d.Templating.List {
			if v.Name == datasourceVariable && v.Type == "datasource" && v.Query == "prometheus" {
				hasDatasource = true
			}
		}
		if !hasDatasource {
			t.Errorf("%s: no prometheus datasource variable named %q", name, datasourceVariable)
		}
		var linksDashboards, linksRunbooks bool
		for _, l := range d.Links {
			linksDashboards = linksDashboards || (l.Type == "dashboards" && slices.Equal(l.Tags, []string{Tag}))
			linksRunbooks = linksRunbooks || l.URL == testInput.RunbooksURL
		}
		if !linksDashboards || !linksRunbooks {
			t.Errorf("%s: links to the other dashboards %v, to the runbooks %v", name, linksDashboards, linksRunbooks)
		}
	}
}

func TestPanelsHaveUniqueIDsAndDoNotOverlap(t *testing.T) {
	for name, d := range decoded(t) {
		ids := map[int]bool{}
		occupied := map[[2]int]string{}
		for _, p := range d.Panels {
			if p.ID == 0 || ids[p.ID] {
				t.Errorf("%s: panel %q has id %d, zero or used before", name, p.Title, p.ID)
			}
			ids[p.ID] = true
			g := p.GridPos
			if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
				t.Errorf("%s: panel %q at %+v is outside the 24 columns", name, p.Title, g)
			}
			for x := g.X; x < g.X+g.W; x++ {
				for y := g.Y; y < g.Y+g.H; y++ {
					if other, ok := occupied[[2]int{x, y}]; ok {
						t.Errorf("%s: panel %q overlaps %q at column %d, row %d", name, p.Title, other, x, y)
					}
					occupied[[2]int{x, y}] = p.Title
				}
			}
		}
	}
}

func TestPanelsAreDescribedAndQueryTheDatasourceVariable(t *testing.T) {
	want := "${" + datasourceVariable + "}"
	for name, d := range decoded(t) {
		for _, p := range d.Panels {
			if p.Type == "row" {
				continue
			}
			if strings.TrimSpace(p.Description) == "" {
				t.Errorf("%s: panel %q has no description", name, p.Title)
			}
			if p.Type == "text" {
				continue
			}
			if p.FieldConfig.Defaults.Unit == "" {
				t.Errorf("%s: panel %q has no unit", name, p.Title)
			}
			if p.Datasource == nil || p.Datasource.UID != want {
				t.Errorf("%s: panel %q datasource %+v, want %s", name, p.Title, p.Datasource, want)
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", name, p.Title)
			}
			for _, q := range p.Targets {
				if q.Datasource.UID != want || q.Datasource.Type != "prometheus" {
					t.Errorf("%s: panel %q query %s uses datasource %+v, want %s", name, p.Title, q.Expr, q.Datasource, want)
				}
			}
		}
	}
}

// variableValues are what the variables stand for when a query is parsed
// or run: every team, source and collector, the 30-day window.
var variableValues = map[string]string{
	"team": ".*", "service": ".*", "source": ".*", "collector": ".*", "window": "30d",
	"__rate_interval": "5m", "__interval": "1m", "__range": "30d",
}

// substitute replaces Grafana variables in expr the way Grafana would.
func substitute(t testing.TB, expr string) string {
	t.Helper()
	return variableRef.ReplaceAllStringFunc(expr, func(ref string) string {
		name := variableRef.FindStringSubmatch(ref)[1]
		v, ok := variableValues[name]
		if !ok {
			t.Errorf("query %s: unknown variable %s", expr, ref)
		}
		return v
	})
}

// queryRef is one panel query of a dashboard.
type queryRef struct {
	dashboard, panel, expr string
}

func allQueries(t *testing.T) []queryRef {
	t.Helper()
	var out []queryRef
	ds := decoded(t)
	for _, name := range sortedNames(ds) {
		for _, p := range ds[name].Panels {
			for _, q := range p.Targets {
				out = append(out, queryRef{dashboard: strings.TrimSuffix(name, ".json"), panel: p.Title, expr: q.Expr})
			}
		}
	}
	return out
}

func TestEveryQueryParsesAndReadsOnlyCatalogMetricsOrRecordingRules(t *testing.T) {
	recorded := recordingRules(t)
	p := parser.NewParser(parser.Options{})
	for _, q := range allQueries(t) {
		expr, err := p.ParseExpr(substitute(t, q.expr))
		if err != nil {
			t.Errorf("%s / %s: %s: %v", q.dashboard, q.panel, q.expr, err)
			continue
		}
		parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
			vs, ok := node.(*parser.VectorSelector)
			if !ok {
				return nil
			}
			if _, ok := metrics.Reserved(vs.Name); !ok && !recorded[vs.Name] && !sloSeries(t)[vs.Name] {
				t.Errorf("%s / %s: %s is neither in the metric catalog nor a recording rule", q.dashboard, q.panel, vs.Name)
			}
			return nil
		})
	}
}

// recordingRules are the names of the bundle's recording rules: those of
// the rules package and the SLO rules of the built-in SLOs.
func recordingRules(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, r := range rules.Recordings() {
		out[r.Name] = true
	}
	groups, _, err := slo.Rules(slo.Builtin(), "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				out[r.Record] = true
			}
		}
	}
	return out
}

func TestVariablesQueryCatalogMetrics(t *testing.T) {
	labelValues := regexp.MustCompile(`^label_values\(([\w:]+), (\w+)\)$`)
	for name, d := range decoded(t) {
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			m := labelValues.FindStringSubmatch(fmt.Sprint(v.Query))
			if m == nil {
				t.Errorf("%s: variable %s: query %v is not label_values(metric, label)", name, v.Name, v.Query)
				continue
			}
			if sloSeries(t)[m[1]] && m[2] == slo.ServiceLabel {
				continue
			}
			f, ok := metrics.Lookup(m[1])
			if !ok || !slices.Contains(f.SeriesLabels(), m[2]) {
				t.Errorf("%s: variable %s: %s has no label %s in the catalog", name, v.Name, m[1], m[2])
			}
		}
	}
}

func TestDashboardsMatchTheGoldenFiles(t *testing.T) {
	out := generated(t)
	for _, name := range sortedNames(out) {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, out[name], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if !bytes.Equal(out[name], want) {
			t.Errorf("%s differs from %s; run go test ./internal/bundle/dashboards/ -update and review the diff", name, path)
		}
	}
}

func TestZeroTargetsDrawNoThresholdLines(t *testing.T) {
	out, err := Generate(Input{})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range out {
		if bytes.Contains(data, []byte(`"value": 14400`)) || bytes.Contains(data, []byte(`"value": 0.9,`)) {
			t.Errorf("%s: a target threshold is drawn without a target", name)
		}
		if bytes.Contains(data, []byte(`"Runbooks"`)) {
			t.Errorf("%s: links runbooks without a runbooks URL", name)
		}
	}
}

func TestQueriesUseOnlyTheirDashboardsVariables(t *testing.T) {
	for name, d := range decoded(t) {
		defined := map[string]bool{}
		for _, v := range d.Templating.List {
			defined[v.Name] = true
		}
		for _, p := range d.Panels {
			for _, q := range p.Targets {
				for _, ref := range variableRef.FindAllStringSubmatch(q.Expr, -1) {
					if !strings.HasPrefix(ref[1], "__") && !defined[ref[1]] {
						t.Errorf("%s / %s: %s uses $%s, which the dashboard does not define", name, p.Title, q.Expr, ref[1])
					}
				}
			}
		}
	}
}

// A family with a team label must follow the team variable, and a windowed
// family must pick the window or group by it: summing its windows would
// count every event up to three times.
func TestQueriesFollowTheTeamAndWindowSelection(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	for _, q := range allQueries(t) {
		expr, err := p.ParseExpr(variableRef.ReplaceAllStringFunc(q.expr, func(ref string) string {
			if name := variableRef.FindStringSubmatch(ref)[1]; strings.HasPrefix(name, "__") {
				return variableValues[name]
			}
			return ref // inside a label matcher's string
		}))
		if err != nil {
			t.Errorf("%s / %s: %v", q.dashboard, q.panel, err)
			continue
		}
		parser.Inspect(expr, func(node parser.Node, path []parser.Node) error {
			vs, ok := node.(*parser.VectorSelector)
			if !ok {
				return nil
			}
			f, _ := metrics.Reserved(vs.Name)
			if f == nil {
				return nil // reported by the catalog test
			}
			matchers := map[string]string{}
			for _, m := range vs.LabelMatchers {
				matchers[m.Name] = m.Value
			}
			if f.HasLabel("team") && matchers["team"] != "$team" {
				t.Errorf("%s / %s: %s ignores the team variable", q.dashboard, q.panel, vs)
			}
			if f.HasLabel(metrics.WindowLabel) && matchers[metrics.WindowLabel] != "$window" && !groupedBy(path, metrics.WindowLabel) {
				t.Errorf("%s / %s: %s neither selects $window nor groups by window", q.dashboard, q.panel, vs)
			}
			return nil
		})
	}
}

// groupedBy reports whether an aggregation on the path keeps label.
func groupedBy(path []parser.Node, label string) bool {
	for _, n := range path {
		if agg, ok := n.(*parser.AggregateExpr); ok && !agg.Without && slices.Contains(agg.Grouping, label) {
			return true
		}
	}
	return false
}

func TestTargetsThatCannotBeDrawnAreRefused(t *testing.T) {
	tests := []struct {
		name    string
		targets Targets
		want    string
	}{
		{"a negative MTTR is refused", Targets{MTTR: -time.Minute}, "dashboards: target MTTR: -1m0s is negative"},
		{"a completion rate above 1 is refused", Targets{TrainingCompletion: 80}, "dashboards: target TrainingCompletion: 80 is not a ratio between 0 and 1"},
		{"a NaN coverage is refused", Targets{ChampionCoverage: math.NaN()}, "dashboards: target ChampionCoverage: NaN is not a ratio between 0 and 1"},
		{"a negative compliance target is refused", Targets{FormatCompliance: -0.1}, "dashboards: target FormatCompliance: -0.1 is not a ratio between 0 and 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(Input{Targets: tt.targets})
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		if _, err := Generate(testInput); err != nil {
			b.Fatal(err)
		}
	}
}

// Every target of the input shows up as a threshold step somewhere, so a
// target added to Targets cannot be left unwired.
func TestEveryTargetIsDrawn(t *testing.T) {
	var steps []float64
	for _, data := range generated(t) {
		var d struct {
			Panels []struct {
				FieldConfig struct {
					Defaults struct {
						Thresholds struct {
							Steps []struct {
								Value *float64 `json:"value"`
							} `json:"steps"`
						} `json:"thresholds"`
					} `json:"defaults"`
				} `json:"fieldConfig"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatal(err)
		}
		for _, p := range d.Panels {
			for _, s := range p.FieldConfig.Defaults.Thresholds.Steps {
				if s.Value != nil {
					steps = append(steps, *s.Value)
				}
			}
		}
	}
	tg := testInput.Targets
	for name, v := range map[string]float64{
		"MTTR": tg.MTTR.Seconds(), "MTTA": tg.MTTA.Seconds(),
		"PostmortemCoverage": tg.PostmortemCoverage, "QuestionsAnswered": tg.QuestionsAnswered,
		"AnsweredWithin4h": tg.AnsweredWithin4h, "TrainingCompletion": tg.TrainingCompletion,
		"ChampionCoverage": tg.ChampionCoverage, "FormatCompliance": tg.FormatCompliance,
	} {
		if !slices.Contains(steps, v) {
			t.Errorf("target %s (%v) is not drawn on any panel", name, v)
		}
	}
}

// sloSeries are the series the SLO rules record, and ALERTS, which
// Prometheus writes for every alert: what SLO panels read besides the
// catalog's families.
func sloSeries(t *testing.T) map[string]bool {
	t.Helper()
	groups, _, err := slo.Rules(slo.Builtin(), "test")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{"ALERTS": true}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				out[r.Record] = true
			}
		}
	}
	return out
}
