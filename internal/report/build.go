// Package report builds the periodic SRE value report from the same
// queries the generated dashboards run, so report and dashboard never
// disagree: every figure is a dashboard panel's query (or an SLO recording
// rule) evaluated at the period's end, with the previous period for the
// change and the last months as a trend chart. Renderers write Markdown,
// HTML (charts inlined) and JSON; Slack and Confluence publish it; Preview
// renders every dashboard panel to an image.
package report

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/sre-value/sre-value-exporter/internal/bundle/dashboards"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
)

// Options choose the report.
type Options struct {
	Period Period
	// Spec is what the report shows (DefaultSpec when zero).
	Spec Spec
	// Dashboards is the dashboards' input (targets), as generated.
	Dashboards dashboards.Input
	// Prometheus names the data source in the report.
	Prometheus string
	// TrendMonths is how far back the trend charts go (default 6).
	TrendMonths int
	// Charts renders the trend charts to PNG (the JSON needs no images).
	Charts bool
}

// Build reads every figure of opts.Spec from src and returns the report.
// A figure whose series Prometheus lacks says "no data"; a query that
// fails (Prometheus down, a bad expression) fails the report.
func Build(ctx context.Context, src Source, opts Options) (*Report, error) {
	if len(opts.Spec.Sections) == 0 {
		opts.Spec = DefaultSpec()
	}
	if opts.TrendMonths <= 0 {
		opts.TrendMonths = 6
	}
	p, prev := opts.Period, opts.Period.Previous()
	b := builder{ctx: ctx, src: src, opts: opts, period: p, previous: prev, boards: dashboards.Dashboards(opts.Dashboards)}
	r := &Report{
		Title:      "SRE value report: " + p.Label,
		Period:     periodOut(p),
		Previous:   periodOut(prev),
		Prometheus: opts.Prometheus,
		WindowNote: p.WindowNote(),
	}
	currency, err := b.currency()
	if err != nil {
		return nil, err
	}
	r.Currency = currency
	byID := map[string]Figure{}
	for _, ss := range opts.Spec.Sections {
		s := Section{ID: ss.ID, Title: ss.Title, Intro: ss.Intro}
		for _, fs := range ss.Figures {
			f, err := b.figure(fs)
			if err != nil {
				return nil, fmt.Errorf("section %s: figure %s: %w", ss.ID, fs.ID, err)
			}
			if f.Unit == Money {
				f.Currency = currency
			}
			s.Figures = append(s.Figures, f)
			byID[ss.ID+"."+fs.ID] = f
			if fs.Trend {
				c, err := b.chart(ss.ID+"."+fs.ID, f)
				if err != nil {
					return nil, fmt.Errorf("section %s: chart of %s: %w", ss.ID, fs.ID, err)
				}
				s.Charts = append(s.Charts, c)
			}
		}
		for _, ts := range ss.Tables {
			t, err := b.table(ts)
			if err != nil {
				return nil, fmt.Errorf("section %s: table %s: %w", ss.ID, ts.ID, err)
			}
			s.Tables = append(s.Tables, t)
		}
		s.NoData = sectionNoData(s)
		r.Sections = append(r.Sections, s)
	}
	for _, id := range opts.Spec.Summary {
		f, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("summary: no figure %s", id)
		}
		r.Summary = append(r.Summary, f)
	}
	var news []Figure
	for _, id := range opts.Spec.Newsletter {
		f, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("newsletter: no figure %s", id)
		}
		news = append(news, f)
	}
	r.Newsletter = newsletter(p, prev, news)
	return r, nil
}

