package records

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/sre-value/sre-value-exporter/internal/catalog"
	"github.com/sre-value/sre-value-exporter/internal/mask"
	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
	"github.com/sre-value/sre-value-exporter/internal/tabular"
	"github.com/sre-value/sre-value-exporter/internal/window"
)

// customMetric is one metric a custom table defines.
type customMetric struct {
	Name   string        `yaml:"name"`
	Help   string        `yaml:"help"`
	Type   string        `yaml:"type"`
	Labels []customLabel `yaml:"labels"`
	// ValueColumn is summed; without it every row counts 1.
	ValueColumn string `yaml:"value_column"`
	// DateColumn also exports <name>_in_window (without _total) over the
	// 7d/30d/90d windows.
	DateColumn string `yaml:"date_column"`
	Line       int    `yaml:",line" json:"-"`

	// family and windowFamily are the metric's declarations, made once
	// when the settings are validated.
	family, windowFamily *metrics.Family
}

// customLabel takes a label's value from a column. Labels named team or
// service go through the catalog like every other collector's.
type customLabel struct {
	Label  string `yaml:"label"`
	Column string `yaml:"column"`
}

// emptyLabel is the label value of an empty cell.
const emptyLabel = "none"

// reservedLabels are added by the framework or the windows.
var reservedLabels = []string{window.LabelName, "collector", "job", "instance"}

func windowName(m customMetric) string { return strings.TrimSuffix(m.Name, "_total") + "_in_window" }

// validateCustom checks a custom table's metrics. taken holds the names
// already defined by this collector's tables; claims those of the whole
// configuration, so a name never clashes with a declared family or with
// another collector's metric of a different type or labels.
func validateCustom(ts tableSettings, field string, errAt func(int, string, string, ...any) error, taken map[string]string, claims *metrics.Claims, collectorField string) ([]customMetric, error) {
	if len(ts.Metrics) == 0 {
		return nil, errAt(ts.Line, field+".metrics", "required: a custom table defines at least one metric")
	}
	out := make([]customMetric, len(ts.Metrics))
	for i, m := range ts.Metrics {
		mf := fmt.Sprintf("%s.metrics[%d]", field, i)
		switch {
		case !strings.HasPrefix(m.Name, "sre_"):
			return nil, errAt(m.Line, mf+".name", "%s must start with sre_", mask.Quote(m.Name))
		case !model.LegacyValidation.IsValidMetricName(m.Name) || strings.Contains(m.Name, ":"):
			return nil, errAt(m.Line, mf+".name", "%s is not a valid metric name (letters, digits and _)", mask.Quote(m.Name))
		case m.Type != "gauge" && m.Type != "counter":
			return nil, errAt(m.Line, mf+".type", "%s is not a metric type; use gauge or counter", mask.Quote(m.Type))
		case m.Type == "counter" && !strings.HasSuffix(m.Name, "_total"):
			return nil, errAt(m.Line, mf+".name", "counter %s must end in _total", mask.Quote(m.Name))
		case m.Type == "gauge" && strings.HasSuffix(m.Name, "_total"):
			return nil, errAt(m.Line, mf+".name", "gauge %s must not end in _total (that suffix is for counters)", mask.Quote(m.Name))
		}
		for _, suffix := range []string{"_sum", "_count", "_bucket", "_info"} {
			if strings.HasSuffix(m.Name, suffix) {
				return nil, errAt(m.Line, mf+".name", "%s must not end in %s, which Prometheus reserves for histograms and info metrics", mask.Quote(m.Name), suffix)
			}
		}
		if m.Help == "" {
			m.Help = fmt.Sprintf("Custom metric from records table %s.", ts.Name)
		}
		seen := map[string]bool{}
		for j, l := range m.Labels {
			lf := fmt.Sprintf("%s.labels[%d]", mf, j)
			switch {
			case !model.LegacyValidation.IsValidLabelName(l.Label) || strings.HasPrefix(l.Label, "__"):
				return nil, errAt(m.Line, lf+".label", "%s is not a valid label name (letters, digits and _, not starting with __)", mask.Quote(l.Label))
			case contains(reservedLabels, l.Label):
				return nil, errAt(m.Line, lf+".label", "%s is reserved: the exporter or Prometheus sets it", mask.Quote(l.Label))
			case seen[l.Label]:
				return nil, errAt(m.Line, lf+".label", "%s is used twice", mask.Quote(l.Label))
			case strings.TrimSpace(l.Column) == "":
				return nil, errAt(m.Line, lf+".column", "required: the header of the column the label's value comes from")
			}
			seen[l.Label] = true
		}
		labels := make([]string, len(m.Labels))
		for j, l := range m.Labels {
			labels[j] = l.Label
		}
		m.family = metrics.Custom(m.Name, metrics.Type(m.Type), m.Help, labels)
		families := []*metrics.Family{m.family}
		if m.DateColumn != "" {
			m.windowFamily = metrics.Custom(windowName(m), metrics.Gauge, m.Help+" Sum over rows dated in the window.", append(labels, metrics.WindowLabel))
			families = append(families, m.windowFamily)
		}
		for _, f := range families {
			if prev, dup := taken[f.Name]; dup {
				return nil, errAt(m.Line, mf+".name", "%s is already defined by %s", mask.Quote(f.Name), prev)
			}
			taken[f.Name] = mf
			where := fmt.Sprintf("%s.%s (line %d)", collectorField, mf, m.Line)
			if err := claims.Claim(f, where); err != nil {
				return nil, errAt(m.Line, mf+".name", "%v", err)
			}
		}
		out[i] = m
	}
	return out, nil
}

