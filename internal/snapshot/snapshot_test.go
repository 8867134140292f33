package snapshot

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestBuilderRejectsMistakesInsteadOfExportingThem(t *testing.T) {
	tests := []struct {
		name  string
		build func(b *Builder)
		want  string
	}{
		{"a counter without _total", func(b *Builder) { b.Counter("sre_x", "h", 1) }, "counter sre_x: name must end in _total"},
		{"a duplicate series", func(b *Builder) { b.Gauge("sre_x", "h", 1, "team", "a"); b.Gauge("sre_x", "h", 2, "team", "a") }, "metric sre_x: duplicate series [team a]"},
		{"one family with two label sets", func(b *Builder) { b.Gauge("sre_x", "h", 1, "team", "a"); b.Gauge("sre_x", "h", 2, "service", "a") }, "label names {service} differ from earlier {team}"},
		{"one family with two types", func(b *Builder) { b.Gauge("sre_x_total", "h", 1); b.Counter("sre_x_total", "h", 2) }, "metric sre_x_total: used as GAUGE and COUNTER"},
		{"an invalid label name", func(b *Builder) { b.Gauge("sre_x", "h", 1, "team-name", "a") }, `metric sre_x: invalid label name "team-name"`},
		{"an odd label list", func(b *Builder) { b.Gauge("sre_x", "h", 1, "team") }, "labels must be name/value pairs"},
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
	a.Gauge("sre_open", "Open things.", 2, "team", "payments")
	b.Gauge("sre_open", "Open things.", 5, "team", "payments")
	h := NewHistogram([]float64{60, 3600})
	h.Observe(30)
	h.Observe(60) // upper bounds are inclusive, as in Prometheus
	h.Observe(7200)
	b.Histogram("sre_wait_seconds", "Waits.", h)
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
	if string(r.Text) != want || r.Series != 3 {
		t.Errorf("rendered (%d series):\n%s", r.Series, r.Text)
	}
}