// sectionNoData explains a section without a single value.
func sectionNoData(s Section) string {
	// The figures' reasons name the series Prometheus lacks; the section
	// names each once.
	const noSeries = "Prometheus has no series of "
	var series, other []string
	for _, f := range s.Figures {
		if f.Current.OK {
			return ""
		}
		if rest, ok := strings.CutPrefix(f.NoData, noSeries); ok {
			series = append(series, strings.Split(rest, ", ")...)
		} else if f.NoData != "" {
			other = append(other, f.NoData)
		}
	}
	for _, t := range s.Tables {
		if len(t.Rows) > 0 {
			return ""
		}
	}
	slices.Sort(series)
	slices.Sort(other)
	reasons := slices.Compact(other)
	if len(series) > 0 {
		reasons = append([]string{noSeries + strings.Join(slices.Compact(series), ", ")}, reasons...)
	}
	return "No data for this section at the period's end: " + strings.Join(reasons, "; ") + "."
}

type builder struct {
	ctx              context.Context
	src              Source
	opts             Options
	period, previous Period
	boards           []dashboards.Dashboard
}

func (b *builder) panel(uid, title string) (dashboards.Panel, error) {
	for _, d := range b.boards {
		if d.UID != uid {
			continue
		}
		for _, p := range d.Panels {
			if p.Title == title {
				return p, nil
			}
		}
		return dashboards.Panel{}, fmt.Errorf("dashboard %s has no panel titled %q", uid, title)
	}
	return dashboards.Panel{}, fmt.Errorf("no generated dashboard %s", uid)
}

// origin resolves a figure's query: the panel's, or the rule expression.
func (b *builder) origin(fs FigureSpec) (Origin, string, error) {
	o := Origin{At: b.period.End, PreviousAt: b.previous.End, Rules: fs.Rules}
	sel := dashboards.Selection{Window: b.period.Window}
	if fs.Expr != "" {
		o.Query, o.Expr = fs.Expr, fs.Expr
		return o, "", nil
	}
	p, err := b.panel(fs.Dashboard, fs.Panel)
	if err != nil {
		return o, "", err
	}
	if len(p.Queries) != 1 {
		return o, "", fmt.Errorf("panel %s / %q has %d queries, a figure reads one", fs.Dashboard, fs.Panel, len(p.Queries))
	}
	o.Dashboard, o.PanelID, o.PanelTitle, o.Query = p.Dashboard, p.ID, p.Title, p.Queries[0].Expr
	if o.Expr, err = dashboards.Expand(o.Query, sel); err != nil {
		return o, "", err
	}
	label := ""
	if fs.Series != "" {
		label = legendLabel(p.Queries[0].Legend)
		if label == "" {
			return o, "", fmt.Errorf("panel %s / %q: Series %q, but its legend %q names no label", fs.Dashboard, fs.Panel, fs.Series, p.Queries[0].Legend)
		}
		v, err := dashboards.Expand(fs.Series, sel)
		if err != nil {
			return o, "", err
		}
		o.Series = label + "=" + v
	}
	return o, label, nil
}

var legendRef = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

// legendLabel is the label a legend such as "{{window}}" shows.
func legendLabel(legend string) string {
	m := legendRef.FindAllStringSubmatch(legend, -1)
	if len(m) != 1 {
		return ""
	}
	return m[0][1]
}

// currency is the value section's currency as sre_value_info says at the
// period's end: never guessed, so "" when there is none or more than one.
func (b *builder) currency() (string, error) {
	v, err := b.src.Query(b.ctx, "max by (currency) ("+metrics.ValueInfo.Name+")", b.period.End)
	if err != nil {
		return "", fmt.Errorf("currency: %w", err)
	}
	if len(v) != 1 {
		return "", nil
	}
	return string(v[0].Metric["currency"]), nil
}

func (b *builder) figure(fs FigureSpec) (Figure, error) {
	f := Figure{ID: fs.ID, Label: fs.Label, Unit: fs.Unit, Better: fs.Better}
	o, label, err := b.origin(fs)
	if err != nil {
		return f, err
	}
	f.Source = o
	f.Windowed = strings.Contains(o.Query, "$window") || strings.Contains(fs.Series, "$window")
	if f.Windowed {
		f.Window = b.period.Window
	}
	_, want, _ := strings.Cut(o.Series, "=")
	for i, at := range []time.Time{b.period.End, b.previous.End} {
		v, why, err := b.value(o.Expr, at, label, want, fs.Requires)
		if err != nil {
			return f, err
		}
		if i == 0 {
			f.Current, f.NoData = v, why
		} else {
			f.Previous = v
		}
	}
	return f, nil
}