// customSchema reads the columns the metrics name; every row counts.
type customSchema struct {
	table   string
	metrics []customMetric
}

// customRow holds, per metric, the row's label values (as in the file),
// value and time.
type customRow struct {
	Values []customValue `json:"m"`
}

type customValue struct {
	Labels []string `json:"l,omitempty"`
	Value  float64  `json:"v"`
	Time   int64    `json:"t,omitempty"`
}

func (s *customSchema) columns() []tabular.Column {
	var cols []tabular.Column
	seen := map[string]bool{}
	add := func(header string) {
		if name := columnKey(header); name != "" && !seen[name] {
			seen[name] = true
			cols = append(cols, tabular.Column{Name: name})
		}
	}
	for _, m := range s.metrics {
		for _, l := range m.Labels {
			add(l.Column)
		}
		add(m.ValueColumn)
		add(m.DateColumn)
	}
	return cols
}

// columnKey is the logical name of a custom table's column: headers match
// whatever their case, so "Team" and "team" are one column.
func columnKey(header string) string { return strings.ToLower(strings.TrimSpace(header)) }

func (s *customSchema) parse(r tabular.Record) (any, []string, error) {
	row := customRow{Values: make([]customValue, len(s.metrics))}
	var identity []string
	for i, m := range s.metrics {
		v := customValue{Value: 1}
		for _, l := range m.Labels {
			cell := text(r.Text(columnKey(l.Column)))
			v.Labels = append(v.Labels, cell)
			identity = append(identity, strings.ToLower(cell))
		}
		if m.ValueColumn != "" {
			var err error
			if m.Type == "counter" {
				v.Value, err = r.Number(columnKey(m.ValueColumn))
			} else {
				v.Value, err = r.Float(columnKey(m.ValueColumn))
			}
			if err != nil {
				return nil, nil, err
			}
		}
		if m.DateColumn != "" {
			t, err := r.Date(columnKey(m.DateColumn))
			if err != nil {
				return nil, nil, err
			}
			v.Time = unix(t)
			identity = append(identity, day(t))
		}
		row.Values[i] = v
	}
	return row, identity, nil
}

// labels maps a value's cells to label pairs, through the catalog for team
// and service.
func (s *customSchema) labels(cat *catalog.Catalog, m customMetric, cells []string) []string {
	out := make([]string, 0, 2*len(m.Labels))
	for j, l := range m.Labels {
		v := cells[j]
		switch {
		case v == "":
			v = emptyLabel
		case l.Label == "team":
			v = cat.Team("csv", v)
		case l.Label == "service":
			v = cat.Service("csv", v)
		}
		out = append(out, l.Label, v)
	}
	return out
}

func (s *customSchema) count(c *tallies, id string, row any) {
	r := row.(customRow)
	for i, m := range s.metrics {
		if m.Type == "counter" {
			c.Observe(m.family, id, r.Values[i].Value, s.labels(c.catalog, m, r.Values[i].Labels)...)
		}
	}
}

func (s *customSchema) counters() []*metrics.Family {
	var specs []*metrics.Family
	for _, m := range s.metrics {
		if m.Type == "counter" {
			specs = append(specs, m.family)
		}
	}
	return specs
}

func (s *customSchema) aggregateKey() string { return "custom:" + s.table }

func (s *customSchema) newAggregator(now time.Time, cat *catalog.Catalog) aggregator {
	a := &customAggregator{schema: s, catalog: cat, gauges: make([]*window.Gauges, len(s.metrics)), windows: make([]*window.Sum, len(s.metrics))}
	for i, m := range s.metrics {
		if m.Type == "gauge" {
			a.gauges[i] = window.NewGauges(m.family)
		}
		if m.DateColumn != "" {
			a.windows[i] = window.NewSum(now, m.windowFamily)
		}
	}
	return a
}

type customAggregator struct {
	schema  *customSchema
	catalog *catalog.Catalog
	gauges  []*window.Gauges // nil for counters
	windows []*window.Sum    // nil without a date column
}

func (a *customAggregator) add(data []byte) error {
	var r customRow
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	if len(r.Values) != len(a.schema.metrics) {
		return fmt.Errorf("has %d metric values, the table defines %d", len(r.Values), len(a.schema.metrics))
	}
	for i, m := range a.schema.metrics {
		v := r.Values[i]
		labels := a.schema.labels(a.catalog, m, v.Labels)
		if a.gauges[i] != nil {
			a.gauges[i].Add(v.Value, labels...)
		}
		if a.windows[i] != nil {
			a.windows[i].Add(fromUnix(v.Time), v.Value, labels...)
		}
	}
	return nil
}

func (a *customAggregator) emit(b *snapshot.Builder) {
	for i := range a.schema.metrics {
		if a.gauges[i] != nil {
			a.gauges[i].Emit(b)
		}
		if a.windows[i] != nil {
			a.windows[i].Emit(b)
		}
	}
}
