package snapshot

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/proto"
)

// Builder collects samples for one snapshot. Label values are given as
// name/value pairs. Mistakes (an invalid name, a duplicate series, a family
// with two types or label sets) are collected and returned by Build, so
// collector code stays linear.
type Builder struct {
	families map[string]*family
	errs     []error
}

type family struct {
	dto    *dto.MetricFamily
	labels string // sorted label names, to check every series has the same
	seen   map[string]struct{}
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	return &Builder{families: map[string]*family{}}
}

// Gauge records a gauge sample.
func (b *Builder) Gauge(name, help string, value float64, labels ...string) {
	b.add(name, help, dto.MetricType_GAUGE, labels, func(m *dto.Metric) { m.Gauge = &dto.Gauge{Value: proto.Float64(value)} })
}

// Counter records a counter sample; the name must end in _total.
func (b *Builder) Counter(name, help string, value float64, labels ...string) {
	if !strings.HasSuffix(name, "_total") {
		b.errs = append(b.errs, fmt.Errorf("counter %s: name must end in _total", name))
		return
	}
	b.add(name, help, dto.MetricType_COUNTER, labels, func(m *dto.Metric) { m.Counter = &dto.Counter{Value: proto.Float64(value)} })
}

// Info records an _info metric with value 1.
func (b *Builder) Info(name, help string, labels ...string) {
	if !strings.HasSuffix(name, "_info") {
		b.errs = append(b.errs, fmt.Errorf("info metric %s: name must end in _info", name))
		return
	}
	b.Gauge(name, help, 1, labels...)
}

// Histogram records a histogram sample.
func (b *Builder) Histogram(name, help string, h *Histogram, labels ...string) {
	b.add(name, help, dto.MetricType_HISTOGRAM, labels, func(m *dto.Metric) { m.Histogram = h.toDTO() })
}

func (b *Builder) add(name, help string, typ dto.MetricType, labels []string, set func(*dto.Metric)) {
	if !model.LegacyValidation.IsValidMetricName(name) {
		b.errs = append(b.errs, fmt.Errorf("invalid metric name %q", name))
		return
	}
	if len(labels)%2 != 0 {
		b.errs = append(b.errs, fmt.Errorf("metric %s: labels must be name/value pairs", name))
		return
	}
	pairs := make([]*dto.LabelPair, 0, len(labels)/2)
	for i := 0; i < len(labels); i += 2 {
		if !model.LegacyValidation.IsValidLabelName(labels[i]) {
			b.errs = append(b.errs, fmt.Errorf("metric %s: invalid label name %q", name, labels[i]))
			return
		}
		pairs = append(pairs, &dto.LabelPair{Name: proto.String(labels[i]), Value: proto.String(labels[i+1])})
	}
	sortLabels(pairs)
	names := make([]string, len(pairs))
	for i, p := range pairs {
		names[i] = p.GetName()
	}
	nameKey := strings.Join(names, ",")

	f, ok := b.families[name]
	if !ok {
		f = &family{
			dto:    &dto.MetricFamily{Name: proto.String(name), Help: proto.String(help), Type: typ.Enum()},
			labels: nameKey,
			seen:   map[string]struct{}{},
		}
		b.families[name] = f
	}
	switch {
	case f.dto.GetType() != typ:
		b.errs = append(b.errs, fmt.Errorf("metric %s: used as %s and %s", name, f.dto.GetType(), typ))
		return
	case f.labels != nameKey:
		b.errs = append(b.errs, fmt.Errorf("metric %s: label names {%s} differ from earlier {%s}", name, nameKey, f.labels))
		return
	}
	key := labelKey(pairs)
	if _, dup := f.seen[key]; dup {
		b.errs = append(b.errs, fmt.Errorf("metric %s: duplicate series %v", name, labels))
		return
	}
	f.seen[key] = struct{}{}
	m := &dto.Metric{Label: pairs}
	set(m)
	f.dto.Metric = append(f.dto.Metric, m)
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