// value evaluates expr at at and picks its one series (or the series whose
// label is want). No series is no data, with the reason.
func (b *builder) value(expr string, at time.Time, label, want string, requires []string) (Value, string, error) {
	for _, r := range requires {
		v, err := b.src.Query(b.ctx, "group("+r+")", at)
		if err != nil {
			return Value{}, "", err
		}
		if len(v) == 0 {
			return Value{}, "Prometheus has no series of " + r, nil
		}
	}
	vec, err := b.src.Query(b.ctx, expr, at)
	if err != nil {
		return Value{}, "", err
	}
	var picked []*model.Sample
	for _, s := range vec {
		if label == "" || string(s.Metric[model.LabelName(label)]) == want {
			picked = append(picked, s)
		}
	}
	switch {
	case len(picked) > 1:
		return Value{}, "", fmt.Errorf("%s returned %d series where one was expected", expr, len(picked))
	case len(picked) == 0:
		why, err := b.absence(expr, at)
		if label != "" && why == "" {
			why = fmt.Sprintf("no series with %s=%q", label, want)
		}
		return Value{}, why, err
	}
	v := float64(picked[0].Value)
	if math.IsNaN(v) {
		return Value{}, "nothing to divide by (0/0) at the period's end", nil
	}
	return Value{OK: true, Value: v}, "", nil
}

// absence says why expr returned nothing: the series it reads that
// Prometheus does not have at at.
func (b *builder) absence(expr string, at time.Time) (string, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return "", fmt.Errorf("parsing %s: %w", expr, err)
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok && vs.Name != "" {
			names = append(names, vs.Name)
		}
		return nil
	})
	slices.Sort(names)
	var missing []string
	for _, name := range slices.Compact(names) {
		v, err := b.src.Query(b.ctx, "group("+name+")", at)
		if err != nil {
			return "", err
		}
		if len(v) == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return "the query returned no series", nil
	}
	return "Prometheus has no series of " + strings.Join(missing, ", "), nil
}

// chart reads the figure's query over the trend months, one point a day.
func (b *builder) chart(id string, f Figure) (Chart, error) {
	end := b.period.End
	start := end.AddDate(0, -b.opts.TrendMonths, 0)
	step := 24 * time.Hour
	c := Chart{ID: id, Title: f.Label, Unit: f.Unit, Figure: id, Start: start, End: end, Step: "1d", Expr: f.Source.Expr}
	if f.Windowed {
		c.Title += fmt.Sprintf(" (trailing %s, daily)", f.Window)
	}
	m, err := b.src.QueryRange(b.ctx, f.Source.Expr, promv1.Range{Start: start, End: end, Step: step})
	if err != nil {
		return c, err
	}
	_, want, _ := strings.Cut(f.Source.Series, "=")
	label, _, _ := strings.Cut(f.Source.Series, "=")
	for _, s := range m {
		if label != "" && string(s.Metric[model.LabelName(label)]) != want {
			continue
		}
		for _, v := range s.Values {
			if math.IsNaN(float64(v.Value)) {
				continue
			}
			c.Points = append(c.Points, Point{T: v.Timestamp.Time().UTC(), V: float64(v.Value)})
		}
	}
	sort.Slice(c.Points, func(i, j int) bool { return c.Points[i].T.Before(c.Points[j].T) })
	if b.opts.Charts {
		png, err := renderTrend(c)
		if err != nil {
			return c, err
		}
		c.PNG = png
	}
	return c, nil
}

