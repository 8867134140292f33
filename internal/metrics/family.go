// Package metrics is the metric catalog: every metric family the exporter can
// emit is declared here once, with its type, help, labels and unit. Collectors,
// the snapshot builder, the window helpers, the docs test and the bundle
// generator all read these declarations, so a name is spelled in one place.
package metrics

import (
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
)

// Type is a family's Prometheus type.
type Type string

// The types the exporter emits. An info metric is a gauge named *_info.
const (
	Gauge     Type = "gauge"
	Counter   Type = "counter"
	Histogram Type = "histogram"
)

// Family is one declared metric family.
type Family struct {
	Name string
	Type Type
	Help string
	// Labels are the label names the code sets, in the order the docs
	// list them. Families of collectors (Exporter false) also carry the
	// "collector" label, which the scheduler adds per instance.
	Labels []string
	// Unit is the base unit of the value ("seconds", "ratio"), empty for
	// plain counts and money (whose currency the data source decides).
	Unit string
	// Buckets are a histogram's upper bounds.
	Buckets []float64
	// Historical is true when the value at a past instant can be
	// recomputed from the stored records (dated rows, incident timelines),
	// which backfill needs. Figures that only exist now (collector health,
	// rows read, the configuration) are false.
	Historical bool
	// Exporter is true for the exporter's own families, which get no
	// per-collector label.
	Exporter bool

	sortedLabels []string
}

// CollectorLabel is the label the scheduler adds to every collector series.
const CollectorLabel = "collector"

// WindowLabel carries a look-back window ("7d", "30d", ...).
const WindowLabel = "window"

// SeriesLabels returns every label a scraped series of the family has,
// except le on histogram buckets.
func (f *Family) SeriesLabels() []string {
	if f.Exporter {
		return slices.Clone(f.Labels)
	}
	return append(slices.Clone(f.Labels), CollectorLabel)
}

// HasLabel reports whether the code sets label name on the family.
func (f *Family) HasLabel(name string) bool { return slices.Contains(f.Labels, name) }

// SortedLabels returns the label names in sorted order (shared, read only).
// Declared and custom families compute it once, before any builder can use
// them concurrently.
func (f *Family) SortedLabels() []string {
	if f.sortedLabels == nil && len(f.Labels) > 0 {
		return slices.Sorted(slices.Values(f.Labels))
	}
	return f.sortedLabels
}

// Desc is the family as a client_golang descriptor, for the exporter's own
// metrics that are collected at scrape time.
func (f *Family) Desc() *prometheus.Desc {
	return prometheus.NewDesc(f.Name, f.Help, f.SeriesLabels(), nil)
}

// Check reports what is wrong with a family's declaration.
func (f *Family) Check() error {
	switch {
	case !model.LegacyValidation.IsValidMetricName(f.Name) || strings.Contains(f.Name, ":"):
		return fmt.Errorf("metric %q: invalid name", f.Name)
	case f.Help == "":
		return fmt.Errorf("metric %s: no help", f.Name)
	case f.Type != Gauge && f.Type != Counter && f.Type != Histogram:
		return fmt.Errorf("metric %s: unknown type %q", f.Name, f.Type)
	case f.Type == Counter && !strings.HasSuffix(f.Name, "_total"):
		return fmt.Errorf("counter %s: name must end in _total", f.Name)
	case f.Type != Counter && strings.HasSuffix(f.Name, "_total"):
		return fmt.Errorf("%s %s: only counters end in _total", f.Type, f.Name)
	case f.Type == Histogram && len(f.Buckets) == 0:
		return fmt.Errorf("histogram %s: no buckets", f.Name)
	case f.Type != Histogram && len(f.Buckets) > 0:
		return fmt.Errorf("%s %s: only histograms have buckets", f.Type, f.Name)
	case f.Unit != "" && !strings.Contains(f.Name, "_"+f.Unit):
		return fmt.Errorf("metric %s: the unit %q must be part of the name", f.Name, f.Unit)
	}
	seen := map[string]bool{}
	for _, l := range f.Labels {
		switch {
		case !model.LegacyValidation.IsValidLabelName(l) || strings.HasPrefix(l, "__"):
			return fmt.Errorf("metric %s: invalid label name %q", f.Name, l)
		case seen[l]:
			return fmt.Errorf("metric %s: label %q listed twice", f.Name, l)
		case l == CollectorLabel && !f.Exporter, l == "le":
			return fmt.Errorf("metric %s: label %q is added by the exporter or Prometheus", f.Name, l)
		}
		seen[l] = true
	}
	return nil
}

// Custom returns a family a user declares in the configuration (a records
// table's custom metric). It is not part of the catalog; see Claims.
func Custom(name string, typ Type, help string, labels []string) *Family {
	f := &Family{Name: name, Type: typ, Help: help, Labels: labels}
	f.sortedLabels = slices.Sorted(slices.Values(labels))
	return f
}

var (
	declared []*Family
	byName   = map[string]*Family{}
)

// declare adds f to the catalog. A bad or duplicate declaration is a
// programming error caught by the package's tests at init.
func declare(f Family) *Family {
	if err := f.Check(); err != nil {
		panic("metrics: " + err.Error())
	}
	if _, dup := byName[f.Name]; dup {
		panic("metrics: declared twice: " + f.Name)
	}
	p := &f
	p.sortedLabels = slices.Sorted(slices.Values(f.Labels))
	declared = append(declared, p)
	byName[f.Name] = p
	return p
}

// All returns every declared family sorted by name.
func All() []*Family {
	out := slices.Clone(declared)
	slices.SortFunc(out, func(a, b *Family) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Lookup returns the declared family named name.
func Lookup(name string) (*Family, bool) {
	f, ok := byName[name]
	return f, ok
}

// Reserved reports whether a user-chosen name would collide with a declared
// family, including the _bucket, _sum and _count series of histograms.
func Reserved(name string) (*Family, bool) {
	if f, ok := byName[name]; ok {
		return f, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if f, ok := byName[strings.TrimSuffix(name, suffix)]; ok && f.Type == Histogram && strings.HasSuffix(name, suffix) {
			return f, true
		}
	}
	return nil, false
}

// Labels the generated SLO rules put on their series (they name the SLO, so
// they share the namespace and must never clash with a family's labels).
const (
	SLOServiceLabel = Namespace + "_service"
	SLONameLabel    = Namespace + "_slo"
	// SLOOriginLabel tells how the SLO is measured: "prometheus" for the
	// rules' own SLIs, "records" for SLOs reported in an slo records table.
	SLOOriginLabel = "origin"
)
