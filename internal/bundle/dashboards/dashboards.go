// Package dashboards builds the bundle's Grafana dashboards with Grafana's
// typed builders (grafana-foundation-sdk). Every query is built from the
// metric catalog, follows the dashboard's datasource variable, and the same
// Input always gives the same bytes.
package dashboards

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/sre-value/sre-value-exporter/internal/bundle/slo"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// Input is what the dashboards take from the configuration.
type Input struct {
	// RunbooksURL is where the alert runbooks are published (for example
	// the repository's docs/runbooks/ folder); every dashboard links to it.
	// Empty leaves the link out.
	RunbooksURL string
	// Targets draw threshold lines and colours; a zero target draws none.
	Targets Targets
	// Currency is the value: section's ISO 4217 code, the unit of the
	// money panels; empty when the configuration prices nothing.
	Currency string
}

// Targets are the goals the dashboards colour against.
type Targets struct {
	// MTTR and MTTA are the highest acceptable mean times.
	MTTR, MTTA time.Duration
	// The lowest acceptable ratios (0 to 1).
	PostmortemCoverage float64
	QuestionsAnswered  float64
	// AnsweredWithin4h is the share of help questions whose first SRE
	// reply should come within 4 hours.
	AnsweredWithin4h   float64
	TrainingCompletion float64
	ChampionCoverage   float64
	FormatCompliance   float64
}

// Tag is on every dashboard of the bundle; the dashboard links list the
// dashboards that carry it.
const Tag = "sre-value"

// teamTag names the owning team the way the team-dashboard template wants.
const teamTag = "team:sre"

// Names of the template variables.
const (
	datasourceVariable = "datasource"
	teamVariable       = "team"
	windowVariable     = "window"
	sourceVariable     = "source"
	collectorVariable  = "collector"
)

// spec is one dashboard before it is built.
type spec struct {
	uid, title, description string
	tags                    []string
	variables               []string // beyond datasource, in display order
	rows                    []row
	// from is the start of the default time range ("now-30d" if empty).
	from string
}

// Generate returns every dashboard as file name -> indented JSON.
func Generate(in Input) (map[string][]byte, error) {
	if err := in.check(); err != nil {
		return nil, fmt.Errorf("dashboards: %w", err)
	}
	out := map[string][]byte{}
	for _, s := range specs(in) {
		d, err := s.build(in)
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", s.uid, err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false) // keeps PromQL's < > & readable
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			return nil, fmt.Errorf("dashboard %s: encoding: %w", s.uid, err)
		}
		out[s.uid+".json"] = buf.Bytes()
	}
	return out, nil
}

// check reports the first target that cannot be drawn.
func (in Input) check() error {
	for _, d := range []struct {
		name  string
		value time.Duration
	}{{"MTTR", in.Targets.MTTR}, {"MTTA", in.Targets.MTTA}} {
		if d.value < 0 {
			return fmt.Errorf("target %s: %s is negative", d.name, d.value)
		}
	}
	for _, r := range []struct {
		name  string
		value float64
	}{
		{"PostmortemCoverage", in.Targets.PostmortemCoverage},
		{"QuestionsAnswered", in.Targets.QuestionsAnswered},
		{"AnsweredWithin4h", in.Targets.AnsweredWithin4h},
		{"TrainingCompletion", in.Targets.TrainingCompletion},
		{"ChampionCoverage", in.Targets.ChampionCoverage},
		{"FormatCompliance", in.Targets.FormatCompliance},
	} {
		if !(r.value >= 0 && r.value <= 1) { // also refuses NaN
			return fmt.Errorf("target %s: %v is not a ratio between 0 and 1", r.name, r.value)
		}
	}
	return nil
}

func specs(in Input) []spec {
	return []spec{executive(in), reliability(in), engagement(in), training(in), format(in), teamView(in), slos(in), exporterHealth(in)}
}

// build uses the v1 dashboard model, which the SDK marks deprecated in
// favour of dashboardv2: v1 (panels, gridPos, schemaVersion) is what file
// provisioning, the dashboards API that push uses and the team-dashboard
// format check read.
func (s spec) build(in Input) (dashboard.Dashboard, error) { //nolint:staticcheck // v1 on purpose, see above
	b := dashboard.NewDashboardBuilder(s.title). //nolint:staticcheck // v1 on purpose

							Uid(s.uid).
							Description(s.description).
							Tags(append([]string{Tag, teamTag}, s.tags...)).
							Editable().
							Timezone("utc").
							Time(cmp.Or(s.from, "now-30d"), "now").
							Refresh("5m").
							Tooltip(dashboard.DashboardCursorSyncCrosshair).
							Link(dashboard.NewDashboardLinkBuilder("SRE dashboards").
								Type(dashboard.DashboardLinkTypeDashboards).
								Tags([]string{Tag}).
								AsDropdown(true).IncludeVars(true).KeepTime(true))
	if in.RunbooksURL != "" {
		b.Link(dashboard.NewDashboardLinkBuilder("Runbooks").
			Type(dashboard.DashboardLinkTypeLink).
			Url(in.RunbooksURL).
			Icon("doc").TargetBlank(true).Tooltip("What to check and do when an alert fires"))
	}
	b.WithVariable(dashboard.NewDatasourceVariableBuilder(datasourceVariable).
		Label("Data source").Type("prometheus"))
	for _, v := range s.variables {
		b.WithVariable(variable(v))
	}

	for _, pl := range s.layout() {
		if pl.panel == nil {
			b.WithRow(dashboard.NewRowBuilder(pl.row).Id(pl.id).GridPos(pl.pos))
			continue
		}
		pb, err := pl.panel.build(pl.id, pl.pos)
		if err != nil {
			return dashboard.Dashboard{}, err //nolint:staticcheck // v1 on purpose
		}
		b.WithPanel(pb)
	}
	return b.Build()
}

