package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/text"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// kind is a panel's visualisation.
type kind int

const (
	statPanel kind = iota
	timeseriesPanel
	tablePanel
	barGaugePanel
	textPanel
)

// Grafana units the dashboards use.
const (
	unitCount   = "short"
	unitSeconds = "s"
	unitRatio   = "percentunit"
	unitReqPerS = "reqps"
	// unitDateTime shows a Unix time in milliseconds as a date.
	unitDateTime = "dateTimeAsIso"
)

// query is one PromQL target of a panel.
type query struct {
	expr   string
	legend string
}

// panel is what a dashboard says about one panel, before layout; the
// builders below turn it into the SDK's typed panel.
type panel struct {
	kind        kind
	title       string
	description string
	unit        string
	width       uint32
	height      uint32
	queries     []query
	// thresholds are the steps above the base colour: a value at or above
	// step.value takes step.colour.
	thresholds []step
	// base is the colour below the first threshold (green when empty).
	base    string
	min     *float64
	max     *float64
	content string // text panels: markdown
	// history is why the panel needs more history than the exact window
	// figures (a rate or trend over a range), for the end-to-end report.
	history string
	// trend makes a stat panel query a range and draw it as a sparkline
	// with its change over the dashboard's time range; lowerIsBetter
	// colours a fall green.
	trend, lowerIsBetter bool
	// showName makes a stat panel show the series' name (its legend)
	// instead of the value, for a label such as the currency.
	showName bool
}

type step struct {
	value  float64
	colour string
}

// row groups the panels under a row panel titled title.
type row struct {
	title  string
	panels []panel
}

func ptr[T any](v T) *T { return &v }

// datasourceRef is the dashboard's datasource variable.
func datasourceRef() common.DataSourceRef {
	return common.DataSourceRef{Type: ptr("prometheus"), Uid: ptr("${" + datasourceVariable + "}")}
}

func (p panel) targets() []cog.Builder[variants.Dataquery] {
	var out []cog.Builder[variants.Dataquery]
	for i, q := range p.queries {
		b := prometheus.NewDataqueryBuilder().
			Expr(q.expr).
			RefId(string(rune('A' + i))).
			Datasource(datasourceRef()).
			EditorMode(prometheus.QueryEditorModeCode)
		if q.legend != "" {
			b.LegendFormat(q.legend)
		}
		switch {
		case p.kind == timeseriesPanel, p.kind == statPanel && p.trend:
			b.Range()
		case p.kind == tablePanel:
			b.Instant().Format(prometheus.PromQueryFormatTable)
		default:
			b.Instant()
		}
		out = append(out, b)
	}
	return out
}

func (p panel) thresholdsConfig() *dashboard.ThresholdsConfigBuilder {
	base := p.base
	if base == "" {
		base = "green"
	}
	steps := []dashboard.Threshold{{Value: nil, Color: base}} //nolint:misspell // the SDK's field
	for _, s := range p.thresholds {
		steps = append(steps, dashboard.Threshold{Value: ptr(s.value), Color: s.colour}) //nolint:misspell // the SDK's field
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)
}

// build returns the SDK builder of p with its id and position.
func (p panel) build(id uint32, pos dashboard.GridPos) (cog.Builder[dashboard.Panel], error) {
	switch p.kind {
	case statPanel:
		b := stat.NewPanelBuilder().Id(id).Title(p.title).Description(p.description).GridPos(pos).
			Datasource(datasourceRef()).Targets(p.targets()).Unit(p.unit).Thresholds(p.thresholdsConfig()).
			ColorMode(common.BigValueColorModeValue).GraphMode(common.BigValueGraphModeNone).Orientation(common.VizOrientationAuto).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))
		if p.trend {
			colours := common.PercentChangeColorModeStandard
			if p.lowerIsBetter {
				colours = common.PercentChangeColorModeInverted
			}
			b.GraphMode(common.BigValueGraphModeArea).ShowPercentChange(true).PercentChangeColorMode(colours)
		}
		if p.showName {
			b.TextMode(common.BigValueTextModeName)
		}
		if p.min != nil {
			b.Min(*p.min)
		}
		if p.max != nil {
			b.Max(*p.max)
		}
		return b, nil
	case barGaugePanel:
		b := bargauge.NewPanelBuilder().Id(id).Title(p.title).Description(p.description).GridPos(pos).
			Datasource(datasourceRef()).Targets(p.targets()).Unit(p.unit).Thresholds(p.thresholdsConfig()).
			DisplayMode(common.BarGaugeDisplayModeGradient).Orientation(common.VizOrientationHorizontal).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))
		if p.min != nil {
			b.Min(*p.min)
		}
		if p.max != nil {
			b.Max(*p.max)
		}
		return b, nil
	case timeseriesPanel:
		b := timeseries.NewPanelBuilder().Id(id).Title(p.title).Description(p.description).GridPos(pos).
			Datasource(datasourceRef()).Targets(p.targets()).Unit(p.unit).Thresholds(p.thresholdsConfig()).
			FillOpacity(10).Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom).ShowLegend(true))
		if len(p.thresholds) > 0 {
			b.ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeLine))
		}
		if p.min != nil {
			b.Min(*p.min)
		}
		if p.max != nil {
			b.Max(*p.max)
		}
		return b, nil
	case tablePanel:
		b := table.NewPanelBuilder().Id(id).Title(p.title).Description(p.description).GridPos(pos).
			Datasource(datasourceRef()).Targets(p.targets()).Unit(p.unit).Thresholds(p.thresholdsConfig()).
			// Grafana's transformation id; it hides the Time column.
			WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{ //nolint:misspell // Grafana's id
				"excludeByName": map[string]any{"Time": true},
			}})
		return b, nil
	case textPanel:
		return text.NewPanelBuilder().Id(id).Title(p.title).Description(p.description).GridPos(pos).
			Mode(text.TextModeMarkdown).Content(p.content), nil
	}
	return nil, fmt.Errorf("panel %q: unknown kind %d", p.title, p.kind)
}
