package report

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"gonum.org/v1/plot/vg"

	"github.com/sre-value/sre-value-exporter/internal/bundle/dashboards"
)

// PreviewOptions choose what the dashboards are previewed at.
type PreviewOptions struct {
	// Dir receives <uid>-<panel id>.png per panel and index.md.
	Dir string
	// At is the instant the panels show ("now" in Grafana).
	At time.Time
	// Range is the time range of the time series panels (default 30
	// days, the dashboards' default "now-30d").
	Range time.Duration
	// Window is the $window variable (default 30d, the dashboards').
	Window string
	// Dashboards is the dashboards' input (targets colour the images).
	Dashboards dashboards.Input
}

// Preview renders every panel of every generated dashboard from src into
// an image, so a reviewer sees what the dashboards will show without a
// Grafana, and returns the files written. Text panels are left out.
func Preview(ctx context.Context, src Source, opts PreviewOptions) ([]string, error) {
	if opts.Range <= 0 {
		opts.Range = 30 * 24 * time.Hour
	}
	if opts.Window == "" {
		opts.Window = "30d"
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	var files []string
	var index strings.Builder
	fmt.Fprintf(&index, "# Dashboard previews\n\nEvery panel of the generated dashboards as it reads at %s, with every team, source and service selected, the window at %s and time series over the %d days before. Regenerate with `sre-value-exporter report --preview-dashboards DIR`.\n",
		opts.At.UTC().Format("2006-01-02 15:04 UTC"), opts.Window, int(opts.Range.Hours()/24))
	sel := dashboards.Selection{Window: opts.Window}
	for _, d := range dashboards.Dashboards(opts.Dashboards) {
		fmt.Fprintf(&index, "\n## %s (`%s`)\n\n%s\n", d.Title, d.UID, d.Description)
		row := ""
		for _, p := range d.Panels {
			if p.Kind == "text" {
				continue
			}
			if p.Row != row {
				row = p.Row
				fmt.Fprintf(&index, "\n### %s\n", row)
			}
			title, err := dashboards.Expand(p.Title, sel)
			if err != nil {
				return files, err
			}
			img, err := previewPanel(ctx, src, p, title, sel, opts)
			if err != nil {
				return files, fmt.Errorf("preview %s / %q: %w", d.UID, p.Title, err)
			}
			name := fmt.Sprintf("%s-%d.png", d.UID, p.ID)
			if err := os.WriteFile(filepath.Join(opts.Dir, name), img, 0o644); err != nil {
				return files, fmt.Errorf("preview: %w", err)
			}
			files = append(files, name)
			fmt.Fprintf(&index, "\n![%s](%s)\n", title, name)
		}
	}
	if err := os.WriteFile(filepath.Join(opts.Dir, "index.md"), []byte(index.String()), 0o644); err != nil {
		return files, fmt.Errorf("preview: %w", err)
	}
	return append(files, "index.md"), nil
}

// Panel image sizes: a grid unit is 1/24 of a 1200-pixel-wide dashboard,
// and 30 pixels high, as in Grafana.
func panelSize(p dashboards.Panel) (vg.Length, vg.Length) {
	w := vg.Length(max(p.Width, 6)) * 50
	h := vg.Length(max(p.Height, 4)) * 36
	return w * vg.Inch / 96, h * vg.Inch / 96
}

func previewPanel(ctx context.Context, src Source, p dashboards.Panel, title string, sel dashboards.Selection, opts PreviewOptions) ([]byte, error) {
	w, h := panelSize(p)
	unit := unitOf(p.Unit)
	step := opts.Range / 240
	// Grafana's $__rate_interval for a 1-minute scrape interval.
	sel.Interval = model.Duration(step).String()
	sel.RateInterval = model.Duration(max(step+time.Minute, 4*time.Minute)).String()
	exprs := make([]string, len(p.Queries))
	for i, q := range p.Queries {
		e, err := dashboards.Expand(q.Expr, sel)
		if err != nil {
			return nil, err
		}
		exprs[i] = e
	}
	if p.Kind == "timeseries" {
		var lines []Line
		for i, e := range exprs {
			m, err := src.QueryRange(ctx, e, promv1.Range{Start: opts.At.Add(-opts.Range), End: opts.At, Step: step})
			if err != nil {
				return nil, err
			}
			for _, s := range m {
				l := Line{Name: legend(p.Queries[i].Legend, s.Metric)}
				for _, v := range s.Values {
					if !math.IsNaN(float64(v.Value)) {
						l.Points = append(l.Points, Point{T: v.Timestamp.Time().UTC(), V: float64(v.Value)})
					}
				}
				lines = append(lines, l)
			}
		}
		sort.SliceStable(lines, func(i, j int) bool { return lines[i].Name < lines[j].Name })
		var ths []thresholdLine
		for _, t := range p.Thresholds {
			ths = append(ths, thresholdLine{value: t.Value, colour: colourName(t.Colour)})
		}
		return renderLines(title, unit, opts.At.Add(-opts.Range), opts.At, lines, ths, w, h)
	}
	results := make([]model.Vector, len(exprs))
	for i, e := range exprs {
		v, err := src.Query(ctx, e, opts.At)
		if err != nil {
			return nil, err
		}
		results[i] = v
	}
	colourOf := func(v float64) color.Color {
		c := p.Base
		for _, t := range p.Thresholds {
			if v >= t.Value {
				c = t.Colour
			}
		}
		return colourName(c)
	}
	switch p.Kind {
	case "stat":
		var bars []Bar
		for i, v := range results {
			for _, s := range v {
				bars = append(bars, Bar{Name: legend(p.Queries[i].Legend, s.Metric), Value: float64(s.Value)})
			}
		}
		sort.SliceStable(bars, func(i, j int) bool { return bars[i].Name < bars[j].Name })
		switch len(bars) {
		case 0:
			return message(title, "No data", w, h)
		case 1:
			return renderStat(title, formatValue(Value{OK: !math.IsNaN(bars[0].Value), Value: bars[0].Value}, unit), colourOf(bars[0].Value), w, h)
		}
		var parts []string
		for _, b := range bars {
			parts = append(parts, b.Name+" "+formatValue(Value{OK: !math.IsNaN(b.Value), Value: b.Value}, unit))
		}
		return renderStat(title, strings.Join(parts, "   "), colourOf(bars[0].Value), w, h)
	case "bargauge":
		var bars []Bar
		for i, v := range results {
			for _, s := range v {
				if !math.IsNaN(float64(s.Value)) {
					bars = append(bars, Bar{Name: legend(p.Queries[i].Legend, s.Metric), Value: float64(s.Value)})
				}
			}
		}
		sort.SliceStable(bars, func(i, j int) bool { return bars[i].Name < bars[j].Name })
		return renderBars(title, unit, bars, colourOf, w, h)
	case "table":
		keys, rows := joinRows(nil, results)
		header := append([]string(nil), keys...)
		for _, q := range p.Queries {
			c := q.Legend
			if c == "" {
				c = "Value"
			}
			header = append(header, c)
		}
		var cells [][]string
		for _, r := range rows {
			line := append([]string(nil), r.Keys...)
			for _, v := range r.Values {
				line = append(line, formatValue(v, unit))
			}
			cells = append(cells, line)
		}
		return renderTable(title, header, cells, w, h)
	}
	return nil, fmt.Errorf("panel kind %s cannot be previewed", p.Kind)
}

// legend formats Grafana's legend format for a series' labels.
func legend(format string, m model.Metric) string {
	if format == "" {
		if len(m) == 0 {
			return "Value"
		}
		return m.String()
	}
	return legendRef.ReplaceAllStringFunc(format, func(ref string) string {
		return string(m[model.LabelName(legendRef.FindStringSubmatch(ref)[1])])
	})
}

func colourName(name string) color.Color {
	if c, ok := colours[name]; ok {
		return c
	}
	return colours["green"]
}
