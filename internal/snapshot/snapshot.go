// Package snapshot holds the immutable metric snapshots that collectors build
// from the store on every refresh, and renders them once so that a scrape only
// copies bytes.
package snapshot

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
)

// Snapshot is an immutable set of metric families, sorted by name and, within
// a family, by label values. It implements prometheus.Gatherer so tests can
// compare it with testutil.GatherAndCompare.
type Snapshot struct {
	families []*dto.MetricFamily
}

// Empty is a snapshot without metrics.
var Empty = &Snapshot{}

// Gather returns the families; callers must not modify them.
func (s *Snapshot) Gather() ([]*dto.MetricFamily, error) {
	if s == nil {
		return nil, nil
	}
	return s.families, nil
}

// Families returns the metric families; callers must not modify them.
func (s *Snapshot) Families() []*dto.MetricFamily {
	if s == nil {
		return nil
	}
	return s.families
}

// Series counts the series of the snapshot as Prometheus stores them: a
// histogram is one series per bucket, +Inf included, plus _sum and _count.
func (s *Snapshot) Series() int {
	n := 0
	for _, f := range s.Families() {
		if f.GetType() != dto.MetricType_HISTOGRAM {
			n += len(f.Metric)
			continue
		}
		for _, m := range f.Metric {
			n += histogramSeries(m.GetHistogram())
		}
	}
	return n
}

func histogramSeries(h *dto.Histogram) int {
	n := len(h.GetBucket()) + 2 // _sum and _count
	if len(h.GetBucket()) == 0 || !math.IsInf(h.GetBucket()[len(h.GetBucket())-1].GetUpperBound(), +1) {
		n++ // the +Inf bucket the text format adds
	}
	return n
}

// Merge combines snapshots into one. Each source's series get the extra label
// pair (for example collector="demo"), so two instances of one collector kind
// never produce duplicate series. Families of one name but different types
// are a programming error and are reported.
//
// Snapshots are immutable, so merged series share their values with the
// sources; only label lists are new.
func Merge(sources []Source) (*Snapshot, error) {
	byName := map[string]*dto.MetricFamily{}
	from := map[string]int{} // how many sources a family came from
	for _, src := range sources {
		for _, f := range src.Snapshot.Families() {
			dst, ok := byName[f.GetName()]
			if !ok {
				dst = &dto.MetricFamily{Name: f.Name, Help: f.Help, Type: f.Type, Metric: make([]*dto.Metric, 0, len(f.Metric))}
				byName[f.GetName()] = dst
			} else if dst.GetType() != f.GetType() {
				return nil, fmt.Errorf("metric %s is a %s in one collector and a %s in %s", f.GetName(), dst.GetType(), f.GetType(), src.LabelValue)
			}
			from[f.GetName()]++
			if src.LabelName == "" {
				dst.Metric = append(dst.Metric, f.Metric...)
				continue
			}
			name, value := proto.String(src.LabelName), proto.String(src.LabelValue)
			for _, m := range f.Metric {
				dst.Metric = append(dst.Metric, withLabel(m, name, value))
			}
		}
	}
	out := &Snapshot{families: make([]*dto.MetricFamily, 0, len(byName))}
	for name, f := range byName {
		// A family from one source keeps its order: the same label was
		// added to every series at the same place.
		if from[name] > 1 {
			sortMetrics(f.Metric)
		}
		out.families = append(out.families, f)
	}
	sort.Slice(out.families, func(i, j int) bool { return out.families[i].GetName() < out.families[j].GetName() })
	return out, nil
}

// withLabel returns m with one more label, inserted in name order; the
// value is shared with m.
func withLabel(m *dto.Metric, name, value *string) *dto.Metric {
	labels := make([]*dto.LabelPair, 0, len(m.Label)+1)
	i := sort.Search(len(m.Label), func(i int) bool { return m.Label[i].GetName() >= *name })
	labels = append(labels, m.Label[:i]...)
	labels = append(labels, &dto.LabelPair{Name: name, Value: value})
	labels = append(labels, m.Label[i:]...)
	return &dto.Metric{Label: labels, Gauge: m.Gauge, Counter: m.Counter, Histogram: m.Histogram, Untyped: m.Untyped, Summary: m.Summary, TimestampMs: m.TimestampMs}
}

// Source is one snapshot to merge and the label that tells its series apart.
type Source struct {
	Snapshot   *Snapshot
	LabelName  string
	LabelValue string
}