// table reads a table: a panel's queries, or rule columns joined on keys.
func (b *builder) table(ts TableSpec) (Table, error) {
	t := Table{ID: ts.ID, Title: ts.Title, Keys: ts.Keys}
	at := b.period.End
	t.Source = Origin{At: at}
	sel := dashboards.Selection{Window: b.period.Window}
	var exprs []string
	if ts.Dashboard != "" {
		p, err := b.panel(ts.Dashboard, ts.Panel)
		if err != nil {
			return t, err
		}
		t.Source.Dashboard, t.Source.PanelID, t.Source.PanelTitle = p.Dashboard, p.ID, p.Title
		var queries []string
		for _, q := range p.Queries {
			e, err := dashboards.Expand(q.Expr, sel)
			if err != nil {
				return t, err
			}
			title := q.Legend
			if title == "" || legendRef.MatchString(title) {
				title = panelColumn(p)
			}
			t.Columns = append(t.Columns, Column{Title: title, Unit: unitOf(p.Unit), Expr: e})
			exprs = append(exprs, e)
			queries = append(queries, q.Expr)
		}
		t.Source.Query = strings.Join(queries, " ; ")
	} else {
		for _, c := range ts.Columns {
			t.Columns = append(t.Columns, Column{Title: c.Title, Unit: c.Unit, Expr: c.Expr})
			exprs = append(exprs, c.Expr)
			if c.Rule != "" {
				t.Source.Rules = append(t.Source.Rules, c.Rule)
			}
		}
		t.Source.Query = strings.Join(exprs, " ; ")
	}
	t.Source.Expr = strings.Join(exprs, " ; ")
	results := make([]model.Vector, len(exprs))
	for i, e := range exprs {
		v, err := b.src.Query(b.ctx, e, at)
		if err != nil {
			return t, err
		}
		results[i] = v
	}
	t.Keys, t.Rows = joinRows(ts.Keys, results)
	if len(t.Rows) == 0 {
		why, err := b.absence(exprs[0], at)
		if err != nil {
			return t, err
		}
		t.NoData = why
	}
	return t, nil
}

// joinRows joins the series of several instant queries into rows by the
// key labels (all the labels they carry when keys is nil), sorted by keys.
func joinRows(keys []string, results []model.Vector) ([]string, []TableRow) {
	if keys == nil {
		seen := map[string]bool{}
		for _, v := range results {
			for _, s := range v {
				for l := range s.Metric {
					if l != model.MetricNameLabel && !seen[string(l)] {
						seen[string(l)] = true
						keys = append(keys, string(l))
					}
				}
			}
		}
		sort.Strings(keys)
	}
	rows := map[string]*TableRow{}
	for i, v := range results {
		for _, s := range v {
			ks := make([]string, len(keys))
			for k, l := range keys {
				ks[k] = string(s.Metric[model.LabelName(l)])
			}
			id := strings.Join(ks, "\xff")
			r, ok := rows[id]
			if !ok {
				r = &TableRow{Keys: ks, Values: make([]Value, len(results))}
				rows[id] = r
			}
			x := float64(s.Value)
			r.Values[i] = Value{OK: !math.IsNaN(x), Value: x}
		}
	}
	out := make([]TableRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return slices.Compare(out[i].Keys, out[j].Keys) < 0 })
	return keys, out
}

// panelColumn names the value column of a one-query panel by its unit.
func panelColumn(p dashboards.Panel) string {
	switch p.Unit {
	case "percentunit":
		return "Share"
	case "s":
		return "Time"
	}
	return "Count"
}

func unitOf(grafana string) Unit {
	switch grafana {
	case "percentunit":
		return Ratio
	case "s":
		return Seconds
	}
	return Count
}

// newsletter is the Metrics section of the newsletter, ready to paste.
func newsletter(p, prev Period, figs []Figure) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Metrics: %s\n\n", p.Label)
	for _, f := range figs {
		if !f.Current.OK {
			fmt.Fprintf(&b, "- **%s:** no data\n", f.Label)
			continue
		}
		fmt.Fprintf(&b, "- **%s:** %s", f.Label, f.Text())
		if _, ok := f.Change(); ok {
			fmt.Fprintf(&b, ", %s %s vs %s", f.Arrow(), f.ChangeText(), prev.Label)
		}
		b.WriteString("\n")
	}
	if note := p.WindowNote(); note != "" {
		fmt.Fprintf(&b, "\n_%s_\n", note)
	}
	return b.String()
}