// placed is a row (panel nil) or a panel with its id and position.
type placed struct {
	id    uint32
	pos   dashboard.GridPos
	row   string
	panel *panel
}

// layout numbers the rows and panels in order and flows the panels of each
// row left to right, 24 columns wide. Build and Panels both read it, so the
// ids the report names are those Grafana shows.
func (s spec) layout() []placed {
	var out []placed
	var id, y uint32
	for _, r := range s.rows {
		id++
		out = append(out, placed{id: id, pos: dashboard.GridPos{X: 0, Y: y, W: 24, H: 1}, row: r.title})
		y++
		var x, rowHeight uint32
		for i := range r.panels {
			p := &r.panels[i]
			if x+p.width > 24 {
				x, y, rowHeight = 0, y+rowHeight, 0
			}
			id++
			out = append(out, placed{id: id, pos: dashboard.GridPos{X: x, Y: y, W: p.width, H: p.height}, row: r.title, panel: p})
			x += p.width
			rowHeight = max(rowHeight, p.height)
		}
		y += rowHeight
	}
	return out
}

// variable returns the template variable named name.
func variable(name string) cog.Builder[dashboard.VariableModel] {
	switch name {
	case teamVariable:
		return labelValues(name, "Team", metrics.TeamInfo.Name, "team")
	case oneTeam:
		q := fmt.Sprintf("label_values(%s, %s)", metrics.TeamInfo.Name, "team")
		return dashboard.NewQueryVariableBuilder(teamVariable).Label("Team").
			Description("The team the dashboard shows.").
			Query(dashboard.StringOrMap{String: &q}).
			Definition(q).
			Datasource(datasourceRef()).
			Refresh(dashboard.VariableRefreshOnDashboardLoad).
			Sort(dashboard.VariableSortAlphabeticalAsc)
	case sourceVariable:
		return labelValues(name, "Source", metrics.FormatDocumentsCheckedInWindow.Name, "source")
	case serviceVariable:
		return labelValues(name, "Service", slo.Objective, slo.ServiceLabel).
			Description("The services whose SLOs the dashboard shows.")
	case collectorVariable:
		return labelValues(name, "Collector", metrics.CollectorUp.Name, "collector")
	case windowVariable, quarterWindow:
		selected := "30d"
		if name == quarterWindow {
			selected = "90d"
		}
		var opts []dashboard.VariableOption
		var labels string
		for i, w := range window.All {
			if i > 0 {
				labels += ","
			}
			labels += w.Label
			opts = append(opts, dashboard.VariableOption{
				Selected: ptr(w.Label == selected),
				Text:     dashboard.StringOrArrayOfString{String: ptr(w.Label)},
				Value:    dashboard.StringOrArrayOfString{String: ptr(w.Label)},
			})
		}
		return dashboard.NewCustomVariableBuilder(windowVariable).Label("Window").
			Description("The look-back window of the exact last-N-days figures.").
			Values(dashboard.StringOrMap{String: &labels}).
			Options(opts).
			Current(dashboard.VariableOption{
				Text:  dashboard.StringOrArrayOfString{String: ptr(selected)},
				Value: dashboard.StringOrArrayOfString{String: ptr(selected)},
			})
	}
	panic("dashboards: unknown variable " + name)
}

// labelValues is a multi-select variable over the values of labelName on
// the series named metric (a family or a recording rule), "All" matching
// everything.
func labelValues(name, label, metric, labelName string) *dashboard.QueryVariableBuilder {
	q := fmt.Sprintf("label_values(%s, %s)", metric, labelName)
	return dashboard.NewQueryVariableBuilder(name).Label(label).
		Query(dashboard.StringOrMap{String: &q}).
		Definition(q).
		Datasource(datasourceRef()).
		Refresh(dashboard.VariableRefreshOnDashboardLoad).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).IncludeAll(true).AllValue(".*").
		Current(dashboard.VariableOption{
			Text:  dashboard.StringOrArrayOfString{String: ptr("All")},
			Value: dashboard.StringOrArrayOfString{String: ptr("$__all")},
		})
}
