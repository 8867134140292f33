package snapshot

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sre-value/sre-value-exporter/internal/metrics"
)

func TestBuilderRejectsMistakesInsteadOfExportingThem(t *testing.T) {
	x := metrics.Custom("sre_x", metrics.Gauge, "h", []string{"team"})
	xTotal := metrics.Custom("sre_x_total", metrics.Counter, "h", nil)
	tests := []struct {
		name  string
		build func(b *Builder)
		want  string
	}{
		{"a gauge used as a counter", func(b *Builder) { b.Counter(x, 1, "team", "a") }, "metric sre_x: a gauge used as a counter"},
		{"a duplicate series", func(b *Builder) { b.Gauge(x, 1, "team", "a"); b.Gauge(x, 2, "team", "a") }, "metric sre_x: duplicate series [team a]"},
		{"labels the catalog does not declare", func(b *Builder) { b.Gauge(x, 2, "service", "a") }, "metric sre_x: labels [service], the catalog declares [team]"},
		{"a missing label", func(b *Builder) { b.Counter(xTotal, 1, "team", "a") }, "metric sre_x_total: labels [team], the catalog declares []"},
		{"two declarations of one name", func(b *Builder) {
			b.Gauge(x, 1, "team", "a")
			b.Gauge(metrics.Custom("sre_x", metrics.Gauge, "h", []string{"team"}), 2, "team", "b")
		}, "metric sre_x: declared twice"},
		{"an odd label list", func(b *Builder) { b.Gauge(x, 1, "team") }, "labels must be name/value pairs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder()
			tt.build(b)
			if _, err := b.Build(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestMergeLabelsEachSourceAndRendersSortedText(t *testing.T) {
	a, b := NewBuilder(), NewBuilder()
	open := metrics.Custom("sre_open", metrics.Gauge, "Open things.", []string{"team"})
	a.Gauge(open, 2, "team", "payments")
	b.Gauge(open, 5, "team", "payments")
	h := NewHistogram([]float64{60, 3600})
	h.Observe(30)
	h.Observe(60) // upper bounds are inclusive, as in Prometheus
	h.Observe(7200)
	b.Histogram(metrics.Custom("sre_wait_seconds", metrics.Histogram, "Waits.", nil), h)
	sa, _ := a.Build()
	sb, _ := b.Build()
	merged, err := Merge([]Source{{sb, "collector", "b"}, {sa, "collector", "a"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `# HELP sre_open Open things.
# TYPE sre_open gauge
sre_open{collector="a",team="payments"} 2
sre_open{collector="b",team="payments"} 5
# HELP sre_wait_seconds Waits.
# TYPE sre_wait_seconds histogram
sre_wait_seconds_bucket{collector="b",le="60"} 2
sre_wait_seconds_bucket{collector="b",le="3600"} 2
sre_wait_seconds_bucket{collector="b",le="+Inf"} 3
sre_wait_seconds_sum{collector="b"} 7290
sre_wait_seconds_count{collector="b"} 3
`
	if err := testutil.GatherAndCompare(merged, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	r, err := merged.Render()
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Text) != want || r.Series != 7 {
		t.Errorf("rendered (%d series):\n%s", r.Series, r.Text)
	}
}

func TestTidyDropsRoundingNoiseButKeepsTrueFractions(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want float64
	}{
		{"a sum of decimal scores", 0.8220000000000001, 0.822},
		{"noise below the value", 0.7769999999999999, 0.777},
		{"a money sum", 0.1 + 0.2, 0.3},
		{"a repeating fraction keeps every digit", 8.0 / 11, 8.0 / 11},
		{"a third keeps every digit", 1.0 / 3, 1.0 / 3},
		{"a whole number", 1792605338, 1792605338},
		{"a small ratio", 1.0 / 1024, 1.0 / 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Tidy(tt.in); got != tt.want {
				t.Errorf("Tidy(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
