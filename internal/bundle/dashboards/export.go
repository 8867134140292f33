package dashboards

import (
	"fmt"
	"regexp"
	"sort"
)

// Panel is one generated panel as other packages read it: the report takes
// its figures from these queries and the preview renders them, so neither
// types PromQL again and both always show what the dashboards show.
type Panel struct {
	Dashboard      string // the dashboard's uid
	DashboardTitle string
	Row            string
	ID             uint32
	Title          string
	Description    string
	// Kind is "stat", "timeseries", "table", "bargauge" or "text".
	Kind string
	// Unit is Grafana's: "short", "s", "percentunit", "reqps".
	Unit    string
	Queries []Query
	// Min and Max bound the axis or gauge where the panel sets them.
	Min, Max *float64
	// Thresholds are the colour steps above Base.
	Thresholds []Threshold
	Base       string
	Content    string // text panels: markdown
	// History says why the panel needs more history than the window
	// figures (a rate or trend over a range); empty for the others.
	History string
	// Width and Height are the panel's grid size (24 columns wide).
	Width, Height uint32
}

// Query is one PromQL target; Legend is Grafana's legend format, such as
// "{{window}}".
type Query struct {
	RefID  string
	Expr   string
	Legend string
}

// Threshold is a colour from Value up.
type Threshold struct {
	Value  float64
	Colour string
}

// Dashboard is a generated dashboard's uid, title and panels in order.
type Dashboard struct {
	UID, Title, Description string
	Panels                  []Panel
}

var kindNames = map[kind]string{
	statPanel: "stat", timeseriesPanel: "timeseries", tablePanel: "table", barGaugePanel: "bargauge", textPanel: "text",
}

// Dashboards returns every generated dashboard with its panels, the ids
// being those of the generated JSON.
func Dashboards(in Input) []Dashboard {
	var out []Dashboard
	for _, s := range specs(in) {
		d := Dashboard{UID: s.uid, Title: s.title, Description: s.description}
		for _, pl := range s.layout() {
			if pl.panel == nil {
				continue
			}
			p := pl.panel
			ep := Panel{
				Dashboard: s.uid, DashboardTitle: s.title, Row: pl.row, ID: pl.id,
				Title: p.title, Description: p.description, Kind: kindNames[p.kind], Unit: p.unit,
				Min: p.min, Max: p.max, Base: p.base, Content: p.content, History: p.history,
				Width: p.width, Height: p.height,
			}
			if ep.Base == "" {
				ep.Base = "green"
			}
			for i, q := range p.queries {
				ep.Queries = append(ep.Queries, Query{RefID: string(rune('A' + i)), Expr: q.expr, Legend: q.legend})
			}
			for _, t := range p.thresholds {
				ep.Thresholds = append(ep.Thresholds, Threshold{Value: t.value, Colour: t.colour})
			}
			d.Panels = append(d.Panels, ep)
		}
		out = append(out, d)
	}
	return out
}

// FindPanel returns the panel titled title on dashboard uid.
func FindPanel(in Input, uid, title string) (Panel, error) {
	for _, d := range Dashboards(in) {
		if d.UID != uid {
			continue
		}
		for _, p := range d.Panels {
			if p.Title == title {
				return p, nil
			}
		}
		return Panel{}, fmt.Errorf("dashboard %s has no panel titled %q", uid, title)
	}
	return Panel{}, fmt.Errorf("no dashboard %s", uid)
}

// Selection is what the dashboards' variables stand for.
type Selection struct {
	// Window is a window label of the exact figures: 7d, 30d or 90d.
	Window string
	// Team, Source, Collector and Service are regular expressions ("" for
	// all).
	Team, Source, Collector, Service string
	// Interval and RateInterval are Grafana's $__interval (the step of a
	// range query) and $__rate_interval (the step plus a scrape interval,
	// at least four scrape intervals), as PromQL durations such as "1h1m".
	Interval, RateInterval string
}

var variableRef = regexp.MustCompile(`\$\{?(\w+)\}?`)

// Expand replaces the variables in expr (a panel query or title) the way
// Grafana does for sel: a multi-select variable set to "All" becomes ".*".
// A variable the dashboards do not define is an error.
func Expand(expr string, sel Selection) (string, error) {
	values := map[string]string{
		teamVariable: orAll(sel.Team), sourceVariable: orAll(sel.Source), collectorVariable: orAll(sel.Collector),
		serviceVariable: orAll(sel.Service), windowVariable: sel.Window, "__interval": sel.Interval, "__rate_interval": sel.RateInterval,
	}
	var unknown []string
	out := variableRef.ReplaceAllStringFunc(expr, func(ref string) string {
		name := variableRef.FindStringSubmatch(ref)[1]
		v, ok := values[name]
		if !ok || v == "" {
			unknown = append(unknown, ref)
			return ref
		}
		return v
	})
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return "", fmt.Errorf("%s: no value for %v", expr, unknown)
	}
	return out, nil
}

func orAll(re string) string {
	if re == "" {
		return ".*"
	}
	return re
}
