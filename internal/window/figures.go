package window

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
	"github.com/sre-value/sre-value-exporter/internal/snapshot"
)

// series is one label set of a figure, its values per window.
type series[V any] struct {
	labels []string
	values []V // one per window of All
}

// table keeps a figure's series by label set.
type table[V any] struct {
	rows  map[string]*series[V]
	fresh func() V
}

func newTable[V any](fresh func() V) table[V] {
	return table[V]{rows: map[string]*series[V]{}, fresh: fresh}
}

// row returns the series of labels, creating it (with every window at its
// zero) on first use.
func (t *table[V]) row(labels []string) *series[V] {
	key := strings.Join(labels, "\xff")
	r, ok := t.rows[key]
	if !ok {
		r = &series[V]{labels: slices.Clone(labels), values: make([]V, len(All))}
		for i := range r.values {
			r.values[i] = t.fresh()
		}
		t.rows[key] = r
	}
	return r
}

func (t *table[V]) sorted() []*series[V] {
	keys := make([]string, 0, len(t.rows))
	for k := range t.rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*series[V], len(keys))
	for i, k := range keys {
		out[i] = t.rows[k]
	}
	return out
}

// cutoffs are the windows' start times as of now, computed once per figure.
type cutoffs struct {
	now  time.Time
	from []time.Time
}

func newCutoffs(now time.Time) cutoffs {
	c := cutoffs{now: now, from: make([]time.Time, len(All))}
	for i, w := range All {
		c.from[i] = now.Add(-w.Duration)
	}
	return c
}

// in reports whether an event at t falls into window i (see Contains).
func (c cutoffs) in(i int, t time.Time) bool { return t.After(c.from[i]) && !t.After(c.now) }

func withWindow(w Window, labels []string) []string {
	return append([]string{LabelName, w.Label}, labels...)
}

// Sum accumulates a value per label set and window, exported as one gauge.
// Every label set that was added at all is exported for every window (at 0
// where nothing fell in), so panels show 0 rather than "no data".
type Sum struct {
	cutoffs
	family *metrics.Family
	table[float64]
}

// NewSum returns a sum exported as family (a gauge with a window label).
func NewSum(now time.Time, family *metrics.Family) *Sum {
	return &Sum{cutoffs: newCutoffs(now), family: family, table: newTable(func() float64 { return 0 })}
}

// Add adds v for an event at t under labels (name/value pairs).
func (s *Sum) Add(t time.Time, v float64, labels ...string) {
	s.add(s.row(labels), t, v)
}

func (s *Sum) add(r *series[float64], t time.Time, v float64) {
	for i := range r.values {
		if s.in(i, t) {
			r.values[i] += v
		}
	}
}

// SumSeries is one label set of a Sum, for callers that add many events
// to few label sets and look the set up once.
type SumSeries struct {
	sum *Sum
	row *series[float64]
}

// Series returns the label set's series, exported (at 0) from now on.
func (s *Sum) Series(labels ...string) *SumSeries { return &SumSeries{s, s.row(labels)} }

// Add adds v for an event at t.
func (r *SumSeries) Add(t time.Time, v float64) { r.sum.add(r.row, t, v) }

// Touch exports labels at zero in every window even without events.
func (s *Sum) Touch(labels ...string) { s.row(labels) }

// Emit writes the gauges into b.
func (s *Sum) Emit(b *snapshot.Builder) {
	for _, r := range s.sorted() {
		for i, w := range All {
			b.Gauge(s.family, r.values[i], withWindow(w, r.labels)...)
		}
	}
}

// Histogram accumulates observations per label set and window, exported as
// a histogram (bucket counts, sum and count) per window.
type Histogram struct {
	cutoffs
	family *metrics.Family
	table[*snapshot.Histogram]
}

// NewHistogram returns a windowed histogram with the family's buckets.
func NewHistogram(now time.Time, family *metrics.Family) *Histogram {
	return &Histogram{cutoffs: newCutoffs(now), family: family, table: newTable(func() *snapshot.Histogram { return snapshot.NewHistogram(family.Buckets) })}
}

// Observe adds observation v for an event at t under labels.
func (h *Histogram) Observe(t time.Time, v float64, labels ...string) {
	h.observe(h.row(labels), t, v)
}

func (h *Histogram) observe(r *series[*snapshot.Histogram], t time.Time, v float64) {
	for i := range r.values {
		if h.in(i, t) {
			r.values[i].Observe(v)
		}
	}
}

// HistogramSeries is one label set of a Histogram (see SumSeries).
type HistogramSeries struct {
	hist *Histogram
	row  *series[*snapshot.Histogram]
}

// Series returns the label set's series, exported (empty) from now on.
func (h *Histogram) Series(labels ...string) *HistogramSeries {
	return &HistogramSeries{h, h.row(labels)}
}

// Observe adds observation v for an event at t.
func (r *HistogramSeries) Observe(t time.Time, v float64) { r.hist.observe(r.row, t, v) }

// Touch exports labels at zero in every window even without observations.
func (h *Histogram) Touch(labels ...string) { h.row(labels) }

// Emit writes the histograms into b.
func (h *Histogram) Emit(b *snapshot.Builder) {
	for _, r := range h.sorted() {
		for i, w := range All {
			b.Histogram(h.family, r.values[i], withWindow(w, r.labels)...)
		}
	}
}

// Distinct counts distinct items per label set in each window (distinct
// initiatives with a saving in the last 30 days).
type Distinct struct {
	cutoffs
	family *metrics.Family
	table[map[string]bool]
}

// NewDistinct returns a distinct count exported as family.
func NewDistinct(now time.Time, family *metrics.Family) *Distinct {
	return &Distinct{cutoffs: newCutoffs(now), family: family, table: newTable(func() map[string]bool { return map[string]bool{} })}
}

// Add counts item for an event at t under labels.
func (d *Distinct) Add(t time.Time, item string, labels ...string) {
	r := d.row(labels)
	for i := range r.values {
		if d.in(i, t) {
			r.values[i][item] = true
		}
	}
}

// Emit writes the counts into b.
func (d *Distinct) Emit(b *snapshot.Builder) {
	for _, r := range d.sorted() {
		for i, w := range All {
			b.Gauge(d.family, float64(len(r.values[i])), withWindow(w, r.labels)...)
		}
	}
}

// Gauges sums values per label set for one gauge family without windows
// (enrolments by team and course).
type Gauges struct {
	family *metrics.Family
	values map[string]float64
	labels map[string][]string
}

// NewGauges returns per-label-set gauges exported as family.
func NewGauges(family *metrics.Family) *Gauges {
	return &Gauges{family: family, values: map[string]float64{}, labels: map[string][]string{}}
}

// Add adds v to the gauge of labels.
func (g *Gauges) Add(v float64, labels ...string) {
	key := strings.Join(labels, "\xff")
	if _, ok := g.labels[key]; !ok {
		g.labels[key] = labels
	}
	g.values[key] += v
}

// Set replaces the value (for figures that are not sums).
func (g *Gauges) Set(v float64, labels ...string) {
	key := strings.Join(labels, "\xff")
	g.labels[key] = labels
	g.values[key] = v
}

// Emit writes the gauges into b.
func (g *Gauges) Emit(b *snapshot.Builder) {
	keys := make([]string, 0, len(g.values))
	for k := range g.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.Gauge(g.family, g.values[k], g.labels[k]...)
	}
}
