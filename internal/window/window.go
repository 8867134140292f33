// Package window computes the exact "last 7/30/90 days" figures that
// dashboards show as headline numbers. A fresh Prometheus has no history and
// increase() extrapolates, so every collector computes these from its store on
// each refresh, with the same windows and semantics: an event counts in a
// window when its time t satisfies now-window < t <= now.
//
// Figures are exported as sums and counts (and histogram buckets where a
// median or p90 is wanted), never as means or quantiles, so that they can be
// summed across teams and services exactly.
package window

import (
	"sort"
	"strings"
	"time"

	"github.com/sre-value/sre-value-exporter/internal/snapshot"
)

// Window is one look-back period.
type Window struct {
	Label    string
	Duration time.Duration
}

// All are the windows every collector exports, in the label "window".
var All = []Window{
	{"7d", 7 * 24 * time.Hour},
	{"30d", 30 * 24 * time.Hour},
	{"90d", 90 * 24 * time.Hour},
}

// LabelName is the label that carries the window.
const LabelName = "window"

// Contains reports whether an event at t falls into w as of now.
func (w Window) Contains(now, t time.Time) bool {
	return t.After(now.Add(-w.Duration)) && !t.After(now)
}

const sep = "\xff"

// Sum accumulates a value per label set and window, exported as one gauge.
// Every label set that was added at all is exported for every window (at 0
// where nothing fell in), so panels show 0 rather than "no data".
type Sum struct {
	now    time.Time
	name   string
	help   string
	values map[string]*[3]float64
}

// NewSum returns a sum named name (the gauge's full name).
func NewSum(now time.Time, name, help string) *Sum {
	return &Sum{now: now, name: name, help: help, values: map[string]*[3]float64{}}
}

// Add adds v for an event at t under labels (name/value pairs).
func (s *Sum) Add(t time.Time, v float64, labels ...string) {
	key := strings.Join(labels, sep)
	vals, ok := s.values[key]
	if !ok {
		vals = &[3]float64{}
		s.values[key] = vals
	}
	for i, w := range All {
		if w.Contains(s.now, t) {
			vals[i] += v
		}
	}
}

// Emit writes the gauges into b.
func (s *Sum) Emit(b *snapshot.Builder) {
	for _, key := range sortedKeys(s.values) {
		labels := splitKey(key)
		for i, w := range All {
			b.Gauge(s.name, s.help, s.values[key][i], append([]string{LabelName, w.Label}, labels...)...)
		}
	}
}

// Histogram accumulates observations per label set and window, exported as
// a histogram (bucket counts, sum and count) per window.
type Histogram struct {
	now    time.Time
	name   string
	help   string
	bounds []float64
	hists  map[string]*[3]*snapshot.Histogram
}

// NewHistogram returns a windowed histogram with the given bucket bounds.
func NewHistogram(now time.Time, name, help string, bounds []float64) *Histogram {
	return &Histogram{now: now, name: name, help: help, bounds: bounds, hists: map[string]*[3]*snapshot.Histogram{}}
}

// Observe adds observation v for an event at t under labels.
func (h *Histogram) Observe(t time.Time, v float64, labels ...string) {
	key := strings.Join(labels, sep)
	hs, ok := h.hists[key]
	if !ok {
		hs = &[3]*snapshot.Histogram{}
		for i := range hs {
			hs[i] = snapshot.NewHistogram(h.bounds)
		}
		h.hists[key] = hs
	}
	for i, w := range All {
		if w.Contains(h.now, t) {
			hs[i].Observe(v)
		}
	}
}

// Touch exports labels at zero in every window even without observations.
func (h *Histogram) Touch(labels ...string) {
	key := strings.Join(labels, sep)
	if _, ok := h.hists[key]; !ok {
		hs := &[3]*snapshot.Histogram{}
		for i := range hs {
			hs[i] = snapshot.NewHistogram(h.bounds)
		}
		h.hists[key] = hs
	}
}

// Touch exports labels at zero in every window even without events.
func (s *Sum) Touch(labels ...string) {
	key := strings.Join(labels, sep)
	if _, ok := s.values[key]; !ok {
		s.values[key] = &[3]float64{}
	}
}

// Emit writes the histograms into b.
func (h *Histogram) Emit(b *snapshot.Builder) {
	for _, key := range sortedKeys(h.hists) {
		labels := splitKey(key)
		for i, w := range All {
			b.Histogram(h.name, h.help, h.hists[key][i], append([]string{LabelName, w.Label}, labels...)...)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func splitKey(key string) []string {
	if key == "" {
		return nil
	}
	return strings.Split(key, sep)
}
