package snapshot

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
)

// Builder collects samples for one snapshot. Every sample belongs to a
// family of the metric catalog; label values are given as name/value pairs
// and must name exactly the family's labels. Mistakes (a wrong type or label
// set, a duplicate series) are collected and returned by Build, so collector
// code stays linear.
type Builder struct {
	families map[string]*family
	errs     []error
}

type family struct {
	decl *metrics.Family
	dto  *dto.MetricFamily
	seen map[string]struct{}
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	return &Builder{families: map[string]*family{}}
}

// Gauge records a gauge sample.
func (b *Builder) Gauge(f *metrics.Family, value float64, labels ...string) {
	b.add(f, metrics.Gauge, labels, func(m *dto.Metric) { m.Gauge = &dto.Gauge{Value: proto.Float64(Tidy(value))} })
}

// Counter records a counter sample.
func (b *Builder) Counter(f *metrics.Family, value float64, labels ...string) {
	b.add(f, metrics.Counter, labels, func(m *dto.Metric) { m.Counter = &dto.Counter{Value: proto.Float64(Tidy(value))} })
}

// Info records an _info metric with value 1.
func (b *Builder) Info(f *metrics.Family, labels ...string) {
	if !strings.HasSuffix(f.Name, "_info") {
		b.errs = append(b.errs, fmt.Errorf("info metric %s: name must end in _info", f.Name))
		return
	}
	b.Gauge(f, 1, labels...)
}

// Histogram records a histogram sample.
func (b *Builder) Histogram(f *metrics.Family, h *Histogram, labels ...string) {
	b.add(f, metrics.Histogram, labels, func(m *dto.Metric) { m.Histogram = h.toDTO() })
}

func (b *Builder) add(f *metrics.Family, typ metrics.Type, labels []string, set func(*dto.Metric)) {
	if f.Type != typ {
		b.errs = append(b.errs, fmt.Errorf("metric %s: a %s used as a %s", f.Name, f.Type, typ))
		return
	}
	if len(labels)%2 != 0 {
		b.errs = append(b.errs, fmt.Errorf("metric %s: labels must be name/value pairs", f.Name))
		return
	}
	pairs := make([]*dto.LabelPair, 0, len(labels)/2)
	for i := 0; i < len(labels); i += 2 {
		pairs = append(pairs, &dto.LabelPair{Name: proto.String(labels[i]), Value: proto.String(labels[i+1])})
	}
	sortLabels(pairs)
	if !sameNames(pairs, f.SortedLabels()) {
		names := make([]string, len(pairs))
		for i, p := range pairs {
			names[i] = p.GetName()
		}
		b.errs = append(b.errs, fmt.Errorf("metric %s: labels %v, the catalog declares %v", f.Name, names, f.SortedLabels()))
		return
	}

	fam, ok := b.families[f.Name]
	if !ok {
		fam = &family{
			decl: f,
			dto:  &dto.MetricFamily{Name: proto.String(f.Name), Help: proto.String(f.Help), Type: dtoType(f.Type).Enum()},
			seen: map[string]struct{}{},
		}
		b.families[f.Name] = fam
	} else if fam.decl != f {
		b.errs = append(b.errs, fmt.Errorf("metric %s: declared twice", f.Name))
		return
	}
	key := labelKey(pairs)
	if _, dup := fam.seen[key]; dup {
		b.errs = append(b.errs, fmt.Errorf("metric %s: duplicate series %v", f.Name, labels))
		return
	}
	fam.seen[key] = struct{}{}
	m := &dto.Metric{Label: pairs}
	set(m)
	fam.dto.Metric = append(fam.dto.Metric, m)
}

func sameNames(pairs []*dto.LabelPair, sorted []string) bool {
	if len(pairs) != len(sorted) {
		return false
	}
	for i, p := range pairs {
		if p.GetName() != sorted[i] {
			return false
		}
	}
	return true
}

func dtoType(t metrics.Type) dto.MetricType {
	switch t {
	case metrics.Counter:
		return dto.MetricType_COUNTER
	case metrics.Histogram:
		return dto.MetricType_HISTOGRAM
	}
	return dto.MetricType_GAUGE
}

// Tidy removes binary rounding noise (0.8220000000000001) from a value that
// is a sum or ratio of decimal figures: when rounding to 15 significant
// digits, the precision a float64 holds exactly, leaves fewer than 15, the
// digits after them were noise. A true repeating fraction (8/11) keeps every
// digit, and whole numbers are kept as they are.
func Tidy(v float64) float64 {
	if v == math.Trunc(v) || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	short := strconv.FormatFloat(v, 'g', 15, 64)
	if significantDigits(short) >= 15 {
		return v
	}
	t, err := strconv.ParseFloat(short, 64)
	if err != nil {
		return v
	}
	return t
}

// significantDigits counts the mantissa digits of a %g-formatted number,
// without leading zeros.
func significantDigits(s string) int {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	n, leading := 0, true
	for _, c := range s {
		if c < '0' || c > '9' || (leading && c == '0') {
			continue
		}
		leading = false
		n++
	}
	return n
}

// Build returns the snapshot, or every mistake made while building it.
func (b *Builder) Build() (*Snapshot, error) {
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	s := &Snapshot{families: make([]*dto.MetricFamily, 0, len(b.families))}
	for _, f := range b.families {
		sortMetrics(f.dto.Metric)
		s.families = append(s.families, f.dto)
	}
	sort.Slice(s.families, func(i, j int) bool { return s.families[i].GetName() < s.families[j].GetName() })
	return s, nil
}