// Rendered is a snapshot encoded once in the Prometheus text format, plain
// and gzip-compressed, ready to be written to any number of scrapes.
type Rendered struct {
	Text   []byte
	Gzip   []byte
	Series int
}

// Render encodes the snapshot in the text exposition format.
func (s *Snapshot) Render() (*Rendered, error) {
	var text bytes.Buffer
	for _, f := range s.Families() {
		if _, err := expfmt.MetricFamilyToText(&text, f); err != nil {
			return nil, fmt.Errorf("render %s: %w", f.GetName(), err)
		}
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if _, err := zw.Write(text.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return &Rendered{Text: text.Bytes(), Gzip: gz.Bytes(), Series: s.Series()}, nil
}

func sortLabels(ls []*dto.LabelPair) {
	sort.Slice(ls, func(i, j int) bool { return ls[i].GetName() < ls[j].GetName() })
}

func sortMetrics(ms []*dto.Metric) {
	slices.SortStableFunc(ms, func(a, b *dto.Metric) int { return compareLabels(a.Label, b.Label) })
}

// compareLabels orders sorted label lists as labelKey's strings would,
// without building them.
func compareLabels(a, b []*dto.LabelPair) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := strings.Compare(a[i].GetName(), b[i].GetName()); c != 0 {
			return c
		}
		if c := strings.Compare(a[i].GetValue(), b[i].GetValue()); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

func labelKey(ls []*dto.LabelPair) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.GetName())
		b.WriteByte(0)
		b.WriteString(l.GetValue())
		b.WriteByte(0)
	}
	return b.String()
}

// Histogram accumulates observations into fixed buckets, like a Prometheus
// histogram, so that collectors can export exact bucket counts computed from
// stored records.
type Histogram struct {
	Bounds []float64 // upper bounds, ascending, without +Inf
	counts []uint64  // per bucket (not cumulative); last is +Inf
	Sum    float64
	Count  uint64
}

// NewHistogram returns an empty histogram with the given upper bounds.
func NewHistogram(bounds []float64) *Histogram {
	return &Histogram{Bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

// Observe adds one observation.
func (h *Histogram) Observe(v float64) {
	i := sort.SearchFloat64s(h.Bounds, v) // first bound >= v
	h.counts[i]++
	h.Sum += v
	h.Count++
}

// Cumulative returns the count of observations <= Bounds[i].
func (h *Histogram) Cumulative() []uint64 {
	out := make([]uint64, len(h.Bounds))
	var acc uint64
	for i := range h.Bounds {
		acc += h.counts[i]
		out[i] = acc
	}
	return out
}

func (h *Histogram) toDTO() *dto.Histogram {
	cum := h.Cumulative()
	buckets := make([]*dto.Bucket, 0, len(h.Bounds))
	for i, b := range h.Bounds {
		if math.IsInf(b, +1) {
			continue
		}
		buckets = append(buckets, &dto.Bucket{UpperBound: proto.Float64(b), CumulativeCount: proto.Uint64(cum[i])})
	}
	return &dto.Histogram{SampleCount: proto.Uint64(h.Count), SampleSum: proto.Float64(h.Sum), Bucket: buckets}
}

// Clash reports the first family of s that another snapshot also has under
// a different type: merged, the two would give one name two TYPE lines and
// Prometheus would reject the whole scrape.
func Clash(s *Snapshot, others map[string]*Snapshot) error {
	for _, name := range slices.Sorted(maps.Keys(others)) {
		theirs := map[string]dto.MetricType{}
		for _, f := range others[name].Families() {
			theirs[f.GetName()] = f.GetType()
		}
		for _, f := range s.Families() {
			if t, ok := theirs[f.GetName()]; ok && t != f.GetType() {
				return fmt.Errorf("metric %s is a %s here but a %s in %s", f.GetName(), strings.ToLower(f.GetType().String()), strings.ToLower(t.String()), name)
			}
		}
	}
	return nil
}

// Filter returns the series of s that keep accepts, in the same order;
// families left without series are dropped. Values are shared with s.
func (s *Snapshot) Filter(keep func(f *dto.MetricFamily, m *dto.Metric) bool) *Snapshot {
	out := &Snapshot{}
	for _, f := range s.Families() {
		var kept []*dto.Metric
		for _, m := range f.Metric {
			if keep(f, m) {
				kept = append(kept, m)
			}
		}
		if len(kept) > 0 {
			out.families = append(out.families, &dto.MetricFamily{Name: f.Name, Help: f.Help, Type: f.Type, Unit: f.Unit, Metric: kept})
		}
	}
	return out
}
